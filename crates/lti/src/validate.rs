//! id_token validation (LTI Security Framework §5.1.3): RS256 only, signature against the
//! platform's key set, issuer, audience and `azp`, `exp`/`iat` with a leeway.
//!
//! The nonce and state are checked by the caller against the login it stored; the claims are
//! then parsed once into a [`Launch`](super::Launch).

use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};

use super::jwks::JwksCache;
use super::{ClientId, LaunchError, Registration};

/// Clock skew tolerated between the platform and us, in seconds.
pub const LEEWAY_SECS: u64 = 60;
/// Largest id_token we try to read.
pub const MAX_TOKEN_LEN: usize = 48 * 1024;

/// The JOSE header fields we look at before verifying anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnverifiedHeader {
    pub alg: String,
    pub kid: Option<String>,
}

/// UNVERIFIED: reads the JOSE header of a token without checking anything. Only used to pick
/// the algorithm check and the key; nothing from it is trusted.
pub fn peek_header_unverified(token: &str) -> Result<UnverifiedHeader, LaunchError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(LaunchError::TooLarge);
    }
    let mut parts = token.split('.');
    let (Some(h), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(LaunchError::Malformed(
            "not a signed JWT (three dot-separated parts expected)".into(),
        ));
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(h.trim_end_matches('='))
        .map_err(|_| LaunchError::Malformed("header is not base64url".into()))?;
    let header: Map<String, Value> = serde_json::from_slice(&bytes)
        .map_err(|_| LaunchError::Malformed("header is not a JSON object".into()))?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(UnverifiedHeader { alg, kid })
}

/// The jsonwebtoken validation for a registration: algorithm pinned, issuer, audience,
/// required time claims and leeway.
fn validation(reg: &Registration) -> Validation {
    let mut v = Validation::new(Algorithm::RS256);
    v.leeway = LEEWAY_SECS;
    v.set_issuer(&[reg.issuer.as_str()]);
    v.set_audience(&[reg.client_id.as_str()]);
    v.set_required_spec_claims(&["exp", "iat", "iss", "aud"]);
    v.validate_exp = true;
    v.validate_nbf = true;
    v
}

/// Verifies an id_token for a registration and returns its claims.
pub async fn verify_id_token(
    token: &str,
    reg: &Registration,
    jwks: &JwksCache,
    now: u64,
) -> Result<Map<String, Value>, LaunchError> {
    let header = peek_header_unverified(token)?;
    if header.alg != "RS256" {
        return Err(LaunchError::AlgNotAllowed(
            header.alg.chars().take(20).collect(),
        ));
    }
    let keys = jwks
        .keys_for(&reg.jwks_url, reg.reach(), header.kid.as_deref())
        .await?;
    let validation = validation(reg);
    let mut last = LaunchError::BadSignature;
    let mut claims = None;
    for key in &keys {
        match jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation) {
            Ok(data) => {
                claims = Some(data.claims);
                break;
            }
            Err(e) => {
                last = map_error(e.kind());
                if !matches!(last, LaunchError::BadSignature) {
                    // The signature verified; the claims are what is wrong.
                    break;
                }
            }
        }
    }
    let claims = claims.ok_or(last)?;
    let iat = claims
        .get("iat")
        .and_then(Value::as_u64)
        .ok_or_else(|| LaunchError::InvalidClaims("iat is not a number".into()))?;
    if iat > now + LEEWAY_SECS {
        return Err(LaunchError::IssuedInFuture);
    }
    check_azp(&claims, &reg.client_id)?;
    Ok(claims)
}

/// `azp` must be present and equal the client id when `aud` has several values, and must
/// equal it whenever present (OIDC Core §3.1.3.7, LTI Security Framework §5.1.3 step 5).
fn check_azp(claims: &Map<String, Value>, client_id: &ClientId) -> Result<(), LaunchError> {
    let azp = claims.get("azp").and_then(Value::as_str);
    let multi = matches!(claims.get("aud"), Some(Value::Array(a)) if a.len() > 1);
    match azp {
        Some(a) if client_id != a => Err(LaunchError::WrongAzp),
        None if multi => Err(LaunchError::WrongAzp),
        _ => Ok(()),
    }
}

fn map_error(kind: &ErrorKind) -> LaunchError {
    match kind {
        ErrorKind::InvalidSignature | ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidKeyFormat => {
            LaunchError::BadSignature
        }
        ErrorKind::ExpiredSignature => LaunchError::Expired,
        ErrorKind::ImmatureSignature => LaunchError::IssuedInFuture,
        ErrorKind::InvalidIssuer => LaunchError::WrongIssuer,
        ErrorKind::InvalidAudience => LaunchError::WrongAudience,
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            LaunchError::AlgNotAllowed("RS256 expected".into())
        }
        ErrorKind::MissingRequiredClaim(c) => LaunchError::InvalidClaims(format!("missing {c}")),
        ErrorKind::Json(_)
        | ErrorKind::Utf8(_)
        | ErrorKind::Base64(_)
        | ErrorKind::InvalidToken => LaunchError::Malformed("claims are not valid JSON".into()),
        other => LaunchError::InvalidClaims(format!("{other:?}").chars().take(80).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_peek_refuses_garbage() {
        assert_eq!(
            peek_header_unverified("garbage").unwrap_err().code(),
            "malformed_token"
        );
        assert_eq!(
            peek_header_unverified("a.b.c").unwrap_err().code(),
            "malformed_token"
        );
        let none = format!(
            "{}.e30.",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#)
        );
        assert_eq!(peek_header_unverified(&none).unwrap().alg, "none");
    }

    #[test]
    fn azp_rules() {
        let c = |v: Value| v.as_object().unwrap().clone();
        assert!(check_azp(&c(serde_json::json!({"aud": "x"})), &"x".into()).is_ok());
        assert!(check_azp(&c(serde_json::json!({"aud": ["x"]})), &"x".into()).is_ok());
        assert!(check_azp(&c(serde_json::json!({"aud": ["x", "y"]})), &"x".into()).is_err());
        assert!(
            check_azp(
                &c(serde_json::json!({"aud": ["x", "y"], "azp": "y"})),
                &"x".into()
            )
            .is_err()
        );
        assert!(
            check_azp(
                &c(serde_json::json!({"aud": ["x", "y"], "azp": "x"})),
                &"x".into()
            )
            .is_ok()
        );
    }
}
