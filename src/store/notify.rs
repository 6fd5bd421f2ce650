//! Cross-instance wake-ups on PostgreSQL: after its commit, every appended coaching event is
//! announced with `NOTIFY binome_coaching, '<session_id>:<seq>:<echo>'`
//! ([`Store::notify_appended`], which sends a batch of them in one statement: a notifying
//! transaction holds a database-wide lock while it commits, so appends must not notify
//! themselves), and one [`Listener`] per instance hears them, on a connection of the store's
//! own pool. A notification lost between a commit and its announcement (the process died) costs a
//! delay, never an event: each instance also compares, every few seconds, the sessions it
//! follows with the table ([`Store::last_seqs`]).
//!
//! The echo is one letter: what the entry tells a screen, so that the other instances'
//! streams tell it without reading the table. An instance of an earlier version sends
//! `'<session_id>:<seq>'`, which is heard without an echo (its streams then read); an
//! earlier version does not read the new payload at all, so while both run side by side
//! (a rolling upgrade) its streams hear of the new instances' entries through the catch-up,
//! within seconds.
//!
//! A notification is a hint, never the data: the event table is the truth, and a listener
//! that lost its connection cannot know what it missed. So a lost connection comes out as
//! [`Notice::Reconnected`] once the listener listens again, and whoever fans the notices out
//! tells every reader to re-read the table. On SQLite (one instance) there is nothing to
//! listen to: [`Store::listen`] returns none and the writer's own process is the only one to
//! wake.

use sea_orm::DbBackend;
use sqlx::postgres::{PgListener, PgPool};

use super::{SessionId, Store, StoreError};
use crate::coaching::log::Echo;

/// The PostgreSQL channel of appended coaching events.
pub const CHANNEL: &str = "binome_coaching";

/// What the listener heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// An event was committed: session `session_id` is now at least at `seq`, whose entry
    /// tells `echo` when the announcement said.
    Appended {
        session_id: SessionId,
        seq: i64,
        echo: Option<Echo>,
    },
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

/// The session, sequence number and echo (when it says) of a notification's payload.
fn parse(payload: &str) -> Option<(SessionId, i64, Option<Echo>)> {
    let (session, rest) = payload.split_once(':')?;
    let (seq, echo) = match rest.split_once(':') {
        // A letter this version does not know (a later one's): a wake-up without an echo.
        Some((seq, code)) => (seq, Echo::from_code(code)),
        None => (rest, None),
    };
    Some((
        SessionId::new(session.parse().ok()?),
        seq.parse().ok()?,
        echo,
    ))
}

/// Most changed sessions one catch-up reads; beyond, it compares every session it follows.
pub const CHANGED_MAX: u64 = 20_000;

impl Store {
    /// Announces committed appends (session, sequence number, echo) to every instance's
    /// listener, all in one statement; nothing on SQLite.
    pub async fn notify_appended(
        &self,
        appended: &[(SessionId, i64, Echo)],
    ) -> Result<(), StoreError> {
        if !self.is_postgres() || appended.is_empty() {
            return Ok(());
        }
        // Integers and a fixed letter only go into the text, so it cannot carry anything else.
        let calls: Vec<String> = appended
            .iter()
            .map(|(s, q, e)| format!("pg_notify('{CHANNEL}', '{s}:{q}:{}')", e.code()))
            .collect();
        use sea_orm::ConnectionTrait;
        self.db
            .execute_unprepared(&format!("SELECT {}", calls.join(", ")))
            .await?;
        Ok(())
    }

    /// The sessions (any course) whose last change was at or after `since` (Unix seconds),
    /// with their last sequence number: what a listener's catch-up compares, in the number of
    /// changes. None when more than [`CHANGED_MAX`] changed (then compare them all).
    pub async fn sessions_changed_since(
        &self,
        since: i64,
    ) -> Result<Option<Vec<(SessionId, i64)>>, StoreError> {
        use super::entities::coaching_session;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
        let rows: Vec<(i64, i64)> = coaching_session::Entity::find()
            .select_only()
            .column(coaching_session::Column::Id)
            .column(coaching_session::Column::LastSeq)
            .filter(coaching_session::Column::UpdatedAt.gte(since))
            .limit(CHANGED_MAX + 1)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok((rows.len() as u64 <= CHANGED_MAX).then(|| sessions(rows).collect()))
    }

    /// The last sequence number of each of these sessions (any course: only ids and
    /// numbers, for a listener's catch-up).
    pub async fn last_seqs(&self, ids: &[SessionId]) -> Result<Vec<(SessionId, i64)>, StoreError> {
        use super::entities::coaching_session;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(1000) {
            let rows: Vec<(i64, i64)> = coaching_session::Entity::find()
                .select_only()
                .column(coaching_session::Column::Id)
                .column(coaching_session::Column::LastSeq)
                .filter(coaching_session::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&self.db)
                .await?;
            out.extend(sessions(rows));
        }
        Ok(out)
    }
}

/// Read (id, last sequence number) pairs, typed.
fn sessions(rows: Vec<(i64, i64)>) -> impl Iterator<Item = (SessionId, i64)> {
    rows.into_iter().map(|(id, seq)| (SessionId::new(id), seq))
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
                    Some((session_id, seq, echo)) => {
                        return Ok(Notice::Appended {
                            session_id,
                            seq,
                            echo,
                        });
                    }
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
    use super::{Echo, parse};

    #[test]
    fn payloads() {
        let id = crate::store::SessionId::new(12);
        assert_eq!(parse("12:3"), Some((id, 3, None)));
        assert_eq!(parse("12:3:f"), Some((id, 3, Some(Echo::Field))));
        assert_eq!(parse("12:3:z"), Some((id, 3, None)));
        assert_eq!(parse("12"), None);
        assert_eq!(parse("a:3"), None);
        assert_eq!(parse("12:"), None);
    }
}
