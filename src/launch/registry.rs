//! An in-memory view of the platform registrations and deployments, reloaded from the store
//! every few seconds and at once on a miss, so that a platform added with the CLI works on
//! the next launch and a busy server does not query the registrations on every request.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::lti::{Registration, RegistrationId};
use crate::store::{DeploymentStatus, Store, StoreError};

/// How old a snapshot may be before a reader reloads it: how long a registration removed
/// elsewhere may still be seen here.
pub const MAX_AGE: Duration = Duration::from_secs(3);
const MIN_RELOAD: Duration = Duration::from_millis(250);

/// One consistent snapshot of registrations and deployments.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub registrations: Vec<Registration>,
    deployments: HashMap<(RegistrationId, String), DeploymentStatus>,
    /// `frame-ancestors` sources for every active registered platform (one waiting for an
    /// operator's approval frames nothing: an anonymous registration must not widen the
    /// policy of every page).
    pub frame_ancestors: Vec<String>,
}

impl Snapshot {
    pub fn registration(&self, id: RegistrationId) -> Option<&Registration> {
        self.registrations.iter().find(|r| r.id == id)
    }

    pub fn deployment(&self, id: RegistrationId, deployment_id: &str) -> Option<DeploymentStatus> {
        self.deployments
            .get(&(id, deployment_id.to_string()))
            .copied()
    }
}

/// The cached registry. By hand rather than a TTL cache: it holds one value, and a reload
/// after a miss is rate-limited from the snapshot's age ([`MIN_RELOAD`]), which a cache that
/// forgets expired values could not tell.
pub struct Registry {
    store: Store,
    current: RwLock<(Arc<Snapshot>, Instant)>,
    reload: tokio::sync::Mutex<()>,
}

impl Registry {
    pub async fn load(store: Store) -> Result<Registry, StoreError> {
        let snap = build(&store).await?;
        Ok(Registry {
            store,
            current: RwLock::new((Arc::new(snap), Instant::now())),
            reload: tokio::sync::Mutex::new(()),
        })
    }

    /// The current snapshot, reloaded when older than a few seconds.
    pub async fn snapshot(&self) -> Result<Arc<Snapshot>, StoreError> {
        let (snap, at) = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if at.elapsed() < MAX_AGE {
            return Ok(snap);
        }
        self.reload(at).await
    }

    /// A fresh snapshot after a miss (unknown platform or deployment), at most a few times a
    /// second whatever the traffic, so unknown issuers cannot turn into a query flood.
    pub async fn snapshot_after_miss(&self) -> Result<Arc<Snapshot>, StoreError> {
        let (snap, at) = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if at.elapsed() < MIN_RELOAD {
            return Ok(snap);
        }
        self.reload(at).await
    }

    /// A snapshot read now, for the instance that has just written a registration (other
    /// instances see it on their next miss).
    pub async fn refresh(&self) -> Result<Arc<Snapshot>, StoreError> {
        self.reload(Instant::now()).await
    }

    async fn reload(&self, seen: Instant) -> Result<Arc<Snapshot>, StoreError> {
        let _g = self.reload.lock().await;
        {
            let cur = self.current.read().unwrap_or_else(|e| e.into_inner());
            if cur.1 > seen {
                return Ok(cur.0.clone());
            }
        }
        let snap = Arc::new(build(&self.store).await?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = (snap.clone(), Instant::now());
        Ok(snap)
    }
}

async fn build(store: &Store) -> Result<Snapshot, StoreError> {
    let registrations = store.registrations().await?;
    let deployments = store
        .deployments()
        .await?
        .into_iter()
        .map(|d| ((d.registration, d.deployment_id), d.status))
        .collect();
    let mut frame_ancestors: Vec<String> = registrations
        .iter()
        .filter(|r| r.status == crate::lti::PlatformStatus::Active)
        .flat_map(Registration::frame_ancestors)
        .collect();
    frame_ancestors.sort();
    frame_ancestors.dedup();
    Ok(Snapshot {
        registrations,
        deployments,
        frame_ancestors,
    })
}
