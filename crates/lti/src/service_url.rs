//! Where a platform's service token may go, as a type: a [`ServiceUrl`] is a NRPS or AGS URL
//! on one of its platform's own service hosts ([`Registration::service_url`]), and the
//! functions that send a token (`lti::nrps`, `lti::ags`) take nothing else. Links the
//! platform gives on the way (a `next` page, a `differences` link, `/scores` and `/results`
//! of a line item) stay on the origin of the URL they came from.
//!
//! The service hosts are those of the platform's issuer, auth, token and key set URLs, of
//! its framing origins, and those an operator added (`binome platform update
//! --service-host`); Canvas Cloud's schools are all under `instructure.com`. Hosts are
//! compared, not ports: a host name is the unit a platform's administrator controls (as for
//! its certificates), and Canvas serves its services from the school's host rather than the
//! issuer's. A platform whose issuer is https gets its token over https only.

use url::Url;

use super::Registration;

/// Canvas Cloud's service hosts: every school's own domain and the shared ones.
const CANVAS_CLOUD_SERVICE_DOMAIN: &str = "instructure.com";
/// Longest host kept in a refusal (a DNS name has at most 253 characters).
const MAX_HOST: usize = 253;

/// A service URL its platform's token may be sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUrl(Url);

impl ServiceUrl {
    /// The URL as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The parsed URL.
    pub fn url(&self) -> &Url {
        &self.0
    }

    /// A link on this URL's origin (scheme, host and port), such as a `next` page or the
    /// `/scores` of a line item: where this URL's token may go too. None for anything else.
    pub fn same_origin(&self, raw: &str) -> Option<ServiceUrl> {
        let u = Url::parse(raw).ok()?;
        let plain = u.username().is_empty() && u.password().is_none();
        (plain && u.origin().is_tuple() && u.origin() == self.0.origin()).then_some(ServiceUrl(u))
    }
}

impl std::fmt::Display for ServiceUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.as_str())
    }
}

/// Why a URL is not one a platform's service token may be sent to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotService {
    /// Its host is not one of the platform's service hosts (an operator may add it).
    #[error("host {0} is not one of this platform's hosts")]
    Foreign(String),
    /// Not an absolute http(s) URL without credentials, or plain http for an https platform.
    #[error("not a usable service address ({0})")]
    Unusable(&'static str),
}

/// A host as compared: lower case (the URL parser already folds and punycodes names), without
/// the final dot of a fully qualified name.
fn host_key(h: &str) -> String {
    h.trim_end_matches('.').to_ascii_lowercase()
}

impl Registration {
    /// The hosts the platform's service token may be sent to: those of its issuer, auth,
    /// token and key set URLs, of its framing origins, and those an operator added.
    pub fn service_host_list(&self) -> Vec<String> {
        let mut out: Vec<String> = [
            self.issuer.as_str(),
            self.auth_url.as_str(),
            self.token_url.as_str(),
            self.jwks_url.as_str(),
        ]
        .into_iter()
        .chain(self.frame_origins.iter().map(String::as_str))
        .filter_map(|u| Url::parse(u).ok())
        .filter_map(|u| u.host_str().map(host_key))
        .chain(self.service_hosts.iter().map(|h| host_key(h)))
        .filter(|h| !h.is_empty())
        .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Checks a service URL (NRPS, AGS) the platform gave: on one of its service hosts, so
    /// that its token may be sent there; Canvas Cloud's `*.instructure.com` is known.
    pub fn service_url(&self, raw: &str) -> Result<ServiceUrl, NotService> {
        let u = Url::parse(raw).map_err(|_| NotService::Unusable("not a URL"))?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(NotService::Unusable("not http(s)"));
        }
        if !u.username().is_empty() || u.password().is_some() {
            return Err(NotService::Unusable("credentials in the address"));
        }
        let Some(host) = u.host_str().map(host_key).filter(|h| !h.is_empty()) else {
            return Err(NotService::Unusable("no host"));
        };
        if u.scheme() == "http" && self.issuer.as_str().starts_with("https:") {
            return Err(NotService::Unusable("plain http for an https platform"));
        }
        let canvas = self.is_canvas_cloud()
            && (host == CANVAS_CLOUD_SERVICE_DOMAIN
                || host.ends_with(&format!(".{CANVAS_CLOUD_SERVICE_DOMAIN}")));
        if canvas || self.service_host_list().contains(&host) {
            Ok(ServiceUrl(u))
        } else {
            Err(NotService::Foreign(host.chars().take(MAX_HOST).collect()))
        }
    }

    /// Whether a service URL (NRPS, AGS) is on one of the platform's own service hosts, so
    /// that its token may be sent there (see [`service_url`](Self::service_url)).
    pub fn is_service_url(&self, raw: &str) -> bool {
        self.service_url(raw).is_ok()
    }
}

/// Checks a host an operator gives for `--service-host`: a bare host name or address (no
/// scheme, port, path or credentials), returned lower-cased.
pub fn check_service_host(raw: &str) -> Result<String, String> {
    let h = raw.trim().to_ascii_lowercase();
    let h = h.trim_end_matches('.');
    let bad = || format!("{raw:?} is not a bare host name (such as lms.example.org)");
    if h.is_empty() || h.len() > MAX_HOST || h.contains(['/', '\\', '@', '?', '#', '*', ' ']) {
        return Err(bad());
    }
    let parsed = Url::parse(&format!("https://{h}/")).map_err(|_| bad())?;
    if parsed.port().is_some() || parsed.host_str() != Some(h) {
        return Err(bad());
    }
    Ok(h.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PlatformStatus, RegisteredVia, RegistrationId};

    fn reg(issuer: &str, service_hosts: &[&str]) -> Registration {
        Registration {
            id: RegistrationId::new(1),
            issuer: issuer.into(),
            client_id: "c".into(),
            auth_url: format!("{issuer}/mod/lti/auth.php"),
            token_url: format!("{issuer}/mod/lti/token.php"),
            jwks_url: format!("{issuer}/mod/lti/certs.php"),
            accept_new_deployments: false,
            frame_origins: vec![],
            status: PlatformStatus::Active,
            private_network: true,
            service_hosts: service_hosts.iter().map(|h| h.to_string()).collect(),
            registered_via: RegisteredVia::Operator,
        }
    }

    #[test]
    fn service_urls_stay_on_the_platforms_own_hosts() {
        let moodle = reg("https://moodle.example", &[]);
        for (raw, ok) in [
            (
                "https://moodle.example/mod/lti/services.php/2/lineitems?type_id=1",
                true,
            ),
            ("https://MOODLE.example/x", true),
            ("https://moodle.example./x", true),
            // Hosts are compared, not ports.
            ("https://moodle.example:8443/x", true),
            // Subdomain and suffix tricks.
            ("https://moodle.example.evil.com/x", false),
            ("https://evilmoodle.example/x", false),
            ("https://sub.moodle.example/x", false),
            ("https://evil.com/moodle.example", false),
            ("https://evil.com/?host=moodle.example", false),
            ("https://evil.com#@moodle.example", false),
            ("https://moodle.example@evil.com/x", false),
            ("https://moodle.example%2eevil.com/x", false),
            // Credentials never, even on the right host.
            ("https://user@moodle.example/x", false),
            ("https://:secret@moodle.example/x", false),
            ("https://u:p@moodle.example/x", false),
            // No downgrade for an https platform; no other scheme.
            ("http://moodle.example/x", false),
            ("ftp://moodle.example/x", false),
            ("moodle.example/x", false),
            ("", false),
        ] {
            assert_eq!(moodle.is_service_url(raw), ok, "{raw}");
        }
        assert_eq!(
            moodle.service_url("https://moodle.example.evil.com/x"),
            Err(NotService::Foreign("moodle.example.evil.com".into()))
        );
        // A plain http platform (Moodle on loopback) gets plain http; addresses compare as
        // the URL parser reads them.
        let local = reg("http://127.0.0.1:8080", &[]);
        for (raw, ok) in [
            ("http://127.0.0.1:9999/nrps/2", true),
            ("http://2130706433/nrps/2", true),
            ("http://127.1/nrps/2", true),
            ("http://localhost:8080/nrps/2", false),
            ("http://[::1]:8080/nrps/2", false),
        ] {
            assert_eq!(local.is_service_url(raw), ok, "{raw}");
        }
    }

    #[test]
    fn operators_add_hosts_and_canvas_cloud_is_known() {
        let moodle = reg("https://moodle.example", &["Services.Example"]);
        assert!(moodle.is_service_url("https://services.example/x"));
        assert!(!moodle.is_service_url("https://x.services.example/x"));
        assert!(!moodle.is_service_url("https://school.instructure.com/api/lti/x"));
        let mut canvas = reg("https://canvas.instructure.com", &[]);
        canvas.auth_url = "https://sso.canvaslms.com/api/lti/authorize_redirect".into();
        for (raw, ok) in [
            (
                "https://school.instructure.com/api/lti/courses/1/line_items",
                true,
            ),
            ("https://a.b.instructure.com/x", true),
            ("https://instructure.com/x", true),
            ("https://sso.canvaslms.com/x", true),
            ("https://instructure.com.evil.com/x", false),
            ("https://evilinstructure.com/x", false),
            ("https://school.instructure.com@evil.com/x", false),
            ("http://school.instructure.com/x", false),
        ] {
            assert_eq!(canvas.is_service_url(raw), ok, "{raw}");
        }
        let mut framed = reg("https://moodle.example", &[]);
        framed.frame_origins = vec!["https://school.example".into()];
        assert!(framed.is_service_url("https://school.example/x"));
        assert_eq!(
            framed.service_host_list(),
            vec!["moodle.example".to_string(), "school.example".to_string()]
        );
    }

    #[test]
    fn links_stay_on_the_origin_they_came_from() {
        let moodle = reg("https://moodle.example", &[]);
        let home = moodle.service_url("https://moodle.example/nrps/2").unwrap();
        assert!(
            home.same_origin("https://moodle.example/nrps/2?page=2")
                .is_some()
        );
        for other in [
            "https://moodle.example:8443/nrps/2",
            "http://moodle.example/nrps/2",
            "https://u@moodle.example/nrps/2",
            "https://evil.example/nrps/2",
            "/relative",
        ] {
            assert!(home.same_origin(other).is_none(), "{other}");
        }
    }

    #[test]
    fn operators_name_bare_hosts() {
        for (raw, ok) in [
            ("lms.example.org", Some("lms.example.org")),
            ("LMS.Example.org.", Some("lms.example.org")),
            ("localhost", Some("localhost")),
            ("10.0.0.5", Some("10.0.0.5")),
            ("[::1]", Some("[::1]")),
            ("https://lms.example.org", None),
            ("lms.example.org:8443", None),
            ("lms.example.org/path", None),
            ("user@lms.example.org", None),
            ("*.example.org", None),
            ("", None),
            ("two words", None),
        ] {
            assert_eq!(check_service_host(raw).ok().as_deref(), ok, "{raw}");
        }
    }
}
