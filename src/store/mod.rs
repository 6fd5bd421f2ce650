//! The only code that talks to the database: connection, migrations, and the queries the
//! application needs, on SQLite and PostgreSQL alike.
//!
//! Every query on course data is scoped by platform registration, deployment and course.

mod batch;
mod courses;
mod handoffs;
pub mod entities;
mod keys;
mod logins;
mod pairs;
mod platforms;
mod roster;
mod standing;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};

pub use courses::{CourseId, LaunchRecord};
pub use keys::StoredKey;
pub use logins::{LoginRecord, NewLogin};
pub use pairs::{PairEvent, PairSet, PairSetStatus};
pub use platforms::{DeploymentStatus, NewPlatform, StoredDeployment};
pub use standing::{Contact, Standing};
pub use roster::{CourseInfo, CourseSettingsRow, LinkRow, MemberStatus, RosterEntry, display_name};

/// A database problem.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed a query.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// The data folder for the default SQLite database could not be created.
    #[error("cannot create data folder {path}: {message}")]
    DataDir { path: String, message: String },
    /// The thing asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The thing to create exists already.
    #[error("already exists: {0}")]
    Conflict(String),
    /// Stored data could not be read back.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// A grouped write failed (every request of the group gets this).
    #[error("grouped write failed: {0}")]
    Batch(String),
}

/// Handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    logins: std::sync::Arc<logins::LoginWriters>,
    members: std::sync::Arc<courses::MemberWriter>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Connects (creating the SQLite file and its folder if needed) and applies migrations.
    pub async fn connect(database_url: &str, max_connections: u32) -> Result<Store, StoreError> {
        let path = sqlite_path(database_url).map(std::path::PathBuf::from);
        if let Some(parent) = path
            .as_deref()
            .and_then(|p| p.parent())
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::DataDir {
                path: parent.display().to_string(),
                message: e.to_string(),
            })?;
        }
        let mut opts = ConnectOptions::new(database_url.to_string());
        opts.max_connections(max_connections)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        if database_url.starts_with("sqlite:") {
            // WAL lets readers run beside the single writer; NORMAL sync is durable across
            // process crashes, which is what a login state or roster needs.
            opts.map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    .create_if_missing(true)
            });
        }
        let db = Database::connect(opts).await?;
        Migrator::up(&db, None).await?;
        let logins = std::sync::Arc::new(logins::LoginWriters::spawn(db.clone()));
        let members = std::sync::Arc::new(courses::spawn_member_writer(db.clone()));
        Ok(Store {
            db,
            logins,
            members,
        })
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> bool {
        self.db.execute_unprepared("SELECT 1").await.is_ok()
    }

    /// The underlying connection, for the test suite's own set-up only.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}

/// The file path of a `sqlite:` URL, when it names a file.
fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(path.to_string())
    }
}
