//! LTI Dynamic Registration, glue between the protocol (`lti::registration`) and the store:
//! decide who may register, read and check the platform's configuration, let the
//! administrator confirm, register the tool with the platform and record the registration,
//! in one transaction.
//!
//! Who may register (`registration` setting, [`RegistrationMode`]): by default only an LMS
//! holding an operator's invitation (`binome registration invite` prints a one-time URL
//! `…/lti/register?invite=<token>`; only the token's SHA-256 is stored). An invited
//! registration is active at once and may reach private networks (the operator invited it:
//! an on-premises Moodle on `10.x` is real); its requests use [`Reach::Private`]. In `open`
//! mode anyone may register, but a registration without an invitation is stored pending
//! (it cannot launch until `binome platform approve`) and its requests reach public
//! addresses only. In `off` mode nothing registers. A registration never changes another:
//! an answer naming an issuer and client id the tool has is refused.
//!
//! What another system answered is shown only to the holder of a valid invitation (which
//! step failed, the platform's status, a short text-only reason). To anyone else every
//! failure that involves another system is one page, the same words and status whatever
//! happened, so the registration URL cannot be used to probe hosts and ports; the log gets
//! the reason code and the host, never a body.
//!
//! Nothing is stored between the two steps: the confirmation form carries the configuration
//! URL, the registration token and the invitation in hidden fields with a short-lived proof
//! (an HMAC, keyed by the server's session secret, over all three and an expiry), and the
//! confirmation reads the configuration again. The proof keeps a form made elsewhere from
//! being posted to us; the registration token (a credential of the platform) and the
//! invitation never appear in a URL we make and are never logged. Each proof registers once
//! per instance: a second post of the same form (a double click) gets the first one's
//! outcome instead of registering the tool again.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_lc_rs::hmac;
use base64::Engine;

use super::LaunchFlow;
use super::limits::RateLimiter;
use crate::config::RegistrationMode;
use crate::lti::outbound::Reach;
use crate::lti::registration::{self as dr, Platform, Registered, RegistrationError, ToolUrls};
use crate::lti::{ClientId, Issuer, PlatformStatus, RegisteredVia, Registration};
use crate::store::{NewPlatform, Store, StoreError};

/// How long a confirmation form may wait for the administrator.
pub const PROOF_TTL_SECS: i64 = 15 * 60;
/// Confirmations remembered per instance (each a few hundred bytes); beyond, new ones wait
/// until old ones expire.
pub const MAX_ATTEMPTS: usize = 1000;
/// Registration steps (each one request to a platform) per client address and minute: an
/// administrator registers a tool a few times a year; anyone else would use us to fetch URLs.
pub const RATE_PER_CLIENT: u32 = 20;
/// How long an invitation is valid unless the operator says otherwise.
pub const DEFAULT_INVITATION_SECS: i64 = 7 * 86_400;
/// The longest an invitation may be valid.
pub const MAX_INVITATION_SECS: i64 = 90 * 86_400;
/// How long the invitation printed at start-up (while no platform is registered) is valid.
pub const STARTUP_INVITATION_SECS: i64 = 86_400;
/// The note of the invitation printed at start-up; a new start replaces an unused one.
pub const STARTUP_NOTE: &str = "printed at start-up (no platform registered yet)";
/// Longest invitation token accepted (ours are 43 characters).
const MAX_INVITATION_TOKEN: usize = 64;

/// What the registration URL and the confirmation form carry.
#[derive(Default, Clone, serde::Deserialize)]
pub struct RegistrationParams {
    pub openid_configuration: Option<String>,
    pub registration_token: Option<String>,
    /// The operator's invitation (`binome registration invite`), from the registration URL.
    pub invite: Option<String>,
    /// Only in the confirmation form.
    pub proof: Option<String>,
}

impl std::fmt::Debug for RegistrationParams {
    /// The registration token, the invitation and the proof are credentials: never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistrationParams")
            .field("openid_configuration", &self.openid_configuration)
            .field(
                "registration_token",
                &self.registration_token.as_ref().map(|_| "…"),
            )
            .field("invite", &self.invite.as_ref().map(|_| "…"))
            .field("proof", &self.proof.as_ref().map(|_| "…"))
            .finish()
    }
}

/// Why a registration step failed.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The request is unusable, or (with a valid invitation) the platform is the problem;
    /// the page says which step failed and why.
    #[error(transparent)]
    Refused(#[from] RegistrationError),
    /// Without an invitation, a step that involves another system failed. Whatever the
    /// cause (unreachable, refused by the destination policy, an HTTP error, not an LTI
    /// platform, a refusal), the page is the same; the log gets the reason code and the
    /// configuration URL's host.
    #[error("registration failed ({reason}) for host {host}")]
    Failed { reason: &'static str, host: String },
    /// `registration = "invite"` and the registration URL carried no invitation.
    #[error("registration needs an invitation")]
    InvitationRequired,
    /// The invitation is unknown, used, revoked or expired.
    #[error("the invitation is unknown, used, revoked or expired")]
    InvitationInvalid,
    /// `registration = "off"`: platforms are added by an operator only.
    #[error("dynamic registration is off")]
    Closed,
    /// The platform answered with an issuer and client id this tool already has: a
    /// registration never changes another; nothing was stored.
    #[error("the platform answered with a registration this tool already has")]
    AlreadyRegistered,
    /// The confirmation form is too old, was not made by this tool, or was altered.
    #[error("the confirmation form expired or was altered")]
    ProofInvalid,
    /// Too many registrations are waiting for confirmation on this instance.
    #[error("too many registrations in progress")]
    Busy,
    /// This client started too many registration steps; the next one is allowed after
    /// `retry_after` seconds.
    #[error("too many registration requests; retry after {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who is registering.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Access {
    /// The holder of a valid invitation: the SHA-256 of its token.
    Invited { hash: String },
    /// Anyone (`registration = "open"`): the registration waits for approval.
    Open,
}

impl Access {
    /// Which addresses the registration's own requests may reach.
    fn reach(&self) -> Reach {
        match self {
            Access::Invited { .. } => Reach::Private,
            Access::Open => Reach::Public,
        }
    }

    fn invitation(&self) -> Option<&str> {
        match self {
            Access::Invited { hash } => Some(hash),
            Access::Open => None,
        }
    }

    /// A failed step as this requester may see it: in full with an invitation; otherwise,
    /// for anything that involves another system, one page whatever happened.
    fn shield(&self, e: RegistrationError, configuration: &url::Url) -> RegisterError {
        let local = matches!(
            e,
            RegistrationError::MissingConfigurationUrl
                | RegistrationError::BadConfigurationUrl(_)
                | RegistrationError::TokenTooLong
        );
        match self {
            Access::Invited { .. } => RegisterError::Refused(e),
            Access::Open if local => RegisterError::Refused(e),
            Access::Open => RegisterError::Failed {
                reason: e.code(),
                host: configuration
                    .host_str()
                    .unwrap_or("?")
                    .chars()
                    .take(100)
                    .collect(),
            },
        }
    }
}

/// The confirmation page's content.
#[derive(Debug, Clone)]
pub struct Confirmation {
    pub platform: Platform,
    pub configuration_url: String,
    pub registration_token: Option<String>,
    /// The invitation, carried to the confirmation (a hidden field, covered by the proof).
    pub invite: Option<String>,
    pub proof: String,
    /// Registrations this tool already has for the platform's issuer (told to an invited
    /// administrator only).
    pub existing: usize,
}

impl Confirmation {
    /// Whether the administrator holds an invitation (else the registration will wait for
    /// the operator's approval, and the page shows nothing the platform said).
    pub fn invited(&self) -> bool {
        self.invite.is_some()
    }
}

/// A finished registration.
#[derive(Debug, Clone)]
pub struct Done {
    pub platform: Platform,
    pub registration: Registration,
    pub deployment_id: Option<String>,
}

impl Done {
    /// Whether the registration waits for the operator's approval.
    pub fn pending(&self) -> bool {
        self.registration.status == PlatformStatus::Pending
    }
}

type Attempt = Arc<tokio::sync::OnceCell<Done>>;

/// A new invitation: the token (printed once, in the URL) and its hash (stored).
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub token: String,
    pub hash: String,
}

impl NewInvitation {
    /// A random 32-byte token.
    pub fn generate() -> NewInvitation {
        let token = crate::lti::login::random_token();
        NewInvitation {
            hash: invitation_hash(&token),
            token,
        }
    }

    /// The registration URL with this invitation (Moodle's "Register tool URL" and Canvas's
    /// "LTI Registration" accept a query and add their own parameters to it).
    pub fn url(&self, register_url: &str) -> String {
        format!("{register_url}?invite={}", self.token)
    }
}

/// The stored form of an invitation's token: SHA-256, hexadecimal.
pub fn invitation_hash(token: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Records a new invitation valid for `ttl_secs` (capped at [`MAX_INVITATION_SECS`]).
pub async fn invite(
    store: &Store,
    note: Option<&str>,
    ttl_secs: i64,
    now: i64,
) -> Result<(NewInvitation, crate::store::Invitation), StoreError> {
    let new = NewInvitation::generate();
    let ttl = ttl_secs.clamp(1, MAX_INVITATION_SECS);
    let stored = store
        .create_invitation(&new.hash, note, now, now + ttl)
        .await?;
    Ok((new, stored))
}

/// The invitation printed at start-up, when registrations are by invitation and no platform
/// is registered yet (the first paste of the README's path): a fresh one each start, valid
/// a day, replacing the unused one an earlier start printed. None otherwise.
pub async fn startup_invitation(
    store: &Store,
    mode: RegistrationMode,
    register_url: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    if mode != RegistrationMode::Invite || !store.registrations().await?.is_empty() {
        return Ok(None);
    }
    store.revoke_unused_invitations_noted(STARTUP_NOTE).await?;
    let (new, _) = invite(store, Some(STARTUP_NOTE), STARTUP_INVITATION_SECS, now).await?;
    Ok(Some(new.url(register_url)))
}

/// The proof key and the confirmations in progress on this instance.
pub struct Registrations {
    http: crate::lti::outbound::Outbound,
    key: hmac::Key,
    /// By nonce, with the proof's expiry. By hand rather than a bounded cache: when full of
    /// live proofs it refuses new ones ([`RegisterError::Busy`]) instead of evicting one, which
    /// would let a second post of an evicted form run its confirmation twice.
    attempts: Mutex<HashMap<String, (i64, Attempt)>>,
    per_client: RateLimiter<IpAddr>,
}

impl Registrations {
    /// Keyed by the server's session secret (its own derivation, so a proof is never a
    /// valid session token or the reverse); `http` is the shared outgoing client.
    pub fn new(http: crate::lti::outbound::Outbound, secret: &[u8]) -> Registrations {
        let mut material = b"binome-registration-proof-v2:".to_vec();
        material.extend_from_slice(secret);
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &material);
        Registrations {
            http,
            key: hmac::Key::new(hmac::HMAC_SHA256, digest.as_ref()),
            attempts: Mutex::new(HashMap::new()),
            per_client: RateLimiter::new(RATE_PER_CLIENT),
        }
    }

    /// Takes one registration step of this client's allowance (a request whose address is
    /// unknown, as a login's, has none to take from).
    fn allow(&self, client: Option<IpAddr>) -> Result<(), RegisterError> {
        match client {
            Some(c) => self
                .per_client
                .check(super::limits::client_key(c), Instant::now())
                .map_err(|retry_after| RegisterError::RateLimited { retry_after }),
            None => Ok(()),
        }
    }

    /// What a proof signs: its expiry and nonce, the configuration URL, the token and the
    /// invitation.
    fn signed(
        expires: i64,
        nonce: &str,
        configuration: &str,
        token: &str,
        invite: &str,
    ) -> Vec<u8> {
        let mut msg = Vec::new();
        for part in [&expires.to_string(), nonce, configuration, token, invite] {
            msg.extend_from_slice(part.as_bytes());
            msg.push(0);
        }
        msg
    }

    /// A proof for these values, valid for [`PROOF_TTL_SECS`].
    fn proof(&self, configuration: &str, token: &str, invite: &str, now: i64) -> String {
        let expires = now + PROOF_TTL_SECS;
        let nonce = crate::lti::login::random_token();
        let tag = hmac::sign(
            &self.key,
            &Self::signed(expires, &nonce, configuration, token, invite),
        );
        let mac = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag.as_ref());
        format!("{expires}.{nonce}.{mac}")
    }

    /// The proof's nonce and expiry when it is ours, unexpired, and made for these values.
    fn check(
        &self,
        proof: &str,
        configuration: &str,
        token: &str,
        invite: &str,
        now: i64,
    ) -> Option<(String, i64)> {
        let mut parts = proof.splitn(3, '.');
        let expires: i64 = parts.next()?.parse().ok()?;
        let nonce = parts.next()?;
        let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts.next()?)
            .ok()?;
        if expires < now || expires > now + PROOF_TTL_SECS {
            return None;
        }
        // `verify` compares in constant time.
        hmac::verify(
            &self.key,
            &Self::signed(expires, nonce, configuration, token, invite),
            &tag,
        )
        .ok()?;
        Some((nonce.to_string(), expires))
    }

    /// The one attempt of a proof: the same cell for every post of the same form.
    fn attempt(&self, nonce: &str, expires: i64, now: i64) -> Result<Attempt, RegisterError> {
        let mut map = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, a)) = map.get(nonce) {
            return Ok(a.clone());
        }
        if map.len() >= MAX_ATTEMPTS {
            map.retain(|_, (exp, _)| *exp >= now);
            if map.len() >= MAX_ATTEMPTS {
                return Err(RegisterError::Busy);
            }
        }
        let a: Attempt = Arc::default();
        map.insert(nonce.to_string(), (expires, a.clone()));
        Ok(a)
    }
}

/// The `openid_configuration` and token of a request, bounded, the token optional (the spec
/// makes it optional; a platform that needs it refuses the configuration request).
fn inputs(
    p: &RegistrationParams,
    https_only: bool,
) -> Result<(url::Url, Option<String>), RegistrationError> {
    let raw = p
        .openid_configuration
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(RegistrationError::MissingConfigurationUrl)?;
    let url = dr::configuration_url(raw, https_only)?;
    let token = p
        .registration_token
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if token.is_some_and(|t| t.len() > dr::MAX_TOKEN) {
        return Err(RegistrationError::TokenTooLong);
    }
    Ok((url, token.map(str::to_string)))
}

/// The invitation a request carries, if any, when it could be one of ours (anything else
/// is refused without a query).
fn invitation_param(p: &RegistrationParams) -> Result<Option<&str>, RegisterError> {
    match p.invite.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(t)
            if t.len() <= MAX_INVITATION_TOKEN
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Ok(Some(t))
        }
        Some(_) => Err(RegisterError::InvitationInvalid),
    }
}

impl LaunchFlow {
    fn https_only(&self) -> bool {
        self.settings.base_url.scheme() == "https"
    }

    /// Who may frame the registration pages: the platform, i.e. the origin of the
    /// configuration URL (Moodle and Canvas open the tool's page in a frame or a window of
    /// their own site).
    pub fn registration_frames(&self, p: &RegistrationParams) -> Vec<String> {
        p.openid_configuration
            .as_deref()
            .and_then(|raw| dr::configuration_url(raw.trim(), self.https_only()).ok())
            .map(|u| vec![u.origin().ascii_serialization()])
            .unwrap_or_default()
    }

    /// Who is registering, as far as the request and the mode tell (the invitation is
    /// checked against the store later, after the rate limit).
    fn access_of(&self, p: &RegistrationParams) -> Result<Option<String>, RegisterError> {
        let mode = self.settings.registration;
        if mode == RegistrationMode::Off {
            return Err(RegisterError::Closed);
        }
        match invitation_param(p)? {
            Some(token) => Ok(Some(invitation_hash(token))),
            None if mode == RegistrationMode::Invite => Err(RegisterError::InvitationRequired),
            None => Ok(None),
        }
    }

    /// The access of a request whose invitation (if any) is still usable.
    async fn checked_access(
        &self,
        hash: Option<String>,
        now: i64,
    ) -> Result<Access, RegisterError> {
        match hash {
            None => Ok(Access::Open),
            Some(hash) => match self.store.usable_invitation(&hash, now).await? {
                Some(_) => Ok(Access::Invited { hash }),
                None => Err(RegisterError::InvitationInvalid),
            },
        }
    }

    /// Step 1 (§3.3–3.4): decides who is registering, reads and checks the platform's
    /// configuration and prepares the confirmation.
    pub async fn registration_start(
        &self,
        p: &RegistrationParams,
        client: Option<IpAddr>,
        now: i64,
    ) -> Result<Confirmation, RegisterError> {
        let hash = self.access_of(p)?;
        let (url, token) = inputs(p, self.https_only())?;
        self.registrations.allow(client)?;
        let access = self.checked_access(hash, now).await?;
        let platform = dr::discover(
            self.registrations.http.registration(access.reach()),
            &url,
            token.as_deref(),
            self.https_only(),
        )
        .await
        .map_err(|e| access.shield(e, &url))?;
        let existing = match access {
            Access::Invited { .. } => self
                .registry
                .snapshot()
                .await?
                .registrations
                .iter()
                .filter(|r| r.issuer.as_str() == platform.issuer)
                .count(),
            Access::Open => 0,
        };
        let invite = invitation_param(p)?.map(str::to_string);
        Ok(Confirmation {
            proof: self.registrations.proof(
                url.as_str(),
                token.as_deref().unwrap_or(""),
                invite.as_deref().unwrap_or(""),
                now,
            ),
            configuration_url: url.to_string(),
            registration_token: token,
            invite,
            platform,
            existing,
        })
    }

    /// Step 2 (§3.5–3.6): once per confirmation form, reads the configuration again, posts
    /// the tool's registration and records the platform's answer (consuming the invitation).
    pub async fn registration_confirm(
        &self,
        p: &RegistrationParams,
        client: Option<IpAddr>,
        now: i64,
    ) -> Result<Done, RegisterError> {
        if self.settings.registration == RegistrationMode::Off {
            return Err(RegisterError::Closed);
        }
        let (url, token) = inputs(p, self.https_only())?;
        let invite = invitation_param(p).map_err(|_| RegisterError::ProofInvalid)?;
        let (nonce, expires) = p
            .proof
            .as_deref()
            .and_then(|proof| {
                self.registrations.check(
                    proof,
                    url.as_str(),
                    token.as_deref().unwrap_or(""),
                    invite.unwrap_or(""),
                    now,
                )
            })
            .ok_or(RegisterError::ProofInvalid)?;
        let hash = self.access_of(p)?;
        self.registrations.allow(client)?;
        let attempt = self.registrations.attempt(&nonce, expires, now)?;
        let done = attempt
            .get_or_try_init(|| async {
                let access = self.checked_access(hash, now).await?;
                self.register_once(&url, token.as_deref(), &access, now)
                    .await
            })
            .await?;
        Ok(done.clone())
    }

    async fn register_once(
        &self,
        url: &url::Url,
        token: Option<&str>,
        access: &Access,
        now: i64,
    ) -> Result<Done, RegisterError> {
        let http = self.registrations.http.registration(access.reach());
        let platform = dr::discover(http, url, token, self.https_only())
            .await
            .map_err(|e| access.shield(e, url))?;
        let urls = self.settings.tool_urls();
        let metadata = dr::tool_metadata(ToolUrls {
            login: &urls.login,
            launch: &urls.launch,
            jwks: &urls.jwks,
            logo: None,
        })?;
        let Registered {
            client_id,
            deployment_id,
        } = dr::register(http, &platform, token, &metadata)
            .await
            .map_err(|e| access.shield(e, url))?;
        // Canvas creates the deployment when the tool is installed, after the registration:
        // then the registration lets its deployments in as they launch. The client id was
        // minted for this tool by the platform's administrator, so its deployments are
        // theirs. Moodle sends the deployment now, and only that one is let in.
        let accept_new = deployment_id.is_none();
        let (status, private_network, registered_via) = match access {
            Access::Invited { .. } => (PlatformStatus::Active, true, RegisteredVia::Invitation),
            Access::Open => (PlatformStatus::Pending, false, RegisteredVia::Open),
        };
        let stored = self
            .store
            .insert_registered_platform(
                NewPlatform {
                    issuer: Issuer::new(platform.issuer.clone()),
                    client_id: ClientId::new(client_id),
                    auth_url: platform.auth_url.clone(),
                    token_url: platform.token_url.clone(),
                    jwks_url: platform.jwks_url.clone(),
                    accept_new_deployments: accept_new,
                    frame_origins: vec![url.origin().ascii_serialization()],
                    deployments: deployment_id.iter().cloned().collect(),
                    status,
                    private_network,
                    service_hosts: Vec::new(),
                    registered_via,
                },
                access.invitation(),
                now,
            )
            .await;
        let registration = match stored {
            Ok(r) => r,
            Err(StoreError::Conflict(_)) => return Err(RegisterError::AlreadyRegistered),
            Err(StoreError::NotFound(_)) if access.invitation().is_some() => {
                return Err(RegisterError::InvitationInvalid);
            }
            Err(e) => return Err(e.into()),
        };
        self.registry.refresh().await?;
        tracing::info!(
            registration = registration.id.get(),
            host = url.host_str().unwrap_or("?"),
            via = registration.registered_via.as_str(),
            status = registration.status.as_str(),
            "platform registered by dynamic registration"
        );
        Ok(Done {
            platform,
            registration,
            deployment_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_outbound() -> crate::lti::outbound::Outbound {
        crate::lti::outbound::Outbound::new("test", false, false).unwrap()
    }

    #[test]
    fn proofs_bind_the_configuration_token_and_invitation_and_expire() {
        let r = Registrations::new(test_outbound(), b"secret-secret-secret-secret-xx");
        let now = 1_800_000_000;
        let p = r.proof("https://lms.example/conf", "tok", "", now);
        assert!(
            r.check(&p, "https://lms.example/conf", "tok", "", now + 60)
                .is_some()
        );
        assert!(
            r.check(&p, "https://lms.example/conf", "other", "", now)
                .is_none()
        );
        assert!(
            r.check(&p, "https://evil.example/conf", "tok", "", now)
                .is_none()
        );
        assert!(
            r.check(
                &p,
                "https://lms.example/conf",
                "tok",
                "",
                now + PROOF_TTL_SECS + 1
            )
            .is_none()
        );
        // The invitation is bound too: a form cannot gain or swap one.
        let q = r.proof("https://lms.example/conf", "tok", "inv-1", now);
        assert!(
            r.check(&q, "https://lms.example/conf", "tok", "inv-1", now)
                .is_some()
        );
        assert!(
            r.check(&q, "https://lms.example/conf", "tok", "inv-2", now)
                .is_none()
        );
        assert!(
            r.check(&q, "https://lms.example/conf", "tok", "", now)
                .is_none()
        );
        assert!(
            r.check(&p, "https://lms.example/conf", "tok", "inv-1", now)
                .is_none()
        );
        let other = Registrations::new(test_outbound(), b"another-secret-another-secret!");
        assert!(
            other
                .check(&p, "https://lms.example/conf", "tok", "", now)
                .is_none()
        );
        assert!(
            r.check("1.2.3", "https://lms.example/conf", "tok", "", now)
                .is_none()
        );
        assert!(
            r.check("garbage", "https://lms.example/conf", "tok", "", now)
                .is_none()
        );
    }

    #[test]
    fn attempts_are_shared_per_proof_and_bounded_and_clients_limited() {
        let r = Registrations::new(test_outbound(), b"secret-secret-secret-secret-xx");
        let ip: Option<IpAddr> = "192.0.2.1".parse().ok();
        for _ in 0..RATE_PER_CLIENT {
            assert!(r.allow(ip).is_ok());
        }
        assert!(matches!(
            r.allow(ip),
            Err(RegisterError::RateLimited { .. })
        ));
        let a = r.attempt("n1", 100, 0).unwrap();
        let b = r.attempt("n1", 100, 0).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        for i in 0..MAX_ATTEMPTS {
            let _ = r.attempt(&format!("x{i}"), 100, 0);
        }
        assert!(matches!(
            r.attempt("late", 100, 0),
            Err(RegisterError::Busy)
        ));
        // Once they expired, room is made.
        assert!(r.attempt("late", 300, 200).is_ok());
    }

    #[test]
    fn invitations_are_stored_as_a_hash_and_travel_in_the_url() {
        let a = NewInvitation::generate();
        let b = NewInvitation::generate();
        assert_ne!(a.token, b.token);
        assert_eq!(a.token.len(), 43, "32 random bytes, base64url");
        assert_eq!(a.hash, invitation_hash(&a.token));
        assert_eq!(a.hash.len(), 64);
        assert!(!a.hash.contains(&a.token));
        assert_eq!(
            invitation_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            a.url("https://b.example/lti/register"),
            format!("https://b.example/lti/register?invite={}", a.token)
        );
        let p = |v: &str| RegistrationParams {
            invite: Some(v.into()),
            ..Default::default()
        };
        assert!(invitation_param(&p(&a.token)).unwrap().is_some());
        assert!(invitation_param(&p("")).unwrap().is_none());
        assert!(invitation_param(&p("a'b")).is_err());
        assert!(invitation_param(&p(&"x".repeat(65))).is_err());
        let debug = format!("{:?}", p(&a.token));
        assert!(!debug.contains(&a.token), "{debug}");
    }

    #[test]
    fn without_an_invitation_every_remote_failure_looks_the_same() {
        let conf = url::Url::parse("http://127.0.0.1:9/x").unwrap();
        let remote = [
            RegistrationError::Unreachable {
                what: dr::Endpoint::Configuration,
                detail: "could not connect".into(),
            },
            RegistrationError::ConfigurationStatus {
                status: 404,
                token_sent: true,
            },
            RegistrationError::ConfigurationInvalid("x".into()),
            RegistrationError::Refused {
                status: 400,
                message: "secret body".into(),
            },
        ];
        for e in remote {
            let shown = Access::Open.shield(e.clone(), &conf);
            assert!(
                matches!(&shown, RegisterError::Failed { host, .. } if host == "127.0.0.1"),
                "{shown:?}"
            );
            assert!(!shown.to_string().contains("secret body"));
            let invited = Access::Invited { hash: "h".into() }.shield(e.clone(), &conf);
            assert!(matches!(invited, RegisterError::Refused(x) if x == e));
        }
        // The requester's own input is no secret.
        assert!(matches!(
            Access::Open.shield(RegistrationError::TokenTooLong, &conf),
            RegisterError::Refused(RegistrationError::TokenTooLong)
        ));
        assert_eq!(Access::Open.reach(), Reach::Public);
        assert_eq!(Access::Invited { hash: "h".into() }.reach(), Reach::Private);
    }
}
