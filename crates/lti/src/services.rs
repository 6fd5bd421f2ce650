//! LTI Advantage service access (LTI Security Framework §4.1; LTI Advantage "Services"):
//! OAuth2 client credentials with a `private_key_jwt` client assertion signed by the tool key.
//!
//! Tokens are cached per registration and scope set until shortly before they expire;
//! concurrent callers share one token request; a 401 from a service gets one retry with a
//! fresh token. Every request carries the client's `User-Agent` (Canvas requires one).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::future::Cache;
use serde::Deserialize;

use super::jwks::read_limited;
use super::keys::ToolKey;
use super::login::random_token;
use super::remote::{self, Failure, Service};
use super::{NotService, Registration, RegistrationId};

/// A service call failed. The texts are safe to show to staff who manage the course: the
/// platform's own words only as a status and a short text-only reason (`lti::remote`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// The platform's token endpoint refused or failed.
    #[error("token request failed: {0}")]
    Token(String),
    /// The service answered with an HTTP error.
    #[error("{service} answered HTTP {status}")]
    Status { service: &'static str, status: u16 },
    /// The service could not be reached or timed out.
    #[error("{service} unreachable: {detail}")]
    Unreachable {
        service: &'static str,
        detail: String,
    },
    /// The service answered something that is not what the spec says.
    #[error("{service} sent an unreadable answer: {detail}")]
    Invalid {
        service: &'static str,
        detail: String,
    },
    /// The platform gave a service address on a host that is not one of its own: no token
    /// was requested for it and nothing was sent there.
    #[error(
        "the LMS gave a {service} service address on host {host}, which is not one of this platform's hosts"
    )]
    ForeignHost { service: Service, host: String },
}

impl ServiceError {
    /// The refusal of a service URL the platform gave (see `Registration::service_url`).
    pub fn not_service(service: Service, e: NotService) -> ServiceError {
        match e {
            NotService::Foreign(host) => ServiceError::ForeignHost { service, host },
            other => ServiceError::Invalid {
                service: service.as_str(),
                detail: other.to_string(),
            },
        }
    }

    /// A short code for logs (which never carry a platform's words).
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::Token(_) => "token",
            ServiceError::Status { .. } => "status",
            ServiceError::Unreachable { .. } => "unreachable",
            ServiceError::Invalid { .. } => "invalid",
            ServiceError::ForeignHost { .. } => "foreign_host",
        }
    }

    /// The HTTP status the platform answered, when it answered one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ServiceError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The failure as kept for staff.
    pub fn failure(&self) -> Failure {
        match self {
            ServiceError::ForeignHost { service, host } => Failure::ForeignHost {
                service: *service,
                host: host.clone(),
            },
            other => Failure::Text(other.to_string()),
        }
    }
}

/// Seconds before expiry at which a cached token is no longer used.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// How far `iat` of our assertions is backdated, for platform clock skew.
const IAT_BACKDATE: u64 = 5;

/// A token and how long it may be used (its life less [`EXPIRY_MARGIN`]).
#[derive(Clone)]
struct Cached {
    token: String,
    usable: Duration,
}

type Key = (RegistrationId, String);

/// The most tokens kept: one per registration and scope set in use.
const MAX_TOKENS: u64 = 10_000;

/// Each token expires when the platform said, less the margin.
struct TokenLife;

impl moka::Expiry<Key, Cached> for TokenLife {
    fn expire_after_create(&self, _: &Key, value: &Cached, _: Instant) -> Option<Duration> {
        Some(value.usable)
    }
}

/// Access tokens per registration and scope set.
pub struct ServiceTokens {
    cache: Cache<Key, Cached>,
}

impl Default for ServiceTokens {
    fn default() -> Self {
        ServiceTokens {
            cache: Cache::builder()
                .max_capacity(MAX_TOKENS)
                .expire_after(TokenLife)
                .build(),
        }
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

fn scope_key(scopes: &[&str]) -> String {
    let mut s: Vec<&str> = scopes.to_vec();
    s.sort_unstable();
    s.dedup();
    s.join(" ")
}

impl ServiceTokens {
    /// A valid access token for these scopes, from the cache or from the platform.
    pub async fn token(
        &self,
        http: &super::outbound::HttpClient,
        reg: &Registration,
        key: &ToolKey,
        scopes: &[&str],
    ) -> Result<String, ServiceError> {
        let k = (reg.id, scope_key(scopes));
        let request = async {
            let (token, ttl) = request_token(http, reg, key, &k.1).await?;
            Ok::<_, ServiceError>(Cached {
                token,
                usable: ttl.saturating_sub(EXPIRY_MARGIN),
            })
        };
        self.cache
            .try_get_with_by_ref(&k, request)
            .await
            .map(|c| c.token)
            .map_err(Arc::unwrap_or_clone)
    }

    /// Forgets a token the service refused.
    pub async fn invalidate(&self, reg: RegistrationId, scopes: &[&str]) {
        self.cache.invalidate(&(reg, scope_key(scopes))).await;
    }
}

/// The client assertion (RFC 7523): `iss` = `sub` = client id, `aud` = the token URL, a unique
/// `jti`, five minutes of life, `iat` a few seconds in the past.
pub fn client_assertion(
    reg: &Registration,
    key: &ToolKey,
    now: u64,
) -> Result<String, ServiceError> {
    let claims = serde_json::json!({
        "iss": reg.client_id,
        "sub": reg.client_id,
        "aud": reg.token_url,
        "iat": now.saturating_sub(IAT_BACKDATE),
        "exp": now + 300,
        "jti": random_token(),
    });
    key.sign(&claims)
        .map_err(|e| ServiceError::Token(e.to_string()))
}

async fn request_token(
    http: &super::outbound::HttpClient,
    reg: &Registration,
    key: &ToolKey,
    scope: &str,
) -> Result<(String, Duration), ServiceError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let assertion = client_assertion(reg, key, now)?;
    let form = [
        ("grant_type", "client_credentials"),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion.as_str()),
        ("scope", scope),
    ];
    let resp = http
        .send(
            http.post(&reg.token_url)
                .header("Accept", "application/json")
                .form(&form),
        )
        .await
        .map_err(|e| {
            ServiceError::Token(format!(
                "could not reach the token endpoint ({})",
                e.short()
            ))
        })?;
    let status = resp.status().as_u16();
    let body = read_limited(resp, 64 * 1024)
        .await
        .map_err(ServiceError::Token)?;
    if !(200..300).contains(&status) {
        // Error bodies are not always JSON (Moodle's may not parse): a short text reason.
        let reason = remote::reason(&body);
        return Err(ServiceError::Token(if reason.is_empty() {
            format!("HTTP {status}")
        } else {
            format!("HTTP {status}: {reason}")
        }));
    }
    let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
        ServiceError::Token(format!(
            "unreadable token response: {}",
            remote::json_problem(&e)
        ))
    })?;
    if parsed.access_token.is_empty() {
        return Err(ServiceError::Token("empty access token".into()));
    }
    Ok((
        parsed.access_token,
        Duration::from_secs(parsed.expires_in.unwrap_or(3600).clamp(60, 24 * 3600)),
    ))
}

/// The targets of an HTTP `Link` header, by relation (RFC 8288), e.g. `next`, `differences`.
/// By hand: neither `http` nor a well-kept crate parses `Link`, and NRPS paging needs only
/// the target and `rel` of each link.
pub fn parse_links(headers: &reqwest::header::HeaderMap) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for value in headers
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        for part in split_links(value) {
            let mut pieces = part.split(';');
            let Some(target) = pieces
                .next()
                .map(str::trim)
                .and_then(|t| t.strip_prefix('<'))
                .and_then(|t| t.strip_suffix('>'))
            else {
                continue;
            };
            for param in pieces {
                let Some((k, v)) = param.split_once('=') else {
                    continue;
                };
                if k.trim().eq_ignore_ascii_case("rel") {
                    for rel in v.trim().trim_matches('"').split_whitespace() {
                        out.entry(rel.to_ascii_lowercase())
                            .or_insert_with(|| target.to_string());
                    }
                }
            }
        }
    }
    out
}

/// Splits a Link header on the commas between links (not those inside `<…>`).
fn split_links(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in value.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn link_headers_with_several_relations() {
        let mut h = HeaderMap::new();
        h.append("link", HeaderValue::from_static(r#"<https://lms.example/m?page=2&a=1,2>; rel="next", <https://lms.example/m/differences?since=5>; rel="differences""#));
        let links = parse_links(&h);
        assert_eq!(links["next"], "https://lms.example/m?page=2&a=1,2");
        assert_eq!(
            links["differences"],
            "https://lms.example/m/differences?since=5"
        );
    }

    #[test]
    fn scope_sets_are_order_independent() {
        assert_eq!(scope_key(&["b", "a", "b"]), "a b");
    }
}
