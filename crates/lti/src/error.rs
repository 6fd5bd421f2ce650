//! Why an LTI login or launch was refused. Each variant has a stable reason code, which the
//! web layer logs and turns into a page that says what went wrong and what to check.

/// A refused OIDC login initiation or id_token launch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LaunchError {
    /// A required request parameter is missing or empty.
    #[error("missing parameter {0}")]
    MissingParam(&'static str),
    /// No registration for this issuer (and client id).
    #[error("no registration for issuer {issuer:?} and client id {client_id:?}")]
    UnknownPlatform {
        issuer: String,
        client_id: Option<String>,
    },
    /// The issuer has several registrations and the login did not say which client id.
    #[error("issuer {0:?} has several registrations; client_id is required")]
    AmbiguousClient(String),
    /// `target_link_uri` points outside this tool.
    #[error("target_link_uri {0:?} is not on this tool's origin")]
    ForeignTargetLink(String),
    /// The platform sent an OIDC error response instead of an id_token.
    #[error("the platform answered with error {error:?}")]
    PlatformError {
        error: String,
        description: Option<String>,
    },
    /// The id_token is not a well-formed JWT.
    #[error("malformed id_token: {0}")]
    Malformed(String),
    /// The token is not signed with RS256.
    #[error("algorithm {0:?} is not accepted (RS256 only)")]
    AlgNotAllowed(String),
    /// The token's `kid` is not in the platform's key set, even after a refetch.
    #[error("unknown key id {0:?}")]
    UnknownKid(String),
    /// The signature does not verify with the platform's key.
    #[error("bad signature")]
    BadSignature,
    /// The platform's key set could not be fetched or read.
    #[error("platform key set unavailable: {0}")]
    JwksUnavailable(String),
    /// `exp` is in the past (beyond the leeway).
    #[error("token expired")]
    Expired,
    /// `iat` is in the future (beyond the leeway).
    #[error("token issued in the future")]
    IssuedInFuture,
    /// `iss` is not the registration's issuer.
    #[error("wrong issuer")]
    WrongIssuer,
    /// `aud` does not contain the registration's client id.
    #[error("wrong audience")]
    WrongAudience,
    /// `azp` is missing for a multi-valued `aud`, or is not the client id.
    #[error("wrong authorized party (azp)")]
    WrongAzp,
    /// A required time claim is missing or the claims are not an object.
    #[error("invalid claims: {0}")]
    InvalidClaims(String),
    /// The token's nonce is not the one issued with this state.
    #[error("nonce mismatch")]
    NonceMismatch,
    /// The posted state was never issued by this tool (or was purged).
    #[error("unknown state")]
    StateUnknown,
    /// The login that issued the state is too old.
    #[error("state expired")]
    StateExpired,
    /// The browser's state cookie or platform storage holds another state.
    #[error("state mismatch")]
    StateMismatch,
    /// The token (state and nonce) was already used.
    #[error("token replayed")]
    Replayed,
    /// The deployment is unknown to the registration (recorded as pending), or pending. The
    /// registration's issuer and client id come along, so the refusal can name the command
    /// that approves it.
    #[error("deployment {deployment:?} is not approved")]
    UnknownDeployment {
        deployment: String,
        issuer: String,
        client_id: String,
    },
    /// `version` is not 1.3.0.
    #[error("unsupported LTI version {0:?}")]
    WrongVersion(String),
    /// `message_type` is not one this tool handles.
    #[error("unsupported message type {0:?}")]
    UnknownMessageType(String),
    /// A claim the message type requires is missing.
    #[error("missing claim {0}")]
    MissingClaim(&'static str),
    /// The request body is larger than allowed.
    #[error("request too large")]
    TooLarge,
    /// The browser could not prove it started this login (platform storage had no match).
    #[error("the browser could not be matched to the login")]
    BrowserCheckFailed,
    /// This client address started more logins than its allowance (per minute).
    #[error("too many logins from this address; retry in {retry_after} s")]
    LoginRateLimited { retry_after: u64 },
    /// All clients together started more logins for this registration than allowed.
    #[error("too many logins for this platform; retry in {retry_after} s")]
    PlatformRateLimited { retry_after: u64 },
    /// Nothing bound the launch to the browser (no state cookie, no platform storage) and the
    /// launch POST did not come from the platform's authentication origin.
    #[error("launch posted from {0:?}, not from the platform")]
    ForeignLaunchOrigin(String),
    /// The registration already has as many pending (unexpired, unused) logins as allowed.
    #[error("too many pending logins for this platform")]
    TooManyPendingLogins,
    /// The registration was made without an invitation and waits for an operator's approval
    /// (`binome platform approve`); its id is given so the page can name the command.
    #[error("registration {0} waits for approval")]
    PlatformPending(i32),
}

impl LaunchError {
    /// A stable, machine-readable reason code for logs and monitoring.
    pub fn code(&self) -> &'static str {
        match self {
            LaunchError::MissingParam(_) => "missing_parameter",
            LaunchError::UnknownPlatform { .. } => "unknown_platform",
            LaunchError::AmbiguousClient(_) => "client_id_required",
            LaunchError::ForeignTargetLink(_) => "foreign_target_link_uri",
            LaunchError::PlatformError { .. } => "platform_error",
            LaunchError::Malformed(_) => "malformed_token",
            LaunchError::AlgNotAllowed(_) => "algorithm_not_allowed",
            LaunchError::UnknownKid(_) => "unknown_kid",
            LaunchError::BadSignature => "bad_signature",
            LaunchError::JwksUnavailable(_) => "jwks_unavailable",
            LaunchError::Expired => "token_expired",
            LaunchError::IssuedInFuture => "issued_in_future",
            LaunchError::WrongIssuer => "wrong_issuer",
            LaunchError::WrongAudience => "wrong_audience",
            LaunchError::WrongAzp => "wrong_azp",
            LaunchError::InvalidClaims(_) => "invalid_claims",
            LaunchError::NonceMismatch => "nonce_mismatch",
            LaunchError::StateUnknown => "state_unknown",
            LaunchError::StateExpired => "state_expired",
            LaunchError::StateMismatch => "state_mismatch",
            LaunchError::Replayed => "token_replayed",
            LaunchError::UnknownDeployment { .. } => "unknown_deployment",
            LaunchError::WrongVersion(_) => "wrong_version",
            LaunchError::UnknownMessageType(_) => "unknown_message_type",
            LaunchError::MissingClaim(_) => "missing_claim",
            LaunchError::TooLarge => "request_too_large",
            LaunchError::BrowserCheckFailed => "browser_check_failed",
            LaunchError::LoginRateLimited { .. } => "login_rate_limited",
            LaunchError::PlatformRateLimited { .. } => "platform_login_rate_limited",
            LaunchError::TooManyPendingLogins => "too_many_pending_logins",
            LaunchError::ForeignLaunchOrigin(_) => "launch_origin_mismatch",
            LaunchError::PlatformPending(_) => "platform_pending",
        }
    }

    /// Seconds after which a refused request may be tried again (`Retry-After`), for the
    /// refusals that are only about too many requests.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            LaunchError::LoginRateLimited { retry_after }
            | LaunchError::PlatformRateLimited { retry_after } => Some(*retry_after),
            // Pending logins expire within minutes; a minute is a fair first wait.
            LaunchError::TooManyPendingLogins => Some(60),
            _ => None,
        }
    }
}
