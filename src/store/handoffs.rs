//! Page hand-offs: a redirect after a launch or a form carries a random single-use code, never
//! the session token; the page it opens trades the code for the token once. A code that leaks
//! into a proxy log or the browser history is worthless after that first use.
//!
//! Every launch and every move between pages writes one and takes one. On PostgreSQL (several
//! instances: the page may open on another one than the launch) they are rows, written and
//! taken through group-commit queues (`batch.rs`), as logins are: under load, one statement
//! serves many. On SQLite there is one instance by design, so they are kept in its memory:
//! no statement at all, and the session token they carry never reaches the disk. A restart
//! between a launch and its page loses that one hand-off; the learner launches again.

use std::time::Duration;

use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::batch::Batcher;
use super::entities::page_handoff;
use super::{Store, StoreError};

/// A hand-off to store.
pub(super) struct NewHandoff {
    code: String,
    token: String,
    expires_at: i64,
}

/// A hand-off to take.
pub(super) struct Take {
    code: String,
    now: i64,
}

/// Most hand-offs one SQLite instance keeps (a code and a token, about 1.5 KiB): only a
/// launch or a signed-in page makes one, and each is taken within seconds.
const MEMORY_MAX: u64 = 50_000;
/// Longer than any hand-off lives (each also carries its own expiry).
const MEMORY_TTL: Duration = Duration::from_secs(600);

/// Where hand-offs are kept.
pub(super) enum HandoffWriters {
    /// One instance (SQLite): code → (token, expiry).
    Memory(moka::future::Cache<String, (String, i64)>),
    /// Several instances (PostgreSQL): the two group-commit queues.
    Database {
        put: Batcher<NewHandoff, ()>,
        take: Batcher<Take, Option<String>>,
    },
}

impl HandoffWriters {
    pub(super) fn spawn(db: DatabaseConnection) -> HandoffWriters {
        if db.get_database_backend() != sea_orm::DbBackend::Postgres {
            return HandoffWriters::Memory(
                moka::future::Cache::builder()
                    .max_capacity(MEMORY_MAX)
                    .time_to_live(MEMORY_TTL)
                    .build(),
            );
        }
        let db2 = db.clone();
        let put = Batcher::spawn(move |items: Vec<NewHandoff>| {
            let db = db.clone();
            async move {
                let n = items.len();
                let rows = items.into_iter().map(|h| page_handoff::ActiveModel {
                    code: Set(h.code),
                    token: Set(h.token),
                    expires_at: Set(h.expires_at),
                });
                page_handoff::Entity::insert_many(rows)
                    .exec_without_returning(&db)
                    .await?;
                Ok(vec![(); n])
            }
        });
        let take = Batcher::spawn(move |items: Vec<Take>| {
            let db = db2.clone();
            async move { take_many(&db, items).await }
        });
        HandoffWriters::Database { put, take }
    }
}

/// Takes every hand-off of the batch in one `DELETE … RETURNING`. A code asked twice in one
/// batch is given to the first request only, so single use holds within a batch too.
async fn take_many(
    db: &DatabaseConnection,
    items: Vec<Take>,
) -> Result<Vec<Option<String>>, StoreError> {
    // The oldest `now` of the batch: a code valid for its earliest request is taken.
    let now = items.iter().map(|t| t.now).min().unwrap_or(0);
    let rows = page_handoff::Entity::delete_many()
        .filter(page_handoff::Column::Code.is_in(items.iter().map(|t| t.code.clone())))
        .filter(page_handoff::Column::ExpiresAt.gte(now))
        .exec_with_returning(db)
        .await?;
    let mut rows: Vec<Option<page_handoff::Model>> = rows.into_iter().map(Some).collect();
    Ok(items
        .iter()
        .map(|t| {
            let slot = rows
                .iter_mut()
                .find(|r| r.as_ref().is_some_and(|r| r.code == t.code))?;
            slot.take().map(|r| r.token)
        })
        .collect())
}

impl Store {
    /// Stores a hand-off of `token` under `code`, valid until `expires_at`.
    pub async fn put_handoff(
        &self,
        code: &str,
        token: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        match self.handoffs.as_ref() {
            HandoffWriters::Memory(m) => {
                m.insert(code.to_string(), (token.to_string(), expires_at))
                    .await;
                Ok(())
            }
            HandoffWriters::Database { put, .. } => {
                put.submit(NewHandoff {
                    code: code.to_string(),
                    token: token.to_string(),
                    expires_at,
                })
                .await
            }
        }
    }

    /// Takes the token of a hand-off: at most once, and only before it expires. One
    /// removal (one statement, or one map operation), so that two requests racing with the
    /// same code cannot both win.
    pub async fn take_handoff(&self, code: &str, now: i64) -> Result<Option<String>, StoreError> {
        match self.handoffs.as_ref() {
            HandoffWriters::Memory(m) => Ok(m
                .remove(code)
                .await
                .filter(|(_, expires_at)| *expires_at >= now)
                .map(|(token, _)| token)),
            HandoffWriters::Database { take, .. } => {
                take.submit(Take {
                    code: code.to_string(),
                    now,
                })
                .await
            }
        }
    }

    /// Forgets the hand-offs that expired before `before`. Returns how many rows went (the
    /// memory of a SQLite instance forgets its own on time).
    pub async fn purge_handoffs(&self, before: i64) -> Result<u64, StoreError> {
        let res = page_handoff::Entity::delete_many()
            .filter(page_handoff::Column::ExpiresAt.lt(before))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected)
    }
}
