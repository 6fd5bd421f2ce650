//! Cross-instance wake-ups on PostgreSQL: every appended coaching event sends
//! `NOTIFY binome_coaching, '<session_id>:<seq>'` inside its transaction (see
//! [`Tx::append_event`](super::Tx::append_event)), and one [`Listener`] per instance hears
//! them, on a connection of the store's own pool.
//!
//! A notification is a hint, never the data: the event table is the truth, and a listener
//! that lost its connection cannot know what it missed. So a lost connection comes out as
//! [`Notice::Reconnected`] once the listener listens again, and whoever fans the notices out
//! tells every reader to re-read the table. On SQLite (one instance) there is nothing to
//! listen to: [`Store::listen`] returns none and the writer's own process is the only one to
//! wake.

use sea_orm::DbBackend;
use sqlx::postgres::{PgListener, PgPool};

use super::{Store, StoreError};

/// The PostgreSQL channel of appended coaching events.
pub const CHANNEL: &str = "binome_coaching";

/// What the listener heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// An event was committed: session `session_id` is now at least at `seq`.
    Appended { session_id: i64, seq: i64 },
    /// The connection was lost and is listening again: notifications sent in between are
    /// gone, so every reader should re-read what it follows.
    Reconnected,
}

/// The LISTEN connection of one instance.
pub struct Listener {
    pool: PgPool,
    /// None after an error: the next [`Listener::next`] connects again.
    inner: Option<PgListener>,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("connected", &self.inner.is_some())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Whether the database is PostgreSQL (several instances may share it).
    pub fn is_postgres(&self) -> bool {
        self.db.get_database_backend() == DbBackend::Postgres
    }

    /// Listens to [`CHANNEL`] on PostgreSQL (it holds one connection of the pool for as long
    /// as it lives); none on SQLite.
    pub async fn listen(&self) -> Result<Option<Listener>, StoreError> {
        if !self.is_postgres() {
            return Ok(None);
        }
        let pool = self.db.get_postgres_connection_pool().clone();
        let inner = connect(&pool).await?;
        Ok(Some(Listener {
            pool,
            inner: Some(inner),
        }))
    }
}

/// A listener error, telling a closed pool (nothing to retry) from a lost connection.
fn listen_error(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::PoolClosed => StoreError::Closed,
        e => StoreError::Listen(e),
    }
}

async fn connect(pool: &PgPool) -> Result<PgListener, StoreError> {
    let mut l = PgListener::connect_with(pool).await.map_err(listen_error)?;
    l.listen(CHANNEL).await.map_err(listen_error)?;
    Ok(l)
}

/// The session and sequence number of a notification's payload.
fn parse(payload: &str) -> Option<(i64, i64)> {
    let (session, seq) = payload.split_once(':')?;
    Some((session.parse().ok()?, seq.parse().ok()?))
}

impl Listener {
    /// Waits for the next notice. After an error (returned as [`StoreError::Listen`]) the
    /// next call connects again and, once it listens, returns [`Notice::Reconnected`];
    /// [`StoreError::Closed`] once the store's pool is closed.
    pub async fn next(&mut self) -> Result<Notice, StoreError> {
        loop {
            let Some(l) = self.inner.as_mut() else {
                self.inner = Some(connect(&self.pool).await?);
                return Ok(Notice::Reconnected);
            };
            match l.try_recv().await {
                Ok(Some(n)) => match parse(n.payload()) {
                    Some((session_id, seq)) => return Ok(Notice::Appended { session_id, seq }),
                    None => {
                        // Someone else's NOTIFY on our channel; nothing of ours to wake.
                        tracing::warn!(channel = CHANNEL, "ignored a malformed notification");
                    }
                },
                // The connection dropped and sqlx listens again on a new one.
                Ok(None) => return Ok(Notice::Reconnected),
                Err(e) => {
                    self.inner = None;
                    return Err(listen_error(e));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn payloads() {
        assert_eq!(parse("12:3"), Some((12, 3)));
        assert_eq!(parse("12"), None);
        assert_eq!(parse("a:3"), None);
        assert_eq!(parse("12:"), None);
    }
}
