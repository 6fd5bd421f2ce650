//! Live coaching sessions as stored: the session row (members, last event, the caller's
//! snapshot of the state after it, a status for staff), its append-only event log, the
//! versioned text fields people write, and completions.
//!
//! The store knows nothing of the method: events, snapshots and field texts are JSON or text
//! the coaching layer wrote. What it guarantees is the concurrency: an event is appended only
//! after the event the writer saw (`expected_last_seq`, else [`StoreError::SessionMoved`]), a
//! field is saved only over the version the writer saw (else [`FieldSave::Stale`] with the
//! current text, so nothing typed is lost), and on PostgreSQL every appended event sends a
//! `NOTIFY` on [`super::notify::CHANNEL`] inside its transaction, so other instances hear of it
//! exactly when it is committed.
//!
//! Scoping: reads take the course, writes go through a [`Tx`] of the course, and a session
//! of another course is [`StoreError::NotFound`] either way.

use sea_orm::sea_query::{Expr, Func, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DerivePartialModel, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};

use super::entities::{coaching_completion, coaching_event, coaching_field, coaching_session};
use super::{CourseId, PersonId, Store, StoreError, Tx};
use crate::coaching::StatusDetail;

/// The most events one [`Store::events_since`] returns: a client further behind reads the
/// snapshot instead, or pages on.
pub const MAX_EVENTS_PAGE: u64 = 500;

/// Where a session stands, for staff pages (which never see content).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    NotStarted,
    Prepared,
    InProgress,
    Completed,
    Abandoned,
}

impl SessionStatus {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::NotStarted => "not_started",
            SessionStatus::Prepared => "prepared",
            SessionStatus::InProgress => "in_progress",
            SessionStatus::Completed => "completed",
            SessionStatus::Abandoned => "abandoned",
        }
    }

    /// The status of a stored word; none for a word this version does not know.
    pub fn parse(s: &str) -> Option<SessionStatus> {
        Some(match s {
            "not_started" => SessionStatus::NotStarted,
            "prepared" => SessionStatus::Prepared,
            "in_progress" => SessionStatus::InProgress,
            "completed" => SessionStatus::Completed,
            "abandoned" => SessionStatus::Abandoned,
            _ => return None,
        })
    }
}

/// The session to open: which group, in which activity, which of its sessions.
#[derive(Debug, Clone, Copy)]
pub struct NewSession<'a> {
    /// The resource link id of the activity.
    pub activity: &'a str,
    /// The module whose pairs the group comes from.
    pub module: &'a str,
    /// A stable key of the group's members, computed by the caller.
    pub group_key: &'a str,
    /// Person ids in seat order (index = seat). Kept as first stored when the session exists.
    pub members: &'a [PersonId],
    /// 0 for the guided session, 1.. for autonomous practice sessions.
    pub ordinal: i32,
    pub now: i64,
}

/// Database id of a coaching session. Never read from a request: a session is found from its
/// course, activity and group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionId(i64);

impl SessionId {
    pub const fn new(id: i64) -> SessionId {
        SessionId(id)
    }

    pub const fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<SessionId> for sea_orm::Value {
    fn from(id: SessionId) -> sea_orm::Value {
        id.0.into()
    }
}

/// A stored session, with its content (members only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// What staff may see of it too.
    pub summary: SessionSummary,
    pub course: CourseId,
    pub activity: String,
    /// The state after `summary.last_seq`, as the caller last wrote it (JSON).
    pub snapshot: Option<String>,
}

/// A session as staff see it: status and timing, no snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSummary {
    pub id: SessionId,
    pub module: String,
    pub group_key: String,
    /// Person ids; the index is the seat.
    pub members: Vec<PersonId>,
    pub ordinal: i32,
    /// The sequence number of the last event, 0 before the first.
    pub last_seq: i64,
    pub status: SessionStatus,
    /// Where the session stands for staff, never content.
    pub status_detail: Option<StatusDetail>,
    pub created_at: i64,
    pub updated_at: i64,
    pub completed_at: Option<i64>,
    /// When the introduction began: the first event that put the session in progress.
    pub started_at: Option<i64>,
}

/// The columns of a [`SessionSummary`] (status and timing, never content) as read, before
/// their words and JSON are checked. The struct is the column list: a query selects it with
/// `into_partial_model`.
#[derive(Debug, DerivePartialModel)]
#[sea_orm(entity = "coaching_session::Entity")]
pub(super) struct SummaryCols {
    id: i64,
    module: String,
    group_key: String,
    members: String,
    ordinal: i32,
    last_seq: i64,
    status: String,
    status_detail: Option<String>,
    created_at: i64,
    updated_at: i64,
    completed_at: Option<i64>,
    started_at: Option<i64>,
}

impl SummaryCols {
    pub(super) fn parse(self) -> Result<SessionSummary, StoreError> {
        let id = self.id;
        Ok(SessionSummary {
            members: parse_members("coaching_sessions", id, &self.members)?,
            status: parse_status(id, &self.status)?,
            status_detail: parse_detail(id, self.status_detail.as_deref())?,
            id: SessionId::new(id),
            module: self.module,
            group_key: self.group_key,
            ordinal: self.ordinal,
            last_seq: self.last_seq,
            created_at: self.created_at,
            updated_at: self.updated_at,
            completed_at: self.completed_at,
            started_at: self.started_at,
        })
    }
}

/// A whole session row as read: the summary's columns and the content's.
#[derive(Debug, DerivePartialModel)]
#[sea_orm(entity = "coaching_session::Entity")]
struct RowCols {
    #[sea_orm(nested)]
    summary: SummaryCols,
    course_id: i32,
    activity: String,
    snapshot: Option<String>,
}

/// The session rows `q` selects.
fn session_rows(
    q: sea_orm::Select<coaching_session::Entity>,
) -> sea_orm::Selector<sea_orm::SelectModel<RowCols>> {
    q.into_partial_model()
}

/// An event to append, with the session state that results from it.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    pub session_id: SessionId,
    /// The `last_seq` the writer computed the event from; the event gets the next one.
    pub expected_last_seq: i64,
    /// The person whose command caused the event.
    pub actor: &'a PersonId,
    /// The event (JSON).
    pub payload: &'a str,
    /// The state after the event (JSON); none clears the stored one rather than leaving a
    /// snapshot of an older state.
    pub snapshot: Option<&'a str>,
    pub status: SessionStatus,
    pub status_detail: Option<&'a StatusDetail>,
    pub now: i64,
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub session_id: SessionId,
    /// 1-based, per session, without gaps.
    pub seq: i64,
    pub actor: PersonId,
    /// The event (JSON), as written.
    pub payload: String,
    pub at: i64,
}

/// Whose a field is: the group's (one row for everyone: the meeting link and date) or one
/// person's (so that deleting one's notes deletes exactly what one wrote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldOwner {
    Group,
    Person(PersonId),
}

impl FieldOwner {
    /// The `owner` column: the person's id, empty for the group (an empty `sub` is no
    /// person: the launch reads it as an anonymous one).
    fn column(&self) -> &str {
        match self {
            FieldOwner::Group => "",
            FieldOwner::Person(p) => p.as_str(),
        }
    }

    fn from_column(owner: String) -> FieldOwner {
        if owner.is_empty() {
            FieldOwner::Group
        } else {
            FieldOwner::Person(PersonId::new(owner))
        }
    }
}

/// One text field in a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRow {
    pub session_id: SessionId,
    pub owner: FieldOwner,
    pub field: String,
    pub text: String,
    /// 1 after the first save, one more at each save.
    pub version: i64,
    pub updated_at: i64,
}

/// What a field save did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldSave {
    /// Saved; the field's new version.
    Saved { version: i64 },
    /// Not saved: the field is no longer at the version the writer saw. Here is what it holds
    /// now (version 0 and an empty text when it does not exist, say deleted meanwhile).
    Stale {
        current_text: String,
        current_version: i64,
    },
}

/// What one group keeps for one activity, across all its sessions (the guided one and every
/// practice one): the bounds of `realtime::live` are counted on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupUsage {
    /// Log entries, all sessions together.
    pub entries: i64,
    /// Bytes of field text, as stored (UTF-8), all sessions and owners together.
    pub text_bytes: i64,
}

/// A learner's completion of an activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionRow {
    pub activity: String,
    pub person_id: PersonId,
    pub session_id: SessionId,
    pub completed_at: i64,
}

fn parse_members(table: &'static str, id: i64, json: &str) -> Result<Vec<PersonId>, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::corrupt(table, id, e))
}

fn parse_status(id: i64, s: &str) -> Result<SessionStatus, StoreError> {
    SessionStatus::parse(s)
        .ok_or_else(|| StoreError::corrupt("coaching_sessions", id, "unknown status"))
}

/// A stored status detail, as [`StatusDetail`]'s `Display` wrote it.
pub(super) fn parse_detail(id: i64, s: Option<&str>) -> Result<Option<StatusDetail>, StoreError> {
    s.map(str::parse)
        .transpose()
        .map_err(|e| StoreError::corrupt("coaching_sessions", id, e))
}

fn to_session(r: RowCols) -> Result<SessionRow, StoreError> {
    Ok(SessionRow {
        summary: r.summary.parse()?,
        course: CourseId::new(r.course_id),
        activity: r.activity,
        snapshot: r.snapshot,
    })
}

fn to_event(r: coaching_event::Model) -> EventRow {
    EventRow {
        session_id: SessionId::new(r.session_id),
        seq: r.seq,
        actor: PersonId::new(r.actor),
        payload: r.payload,
        at: r.at,
    }
}

fn to_field(r: coaching_field::Model) -> FieldRow {
    FieldRow {
        session_id: SessionId::new(r.session_id),
        owner: FieldOwner::from_column(r.owner),
        field: r.field,
        text: r.text,
        version: r.version,
        updated_at: r.updated_at,
    }
}

/// The session `id` of `course`, or `NotFound` (also for a session of another course).
async fn find_session<C: ConnectionTrait>(
    db: &C,
    course: CourseId,
    id: SessionId,
) -> Result<SessionRow, StoreError> {
    let row = session_rows(
        coaching_session::Entity::find_by_id(id.get())
            .filter(coaching_session::Column::CourseId.eq(course.get())),
    )
    .one(db)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("coaching session {id}")))?;
    to_session(row)
}

/// Whether session `id` belongs to `course`, as `NotFound` when not.
async fn ensure_session<C: ConnectionTrait>(
    db: &C,
    course: CourseId,
    id: SessionId,
) -> Result<(), StoreError> {
    let found = coaching_session::Entity::find_by_id(id.get())
        .filter(coaching_session::Column::CourseId.eq(course.get()))
        .select_only()
        .column(coaching_session::Column::Id)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound(format!("coaching session {id}"))),
    }
}

impl Store {
    /// The session of a group in an activity, created (not started, no event) if it does not
    /// exist yet. Safe when both members open it at once, on any instance: the first insert
    /// wins and both read the same row back.
    pub async fn open_session(
        &self,
        course: CourseId,
        s: NewSession<'_>,
    ) -> Result<SessionRow, StoreError> {
        let members = serde_json::to_string(s.members)
            .map_err(|e| StoreError::corrupt("coaching_sessions", s.group_key, e))?;
        let row = coaching_session::ActiveModel {
            course_id: Set(course.get()),
            activity: Set(s.activity.to_string()),
            module: Set(s.module.to_string()),
            group_key: Set(s.group_key.to_string()),
            members: Set(members),
            ordinal: Set(s.ordinal),
            last_seq: Set(0),
            snapshot: Set(None),
            status: Set(SessionStatus::NotStarted.as_str().to_string()),
            status_detail: Set(None),
            created_at: Set(s.now),
            updated_at: Set(s.now),
            completed_at: Set(None),
            started_at: Set(None),
            ..Default::default()
        };
        coaching_session::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    coaching_session::Column::CourseId,
                    coaching_session::Column::Activity,
                    coaching_session::Column::GroupKey,
                    coaching_session::Column::Ordinal,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        let row = session_rows(
            coaching_session::Entity::find()
                .filter(coaching_session::Column::CourseId.eq(course.get()))
                .filter(coaching_session::Column::Activity.eq(s.activity))
                .filter(coaching_session::Column::GroupKey.eq(s.group_key))
                .filter(coaching_session::Column::Ordinal.eq(s.ordinal)),
        )
        .one(&self.db)
        .await?
        .ok_or_else(|| {
            StoreError::corrupt("coaching_sessions", s.group_key, "vanished after insert")
        })?;
        to_session(row)
    }

    /// A session of the course.
    pub async fn session(&self, course: CourseId, id: SessionId) -> Result<SessionRow, StoreError> {
        find_session(&self.db, course, id).await
    }

    /// Every session of an activity, for staff: status and timing only, oldest first.
    pub async fn sessions_of_activity(
        &self,
        course: CourseId,
        activity: &str,
    ) -> Result<Vec<SessionSummary>, StoreError> {
        use coaching_session::Column as C;
        let rows: Vec<SummaryCols> = coaching_session::Entity::find()
            .filter(C::CourseId.eq(course.get()))
            .filter(C::Activity.eq(activity))
            .order_by_asc(C::Id)
            .into_partial_model()
            .all(&self.db)
            .await?;
        rows.into_iter().map(SummaryCols::parse).collect()
    }

    /// The sessions of one group in an activity (the guided one, then practice), by ordinal.
    pub async fn sessions_of_group(
        &self,
        course: CourseId,
        activity: &str,
        group_key: &str,
    ) -> Result<Vec<SessionRow>, StoreError> {
        let rows = session_rows(
            coaching_session::Entity::find()
                .filter(coaching_session::Column::CourseId.eq(course.get()))
                .filter(coaching_session::Column::Activity.eq(activity))
                .filter(coaching_session::Column::GroupKey.eq(group_key))
                .order_by_asc(coaching_session::Column::Ordinal),
        )
        .all(&self.db)
        .await?;
        rows.into_iter().map(to_session).collect()
    }

    /// The group's last completed guided session in another activity of the course: the one
    /// whose commitments the next module's session opens with.
    pub async fn previous_session_of_group(
        &self,
        course: CourseId,
        group_key: &str,
        not_activity: &str,
    ) -> Result<Option<SessionRow>, StoreError> {
        let row = session_rows(
            coaching_session::Entity::find()
                .filter(coaching_session::Column::CourseId.eq(course.get()))
                .filter(coaching_session::Column::GroupKey.eq(group_key))
                .filter(coaching_session::Column::Activity.ne(not_activity))
                .filter(coaching_session::Column::Ordinal.eq(0))
                .filter(coaching_session::Column::Status.eq(SessionStatus::Completed.as_str()))
                .order_by_desc(coaching_session::Column::CompletedAt),
        )
        .one(&self.db)
        .await?;
        row.map(to_session).transpose()
    }

    /// The events of a session after `after_seq`, in order, at most `limit` (and at most
    /// [`MAX_EVENTS_PAGE`]). `NotFound` when the session is not one of the course.
    pub async fn events_since(
        &self,
        course: CourseId,
        session_id: SessionId,
        after_seq: i64,
        limit: u64,
    ) -> Result<Vec<EventRow>, StoreError> {
        let rows = coaching_event::Entity::find()
            .filter(coaching_event::Column::CourseId.eq(course.get()))
            .filter(coaching_event::Column::SessionId.eq(session_id))
            .filter(coaching_event::Column::Seq.gt(after_seq))
            .order_by_asc(coaching_event::Column::Seq)
            .limit(limit.min(MAX_EVENTS_PAGE))
            .all(&self.db)
            .await?;
        if rows.is_empty() {
            // Nothing new, or no such session here: only the second is an error.
            ensure_session(&self.db, course, session_id).await?;
        }
        Ok(rows.into_iter().map(to_event).collect())
    }

    /// Every field of a session, of every owner: the caller shows each person only what they
    /// may read (a coach's scratchpad to its author only).
    pub async fn fields(
        &self,
        course: CourseId,
        session_id: SessionId,
    ) -> Result<Vec<FieldRow>, StoreError> {
        let rows = coaching_field::Entity::find()
            .filter(coaching_field::Column::CourseId.eq(course.get()))
            .filter(coaching_field::Column::SessionId.eq(session_id))
            .order_by_asc(coaching_field::Column::Owner)
            .order_by_asc(coaching_field::Column::Field)
            .all(&self.db)
            .await?;
        if rows.is_empty() {
            ensure_session(&self.db, course, session_id).await?;
        }
        Ok(rows.into_iter().map(to_field).collect())
    }

    /// What a group keeps for an activity, all its sessions together: one statement, read
    /// when the group opens a new session (never on the hot path of a save).
    pub async fn group_usage(
        &self,
        course: CourseId,
        activity: &str,
        group_key: &str,
    ) -> Result<GroupUsage, StoreError> {
        let backend = self.db.get_database_backend();
        let (p, bytes) = match backend {
            DbBackend::Postgres => (["$1", "$2", "$3"], "octet_length(f.text)"),
            _ => (["?1", "?2", "?3"], "length(CAST(f.text AS BLOB))"),
        };
        let sql = format!(
            "SELECT \
               CAST((SELECT COALESCE(SUM(s.last_seq), 0) FROM coaching_sessions s \
                 WHERE s.course_id = {c} AND s.activity = {a} AND s.group_key = {g}) AS BIGINT), \
               CAST((SELECT COALESCE(SUM({bytes}), 0) FROM coaching_fields f \
                 JOIN coaching_sessions s ON s.id = f.session_id \
                 WHERE s.course_id = {c} AND s.activity = {a} AND s.group_key = {g}) AS BIGINT)",
            c = p[0],
            a = p[1],
            g = p[2],
        );
        let values: Vec<sea_orm::Value> =
            vec![course.get().into(), activity.into(), group_key.into()];
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?
            .ok_or_else(|| StoreError::corrupt("coaching_sessions", group_key, "no usage row"))?;
        Ok(GroupUsage {
            entries: row.try_get_by_index::<i64>(0)?,
            text_bytes: row.try_get_by_index::<i64>(1)?,
        })
    }

    /// Makes deleted texts unreadable from the database's files, after the transaction that
    /// deleted them has committed. On SQLite, `secure_delete` (set on every connection) has
    /// already overwritten the deleted rows with zeros in the pages; this checkpoint copies
    /// those pages into the database file and truncates the write-ahead log, whose older
    /// frames still held the text. Returns whether the log could be emptied (not when a
    /// reader holds an old snapshot past the busy timeout; the next deletion tries again).
    /// PostgreSQL keeps a deleted row until VACUUM reclaims it: nothing to do here (see
    /// the README's "What deletion guarantees").
    pub async fn reclaim_deleted(&self) -> Result<bool, StoreError> {
        if self.db.get_database_backend() != DbBackend::Sqlite {
            return Ok(true);
        }
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA wal_checkpoint(TRUNCATE)",
            ))
            .await?;
        // (busy, frames in the log, frames checkpointed); busy = 1 when it could not finish.
        Ok(row.is_none_or(|r| r.try_get_by_index::<i32>(0).unwrap_or(1) == 0))
    }

    /// Who completed an activity, and when.
    pub async fn completions(
        &self,
        course: CourseId,
        activity: &str,
    ) -> Result<Vec<CompletionRow>, StoreError> {
        let rows = coaching_completion::Entity::find()
            .filter(coaching_completion::Column::CourseId.eq(course.get()))
            .filter(coaching_completion::Column::Activity.eq(activity))
            .order_by_asc(coaching_completion::Column::PersonId)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| CompletionRow {
                activity: r.activity,
                person_id: PersonId::new(r.person_id),
                session_id: SessionId::new(r.session_id),
                completed_at: r.completed_at,
            })
            .collect())
    }
}

impl Tx<'_> {
    /// A session of this transaction's course, as this transaction sees it.
    pub async fn session(&self, id: SessionId) -> Result<SessionRow, StoreError> {
        find_session(&self.txn, self.course, id).await
    }

    /// Appends an event after `expected_last_seq` and records the state it leads to; returns
    /// its sequence number. [`StoreError::SessionMoved`] when another event came first (the
    /// caller re-reads the session and retries), `NotFound` for a session of another course.
    ///
    /// On PostgreSQL this also notifies [`CHANNEL`] with `"<session_id>:<seq>"`, in this
    /// transaction: other instances hear of the event when, and only if, it commits.
    pub async fn append_event(&self, e: NewEvent<'_>) -> Result<i64, StoreError> {
        use coaching_session::Column as C;
        let seq = e.expected_last_seq + 1;
        let mut update = coaching_session::Entity::update_many()
            .col_expr(C::LastSeq, Expr::value(seq))
            .col_expr(C::Snapshot, Expr::value(e.snapshot.map(str::to_string)))
            .col_expr(C::Status, Expr::value(e.status.as_str()))
            .col_expr(
                C::StatusDetail,
                Expr::value(e.status_detail.map(StatusDetail::to_string)),
            )
            .col_expr(C::UpdatedAt, Expr::value(e.now));
        if matches!(
            e.status,
            SessionStatus::InProgress | SessionStatus::Completed
        ) {
            // The introduction is the first event that puts the session in progress; the
            // time staff see as spent runs from there.
            update = update.col_expr(
                C::StartedAt,
                Func::coalesce([Expr::col(C::StartedAt), Expr::value(e.now)]).into(),
            );
        }
        if e.status == SessionStatus::Completed {
            // The first completion is the one that counts.
            update = update.col_expr(
                C::CompletedAt,
                Func::coalesce([Expr::col(C::CompletedAt), Expr::value(e.now)]).into(),
            );
        }
        let res = update
            .filter(C::Id.eq(e.session_id))
            .filter(C::CourseId.eq(self.course.get()))
            .filter(C::LastSeq.eq(e.expected_last_seq))
            .exec(&self.txn)
            .await?;
        if res.rows_affected != 1 {
            let current = self.session(e.session_id).await?;
            return Err(StoreError::SessionMoved {
                session: e.session_id,
                last_seq: current.summary.last_seq,
            });
        }
        let row = coaching_event::ActiveModel {
            course_id: Set(self.course.get()),
            session_id: Set(e.session_id.get()),
            seq: Set(seq),
            actor: Set(e.actor.as_str().to_string()),
            payload: Set(e.payload.to_string()),
            at: Set(e.now),
        };
        coaching_event::Entity::insert(row)
            .exec_without_returning(&self.txn)
            .await?;
        self.appended
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // No NOTIFY here: a transaction that notifies holds a database-wide lock while it
        // commits, which made every append commit one at a time. The writer announces its
        // committed appends afterwards, grouped (`Store::notify_appended`).
        Ok(seq)
    }

    /// Saves one person's field over `expected_version` (0: the field does not exist yet).
    /// A save over any other version is refused with the field's current text and version,
    /// so the page can show both and nothing typed disappears.
    pub async fn save_field(
        &self,
        session_id: SessionId,
        owner: &FieldOwner,
        field: &str,
        text: &str,
        expected_version: i64,
        now: i64,
    ) -> Result<FieldSave, StoreError> {
        use coaching_field::Column as C;
        if expected_version == 0 {
            ensure_session(&self.txn, self.course, session_id).await?;
            let row = coaching_field::ActiveModel {
                course_id: Set(self.course.get()),
                session_id: Set(session_id.get()),
                owner: Set(owner.column().to_string()),
                field: Set(field.to_string()),
                text: Set(text.to_string()),
                version: Set(1),
                updated_at: Set(now),
            };
            let n = coaching_field::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([C::SessionId, C::Owner, C::Field])
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&self.txn)
                .await?;
            if n == 1 {
                return Ok(FieldSave::Saved { version: 1 });
            }
        } else {
            let res = coaching_field::Entity::update_many()
                .col_expr(C::Text, Expr::value(text))
                .col_expr(C::Version, Expr::value(expected_version + 1))
                .col_expr(C::UpdatedAt, Expr::value(now))
                .filter(C::CourseId.eq(self.course.get()))
                .filter(C::SessionId.eq(session_id))
                .filter(C::Owner.eq(owner.column()))
                .filter(C::Field.eq(field))
                .filter(C::Version.eq(expected_version))
                .exec(&self.txn)
                .await?;
            if res.rows_affected == 1 {
                return Ok(FieldSave::Saved {
                    version: expected_version + 1,
                });
            }
        }
        let current = coaching_field::Entity::find()
            .filter(C::CourseId.eq(self.course.get()))
            .filter(C::SessionId.eq(session_id))
            .filter(C::Owner.eq(owner.column()))
            .filter(C::Field.eq(field))
            .one(&self.txn)
            .await?;
        match current {
            Some(f) => Ok(FieldSave::Stale {
                current_text: f.text,
                current_version: f.version,
            }),
            None => {
                ensure_session(&self.txn, self.course, session_id).await?;
                Ok(FieldSave::Stale {
                    current_text: String::new(),
                    current_version: 0,
                })
            }
        }
    }

    /// Deletes every field `person` wrote in a session (a person deleting their own notes):
    /// the rows go, not only their display. Returns how many went.
    pub async fn delete_fields(
        &self,
        session_id: SessionId,
        person: &PersonId,
    ) -> Result<u64, StoreError> {
        ensure_session(&self.txn, self.course, session_id).await?;
        let res = coaching_field::Entity::delete_many()
            .filter(coaching_field::Column::CourseId.eq(self.course.get()))
            .filter(coaching_field::Column::SessionId.eq(session_id))
            .filter(coaching_field::Column::Owner.eq(person.as_str()))
            .exec(&self.txn)
            .await?;
        Ok(res.rows_affected)
    }

    /// Records that `person_id` completed the activity of session `session_id` (meant for the
    /// transaction that appends the completing event). The first completion of an activity
    /// stays; returns whether this one was recorded.
    pub async fn record_completion(
        &self,
        session_id: SessionId,
        person_id: &PersonId,
        now: i64,
    ) -> Result<bool, StoreError> {
        let session = self.session(session_id).await?;
        let row = coaching_completion::ActiveModel {
            course_id: Set(self.course.get()),
            activity: Set(session.activity),
            person_id: Set(person_id.as_str().to_string()),
            session_id: Set(session_id.get()),
            completed_at: Set(now),
        };
        let n = coaching_completion::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    coaching_completion::Column::CourseId,
                    coaching_completion::Column::Activity,
                    coaching_completion::Column::PersonId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&self.txn)
            .await?;
        Ok(n == 1)
    }
}
