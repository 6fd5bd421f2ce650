//! Every request the server makes to another system goes through here, with a destination
//! policy: where a request may go is decided on the address that is actually connected to,
//! not on the name in the URL, so that neither a URL nor a DNS answer can steer the server to
//! its own machine, its network or the cloud's metadata service.
//!
//! - **Never**: unspecified addresses (`0.0.0.0`, `::`), link-local ranges (`169.254.0.0/16`,
//!   `fe80::/10`, where cloud metadata services live, and AWS's `fd00:ec2::254`), multicast
//!   and broadcast, whatever the platform or the setting.
//! - **Private** (loopback, RFC 1918, carrier-grade NAT, unique-local IPv6): only with
//!   [`Reach::Private`], which a caller asks for a platform an operator added, invited or
//!   approved (an on-premises Moodle on `10.x` is real), or everywhere with the development
//!   setting `allow_private_network`.
//! - **Public**: everything else, with [`Reach::Public`].
//!
//! The check runs in the client's resolver (every connection of a name, redirects included,
//! so a DNS answer that changes between a check and the connection cannot slip through) and,
//! for URLs naming an IP address (which never reach a resolver: `http://127.1/`,
//! `http://2130706433/` and `http://[::ffff:127.0.0.1]/` are all parsed to addresses by
//! `url`), before each request and on each redirect hop. A request may only be sent through
//! [`HttpClient::send`]: `reqwest::RequestBuilder::send` is a disallowed method
//! (`clippy.toml`), so no call site can skip the check.
//!
//! Bounded as well: 5 s to connect, 10 s in all, 3 redirects (none from https to http), no
//! proxy from the environment (a proxy would connect on our behalf, out of the policy's
//! sight), and https only when the tool itself is served over https. A registration's client
//! follows no redirect to another origin.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

/// Which addresses a request may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reach {
    /// Public addresses only.
    Public,
    /// Public, loopback and private-network addresses (never link-local or unspecified).
    Private,
}

/// What kind of address an IP is, for the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// Reachable with any [`Reach`].
    Public,
    /// Loopback or a private network: only with [`Reach::Private`].
    Private,
    /// Never reached: unspecified, link-local (cloud metadata), multicast, broadcast.
    Forbidden,
}

/// Classifies an address; IPv4 addresses embedded in IPv6 (mapped, compatible, NAT64, 6to4)
/// are judged as the IPv4 address they carry.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let o = ip.octets();
    if ip.is_unspecified()
        || o[0] == 0
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || o[0] >= 240
    {
        return AddressClass::Forbidden;
    }
    let cgnat = o[0] == 100 && (o[1] & 0xc0) == 64;
    let benchmark = o[0] == 198 && (o[1] & 0xfe) == 18;
    if ip.is_loopback() || ip.is_private() || cgnat || benchmark {
        return AddressClass::Private;
    }
    AddressClass::Public
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    let s = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    // IPv4-compatible (::a.b.c.d, deprecated), NAT64 (64:ff9b::/96) and 6to4 (2002::/16)
    // carry an IPv4 address that a gateway may connect to.
    let v4_at = |i: usize| Ipv4Addr::from((u32::from(s[i]) << 16) | u32::from(s[i + 1]));
    if s[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified() {
        return classify_v4(v4_at(6));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return classify_v4(v4_at(6));
    }
    if s[0] == 0x2002 {
        return classify_v4(v4_at(1));
    }
    let aws_metadata = ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);
    if ip.is_unspecified() || ip.is_multicast() || (s[0] & 0xffc0) == 0xfe80 || aws_metadata {
        return AddressClass::Forbidden;
    }
    // Unique local (fc00::/7) and the deprecated site-local (fec0::/10).
    if ip.is_loopback() || (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfec0 {
        return AddressClass::Private;
    }
    AddressClass::Public
}

/// Whether `reach` lets a request connect to `ip`.
pub fn allowed(ip: IpAddr, reach: Reach) -> bool {
    match classify(ip) {
        AddressClass::Public => true,
        AddressClass::Private => reach == Reach::Private,
        AddressClass::Forbidden => false,
    }
}

/// Why the policy refused a destination. The text names the host only (never a path, a
/// query or a credential) and is safe to show to an operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The URL is not http(s), has credentials, or is plain http while the tool is https.
    #[error("{0} is not an allowed URL scheme here")]
    Scheme(String),
    /// The URL's host is an address (or resolves only to addresses) the policy forbids.
    #[error("{0} is not an address the tool may call")]
    Address(String),
    /// A redirect went somewhere it may not (another origin for a registration, https to
    /// http, too many hops).
    #[error("redirect refused: {0}")]
    Redirect(String),
}

/// What a request through [`HttpClient::send`] can fail with.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The destination policy refused the request before it left.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// The request failed on the way (connection, timeout, a refused redirect or address).
    #[error(transparent)]
    Http(#[from] reqwest::Error),
}

impl SendError {
    /// A short text safe to show and log: the kind of failure, never a URL's path or query.
    pub fn short(&self) -> String {
        match self.refusal() {
            Some(r) => format!("refused by the tool's outbound policy: {r}"),
            None => match self {
                SendError::Refused(r) => r.to_string(),
                SendError::Http(e) => super::jwks::short_error(e),
            },
        }
    }

    /// Whether the policy (not the network) stopped the request, before or during it.
    pub fn is_refused(&self) -> bool {
        self.refusal().is_some()
    }

    /// The policy's refusal, when the policy stopped the request (before it left, in the
    /// resolver or on a redirect).
    fn refusal(&self) -> Option<&Refused> {
        match self {
            SendError::Refused(r) => Some(r),
            SendError::Http(e) => {
                let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
                while let Some(s) = src {
                    if let Some(r) = s.downcast_ref::<Refused>() {
                        return Some(r);
                    }
                    src = s.source();
                }
                None
            }
        }
    }
}

/// The host of a URL as shown in a refusal (bounded).
fn host_label(u: &Url) -> String {
    u.host_str().unwrap_or("?").chars().take(100).collect()
}

/// The policy of one client.
#[derive(Debug, Clone, Copy)]
struct Policy {
    reach: Reach,
    https_only: bool,
    same_origin_redirects: bool,
}

impl Policy {
    /// Checks a URL before a request or a redirect hop: its scheme and, when its host is an
    /// IP address, that address (names are checked by the resolver).
    fn check_url(&self, u: &Url) -> Result<(), Refused> {
        let scheme_ok = match u.scheme() {
            "https" => true,
            "http" => !self.https_only,
            _ => false,
        };
        if !scheme_ok || !u.username().is_empty() || u.password().is_some() {
            return Err(Refused::Scheme(u.scheme().chars().take(20).collect()));
        }
        let ip = match u.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            Some(url::Host::Domain(d)) => {
                // `localhost` never needs a resolver to be loopback.
                let d = d.trim_end_matches('.');
                if d.eq_ignore_ascii_case("localhost") || d.ends_with(".localhost") {
                    IpAddr::V4(Ipv4Addr::LOCALHOST)
                } else {
                    return Ok(());
                }
            }
            None => return Err(Refused::Address(String::new())),
        };
        if allowed(ip, self.reach) {
            Ok(())
        } else {
            Err(Refused::Address(host_label(u)))
        }
    }

    fn redirect(&self, attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
        let prev = attempt.previous();
        let to = attempt.url();
        let refusal = if prev.len() > MAX_REDIRECTS {
            Some(Refused::Redirect("too many redirects".into()))
        } else if prev.last().is_some_and(|l| l.scheme() == "https") && to.scheme() != "https" {
            Some(Refused::Redirect("from https to plain http".into()))
        } else if self.same_origin_redirects
            && prev.first().is_some_and(|f| f.origin() != to.origin())
        {
            Some(Refused::Redirect(format!(
                "to another origin ({})",
                host_label(to)
            )))
        } else {
            self.check_url(to).err()
        };
        match refusal {
            Some(e) => attempt.error(e),
            None => attempt.follow(),
        }
    }
}

/// Most redirects followed.
const MAX_REDIRECTS: usize = 3;

/// The resolver of a policy: the system's answer, minus the addresses it may not reach.
struct Guard {
    reach: Reach,
}

impl Resolve for Guard {
    fn resolve(&self, name: Name) -> Resolving {
        let reach = self.reach;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| allowed(a.ip(), reach))
                .collect();
            if kept.is_empty() {
                let label: String = host.chars().take(100).collect();
                return Err(Box::new(Refused::Address(label)) as _);
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

/// One client with its policy.
#[derive(Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    policy: Policy,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("policy", &self.policy)
            .finish()
    }
}

impl HttpClient {
    fn build(user_agent: &str, policy: Policy) -> Result<HttpClient, reqwest::Error> {
        let p = policy;
        let inner = reqwest::Client::builder()
            .user_agent(user_agent)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .no_proxy()
            .dns_resolver(Arc::new(Guard { reach: p.reach }))
            .redirect(reqwest::redirect::Policy::custom(move |a| p.redirect(a)))
            .build()?;
        Ok(HttpClient { inner, policy })
    }

    /// A GET request to build; send it with [`send`](Self::send).
    pub fn get(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.inner.get(url)
    }

    /// A POST request to build; send it with [`send`](Self::send).
    pub fn post(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.inner.post(url)
    }

    /// A PUT request to build; send it with [`send`](Self::send).
    pub fn put(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.inner.put(url)
    }

    /// Checks the request's URL against the policy, then sends it (the resolver and the
    /// redirect policy check the rest of the way).
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response, SendError> {
        let req = req.build()?;
        self.execute(req).await
    }

    /// [`send`](Self::send) for an already built request.
    pub async fn execute(&self, req: reqwest::Request) -> Result<reqwest::Response, SendError> {
        self.policy.check_url(req.url())?;
        #[expect(
            clippy::disallowed_methods,
            reason = "the one place a checked request is sent"
        )]
        let resp = self.inner.execute(req).await?;
        Ok(resp)
    }

    /// Whether the policy lets a request go to this URL as far as can be told without
    /// resolving it (scheme, credentials, an address as host).
    pub fn check_url(&self, u: &Url) -> Result<(), Refused> {
        self.policy.check_url(u)
    }

    /// The reach of this client.
    pub fn reach(&self) -> Reach {
        self.policy.reach
    }
}

/// The server's outbound clients: one per reach, and one per reach for Dynamic Registration
/// (no redirect to another origin).
#[derive(Clone, Debug)]
pub struct Outbound {
    public: HttpClient,
    private: HttpClient,
    registration_public: HttpClient,
    registration_private: HttpClient,
    /// The development setting: every request may reach private networks.
    allow_private: bool,
}

impl Outbound {
    /// Builds the clients. `user_agent` identifies the tool (Canvas refuses requests without
    /// one); `https_only` when the tool is served over https; `allow_private` is the
    /// development setting that lets every request reach loopback and private networks.
    pub fn new(
        user_agent: &str,
        https_only: bool,
        allow_private: bool,
    ) -> Result<Outbound, reqwest::Error> {
        let policy = |reach, same_origin_redirects| Policy {
            reach,
            https_only,
            same_origin_redirects,
        };
        Ok(Outbound {
            public: HttpClient::build(user_agent, policy(Reach::Public, false))?,
            private: HttpClient::build(user_agent, policy(Reach::Private, false))?,
            registration_public: HttpClient::build(user_agent, policy(Reach::Public, true))?,
            registration_private: HttpClient::build(user_agent, policy(Reach::Private, true))?,
            allow_private,
        })
    }

    /// The reach actually granted: `wanted`, widened to private by the development setting.
    pub fn effective(&self, wanted: Reach) -> Reach {
        if self.allow_private {
            Reach::Private
        } else {
            wanted
        }
    }

    /// The client for a reach.
    pub fn client(&self, reach: Reach) -> &HttpClient {
        match self.effective(reach) {
            Reach::Public => &self.public,
            Reach::Private => &self.private,
        }
    }

    /// The client for a platform's services, keys and tokens: private networks only for a
    /// platform an operator added, invited or approved.
    pub fn for_platform(&self, reg: &super::Registration) -> &HttpClient {
        self.client(reg.reach())
    }

    /// The client of a Dynamic Registration step (no redirect to another origin).
    pub fn registration(&self, reach: Reach) -> &HttpClient {
        match self.effective(reach) {
            Reach::Public => &self.registration_public,
            Reach::Private => &self.registration_private,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn addresses_are_classified_as_the_policy_reads_them() {
        use AddressClass::*;
        for (addr, class) in [
            ("8.8.8.8", Public),
            ("93.184.216.34", Public),
            ("2606:4700::1111", Public),
            ("127.0.0.1", Private),
            ("127.255.0.9", Private),
            ("10.1.2.3", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("172.32.0.1", Public),
            ("192.168.1.1", Private),
            ("100.64.0.1", Private),
            ("100.128.0.1", Public),
            ("::1", Private),
            ("fc00::1", Private),
            ("fd12:3456::1", Private),
            ("0.0.0.0", Forbidden),
            ("0.1.2.3", Forbidden),
            ("::", Forbidden),
            ("169.254.169.254", Forbidden),
            ("169.254.0.1", Forbidden),
            ("fe80::1", Forbidden),
            ("fd00:ec2::254", Forbidden),
            ("224.0.0.1", Forbidden),
            ("255.255.255.255", Forbidden),
            ("ff02::1", Forbidden),
            ("::ffff:127.0.0.1", Private),
            ("::ffff:169.254.169.254", Forbidden),
            ("::ffff:8.8.8.8", Public),
            ("::127.0.0.1", Private),
            ("64:ff9b::a9fe:a9fe", Forbidden),
            ("64:ff9b::808:808", Public),
            ("2002:7f00:1::", Private),
            ("2002:a9fe:a9fe::", Forbidden),
        ] {
            assert_eq!(classify(ip(addr)), class, "{addr}");
        }
    }

    #[test]
    fn urls_naming_addresses_are_checked_before_any_request() {
        let public = Policy {
            reach: Reach::Public,
            https_only: false,
            same_origin_redirects: false,
        };
        let private = Policy {
            reach: Reach::Private,
            ..public
        };
        for (raw, public_ok, private_ok) in [
            ("https://lms.example/x", true, true),
            ("http://127.0.0.1:8080/", false, true),
            ("http://127.1/", false, true),
            ("http://2130706433/", false, true),
            ("http://0x7f000001/", false, true),
            ("http://0.0.0.0:80/", false, false),
            ("http://[::]/", false, false),
            ("http://[::ffff:127.0.0.1]/", false, true),
            ("http://169.254.169.254/latest/meta-data", false, false),
            ("http://[fe80::1]/", false, false),
            ("http://localhost:9000/", false, true),
            ("http://LOCALHOST./", false, true),
            ("http://a.localhost/", false, true),
            ("ftp://lms.example/", false, false),
            ("https://user:pw@lms.example/", false, false),
        ] {
            let u = Url::parse(raw).unwrap();
            assert_eq!(public.check_url(&u).is_ok(), public_ok, "{raw} public");
            assert_eq!(private.check_url(&u).is_ok(), private_ok, "{raw} private");
        }
        let https = Policy {
            https_only: true,
            ..public
        };
        assert!(
            https
                .check_url(&Url::parse("http://lms.example/").unwrap())
                .is_err()
        );
        assert!(
            https
                .check_url(&Url::parse("https://lms.example/").unwrap())
                .is_ok()
        );
    }

    #[tokio::test]
    async fn names_resolving_to_forbidden_addresses_are_refused_by_the_resolver() {
        let name = |s: &str| s.parse::<Name>().unwrap();
        assert!(
            Guard {
                reach: Reach::Public
            }
            .resolve(name("localhost"))
            .await
            .is_err()
        );
        let found: Vec<SocketAddr> = Guard {
            reach: Reach::Private,
        }
        .resolve(name("localhost"))
        .await
        .unwrap()
        .collect();
        assert!(found.iter().all(|a| a.ip().is_loopback()) && !found.is_empty());
        // The development setting widens every client to private networks, never further.
        let dev = Outbound::new("test", false, true).unwrap();
        assert_eq!(dev.client(Reach::Public).reach(), Reach::Private);
        let strict = Outbound::new("test", false, false).unwrap();
        for (out, url) in [
            (&dev, "http://169.254.169.254/"),
            (&strict, "http://127.1:1/"),
        ] {
            let c = out.client(Reach::Public);
            let err = c.send(c.get(url)).await.unwrap_err();
            assert!(err.is_refused(), "{url}: {err:?}");
        }
    }
}
