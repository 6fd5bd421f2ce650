//! The tool's signing keys as loaded from the store: the newest signs, every key inside its
//! publication window is in the JWKS. Generated on first start; rotated with the CLI.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;

use crate::lti::keys::{self, KeyError, ToolKey};
use crate::store::{Store, StoreError};

/// Why the key ring could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyRingError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A key could not be generated or read.
    #[error(transparent)]
    Key(#[from] KeyError),
}

struct Loaded {
    current: ToolKey,
    jwks_json: Arc<String>,
    at: Instant,
}

/// Loaded tool keys, refreshed every minute so that a rotation done by the CLI (or another
/// instance) shows up without a restart.
pub struct KeyRing {
    store: Store,
    grace: Duration,
    loaded: RwLock<Loaded>,
}

const REFRESH: Duration = Duration::from_secs(60);

impl KeyRing {
    /// Loads the keys, generating the first one when the store has none.
    pub async fn load(store: Store, grace: Duration, now: i64) -> Result<KeyRing, KeyRingError> {
        let loaded = load(&store, grace, now).await?;
        Ok(KeyRing {
            store,
            grace,
            loaded: RwLock::new(loaded),
        })
    }

    /// The key that signs our JWTs.
    pub async fn current(&self, now: i64) -> ToolKey {
        self.refresh_if_old(now).await;
        self.loaded
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .current
            .clone()
    }

    /// The published key set as JSON.
    pub async fn jwks_json(&self, now: i64) -> Arc<String> {
        self.refresh_if_old(now).await;
        self.loaded
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .jwks_json
            .clone()
    }

    async fn refresh_if_old(&self, now: i64) {
        let old = self
            .loaded
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .at
            .elapsed()
            > REFRESH;
        if old {
            match load(&self.store, self.grace, now).await {
                Ok(l) => *self.loaded.write().unwrap_or_else(|e| e.into_inner()) = l,
                // Keep serving the keys we have; the store may be back next time.
                Err(e) => tracing::warn!(error = %e, "could not refresh tool keys"),
            }
        }
    }
}

/// Generates a key and makes it the current one, keeping the others published for the grace
/// period. Returns the new key id.
pub async fn rotate(store: &Store, now: i64) -> Result<String, KeyRingError> {
    let pem = keys::generate_private_pem()?;
    let kid = keys::new_kid();
    store.rotate_in_key(&kid, &pem, now).await?;
    Ok(kid)
}

async fn load(store: &Store, grace: Duration, now: i64) -> Result<Loaded, KeyRingError> {
    let since = now - grace.as_secs() as i64;
    let mut stored = store.published_keys(since).await?;
    if !stored.iter().any(|k| k.retired_at.is_none()) {
        let pem = keys::generate_private_pem()?;
        let kid = keys::new_kid();
        store.insert_key(&kid, &pem, now).await?;
        tracing::info!(kid = %kid, "generated the tool's first signing key");
        stored = store.published_keys(since).await?;
    }
    let mut parsed = Vec::new();
    for k in &stored {
        parsed.push((
            k.retired_at.is_none(),
            ToolKey::from_pem(&k.kid, &k.private_key_pem)?,
        ));
    }
    // Newest first: the first current key signs. Two instances starting together may both
    // generate a first key; both stay published and the newest signs everywhere.
    let current = parsed
        .iter()
        .find(|(cur, _)| *cur)
        .map(|(_, k)| k.clone())
        .ok_or_else(|| {
            KeyRingError::Store(StoreError::corrupt("tool_keys", "-", "no current key"))
        })?;
    let set: JwkSet = keys::jwk_set(parsed.iter().map(|(_, k)| k));
    let jwks_json =
        Arc::new(serde_json::to_string(&set).unwrap_or_else(|_| "{\"keys\":[]}".into()));
    Ok(Loaded {
        current,
        jwks_json,
        at: Instant::now(),
    })
}
