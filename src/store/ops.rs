//! What an operator's tools read: the connection pool's state and the grade outbox's depth
//! (for the metrics), and what removing a platform would take with it (for `binome platform
//! remove`'s confirmation).

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, Statement,
};

use super::entities::course;
use super::{Store, StoreError};
use crate::lti::RegistrationId;

/// The database pool of this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open, in use or idle.
    pub size: u32,
    /// Connections open and idle.
    pub idle: u32,
    /// The largest size the pool may grow to.
    pub max: u32,
}

/// Scores of the grade outbox not delivered yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxDepth {
    /// Waiting for their (next) attempt, or being delivered.
    pub pending: u64,
    /// Parked after their last attempt.
    pub failed: u64,
}

impl Store {
    /// The pool's connections (sqlx tells how many are open and idle; not how many requests
    /// wait for one).
    pub fn pool_stats(&self) -> PoolStats {
        let (size, idle, max) = match self.db.get_database_backend() {
            DbBackend::Postgres => {
                let p = self.db.get_postgres_connection_pool();
                (p.size(), p.num_idle(), p.options().get_max_connections())
            }
            DbBackend::Sqlite => {
                let p = self.db.get_sqlite_connection_pool();
                (p.size(), p.num_idle(), p.options().get_max_connections())
            }
            _ => (0, 0, 0),
        };
        PoolStats {
            size,
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
            max,
        }
    }

    /// The scores not delivered yet, by state: one grouped count over the `(status,
    /// next_attempt_at)` index, cheap enough for a refresh every few seconds.
    pub async fn outbox_depth(&self) -> Result<OutboxDepth, StoreError> {
        let backend = self.db.get_database_backend();
        let rows = self
            .db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT status, COUNT(*) AS n FROM grade_outbox \
                 WHERE status IN ('pending', 'failed') GROUP BY status",
            ))
            .await?;
        let mut depth = OutboxDepth::default();
        for row in rows {
            let status: String = row.try_get_by_index(0)?;
            let n: i64 = row.try_get_by_index(1)?;
            let n = u64::try_from(n).unwrap_or(0);
            match status.as_str() {
                "pending" => depth.pending = n,
                "failed" => depth.failed = n,
                _ => {}
            }
        }
        Ok(depth)
    }

    /// How many courses a registration holds (each with its roster, pairs, sessions and
    /// grades), which removing it deletes.
    pub async fn courses_of_platform(&self, id: RegistrationId) -> Result<u64, StoreError> {
        Ok(course::Entity::find()
            .filter(course::Column::PlatformId.eq(id.get()))
            .count(&self.db)
            .await?)
    }
}
