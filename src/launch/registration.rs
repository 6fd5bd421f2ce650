//! LTI Dynamic Registration, glue between the protocol (`lti::registration`) and the store:
//! read and check the platform's configuration, let the administrator confirm, register the
//! tool with the platform and record the registration, in one transaction.
//!
//! Nothing is stored between the two steps: the confirmation form carries the configuration
//! URL and the registration token in hidden fields with a short-lived proof (an HMAC, keyed
//! by the server's session secret, over both and an expiry), and the confirmation reads the
//! configuration again. The proof keeps a form made elsewhere from being posted to us, and
//! the registration token, a credential of the platform, never appears in a URL we make and
//! is never logged. Each proof registers once per instance: a second post of the same form
//! (a double click) gets the first one's outcome instead of registering the tool again.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_lc_rs::hmac;
use base64::Engine;

use super::LaunchFlow;
use super::limits::RateLimiter;
use crate::lti::outbound::Reach;
use crate::lti::registration::{self as dr, Platform, Registered, RegistrationError, ToolUrls};
use crate::lti::{ClientId, Issuer, Registration};
use crate::store::{NewPlatform, StoreError};

/// How long a confirmation form may wait for the administrator.
pub const PROOF_TTL_SECS: i64 = 15 * 60;
/// Confirmations remembered per instance (each a few hundred bytes); beyond, new ones wait
/// until old ones expire.
pub const MAX_ATTEMPTS: usize = 1000;
/// Registration steps (each one request to a platform) per client address and minute: an
/// administrator registers a tool a few times a year; anyone else would use us to fetch URLs.
pub const RATE_PER_CLIENT: u32 = 20;

/// What the registration URL and the confirmation form carry.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct RegistrationParams {
    pub openid_configuration: Option<String>,
    pub registration_token: Option<String>,
    /// Only in the confirmation form.
    pub proof: Option<String>,
}

/// Why a registration step failed.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The platform or the request is the problem; the page says which.
    #[error(transparent)]
    Refused(#[from] RegistrationError),
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

/// The confirmation page's content.
#[derive(Debug, Clone)]
pub struct Confirmation {
    pub platform: Platform,
    pub configuration_url: String,
    pub registration_token: Option<String>,
    pub proof: String,
    /// Registrations this tool already has for the platform's issuer.
    pub existing: usize,
}

/// A finished registration.
#[derive(Debug, Clone)]
pub struct Done {
    pub platform: Platform,
    pub registration: Registration,
    pub deployment_id: Option<String>,
}

type Attempt = Arc<tokio::sync::OnceCell<Done>>;

/// The proof key and the confirmations in progress on this instance.
pub struct Registrations {
    http: crate::lti::outbound::Outbound,
    key: hmac::Key,
    attempts: Mutex<HashMap<String, (i64, Attempt)>>,
    per_client: RateLimiter<IpAddr>,
}

impl Registrations {
    /// Keyed by the server's session secret (its own derivation, so a proof is never a
    /// valid session token or the reverse); `http` is the shared outgoing client.
    pub fn new(http: crate::lti::outbound::Outbound, secret: &[u8]) -> Registrations {
        let mut material = b"binome-registration-proof-v1:".to_vec();
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

    /// What a proof signs: its expiry and nonce, the configuration URL and the token.
    fn signed(expires: i64, nonce: &str, configuration: &str, token: &str) -> Vec<u8> {
        let mut msg = Vec::new();
        for part in [&expires.to_string(), nonce, configuration, token] {
            msg.extend_from_slice(part.as_bytes());
            msg.push(0);
        }
        msg
    }

    /// A proof for this configuration URL and token, valid for [`PROOF_TTL_SECS`].
    fn proof(&self, configuration: &str, token: &str, now: i64) -> String {
        let expires = now + PROOF_TTL_SECS;
        let nonce = crate::lti::login::random_token();
        let tag = hmac::sign(
            &self.key,
            &Self::signed(expires, &nonce, configuration, token),
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
            &Self::signed(expires, nonce, configuration, token),
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

    /// Step 1 (§3.3–3.4): reads and checks the platform's configuration and prepares the
    /// confirmation.
    pub async fn registration_start(
        &self,
        p: &RegistrationParams,
        client: Option<IpAddr>,
        now: i64,
    ) -> Result<Confirmation, RegisterError> {
        let (url, token) = inputs(p, self.https_only())?;
        self.registrations.allow(client)?;
        let platform = dr::discover(
            self.registrations.http.registration(Reach::Public),
            &url,
            token.as_deref(),
            self.https_only(),
        )
        .await?;
        let existing = self
            .registry
            .snapshot()
            .await?
            .registrations
            .iter()
            .filter(|r| r.issuer.as_str() == platform.issuer)
            .count();
        Ok(Confirmation {
            proof: self
                .registrations
                .proof(url.as_str(), token.as_deref().unwrap_or(""), now),
            configuration_url: url.to_string(),
            registration_token: token,
            platform,
            existing,
        })
    }

    /// Step 2 (§3.5–3.6): once per confirmation form, reads the configuration again, posts
    /// the tool's registration and records the platform's answer.
    pub async fn registration_confirm(
        &self,
        p: &RegistrationParams,
        client: Option<IpAddr>,
        now: i64,
    ) -> Result<Done, RegisterError> {
        let (url, token) = inputs(p, self.https_only())?;
        let (nonce, expires) = p
            .proof
            .as_deref()
            .and_then(|proof| {
                self.registrations
                    .check(proof, url.as_str(), token.as_deref().unwrap_or(""), now)
            })
            .ok_or(RegisterError::ProofInvalid)?;
        self.registrations.allow(client)?;
        let attempt = self.registrations.attempt(&nonce, expires, now)?;
        let done = attempt
            .get_or_try_init(|| self.register_once(&url, token.as_deref(), now))
            .await?;
        Ok(done.clone())
    }

    async fn register_once(
        &self,
        url: &url::Url,
        token: Option<&str>,
        now: i64,
    ) -> Result<Done, RegisterError> {
        let http = self.registrations.http.registration(Reach::Public);
        let platform = dr::discover(http, url, token, self.https_only()).await?;
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
        } = dr::register(http, &platform, token, &metadata).await?;
        // Canvas creates the deployment when the tool is installed, after the registration:
        // then the registration lets its deployments in as they launch. The client id was
        // minted for this tool by the platform's administrator, so its deployments are
        // theirs. Moodle sends the deployment now, and only that one is let in.
        let accept_new = deployment_id.is_none();
        let registration = self
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
                    status: crate::lti::PlatformStatus::Active,
                    private_network: false,
                    service_hosts: Vec::new(),
                    registered_via: crate::lti::RegisteredVia::Open,
                },
                now,
            )
            .await?;
        self.registry.refresh().await?;
        tracing::info!(
            issuer = %registration.issuer,
            client_id = %registration.client_id,
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
    fn proofs_bind_the_configuration_and_token_and_expire() {
        let r = Registrations::new(test_outbound(), b"secret-secret-secret-secret-xx");
        let now = 1_800_000_000;
        let p = r.proof("https://lms.example/conf", "tok", now);
        assert!(
            r.check(&p, "https://lms.example/conf", "tok", now + 60)
                .is_some()
        );
        assert!(
            r.check(&p, "https://lms.example/conf", "other", now)
                .is_none()
        );
        assert!(
            r.check(&p, "https://evil.example/conf", "tok", now)
                .is_none()
        );
        assert!(
            r.check(
                &p,
                "https://lms.example/conf",
                "tok",
                now + PROOF_TTL_SECS + 1
            )
            .is_none()
        );
        let other = Registrations::new(test_outbound(), b"another-secret-another-secret!");
        assert!(
            other
                .check(&p, "https://lms.example/conf", "tok", now)
                .is_none()
        );
        assert!(
            r.check("1.2.3", "https://lms.example/conf", "tok", now)
                .is_none()
        );
        assert!(
            r.check("garbage", "https://lms.example/conf", "tok", now)
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
}
