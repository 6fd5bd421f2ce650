//! OIDC third-party initiated login (LTI Security Framework §5.1.1): read the platform's
//! login request, refuse what must be refused, and build the authentication request.

use std::collections::HashMap;

use base64::Engine;
use url::Url;

use super::{LaunchError, Registration, RegistrationId};

/// A parsed login initiation request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LoginRequest {
    pub iss: String,
    pub login_hint: String,
    pub target_link_uri: String,
    pub lti_message_hint: Option<String>,
    pub client_id: Option<String>,
    pub deployment_id: Option<String>,
    /// Canvas's `lti_storage_target`: the frame that offers platform storage, when any.
    pub storage_target: Option<String>,
}

/// Parameters may be long but not unbounded; this keeps the stored login small.
const MAX_PARAM: usize = 4096;

fn take(params: &HashMap<String, String>, name: &str) -> Option<String> {
    params
        .get(name)
        .map(|v| v.replace('\0', "").trim().to_string())
        .filter(|v| !v.is_empty())
}

impl LoginRequest {
    /// Reads the login parameters (from the query of a GET or the form of a POST).
    pub fn from_params(params: &HashMap<String, String>) -> Result<LoginRequest, LaunchError> {
        let iss = take(params, "iss").ok_or(LaunchError::MissingParam("iss"))?;
        let login_hint =
            take(params, "login_hint").ok_or(LaunchError::MissingParam("login_hint"))?;
        let target_link_uri =
            take(params, "target_link_uri").ok_or(LaunchError::MissingParam("target_link_uri"))?;
        let req = LoginRequest {
            iss,
            login_hint,
            target_link_uri,
            lti_message_hint: params
                .get("lti_message_hint")
                .filter(|v| !v.is_empty())
                .cloned(),
            client_id: take(params, "client_id"),
            deployment_id: take(params, "lti_deployment_id")
                .or_else(|| take(params, "deployment_id")),
            storage_target: take(params, "lti_storage_target"),
        };
        let too_long = [&req.iss, &req.login_hint, &req.target_link_uri]
            .iter()
            .any(|v| v.len() > MAX_PARAM)
            || req
                .lti_message_hint
                .as_ref()
                .is_some_and(|v| v.len() > MAX_PARAM)
            || req.storage_target.as_ref().is_some_and(|v| v.len() > 200);
        if too_long {
            return Err(LaunchError::TooLarge);
        }
        Ok(req)
    }

    /// The login parameters again, to start the same login in a new window.
    pub fn relaunch_params(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("iss", self.iss.clone()),
            ("login_hint", self.login_hint.clone()),
            ("target_link_uri", self.target_link_uri.clone()),
        ];
        if let Some(v) = &self.lti_message_hint {
            out.push(("lti_message_hint", v.clone()));
        }
        if let Some(v) = &self.client_id {
            out.push(("client_id", v.clone()));
        }
        if let Some(v) = &self.deployment_id {
            out.push(("lti_deployment_id", v.clone()));
        }
        out
    }
}

/// Refuses a `target_link_uri` that is not on the tool's own origin (no open redirect).
pub fn check_target_link_uri(target: &str, tool_base: &Url) -> Result<(), LaunchError> {
    let foreign = || LaunchError::ForeignTargetLink(target.chars().take(200).collect());
    let url = Url::parse(target).map_err(|_| foreign())?;
    if url.origin() != tool_base.origin() {
        return Err(foreign());
    }
    Ok(())
}

/// Picks the registration for a login: by issuer and client id, or by issuer alone when the
/// platform did not send a client id and only one registration exists for it.
pub fn find_registration<'a>(
    regs: impl IntoIterator<Item = &'a Registration>,
    issuer: &str,
    client_id: Option<&str>,
) -> Result<&'a Registration, LaunchError> {
    let matching: Vec<&Registration> = regs
        .into_iter()
        .filter(|r| r.issuer == issuer && client_id.is_none_or(|c| r.client_id == c))
        .collect();
    match matching.as_slice() {
        [one] => Ok(one),
        [] => Err(LaunchError::UnknownPlatform {
            issuer: issuer.chars().take(200).collect(),
            client_id: client_id.map(str::to_string),
        }),
        _ => Err(LaunchError::AmbiguousClient(issuer.to_string())),
    }
}

/// The OIDC authentication request URL (LTI Security Framework §5.1.1.2).
pub fn auth_request_url(
    reg: &Registration,
    req: &LoginRequest,
    redirect_uri: &str,
    state: &str,
    nonce: &str,
) -> String {
    let mut url = match Url::parse(&reg.auth_url) {
        Ok(u) => u,
        // A registration is validated when it is added; this keeps a broken one harmless.
        Err(_) => return reg.auth_url.clone(),
    };
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("scope", "openid")
            .append_pair("response_type", "id_token")
            .append_pair("response_mode", "form_post")
            .append_pair("prompt", "none")
            .append_pair("client_id", reg.client_id.as_str())
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("login_hint", &req.login_hint)
            .append_pair("state", state)
            .append_pair("nonce", nonce);
        if let Some(hint) = &req.lti_message_hint {
            q.append_pair("lti_message_hint", hint);
        }
    }
    url.into()
}

/// 32 random bytes from the system CSPRNG, base64url without padding (256 bits).
pub fn random_token() -> String {
    let mut buf = [0u8; 32];
    // aws-lc-rs reads the OS CSPRNG (getrandom); it cannot fail on Linux once the kernel
    // pool is initialised, which it is long before a server starts. Were it ever to fail,
    // a predictable state or nonce would be worse than no service: stop the process.
    if aws_lc_rs::rand::fill(&mut buf).is_err() {
        std::process::abort();
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// The OIDC `state` of one login: `<registration id>.<c|s>.<256 random bits>`.
///
/// The prefix lets a launch find the registration (and so the key set) and know whether the
/// login used platform storage before touching the database; the random part is what makes
/// it unguessable. It is still bound server-side to its nonce and browser secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginState {
    raw: String,
    registration: RegistrationId,
    storage: bool,
}

impl LoginState {
    /// A fresh state for a login with this registration.
    pub fn new(registration: RegistrationId, storage: bool) -> LoginState {
        let raw = format!(
            "{}.{}.{}",
            registration.0,
            if storage { 's' } else { 'c' },
            random_token()
        );
        LoginState {
            raw,
            registration,
            storage,
        }
    }

    /// Reads a posted state; None when it cannot be one of ours.
    pub fn parse(raw: &str) -> Option<LoginState> {
        if raw.len() > 96 {
            return None;
        }
        let mut parts = raw.splitn(3, '.');
        let registration = RegistrationId::new(parts.next()?.parse().ok()?);
        let storage = match parts.next()? {
            "s" => true,
            "c" => false,
            _ => return None,
        };
        let random = parts.next()?;
        let ok = random.len() == 43
            && random
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| LoginState {
            raw: raw.to_string(),
            registration,
            storage,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The registration that issued the login.
    pub fn registration(&self) -> RegistrationId {
        self.registration
    }

    /// Whether the login put its browser secret in platform storage.
    pub fn uses_storage(&self) -> bool {
        self.storage
    }

    /// A short, unique suffix for names (cookie, storage key) so concurrent logins in one
    /// page never clash.
    pub fn short_id(&self) -> &str {
        &self.raw[self.raw.len() - 16..]
    }

    /// The platform-storage key under which the login keeps its browser secret.
    pub fn storage_key(&self) -> String {
        format!("binome_state_{}", self.short_id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(issuer: &str, client: &str) -> Registration {
        Registration {
            id: super::super::RegistrationId::new(1),
            issuer: issuer.into(),
            client_id: client.into(),
            auth_url: "https://lms.example/auth?x=1".into(),
            token_url: "https://lms.example/token".into(),
            jwks_url: "https://lms.example/jwks".into(),
            accept_new_deployments: false,
            frame_origins: vec![],
            status: super::super::PlatformStatus::Active,
            private_network: false,
            service_hosts: vec![],
            registered_via: super::super::RegisteredVia::Operator,
        }
    }

    #[test]
    fn target_link_uri_must_be_ours() {
        let base = Url::parse("https://tool.example").unwrap();
        assert!(check_target_link_uri("https://tool.example/lti/launch", &base).is_ok());
        for bad in [
            "https://evil.example/lti/launch",
            "https://tool.example.evil.example/",
            "http://tool.example/",
            "javascript:alert(1)",
            "//evil.example",
            "https://tool.example:444/",
        ] {
            assert!(check_target_link_uri(bad, &base).is_err(), "{bad}");
        }
    }

    #[test]
    fn registration_lookup_by_issuer_and_client() {
        let regs = [
            reg("https://canvas.instructure.com", "1"),
            reg("https://canvas.instructure.com", "2"),
            reg("https://moodle.example", "m"),
        ];
        assert_eq!(
            find_registration(&regs, "https://canvas.instructure.com", Some("2"))
                .unwrap()
                .client_id,
            "2"
        );
        assert_eq!(
            find_registration(&regs, "https://moodle.example", None)
                .unwrap()
                .client_id,
            "m"
        );
        assert_eq!(
            find_registration(&regs, "https://canvas.instructure.com", None)
                .unwrap_err()
                .code(),
            "client_id_required"
        );
        assert_eq!(
            find_registration(&regs, "https://other.example", None)
                .unwrap_err()
                .code(),
            "unknown_platform"
        );
    }

    #[test]
    fn auth_request_keeps_existing_query_and_sets_every_parameter() {
        let r = reg("https://lms.example", "c");
        let mut p = HashMap::new();
        p.insert("iss".into(), "https://lms.example".into());
        p.insert("login_hint".into(), "4".into());
        p.insert(
            "target_link_uri".into(),
            "https://tool.example/lti/launch".into(),
        );
        p.insert("lti_message_hint".into(), "{\"a\":1}".into());
        let req = LoginRequest::from_params(&p).unwrap();
        let url = Url::parse(&auth_request_url(
            &r,
            &req,
            "https://tool.example/lti/launch",
            "S",
            "N",
        ))
        .unwrap();
        let q: HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["x"], "1");
        assert_eq!(q["scope"], "openid");
        assert_eq!(q["response_type"], "id_token");
        assert_eq!(q["response_mode"], "form_post");
        assert_eq!(q["prompt"], "none");
        assert_eq!(q["lti_message_hint"], "{\"a\":1}");
        assert_eq!((q["state"].as_str(), q["nonce"].as_str()), ("S", "N"));
    }

    #[test]
    fn login_states_round_trip_and_refuse_what_we_never_issue() {
        let s = LoginState::new(RegistrationId::new(12), true);
        let back = LoginState::parse(s.as_str()).unwrap();
        assert_eq!(
            (back.registration(), back.uses_storage()),
            (RegistrationId::new(12), true)
        );
        assert_eq!(back.short_id().len(), 16);
        for bad in [
            "",
            "x",
            "12.c.short",
            "12.x.0123456789012345678901234567890123456789012",
            "a.c.0123456789012345678901234567890123456789012",
            "12.c.01234567890123456789012345678901234567890\0\0",
        ] {
            assert!(LoginState::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn random_tokens_differ() {
        assert_ne!(random_token(), random_token());
        assert_eq!(random_token().len(), 43);
    }
}
