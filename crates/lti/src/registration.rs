//! LTI Dynamic Registration 1.0 (1EdTech, `lti-dr/v1p0`) as a protocol: the platform's OpenID
//! configuration (§3.4, with the LTI platform configuration as additional provider
//! metadata), the issuer check (§3.5.1), the tool's registration request (§3.5.2, OpenID
//! Connect client metadata with the LTI tool configuration as additional client metadata) and
//! the platform's answer (§3.6).
//!
//! Built on `openidconnect`'s types, fetched and posted with our own HTTP client through its
//! [`AsyncHttpClient`] trait. Its discovery (`ProviderMetadata::discover_async`) is not used:
//! it only reads `{issuer}/.well-known/openid-configuration`, cannot send the registration
//! token, and requires that exact issuer, while LTI hands the tool any configuration URL
//! (Moodle's is `/mod/lti/openid-configuration.php`) and needs the Bearer token. Its
//! `register_async` is not used either: it accepts only `201 Created`, and Moodle answers
//! `200`; and it rejects a whole answer over any loosely typed standard field, while all we
//! need from it is the client id and the deployment id.

use std::future::Future;
use std::pin::Pin;

use openidconnect::core::{
    CoreApplicationType, CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod,
    CoreGrantType, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm, CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::registration::{AdditionalClientMetadata, ClientMetadata};
use openidconnect::{
    AdditionalProviderMetadata, AsyncHttpClient, ClientName, HttpRequest, HttpResponse,
    InitiateLoginUrl, JsonWebKeySetUrl, LocalizedClaim, LogoUrl, ProviderMetadata, RedirectUrl,
    ResponseTypes, http,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::jwks::{read_limited, short_error};

/// The LTI platform configuration inside the OpenID configuration (§3.4.1).
pub const PLATFORM_CONFIGURATION: &str =
    "https://purl.imsglobal.org/spec/lti-platform-configuration";
/// The LTI tool configuration inside the client metadata (§3.5.2) and its answer.
pub const TOOL_CONFIGURATION: &str = "https://purl.imsglobal.org/spec/lti-tool-configuration";
/// Canvas's privacy level of a tool (`public`: names and emails are sent).
pub const CANVAS_PRIVACY_LEVEL: &str = "https://canvas.instructure.com/lti/privacy_level";
/// Scope to read results (AGS).
pub const SCOPE_RESULT_READONLY: &str =
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly";
/// What the tool asks for: the roster (NRPS, read only), line items, results (read only) and
/// scores (AGS).
pub const SCOPES: [&str; 4] = [
    super::nrps::SCOPE,
    super::ags::SCOPE_LINEITEM,
    SCOPE_RESULT_READONLY,
    super::ags::SCOPE_SCORE,
];
/// The claims the tool asks for in launches (§3.5.2 `claims`): who launched, and their name
/// and email (shown to partners; emails match uploaded hierarchical links).
pub const CLAIMS: [&str; 6] = ["iss", "sub", "name", "given_name", "family_name", "email"];
/// The name the platform shows for the tool.
pub const CLIENT_NAME: &str = "Binôme";
/// Largest configuration document or registration answer read.
pub const MAX_DOCUMENT: usize = 64 * 1024;
/// Longest text from a platform shown (to an invited administrator only), after
/// [`text_only`].
pub const MAX_MESSAGE: usize = super::remote::MAX_REASON;
/// Longest `openid_configuration` URL accepted.
pub const MAX_URL: usize = 2048;
/// Longest `registration_token` accepted (Moodle's is a JWT of a few hundred bytes).
pub const MAX_TOKEN: usize = 4096;

/// Which of the platform's endpoints a request went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// The OpenID configuration (`openid_configuration`).
    Configuration,
    /// The registration endpoint (`registration_endpoint`).
    Registration,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Endpoint::Configuration => "configuration",
            Endpoint::Registration => "registration endpoint",
        })
    }
}

/// Why a registration could not go on: each variant has a stable reason code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationError {
    /// The registration URL came without `openid_configuration`.
    #[error("missing openid_configuration")]
    MissingConfigurationUrl,
    /// `openid_configuration` is not an absolute http(s) URL (https when the tool is).
    #[error("unusable openid_configuration URL {0:?}")]
    BadConfigurationUrl(String),
    /// The registration token is longer than any platform issues.
    #[error("registration token too long")]
    TokenTooLong,
    /// The platform could not be reached (connection, timeout, too large an answer, an
    /// address the destination policy refuses). `detail` is our own short account, shown to
    /// an invited administrator; the log gets the reason code only.
    #[error("{what} unreachable")]
    Unreachable { what: Endpoint, detail: String },
    /// The configuration URL answered with an HTTP error.
    #[error("the configuration URL answered HTTP {status}")]
    ConfigurationStatus { status: u16, token_sent: bool },
    /// The configuration is not an OpenID configuration with an LTI platform configuration;
    /// the detail (bounded, text only) is shown to an invited administrator, never logged.
    #[error("invalid platform configuration")]
    ConfigurationInvalid(String),
    /// The configuration's issuer is not on the configuration URL's origin, or the URL does
    /// not start with it (§3.5.1).
    #[error("the issuer does not match the configuration URL")]
    WrongIssuer {
        issuer: String,
        configuration: String,
    },
    /// An endpoint of the platform is not https while the tool is.
    #[error("{field} is not https")]
    InsecureEndpoint { field: &'static str, url: String },
    /// The configuration lacks an endpoint the tool needs.
    #[error("the configuration has no {0}")]
    MissingEndpoint(&'static str),
    /// The platform refused the registration: its status and message (bounded, text only;
    /// shown to an invited administrator, never logged).
    #[error("the platform refused the registration (HTTP {status})")]
    Refused { status: u16, message: String },
    /// The platform's answer to the registration has no usable client id.
    #[error("invalid registration answer")]
    AnswerInvalid(String),
}

impl RegistrationError {
    /// The stable reason code (also the id of the message that explains it).
    pub fn code(&self) -> &'static str {
        match self {
            RegistrationError::MissingConfigurationUrl => "register_missing_configuration",
            RegistrationError::BadConfigurationUrl(_) => "register_bad_configuration_url",
            RegistrationError::TokenTooLong => "register_token_too_long",
            RegistrationError::Unreachable { .. } => "register_unreachable",
            RegistrationError::ConfigurationStatus { .. } => "register_configuration_status",
            RegistrationError::ConfigurationInvalid(_) => "register_configuration_invalid",
            RegistrationError::WrongIssuer { .. } => "register_wrong_issuer",
            RegistrationError::InsecureEndpoint { .. } => "register_insecure_endpoint",
            RegistrationError::MissingEndpoint(_) => "register_missing_endpoint",
            RegistrationError::Refused { .. } => "register_refused",
            RegistrationError::AnswerInvalid(_) => "register_answer_invalid",
        }
    }
}

/// A message type the platform supports, with its placements (§3.4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportedMessage {
    #[serde(rename = "type")]
    pub message_type: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placements: Vec<String>,
}

/// The LTI platform configuration (§3.4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LtiPlatformConfiguration {
    /// `moodle`, `canvas`, …
    pub product_family_code: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub messages_supported: Vec<SupportedMessage>,
    #[serde(default)]
    pub variables: Vec<String>,
    /// Canvas names the account the tool is registered in.
    #[serde(
        rename = "https://canvas.instructure.com/lti/account_name",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub account_name: Option<String>,
}

/// What LTI adds to an OpenID configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LtiProviderMetadata {
    #[serde(rename = "https://purl.imsglobal.org/spec/lti-platform-configuration")]
    pub lti: LtiPlatformConfiguration,
}
impl AdditionalProviderMetadata for LtiProviderMetadata {}

/// A platform's OpenID configuration with its LTI platform configuration.
pub type PlatformMetadata = ProviderMetadata<
    LtiProviderMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// A message the tool offers (§3.5.2 `messages`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolMessage {
    #[serde(rename = "type")]
    pub message_type: String,
    pub target_link_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placements: Vec<String>,
}

/// The LTI tool configuration (§3.5.2); in the platform's answer it may carry the
/// `deployment_id` (Moodle's does).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LtiToolConfiguration {
    /// host[:port] of the tool; Moodle checks that `target_link_uri` is on it.
    pub domain: String,
    pub target_link_uri: String,
    #[serde(default)]
    pub claims: Vec<String>,
    #[serde(default)]
    pub messages: Vec<ToolMessage>,
    #[serde(
        rename = "https://canvas.instructure.com/lti/privacy_level",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub privacy_level: Option<String>,
}

/// What LTI adds to the client metadata of a registration request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LtiClientMetadata {
    /// The scopes asked for, space-separated.
    pub scope: String,
    #[serde(rename = "https://purl.imsglobal.org/spec/lti-tool-configuration")]
    pub lti: LtiToolConfiguration,
}
impl AdditionalClientMetadata for LtiClientMetadata {}

/// The tool's registration request.
pub type ToolMetadata = ClientMetadata<
    LtiClientMetadata,
    CoreApplicationType,
    CoreClientAuthMethod,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// The tool's own URLs, as the settings publish them.
#[derive(Debug, Clone, Copy)]
pub struct ToolUrls<'a> {
    pub login: &'a str,
    pub launch: &'a str,
    pub jwks: &'a str,
    pub logo: Option<&'a str>,
}

/// A platform whose configuration was read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// Where the configuration was read.
    pub configuration_url: String,
    pub issuer: String,
    pub auth_url: String,
    pub token_url: String,
    pub jwks_url: String,
    pub registration_url: String,
    pub scopes_supported: Vec<String>,
    pub lti: LtiPlatformConfiguration,
}

/// What the platform answered to a registration (§3.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub client_id: String,
    /// Moodle creates the deployment with the registration; Canvas does it at install.
    pub deployment_id: Option<String>,
}

/// Our HTTP client as `openidconnect` sees it: a registration client of the outbound policy
/// (its timeouts, no redirect to another origin, the destination checks), with every answer
/// read up to [`MAX_DOCUMENT`].
pub struct LtiHttp<'a>(pub &'a super::outbound::HttpClient);

/// A request through [`LtiHttp`] failed; the text is short and safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

impl<'c> AsyncHttpClient<'c> for LtiHttp<'_> {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)
                .map_err(|e| HttpError(format!("bad request: {}", short_error(&e))))?;
            let https = request.url().scheme() == "https";
            let resp = self
                .0
                .execute(request)
                .await
                .map_err(|e| HttpError(e.short()))?;
            // The policy refuses a redirect from https to plain http already; this stays as a
            // second lock on the door.
            if https && resp.url().scheme() != "https" {
                return Err(HttpError("redirected from https to plain http".into()));
            }
            let mut out = http::Response::builder().status(resp.status().as_u16());
            for (k, v) in resp.headers() {
                out = out.header(k.as_str(), v.as_bytes());
            }
            let body = read_limited(resp, MAX_DOCUMENT).await.map_err(HttpError)?;
            out.body(body)
                .map_err(|e| HttpError(format!("unreadable answer: {e}")))
        })
    }
}

/// An absolute http(s) URL without credentials; https when `https_only`.
fn web_url(raw: &str, https_only: bool) -> Option<Url> {
    let u = Url::parse(raw).ok()?;
    let scheme_ok = match u.scheme() {
        "https" => true,
        "http" => !https_only,
        _ => false,
    };
    (scheme_ok && u.host_str().is_some() && u.username().is_empty() && u.password().is_none())
        .then_some(u)
}

/// The `openid_configuration` parameter as a URL we may fetch.
pub fn configuration_url(raw: &str, https_only: bool) -> Result<Url, RegistrationError> {
    if raw.len() > MAX_URL {
        return Err(RegistrationError::BadConfigurationUrl(
            raw.chars().take(80).collect(),
        ));
    }
    web_url(raw, https_only).ok_or_else(|| RegistrationError::BadConfigurationUrl(raw.into()))
}

/// §3.5.1 ("Issuer and OpenID Configuration URL Match"): the configuration URL must start
/// with the issuer. The issuer is an http(s) URL without query or fragment (LTI Security
/// Framework's Issuer Identifier) and may have a path (a Moodle under `/moodle`); it must
/// have the configuration URL's origin (scheme, host and port: another port or scheme of the
/// same host is another server, possibly someone else's), and its path must be a prefix of
/// the configuration URL's path on a segment boundary (`/moodle` is a prefix of
/// `/moodle/mod/lti/…`, not of `/moodle2/…`; a trailing slash makes no difference).
///
/// One exception, written out: Canvas Cloud names every school's configuration (served on
/// the school's own `*.instructure.com` host) with the shared issuer
/// `https://canvas.instructure.com` (or its beta and test twins); only those issuers, only
/// over https, and only from an `instructure.com` host are accepted that way.
pub fn check_issuer(issuer: &str, configuration: &Url) -> Result<(), RegistrationError> {
    let wrong = || RegistrationError::WrongIssuer {
        issuer: text_only(issuer),
        configuration: text_only(configuration.as_str()),
    };
    let iss = web_url(issuer, false).ok_or_else(wrong)?;
    if iss.query().is_some() || iss.fragment().is_some() {
        return Err(wrong());
    }
    if is_canvas_cloud_configuration(&iss, configuration) {
        return Ok(());
    }
    if iss.origin() != configuration.origin() {
        return Err(wrong());
    }
    let prefix = iss.path().trim_end_matches('/');
    let path = configuration.path();
    let under = path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'));
    if !under {
        return Err(wrong());
    }
    Ok(())
}

/// Whether this is Canvas Cloud's shared issuer with a configuration on one of its hosts.
fn is_canvas_cloud_configuration(iss: &Url, configuration: &Url) -> bool {
    let shared = iss.scheme() == "https"
        && iss.port().is_none()
        && iss.path().trim_end_matches('/').is_empty()
        && super::is_canvas_cloud_issuer(iss.as_str());
    let host = configuration.host_str().unwrap_or("").to_ascii_lowercase();
    shared
        && configuration.scheme() == "https"
        && configuration.port().is_none()
        && (host == "instructure.com" || host.ends_with(".instructure.com"))
}

pub use super::remote::text_only;

/// Reads the platform's configuration (§3.4) with the registration token as Bearer, and
/// checks its issuer and endpoints. `https_only`: the tool is served over https, so the
/// platform's endpoints must be too.
pub async fn discover(
    http_client: &super::outbound::HttpClient,
    configuration: &Url,
    token: Option<&str>,
    https_only: bool,
) -> Result<Platform, RegistrationError> {
    let mut req = http::Request::builder()
        .method(http::Method::GET)
        .uri(configuration.as_str())
        .header(http::header::ACCEPT, "application/json");
    if let Some(t) = token {
        req = req.header(http::header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = req
        .body(Vec::new())
        .map_err(|_| RegistrationError::BadConfigurationUrl(configuration.to_string()))?;
    let resp =
        LtiHttp(http_client)
            .call(req)
            .await
            .map_err(|e| RegistrationError::Unreachable {
                what: Endpoint::Configuration,
                detail: e.0,
            })?;
    if resp.status() != http::StatusCode::OK {
        return Err(RegistrationError::ConfigurationStatus {
            status: resp.status().as_u16(),
            token_sent: token.is_some(),
        });
    }
    parse_configuration(resp.body(), configuration, https_only)
}

/// The fields OpenID Connect Discovery requires but LTI platforms may leave out, with the
/// only values LTI uses (implicit flow, id_token, RS256).
const LTI_DEFAULTS: [(&str, &str); 3] = [
    ("response_types_supported", "id_token"),
    ("subject_types_supported", "public"),
    ("id_token_signing_alg_values_supported", "RS256"),
];

/// Parses and checks a configuration document read from `configuration`.
pub fn parse_configuration(
    body: &[u8],
    configuration: &Url,
    https_only: bool,
) -> Result<Platform, RegistrationError> {
    let invalid = |e: String| RegistrationError::ConfigurationInvalid(text_only(&e));
    let mut doc: Value = serde_json::from_slice(body).map_err(|e| invalid(e.to_string()))?;
    let obj = doc
        .as_object_mut()
        .ok_or_else(|| invalid("not a JSON object".into()))?;
    if !obj.contains_key(PLATFORM_CONFIGURATION) {
        return Err(invalid(format!("no {PLATFORM_CONFIGURATION}")));
    }
    for (field, value) in LTI_DEFAULTS {
        obj.entry(field)
            .or_insert_with(|| Value::Array(vec![value.into()]));
    }
    let meta: PlatformMetadata = serde_json::from_value(doc).map_err(|e| invalid(e.to_string()))?;
    let issuer = meta.issuer().as_str().to_string();
    check_issuer(&issuer, configuration)?;
    let token_url = meta
        .token_endpoint()
        .map(|u| u.as_str().to_string())
        .ok_or(RegistrationError::MissingEndpoint("token_endpoint"))?;
    let registration_url = meta
        .registration_endpoint()
        .map(|u| u.as_str().to_string())
        .ok_or(RegistrationError::MissingEndpoint("registration_endpoint"))?;
    let auth_url = meta.authorization_endpoint().as_str().to_string();
    let jwks_url = meta.jwks_uri().as_str().to_string();
    for (field, url) in [
        ("authorization_endpoint", &auth_url),
        ("token_endpoint", &token_url),
        ("jwks_uri", &jwks_url),
        ("registration_endpoint", &registration_url),
    ] {
        if web_url(url, https_only).is_none() {
            return Err(RegistrationError::InsecureEndpoint {
                field,
                url: text_only(url),
            });
        }
    }
    Ok(Platform {
        configuration_url: configuration.to_string(),
        issuer,
        auth_url,
        token_url,
        jwks_url,
        registration_url,
        scopes_supported: meta
            .scopes_supported()
            .map(|s| s.iter().map(|s| s.as_str().to_string()).collect())
            .unwrap_or_default(),
        lti: meta.additional_metadata().lti.clone(),
    })
}

/// host[:port] of a URL (the tool's `domain`).
pub fn domain_of(u: &Url) -> String {
    match (u.host_str(), u.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => String::new(),
    }
}

/// The tool's registration request (§3.5.2): a web application using the implicit flow for
/// launches and client credentials (`private_key_jwt`) for services, its login and launch
/// URLs, its key set, the scopes and claims it needs, and the messages it handles: resource
/// links, and deep linking where an activity is added (Canvas `link_selection`,
/// `assignment_selection`; Moodle ignores placements it does not know).
pub fn tool_metadata(urls: ToolUrls<'_>) -> Result<ToolMetadata, RegistrationError> {
    let bad = |what: &str| RegistrationError::AnswerInvalid(format!("our own {what} URL"));
    let launch = Url::parse(urls.launch).map_err(|_| bad("launch"))?;
    let message = |message_type: &str, placements: &[&str]| ToolMessage {
        message_type: message_type.into(),
        target_link_uri: urls.launch.into(),
        label: Some(CLIENT_NAME.into()),
        placements: placements.iter().map(|p| p.to_string()).collect(),
    };
    let lti = LtiClientMetadata {
        scope: SCOPES.join(" "),
        lti: LtiToolConfiguration {
            domain: domain_of(&launch),
            target_link_uri: urls.launch.into(),
            claims: CLAIMS.iter().map(|c| c.to_string()).collect(),
            messages: vec![
                message("LtiResourceLinkRequest", &[]),
                message(
                    "LtiDeepLinkingRequest",
                    &["link_selection", "assignment_selection"],
                ),
            ],
            privacy_level: Some("public".into()),
        },
    };
    let redirect = RedirectUrl::new(urls.launch.into()).map_err(|_| bad("launch"))?;
    let login = InitiateLoginUrl::new(urls.login.into()).map_err(|_| bad("login"))?;
    let jwks = JsonWebKeySetUrl::new(urls.jwks.into()).map_err(|_| bad("key set"))?;
    let logo = match urls.logo {
        Some(l) => Some(LocalizedClaim::from(
            LogoUrl::new(l.into()).map_err(|_| bad("logo"))?,
        )),
        None => None,
    };
    Ok(ToolMetadata::new(vec![redirect], lti)
        .set_application_type(Some(CoreApplicationType::Web))
        .set_response_types(Some(vec![ResponseTypes::new(vec![
            CoreResponseType::IdToken,
        ])]))
        .set_grant_types(Some(vec![
            CoreGrantType::Implicit,
            CoreGrantType::ClientCredentials,
        ]))
        .set_initiate_login_uri(Some(login))
        .set_client_name(Some(LocalizedClaim::from(ClientName::new(
            CLIENT_NAME.into(),
        ))))
        .set_jwks_uri(Some(jwks))
        .set_logo_uri(logo)
        .set_token_endpoint_auth_method(Some(CoreClientAuthMethod::PrivateKeyJwt)))
}

/// Posts the registration (§3.5.2) with the registration token as Bearer and reads the
/// answer (§3.6). Any 2xx with a client id is a registration; anything else is the
/// platform's refusal, with its own message.
pub async fn register(
    http_client: &super::outbound::HttpClient,
    platform: &Platform,
    token: Option<&str>,
    metadata: &ToolMetadata,
) -> Result<Registered, RegistrationError> {
    let body = serde_json::to_vec(metadata)
        .map_err(|e| RegistrationError::AnswerInvalid(format!("cannot write request: {e}")))?;
    let mut req = http::Request::builder()
        .method(http::Method::POST)
        .uri(platform.registration_url.as_str())
        .header(http::header::ACCEPT, "application/json")
        .header(http::header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        req = req.header(http::header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = req
        .body(body)
        .map_err(|_| RegistrationError::MissingEndpoint("registration_endpoint"))?;
    let resp =
        LtiHttp(http_client)
            .call(req)
            .await
            .map_err(|e| RegistrationError::Unreachable {
                what: Endpoint::Registration,
                detail: e.0,
            })?;
    let status = resp.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(RegistrationError::Refused {
            status,
            message: refusal_message(resp.body()),
        });
    }
    parse_answer(resp.body())
}

/// The platform's own words from a refusal, as a short text reason (RFC 7591's
/// `error_description` when the body is JSON, an HTML page's title, else the text).
pub fn refusal_message(body: &[u8]) -> String {
    super::remote::reason(body)
}

/// An id the platform may send as a string or a number.
fn id_value(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() && s.len() <= 255 => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads a registration answer (§3.6): the client id (required) and, inside the tool
/// configuration, the deployment id (optional).
pub fn parse_answer(body: &[u8]) -> Result<Registered, RegistrationError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| RegistrationError::AnswerInvalid(text_only(&e.to_string())))?;
    let client_id = id_value(v.get("client_id"))
        .ok_or_else(|| RegistrationError::AnswerInvalid("no client_id".into()))?;
    let deployment_id = id_value(
        v.get(TOOL_CONFIGURATION)
            .and_then(|c| c.get("deployment_id")),
    );
    Ok(Registered {
        client_id,
        deployment_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moodle_doc(issuer: &str) -> Value {
        serde_json::json!({
            "issuer": issuer,
            "token_endpoint": "https://moodle.example/mod/lti/token.php",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "jwks_uri": "https://moodle.example/mod/lti/certs.php",
            "authorization_endpoint": "https://moodle.example/mod/lti/auth.php",
            "registration_endpoint": "https://moodle.example/mod/lti/openid-registration.php",
            "scopes_supported": [super::super::nrps::SCOPE, "openid"],
            "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
            PLATFORM_CONFIGURATION: {
                "product_family_code": "moodle",
                "version": "4.5.1 (Build: 20241209)",
                "messages_supported": [{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}],
                "variables": ["ResourceLink.id", "Context.id"]
            }
        })
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn check(issuer: &str, configuration: &str) -> bool {
        check_issuer(issuer, &url(configuration)).is_ok()
    }

    #[test]
    fn the_issuer_must_have_the_configuration_urls_origin() {
        let conf = "https://moodle.example/mod/lti/openid-configuration.php";
        for (issuer, ok) in [
            ("https://moodle.example", true),
            ("https://moodle.example/", true),
            ("https://MOODLE.example", true),
            ("https://moodle.example:443", true),
            // Another scheme or port of the same host is another server.
            ("http://moodle.example", false),
            ("https://moodle.example:8443", false),
            ("https://sub.moodle.example", false),
            ("https://evil.example", false),
            ("https://moodle.example.evil.example", false),
            ("https://moodle.example/?x=1", false),
            ("https://moodle.example/#x", false),
            // The configuration URL must start with the issuer.
            ("https://moodle.example/moodle", false),
            ("https://moodle.example/mod", true),
            (
                "https://moodle.example/mod/lti/openid-configuration.php",
                true,
            ),
            ("https://moodle.example/mo", false),
            ("ftp://moodle.example", false),
            ("not a url", false),
            ("https://user@moodle.example", false),
        ] {
            assert_eq!(check(issuer, conf), ok, "{issuer}");
        }
    }

    #[test]
    fn a_moodle_under_a_path_is_matched_on_whole_segments() {
        let conf = "https://lms.example/moodle/mod/lti/openid-configuration.php";
        for (issuer, ok) in [
            ("https://lms.example/moodle", true),
            ("https://lms.example/moodle/", true),
            ("https://lms.example", true),
            ("https://lms.example/moodle2", false),
            ("https://lms.example/moo", false),
            ("https://lms.example/other", false),
            ("http://lms.example/moodle", false),
        ] {
            assert_eq!(check(issuer, conf), ok, "{issuer}");
        }
        assert!(!check(
            "https://lms.example/moodle",
            "https://lms.example/moodle2/mod/lti/openid-configuration.php"
        ));
        // Plain http on a port of its own (a Moodle on a laptop) is fine when both agree.
        assert!(check(
            "http://127.0.0.1:8081",
            "http://127.0.0.1:8081/mod/lti/openid-configuration.php"
        ));
        assert!(!check(
            "http://127.0.0.1:8081",
            "http://127.0.0.1:9999/mod/lti/openid-configuration.php"
        ));
    }

    #[test]
    fn canvas_clouds_shared_issuer_is_accepted_from_its_own_hosts_only() {
        let school = "https://school.instructure.com/api/lti/security/openid-configuration?registration_uuid=1";
        assert!(check("https://canvas.instructure.com", school));
        assert!(check("https://canvas.beta.instructure.com", school));
        assert!(!check("http://canvas.instructure.com", school));
        assert!(!check("https://canvas.instructure.com:8443", school));
        assert!(!check(
            "https://canvas.instructure.com",
            "https://instructure.com.evil.example/api/lti/security/openid-configuration"
        ));
        assert!(!check(
            "https://canvas.instructure.com",
            "http://school.instructure.com/api/lti/security/openid-configuration"
        ));
        assert!(!check("https://other.instructure.com", school));
    }

    #[test]
    fn text_from_a_platform_is_text_only_and_bounded() {
        assert_eq!(
            text_only("A tool with <b>this domain</b>\u{7}\nexists"),
            "A tool with this domain exists"
        );
        assert_eq!(text_only("<script>alert(1)</script>ok"), "alert(1) ok");
        assert_eq!(text_only(&"é".repeat(1000)).chars().count(), MAX_MESSAGE);
    }

    #[test]
    fn a_moodle_configuration_parses_without_the_openid_only_fields() {
        let conf = url("https://moodle.example/mod/lti/openid-configuration.php");
        let body = serde_json::to_vec(&moodle_doc("https://moodle.example")).unwrap();
        let p = parse_configuration(&body, &conf, true).unwrap();
        assert_eq!(p.issuer, "https://moodle.example");
        assert_eq!(p.lti.product_family_code, "moodle");
        assert_eq!(p.lti.messages_supported.len(), 2);
        assert_eq!(
            p.registration_url,
            "https://moodle.example/mod/lti/openid-registration.php"
        );
        let err = parse_configuration(b"{}", &conf, true).unwrap_err();
        assert_eq!(err.code(), "register_configuration_invalid");
        let mut no_reg = moodle_doc("https://moodle.example");
        no_reg
            .as_object_mut()
            .unwrap()
            .remove("registration_endpoint");
        let err =
            parse_configuration(&serde_json::to_vec(&no_reg).unwrap(), &conf, true).unwrap_err();
        assert_eq!(
            err,
            RegistrationError::MissingEndpoint("registration_endpoint")
        );
    }

    #[test]
    fn an_https_tool_refuses_plain_http_platform_endpoints() {
        let conf = url("http://moodle.example/mod/lti/openid-configuration.php");
        assert!(configuration_url(conf.as_str(), true).is_err());
        assert!(configuration_url(conf.as_str(), false).is_ok());
        assert!(configuration_url("javascript:alert(1)", false).is_err());
        assert!(configuration_url("https://u:p@moodle.example/x", false).is_err());
        let mut doc = moodle_doc("http://moodle.example");
        doc["token_endpoint"] = "http://moodle.example/mod/lti/token.php".into();
        let body = serde_json::to_vec(&doc).unwrap();
        assert!(matches!(
            parse_configuration(&body, &conf, true),
            Err(RegistrationError::InsecureEndpoint {
                field: "token_endpoint",
                ..
            })
        ));
        assert!(parse_configuration(&body, &conf, false).is_ok());
    }

    #[test]
    fn the_request_is_what_moodle_and_canvas_read() {
        let m = tool_metadata(ToolUrls {
            login: "https://tool.example:8443/lti/login",
            launch: "https://tool.example:8443/lti/launch",
            jwks: "https://tool.example:8443/.well-known/jwks.json",
            logo: None,
        })
        .unwrap();
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(v["application_type"], "web");
        assert_eq!(v["response_types"], serde_json::json!(["id_token"]));
        assert_eq!(
            v["grant_types"],
            serde_json::json!(["implicit", "client_credentials"])
        );
        assert_eq!(
            v["initiate_login_uri"],
            "https://tool.example:8443/lti/login"
        );
        assert_eq!(
            v["redirect_uris"],
            serde_json::json!(["https://tool.example:8443/lti/launch"])
        );
        assert_eq!(v["client_name"], "Binôme");
        assert_eq!(v["token_endpoint_auth_method"], "private_key_jwt");
        assert_eq!(v["scope"], SCOPES.join(" "));
        let lti = &v[TOOL_CONFIGURATION];
        assert_eq!(lti["domain"], "tool.example:8443");
        assert_eq!(lti[CANVAS_PRIVACY_LEVEL], "public");
        assert_eq!(lti["messages"][1]["type"], "LtiDeepLinkingRequest");
        assert!(v.get("logo_uri").is_none());
    }

    #[test]
    fn answers_and_refusals_are_read_leniently_and_bounded() {
        assert_eq!(
            parse_answer(br#"{"client_id": 42, "https://purl.imsglobal.org/spec/lti-tool-configuration": {"deployment_id": "7"}}"#).unwrap(),
            Registered { client_id: "42".into(), deployment_id: Some("7".into()) }
        );
        assert_eq!(
            parse_answer(br#"{"client_id": "abc"}"#)
                .unwrap()
                .deployment_id,
            None
        );
        assert!(parse_answer(br#"{"client_id": ""}"#).is_err());
        assert!(parse_answer(b"<html>").is_err());
        assert_eq!(
            refusal_message(
                br#"{"error": "invalid_client_metadata", "error_description": "bad domain"}"#
            ),
            "bad domain"
        );
        assert_eq!(refusal_message(b"Unauthorized\n"), "Unauthorized");
        assert_eq!(refusal_message(&[b'x'; 5000]).chars().count(), MAX_MESSAGE);
        assert_eq!(
            refusal_message(b"<html><head><title>Forbidden</title></head></html>"),
            "Forbidden"
        );
    }
}
