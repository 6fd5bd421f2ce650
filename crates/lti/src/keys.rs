//! The tool's own RSA signing keys and the JWKS that publishes them (LTI Security Framework
//! §6.3). Keys are generated with aws-lc-rs (constant-time RSA) and used through jsonwebtoken.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

/// A key problem: generation, parsing or signing failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// aws-lc-rs could not generate a key.
    #[error("could not generate an RSA key")]
    Generate,
    /// A stored key could not be read.
    #[error("stored key {kid} is unreadable: {message}")]
    Unreadable { kid: String, message: String },
    /// Signing a JWT failed.
    #[error("signing failed: {0}")]
    Sign(String),
}

/// Generates a new RSA-2048 private key, as a PKCS#8 PEM document.
pub fn generate_private_pem() -> Result<String, KeyError> {
    use aws_lc_rs::encoding::AsDer;
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
        .map_err(|_| KeyError::Generate)?;
    let der = pair.as_der().map_err(|_| KeyError::Generate)?;
    Ok(pem_wrap("PRIVATE KEY", der.as_ref()))
}

fn pem_wrap(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// A fresh key id: the creation time and a random suffix, sortable and unique.
pub fn new_kid() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("binome-{secs}-{}", &crate::login::random_token()[..8])
}

/// One tool key, ready to sign and to be published.
#[derive(Clone)]
pub struct ToolKey {
    pub kid: String,
    encoding: EncodingKey,
    public: Jwk,
}

impl std::fmt::Debug for ToolKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl ToolKey {
    /// Reads a stored PKCS#8 (or PKCS#1) PEM private key.
    pub fn from_pem(kid: &str, pem: &str) -> Result<ToolKey, KeyError> {
        let unreadable = |message: String| KeyError::Unreadable {
            kid: kid.into(),
            message,
        };
        let encoding =
            EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| unreadable(e.to_string()))?;
        let mut public = Jwk::from_encoding_key(&encoding, Algorithm::RS256)
            .map_err(|e| unreadable(e.to_string()))?;
        public.common.key_id = Some(kid.to_string());
        public.common.public_key_use = Some(PublicKeyUse::Signature);
        public.common.key_algorithm = Some(KeyAlgorithm::RS256);
        Ok(ToolKey {
            kid: kid.to_string(),
            encoding,
            public,
        })
    }

    /// The public half, as a JWK with `kid`, `use` and `alg`.
    pub fn public_jwk(&self) -> &Jwk {
        &self.public
    }

    /// Signs claims as an RS256 JWT with this key's `kid` in the header (Moodle requires it).
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, KeyError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| KeyError::Sign(e.to_string()))
    }
}

/// Builds the published key set from the keys still in their publication window.
pub fn jwk_set<'a>(keys: impl IntoIterator<Item = &'a ToolKey>) -> JwkSet {
    JwkSet {
        keys: keys.into_iter().map(|k| k.public.clone()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_signs_and_verifies_through_its_jwk() {
        let pem = generate_private_pem().unwrap();
        let key = ToolKey::from_pem("k1", &pem).unwrap();
        let token = key
            .sign(&serde_json::json!({"sub": "x", "exp": 4_000_000_000u64}))
            .unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some("k1"));
        let dk = jsonwebtoken::DecodingKey::from_jwk(key.public_jwk()).unwrap();
        let mut v = jsonwebtoken::Validation::new(Algorithm::RS256);
        v.validate_aud = false;
        let data = jsonwebtoken::decode::<serde_json::Value>(&token, &dk, &v).unwrap();
        assert_eq!(data.claims["sub"], "x");
        let set = serde_json::to_value(jwk_set([&key])).unwrap();
        assert_eq!(set["keys"][0]["kty"], "RSA");
        assert_eq!(set["keys"][0]["alg"], "RS256");
        assert_eq!(set["keys"][0]["use"], "sig");
        assert!(
            set["keys"][0].get("d").is_none(),
            "no private part published"
        );
    }
}
