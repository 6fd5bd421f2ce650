//! The listener task of one instance on PostgreSQL: it relays every instance's
//! notifications to this hub's subscribers. The loop ([`Hub::start`]) is separate from the
//! step ([`Hub::relay_step`]), which receives one notice and says what it did.

use std::time::Duration;

use tokio::task::JoinHandle;

use super::Hub;
use crate::store::{Listener, Notice, StoreError};

/// The first wait after a failed step; it doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What one step of the relay did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relayed {
    /// A notification for a session; `woken` subscribers here had not heard of `seq`.
    Delivered {
        session_id: i64,
        seq: i64,
        woken: usize,
    },
    /// The listener listens again after a lost connection; every subscriber was told to
    /// re-read.
    Resynced { woken: usize },
}

impl Hub {
    /// On PostgreSQL, listens (returning the error if it cannot) and spawns the relay loop,
    /// which runs until its handle is aborted or the store is closed; none on SQLite, where
    /// the writers' [`Hub::published`] calls are the only wake-ups.
    pub async fn start(&self) -> Result<Option<JoinHandle<()>>, StoreError> {
        let Some(listener) = self.inner.store.listen().await? else {
            return Ok(None);
        };
        // Subscribers that came before the listener may have missed a notification.
        self.resync();
        let hub = self.clone();
        Ok(Some(tokio::spawn(async move { hub.relay(listener).await })))
    }

    async fn relay(self, mut listener: Listener) {
        let mut backoff = MIN_BACKOFF;
        loop {
            match self.relay_step(&mut listener).await {
                Ok(r) => {
                    backoff = MIN_BACKOFF;
                    if let Relayed::Resynced { woken } = r {
                        tracing::info!(woken, "coaching listener reconnected");
                    }
                }
                Err(StoreError::Closed) => return,
                Err(e) => {
                    tracing::warn!(
                        error = &e as &dyn std::error::Error,
                        retry_in_ms = backoff.as_millis() as u64,
                        "coaching listener lost its connection"
                    );
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// Waits for one notice of the listener and fans it out here.
    pub async fn relay_step(&self, listener: &mut Listener) -> Result<Relayed, StoreError> {
        Ok(match listener.next().await? {
            Notice::Appended { session_id, seq } => Relayed::Delivered {
                session_id,
                seq,
                woken: self.published(session_id, seq),
            },
            Notice::Reconnected => Relayed::Resynced {
                woken: self.resync(),
            },
        })
    }
}
