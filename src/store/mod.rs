//! The only code that talks to the database: connection, migrations, and the queries the
//! application needs, on SQLite and PostgreSQL alike.
//!
//! Every query on course data is scoped by platform registration, deployment and course.

mod activities;
mod batch;
mod coaching;
mod courses;
mod dashboard;
pub mod entities;
mod gradebook;
mod grades;
mod handoffs;
mod invites;
mod keys;
mod links;
mod logins;
mod notify;
mod ops;
mod pairs;
mod platforms;
mod roster;
mod settings;
mod standing;
mod tx;

use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};

/// A person as their platform names them: the LTI `sub` of their launches, the NRPS
/// `user_id` of the roster; parsed once, at the launch and the roster sync.
pub use crate::lti::Subject as PersonId;
pub use activities::{
    ActivityConfig, DraftSaved, MAX_DRAFTS_PER_COURSE, MAX_INSTRUCTIONS, MAX_MODULE_NAME,
    MAX_TITLE, MODULE_NUMBERS,
};
pub use coaching::{
    CompletionRow, EventRow, FieldOwner, FieldRow, FieldSave, GroupUsage, MAX_EVENTS_PAGE,
    NewEvent, NewSession, SessionId, SessionRow, SessionStatus, SessionSummary,
};
pub use courses::{CourseId, LaunchRecord};
pub use dashboard::{CourseSession, MAX_MODULES, ModuleRow, ScoreState};
pub use gradebook::{ActivityAgs, LineItemClaim, LineItemUpdate, LmsResult, LmsResults};
pub use grades::{AgsRecord, GradeStatus, MAX_ERROR, NewScore, OutboxRow, ScoreContent};
pub use invites::Invitation;
pub use keys::StoredKey;
pub use links::{DECLARATION_CAP, DeclarationKind, DeclareOutcome, LinkKind, LinkRow, LinkSource};
pub use logins::{Login, LoginRecord};
pub use notify::{CHANNEL, Listener, Notice};
pub use ops::{OutboxDepth, PoolStats};
pub use pairs::{PairEvent, PairSet, PairSetStatus};
pub use platforms::{DeploymentStatus, NewPlatform, StoredDeployment};
pub use roster::{
    CourseInfo, LearnerName, LearnerPage, MAX_PAGE, MemberStatus, Pairable, RosterEntry,
    RosterPage, RosterPageEntry, display_name,
};
pub use settings::{CourseSettingsRow, parse_policy, policy_key};
pub use standing::{Contact, Standing};
pub use tx::{Tx, TxFuture};

/// A database problem.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed a query.
    #[error("database error")]
    Db(#[from] DbErr),
    /// The data folder for the default SQLite database could not be created.
    #[error("cannot create data folder {path}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The thing asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The thing to create exists already.
    #[error("already exists: {0}")]
    Conflict(String),
    /// A stored value does not parse: the table, the row (its key, never its content) and
    /// what was wrong. Never replaced by a default, which would silently change behaviour
    /// (a learner whose roles were unreadable would drop out of pairing).
    #[error("corrupt data in {table}, row {row}: {detail}")]
    Corrupt {
        table: &'static str,
        row: String,
        detail: String,
    },
    /// A grouped write failed; every request of the group gets the same cause.
    #[error("grouped write failed")]
    Batch(#[source] Arc<StoreError>),
    /// The task that runs grouped writes is gone (the process is shutting down).
    #[error("the grouped writer stopped")]
    WriterStopped,
    /// A coaching event was appended after the one the writer saw: re-read the session (now
    /// at `last_seq`) and retry the command.
    #[error("coaching session {session} moved on to event {last_seq}")]
    SessionMoved { session: SessionId, last_seq: i64 },
    /// The PostgreSQL notification connection failed; the listener connects again.
    #[error("notification listener failed")]
    Listen(#[source] sqlx::Error),
    /// The store's connection pool was closed (the process is shutting down).
    #[error("the store is closed")]
    Closed,
    /// A read shared by concurrent callers (a cache's one read per miss) failed; every
    /// caller gets the same cause.
    #[error(transparent)]
    Shared(Arc<StoreError>),
}

impl StoreError {
    /// The error of a read shared by concurrent callers: the error itself when no other
    /// caller holds it any more, else the shared one.
    pub fn shared(e: Arc<StoreError>) -> StoreError {
        Arc::try_unwrap(e).unwrap_or_else(StoreError::Shared)
    }

    /// A corrupt stored value, logged where it is found (the error may be mapped to a page
    /// far from here, and the table and row are what an operator needs to repair it).
    pub fn corrupt(table: &'static str, row: impl ToString, detail: impl ToString) -> StoreError {
        let (row, detail) = (row.to_string(), detail.to_string());
        tracing::error!(table, row = %row, detail = %detail, "corrupt stored data");
        StoreError::Corrupt { table, row, detail }
    }
}

/// Handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    logins: std::sync::Arc<logins::LoginWriters>,
    members: std::sync::Arc<courses::MemberWriter>,
    handoffs: std::sync::Arc<handoffs::HandoffWriters>,
    /// People's names and contacts by (course, person), read on every panel and learner page
    /// (see [`Store::contacts`]).
    contacts: standing::ContactCache,
    /// How many statements have run (see [`Store::statements`]).
    statements: std::sync::Arc<std::sync::atomic::AtomicU64>,
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
            std::fs::create_dir_all(parent).map_err(|source| StoreError::DataDir {
                path: parent.display().to_string(),
                source,
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
            // process crashes, which is what a login state or roster needs. `secure_delete`
            // overwrites deleted content with zeros, so a learner's deleted notes do not stay
            // readable in the file's free space (see `Store::reclaim_deleted` for the log).
            opts.map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    .create_if_missing(true)
                    .pragma("secure_delete", "ON")
            });
        }
        let mut db = Database::connect(opts).await?;
        Migrator::up(&db, None).await?;
        // Every statement of this store, transactions' and the writers' included (set before
        // the connection is shared with them).
        let statements = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counted = statements.clone();
        db.set_metric_callback(move |_| {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
        let logins = std::sync::Arc::new(logins::LoginWriters::spawn(db.clone()));
        let members = std::sync::Arc::new(courses::spawn_member_writer(db.clone()));
        let handoffs = std::sync::Arc::new(handoffs::HandoffWriters::spawn(db.clone()));
        Ok(Store {
            db,
            logins,
            members,
            handoffs,
            contacts: standing::contact_cache(),
            statements,
        })
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> bool {
        self.db.execute_unprepared("SELECT 1").await.is_ok()
    }

    /// How many statements this store has run since it connected, migrations excepted: what
    /// a request costs the database, counted by the tests of the hot paths.
    pub fn statements(&self) -> u64 {
        self.statements.load(std::sync::atomic::Ordering::Relaxed)
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
