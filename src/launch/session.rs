//! The browser session after a launch: a short-lived, encrypted token that the page carries in
//! a hidden form field and an `Authorization` header (never in a URL, never in a cookie, so
//! nothing depends on third-party cookies inside the LMS iframe).
//!
//! The token is opaque: AES-256-GCM over the session's ids, so neither the person's LMS id nor
//! a name or course title can be read from it, and its size does not grow with what the LMS
//! sends. It lives [`Settings::session_ttl`](crate::config::Settings) and is renewed while the
//! page is in use, up to [`MAX_LIFE`] after the launch. The key is derived from a secret kept
//! in the database, shared by every instance.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::i18n::Locale;
use crate::lti::{DeploymentId, RegistrationId, Subject};
use crate::store::CourseId;

/// A session is renewed at most this long after its launch; then the LMS must launch again.
pub const MAX_LIFE: u64 = 12 * 3600;

/// Largest token accepted (far above what a session produces; a bound on work per request).
const MAX_TOKEN: usize = 8 * 1024;

/// Versioned prefix, so a future format can be told apart.
const PREFIX: &str = "b1.";

/// What a deep-linking launch needs to answer the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeepLinkContext {
    pub return_url: String,
    /// The platform's opaque `data`, echoed in the response.
    pub data: Option<String>,
    pub accept_multiple: bool,
    pub accept_lineitem: bool,
    /// The platform takes `ltiResourceLink` items (the only kind Binôme makes).
    pub accept_resource_link: bool,
    /// How the item asks to be shown, from the targets the platform accepts.
    pub presentation: Option<Presentation>,
}

/// Where a deep-linked activity asks to open (`accept_presentation_document_targets`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Presentation {
    /// Inside the LMS page, which is what the session is built for.
    Iframe,
    /// In a window of its own, when the platform cannot frame it.
    Window,
}

/// The page a session opens, with what only that kind of page needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionPage {
    /// A resource-link launch: the activity of a module.
    Activity { resource_link: Option<String> },
    /// A deep-linking launch: the course designer picks what to add.
    DeepLinking(DeepLinkContext),
}

/// Who is on the page, in which course, and what they may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub registration: RegistrationId,
    pub deployment_id: DeploymentId,
    pub course: CourseId,
    /// The LMS user id (`sub`); none for an anonymous launch.
    pub subject: Option<Subject>,
    /// Holds a staff role in the course (teaching team, mentor, administrator).
    pub staff: bool,
    /// May change the course's set-up (staff other than Mentor).
    pub may_manage: bool,
    pub locale: Locale,
    pub page: SessionPage,
    /// The origin of the LMS page that framed the launch (from the signed return URL).
    pub lms_origin: Option<String>,
    /// The launch offered the roster service (NRPS).
    pub roster_service: bool,
    /// The launch offered the grade service (AGS).
    pub grade_service: bool,
    /// When the LMS launched this session (renewals keep it).
    pub launched_at: u64,
    pub expires_at: u64,
}

impl Session {
    /// The resource link of an activity session.
    pub fn resource_link(&self) -> Option<&str> {
        match &self.page {
            SessionPage::Activity { resource_link } => resource_link.as_deref(),
            SessionPage::DeepLinking(_) => None,
        }
    }

    /// The deep-linking context of a deep-linking session.
    pub fn deep_linking(&self) -> Option<&DeepLinkContext> {
        match &self.page {
            SessionPage::DeepLinking(d) => Some(d),
            SessionPage::Activity { .. } => None,
        }
    }

    /// The LMS user id, when the launch said who.
    pub fn user(&self) -> Option<&str> {
        self.subject.as_ref().map(Subject::as_str)
    }

    /// The person, typed (None in an anonymous launch).
    pub fn person(&self) -> Option<&Subject> {
        self.subject.as_ref()
    }

    /// Whether this is an activity session (rather than deep linking).
    pub fn is_activity(&self) -> bool {
        matches!(self.page, SessionPage::Activity { .. })
    }

    /// The same session with a new expiry, or none once [`MAX_LIFE`] has passed.
    pub fn renewed(&self, now: u64, ttl: u64) -> Option<Session> {
        let end = self.launched_at.saturating_add(MAX_LIFE);
        if now >= end || now > self.expires_at {
            return None;
        }
        let mut s = self.clone();
        s.expires_at = now.saturating_add(ttl).min(end);
        Some(s)
    }
}

/// Seals and opens session tokens.
pub struct SessionKeys {
    key: LessSafeKey,
}

impl SessionKeys {
    /// Keys derived from the server's session secret.
    pub fn new(secret: &[u8]) -> SessionKeys {
        let mut material = b"binome-session-token-v1:".to_vec();
        material.extend_from_slice(secret);
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &material);
        // A 32-byte key always fits AES-256.
        let unbound = UnboundKey::new(&AES_256_GCM, digest.as_ref()).unwrap_or_else(|_| {
            unreachable!("SHA-256 output is an AES-256 key");
        });
        SessionKeys {
            key: LessSafeKey::new(unbound),
        }
    }

    /// The token of a session.
    pub fn sign(&self, s: &Session) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        if aws_lc_rs::rand::fill(&mut nonce).is_err() {
            // Same reasoning as `lti::login::random_token`: a repeated nonce would be worse.
            std::process::abort();
        }
        // Serialising a struct of plain fields cannot fail.
        let mut data = serde_json::to_vec(s).unwrap_or_default();
        if self
            .key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(PREFIX),
                &mut data,
            )
            .is_err()
        {
            std::process::abort();
        }
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
        )
    }

    /// The session of a token, or None when forged, altered or expired at `now`.
    pub fn verify(&self, token: &str, now: u64) -> Option<Session> {
        if token.len() > MAX_TOKEN {
            return None;
        }
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.strip_prefix(PREFIX)?)
            .ok()?;
        if raw.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut sealed = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(PREFIX), &mut sealed)
            .ok()?;
        let s: Session = serde_json::from_slice(plain).ok()?;
        (s.expires_at >= now && now < s.launched_at.saturating_add(MAX_LIFE)).then_some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(now: u64, ttl: u64) -> Session {
        Session {
            registration: RegistrationId::new(1),
            deployment_id: DeploymentId::new("d"),
            course: CourseId::new(2),
            subject: Some(Subject::new("u-secret-lms-id")),
            staff: false,
            may_manage: false,
            locale: Locale::Fr,
            page: SessionPage::Activity {
                resource_link: Some("rl".into()),
            },
            lms_origin: None,
            roster_service: true,
            grade_service: false,
            launched_at: now,
            expires_at: now + ttl,
        }
    }

    #[test]
    fn tokens_round_trip_and_refuse_tampering_and_expiry() {
        let keys = SessionKeys::new(b"0123456789abcdef0123456789abcdef");
        let now = 1_800_000_000;
        let s = session(now, 60);
        let t = keys.sign(&s);
        assert_eq!(keys.verify(&t, now), Some(s.clone()));
        assert!(
            SessionKeys::new(b"another-secret-another-secret-xx")
                .verify(&t, now)
                .is_none()
        );
        assert!(keys.verify(&t, now + 61).is_none(), "expired");
        let mut bytes = t.into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert!(
            keys.verify(&String::from_utf8(bytes).unwrap(), now)
                .is_none()
        );
        assert!(keys.verify("garbage", now).is_none());
    }

    #[test]
    fn tokens_are_opaque_and_small() {
        let keys = SessionKeys::new(b"0123456789abcdef0123456789abcdef");
        let t = keys.sign(&session(1_800_000_000, 60));
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(t.strip_prefix(PREFIX).unwrap())
            .unwrap();
        assert!(!String::from_utf8_lossy(&raw).contains("u-secret-lms-id"));
        assert!(t.len() < 1024, "{}", t.len());
    }

    #[test]
    fn renewal_extends_up_to_the_maximum_life() {
        let now = 1_800_000_000;
        let s = session(now, 600);
        let r = s.renewed(now + 500, 600).unwrap();
        assert_eq!(r.expires_at, now + 1100);
        assert!(
            s.renewed(now + 601, 600).is_none(),
            "an expired session is not renewed"
        );
        let late = Session {
            expires_at: now + MAX_LIFE - 10,
            ..s.clone()
        };
        assert_eq!(
            late.renewed(now + MAX_LIFE - 20, 600).unwrap().expires_at,
            now + MAX_LIFE
        );
        assert!(late.renewed(now + MAX_LIFE, 600).is_none());
    }
}
