//! The browser session after a launch: a short-lived HS256 token that the page carries and
//! sends with each request, so nothing depends on third-party cookies inside the LMS iframe.
//! The signing secret lives in the database, shared by every instance.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::lti::RegistrationId;
use crate::store::CourseId;

const AUDIENCE: &str = "binome-session";

/// What kind of page the session opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionKind {
    /// A resource-link launch: the activity.
    #[serde(rename = "activity")]
    Activity,
    /// A deep-linking launch: the course designer picks what to add.
    #[serde(rename = "deep_linking")]
    DeepLinking,
}

/// Deep-linking context carried by the session of a deep-linking launch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeepLinkContext {
    pub return_url: String,
    pub data: Option<String>,
    pub accept_multiple: bool,
    pub accept_lineitem: bool,
}

/// The session's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub reg: RegistrationId,
    pub dep: String,
    pub course: CourseId,
    pub sub: Option<String>,
    pub name: Option<String>,
    pub staff: bool,
    /// May change the course's set-up (staff other than Mentor).
    #[serde(default)]
    pub manage: bool,
    pub loc: String,
    pub kind: SessionKind,
    pub rl: Option<String>,
    pub rl_title: Option<String>,
    pub course_title: Option<String>,
    /// Origins allowed to frame pages of this session (registered ones plus the LMS page's).
    pub frame: Vec<String>,
    pub nrps: bool,
    pub ags: bool,
    pub dl: Option<DeepLinkContext>,
    pub iat: u64,
    pub exp: u64,
    aud: String,
}

impl Session {
    #[expect(clippy::too_many_arguments)]
    pub fn new(
        reg: RegistrationId,
        dep: String,
        course: CourseId,
        sub: Option<String>,
        name: Option<String>,
        staff: bool,
        loc: String,
        kind: SessionKind,
        now: u64,
        ttl: u64,
    ) -> Session {
        Session {
            reg,
            dep,
            course,
            sub,
            name,
            staff,
            manage: false,
            loc,
            kind,
            rl: None,
            rl_title: None,
            course_title: None,
            frame: Vec::new(),
            nrps: false,
            ags: false,
            dl: None,
            iat: now,
            exp: now + ttl,
            aud: AUDIENCE.into(),
        }
    }
}

/// Signs and checks session tokens.
#[derive(Clone)]
pub struct SessionKeys {
    enc: EncodingKey,
    dec: DecodingKey,
}

impl SessionKeys {
    pub fn new(secret: &[u8]) -> SessionKeys {
        SessionKeys {
            enc: EncodingKey::from_secret(secret),
            dec: DecodingKey::from_secret(secret),
        }
    }

    pub fn sign(&self, s: &Session) -> String {
        // HS256 over a serialisable struct cannot fail.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), s, &self.enc).unwrap_or_default()
    }

    /// The session of a token, or None when forged, altered or expired.
    pub fn verify(&self, token: &str) -> Option<Session> {
        if token.len() > 16 * 1024 {
            return None;
        }
        let mut v = Validation::new(Algorithm::HS256);
        v.set_audience(&[AUDIENCE]);
        v.leeway = 5;
        v.set_required_spec_claims(&["exp", "aud"]);
        jsonwebtoken::decode::<Session>(token, &self.dec, &v)
            .ok()
            .map(|d| d.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_refuse_tampering_and_expiry() {
        let keys = SessionKeys::new(b"0123456789abcdef0123456789abcdef");
        let now = jsonwebtoken::get_current_timestamp();
        let s = Session::new(
            RegistrationId(1),
            "d".into(),
            CourseId(2),
            Some("u".into()),
            None,
            false,
            "fr".into(),
            SessionKind::Activity,
            now,
            60,
        );
        let t = keys.sign(&s);
        assert_eq!(keys.verify(&t), Some(s.clone()));
        assert!(
            SessionKeys::new(b"another-secret-another-secret-xx")
                .verify(&t)
                .is_none()
        );
        let old = Session::new(
            RegistrationId(1),
            "d".into(),
            CourseId(2),
            None,
            None,
            true,
            "en".into(),
            SessionKind::Activity,
            now - 1000,
            60,
        );
        assert!(keys.verify(&keys.sign(&old)).is_none());
        assert!(keys.verify("garbage").is_none());
    }
}
