//! The grade outbox: scores waiting to be posted to the LMS (AGS), written in the
//! transaction of the event that causes them, and claimed by the delivery worker under a
//! lease so that several instances never post one row twice.
//!
//! A learner's scores in an activity have strictly increasing timestamps, at least one second
//! apart (Moodle keeps seconds and answers 409 to a second score in the same second). A learner
//! has at most one pending row per activity that no worker holds: a newer score replaces it in
//! place. When the learner's pending row is held by a worker (claimed, its post perhaps in
//! flight), the newer score gets a row of its own, with a later timestamp, claimed only once
//! the held one is settled (a row is claimed only when no older pending row of the same
//! learner and activity exists).
//!
//! A row a newer score of the same learner and activity made stale before it was delivered
//! becomes `superseded`: kept for the record, never sent again. That happens when the newer
//! score is enqueued (to parked rows), when the stale row's attempt ends without delivery,
//! and, for a row whose claim ran out (its instance was killed) or one left behind by a race
//! between instances, at the next claim. So a parked (failed) row is always its learner's
//! latest score, and "send the refused grades again" never re-sends a stale one.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};

use super::entities::{activity, course, grade_outbox};
use super::{CourseId, PersonId, Store, StoreError, Tx};
use crate::lti::RegistrationId;
use crate::lti::ags::{ActivityProgress, GradingProgress};

/// Longest error kept (a status with a reason of at most 200 characters and the tool's own
/// words, or a structured failure naming a host of up to 253).
pub const MAX_ERROR: usize = 400;

/// Where a score stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GradeStatus {
    /// Waiting for its (next) delivery attempt.
    Pending,
    /// The platform accepted it.
    Delivered,
    /// Parked after the last attempt, with the platform's message.
    Failed,
    /// A newer score of the same learner and activity took its place before it was
    /// delivered: kept for the record, never sent again.
    Superseded,
}

impl GradeStatus {
    fn key(self) -> &'static str {
        match self {
            GradeStatus::Pending => "pending",
            GradeStatus::Delivered => "delivered",
            GradeStatus::Failed => "failed",
            GradeStatus::Superseded => "superseded",
        }
    }

    pub(super) fn parse(s: &str) -> Result<GradeStatus, String> {
        match s {
            "pending" => Ok(GradeStatus::Pending),
            "delivered" => Ok(GradeStatus::Delivered),
            "failed" => Ok(GradeStatus::Failed),
            "superseded" => Ok(GradeStatus::Superseded),
            other => Err(format!("unknown status {other:?}")),
        }
    }
}

/// What a score tells the gradebook of a learner's progress: AGS's score before the
/// platform's user id and its RFC 3339 timestamp are put on it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreContent {
    pub given: Option<f64>,
    pub maximum: Option<f64>,
    pub activity_progress: ActivityProgress,
    pub grading_progress: GradingProgress,
    pub comment: Option<String>,
}

/// A score to enqueue.
#[derive(Debug, Clone)]
pub struct NewScore<'a> {
    pub activity: &'a str,
    pub person_id: &'a PersonId,
    pub score: ScoreContent,
    /// Unix milliseconds; the stored timestamp is later when the learner has a later one.
    pub now_millis: i64,
}

/// A row of the outbox: a learner's score, and where its delivery stands.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: i64,
    pub course: CourseId,
    pub registration: RegistrationId,
    pub activity: String,
    pub person_id: PersonId,
    /// The line item, when known (else it is found in `lineitems` first).
    pub lineitem: Option<String>,
    pub lineitems: Option<String>,
    pub score: ScoreContent,
    /// The score's own timestamp, Unix milliseconds.
    pub timestamp: i64,
    pub status: GradeStatus,
    /// Attempts made, the one this claim is for included.
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

fn row(m: grade_outbox::Model) -> Result<OutboxRow, StoreError> {
    let status =
        GradeStatus::parse(&m.status).map_err(|d| StoreError::corrupt("grade_outbox", m.id, d))?;
    Ok(OutboxRow {
        id: m.id,
        course: CourseId::new(m.course_id),
        registration: RegistrationId::new(m.platform_id),
        activity: m.activity,
        person_id: PersonId::new(m.person_id),
        lineitem: m.lineitem,
        lineitems: m.lineitems,
        score: ScoreContent {
            given: m.score_given,
            maximum: m.score_maximum,
            activity_progress: ActivityProgress::parse(&m.activity_progress).ok_or_else(|| {
                StoreError::corrupt("grade_outbox", m.id, "unknown activity progress")
            })?,
            grading_progress: GradingProgress::parse(&m.grading_progress).ok_or_else(|| {
                StoreError::corrupt("grade_outbox", m.id, "unknown grading progress")
            })?,
            comment: m.comment,
        },
        timestamp: m.timestamp,
        status,
        attempts: m.attempts,
        next_attempt_at: m.next_attempt_at,
        last_error: m.last_error,
        delivered_at: m.delivered_at,
    })
}

/// An attempt on pending row `id` ended without delivery: its lease is given back and `error`
/// kept. The caller says what becomes of the row.
fn settle(id: i64, error: &str, now: i64) -> sea_orm::UpdateMany<grade_outbox::Entity> {
    use grade_outbox::Column as C;
    grade_outbox::Entity::update_many()
        .col_expr(C::LockedUntil, Expr::value(Option::<i64>::None))
        .col_expr(C::LastError, Expr::value(bounded(error)))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(id))
        .filter(C::Status.eq(GradeStatus::Pending.key()))
}

fn bounded(s: &str) -> String {
    s.chars().take(MAX_ERROR).collect()
}

/// The AGS endpoint an activity's last launch gave.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AgsRecord<'a> {
    pub lineitem: Option<&'a str>,
    pub lineitems: Option<&'a str>,
    /// Space-separated.
    pub scopes: String,
}

/// SQL: a newer row of the same learner and activity exists than the `grade_outbox` row the
/// statement is on.
const NEWER_EXISTS: &str = "EXISTS (SELECT 1 FROM grade_outbox o \
     WHERE o.course_id = grade_outbox.course_id AND o.activity = grade_outbox.activity \
     AND o.person_id = grade_outbox.person_id AND o.id > grade_outbox.id)";

/// SQL: the status a row whose attempt ended without delivery takes: `superseded` when a
/// newer score of the learner is queued behind it, else `status` (an SQL expression).
fn unless_superseded(status: &str) -> Expr {
    Expr::cust(format!(
        "CASE WHEN {NEWER_EXISTS} THEN '{}' ELSE {status} END",
        GradeStatus::Superseded.key()
    ))
}

impl Tx<'_> {
    /// Enqueues a learner's score in an activity, when the activity has an AGS endpoint;
    /// returns whether it did. In this transaction: the learner's parked scores in the
    /// activity become superseded; their pending row that no worker holds takes the new score
    /// in place (there is at most one); else a row is inserted, timestamped after every
    /// earlier score of theirs (one held by a worker is sent first).
    pub async fn enqueue_score(&self, s: NewScore<'_>) -> Result<bool, StoreError> {
        let Some(act) = activity::Entity::find()
            .filter(activity::Column::CourseId.eq(self.course.get()))
            .filter(activity::Column::ResourceLinkId.eq(s.activity))
            .one(&self.txn)
            .await?
        else {
            return Ok(false);
        };
        if act.ags_lineitem.is_none() && act.ags_lineitems.is_none() {
            return Ok(false);
        }
        let platform = course::Entity::find_by_id(self.course.get())
            .one(&self.txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("course {}", self.course.get())))?
            .platform_id;
        use grade_outbox::Column as C;
        let learner = || {
            Condition::all()
                .add(C::CourseId.eq(self.course.get()))
                .add(C::Activity.eq(s.activity))
                .add(C::PersonId.eq(s.person_id.as_str()))
        };
        let latest: Option<Option<i64>> = grade_outbox::Entity::find()
            .select_only()
            .column_as(C::Timestamp.max(), "m")
            .filter(learner())
            .into_tuple()
            .one(&self.txn)
            .await?;
        let ts = match latest.flatten() {
            Some(t) => s.now_millis.max(t + 1000),
            None => s.now_millis,
        };
        let now = s.now_millis.div_euclid(1000);
        let supersede = |ids: Condition| {
            grade_outbox::Entity::update_many()
                .col_expr(C::Status, Expr::value(GradeStatus::Superseded.key()))
                .col_expr(C::UpdatedAt, Expr::value(now))
                .filter(learner())
                .filter(ids)
        };
        // Parked scores of the learner are stale now: never sent again.
        supersede(Condition::all().add(C::Status.eq(GradeStatus::Failed.key())))
            .exec(&self.txn)
            .await?;
        // The learner's pending rows no worker holds (a held one keeps its lease even once it
        // ran out: its worker may still be posting it and then mark it delivered, so its
        // content never changes under it).
        let open: Vec<i64> = grade_outbox::Entity::find()
            .select_only()
            .column(C::Id)
            .filter(learner())
            .filter(C::Status.eq(GradeStatus::Pending.key()))
            .filter(C::LockedUntil.is_null())
            .order_by_desc(C::Id)
            .into_tuple()
            .all(&self.txn)
            .await?;
        if let Some((&keep, older)) = open.split_first() {
            // Older open rows (twins a race left behind) are stale as well.
            if !older.is_empty() {
                supersede(Condition::all().add(C::Id.is_in(older.iter().copied())))
                    .exec(&self.txn)
                    .await?;
            }
            grade_outbox::Entity::update_many()
                .col_expr(C::Lineitem, Expr::value(act.ags_lineitem.clone()))
                .col_expr(C::Lineitems, Expr::value(act.ags_lineitems.clone()))
                .col_expr(C::ScoreGiven, Expr::value(s.score.given))
                .col_expr(C::ScoreMaximum, Expr::value(s.score.maximum))
                .col_expr(
                    C::ActivityProgress,
                    Expr::value(s.score.activity_progress.as_str()),
                )
                .col_expr(
                    C::GradingProgress,
                    Expr::value(s.score.grading_progress.as_str()),
                )
                .col_expr(C::Comment, Expr::value(s.score.comment.clone()))
                .col_expr(C::Timestamp, Expr::value(ts))
                .col_expr(C::Attempts, Expr::value(0))
                .col_expr(C::NextAttemptAt, Expr::value(now))
                .col_expr(C::LastError, Expr::value(Option::<String>::None))
                .col_expr(C::UpdatedAt, Expr::value(now))
                .filter(C::Id.eq(keep))
                .exec(&self.txn)
                .await?;
            return Ok(true);
        }
        grade_outbox::Entity::insert(grade_outbox::ActiveModel {
            course_id: Set(self.course.get()),
            platform_id: Set(platform),
            activity: Set(s.activity.to_string()),
            person_id: Set(s.person_id.as_str().to_string()),
            lineitem: Set(act.ags_lineitem),
            lineitems: Set(act.ags_lineitems),
            score_given: Set(s.score.given),
            score_maximum: Set(s.score.maximum),
            activity_progress: Set(s.score.activity_progress.as_str().to_string()),
            grading_progress: Set(s.score.grading_progress.as_str().to_string()),
            comment: Set(s.score.comment),
            timestamp: Set(ts),
            status: Set(GradeStatus::Pending.key().to_string()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            locked_until: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            delivered_at: Set(None),
            ..Default::default()
        })
        .exec_without_returning(&self.txn)
        .await?;
        Ok(true)
    }
}

impl Store {
    /// Claims up to `limit` pending scores due at `now` (Unix seconds) for `lease` seconds:
    /// their attempt count goes up and nobody else claims them until the lease ends. One
    /// statement; on PostgreSQL the rows are locked with `FOR UPDATE SKIP LOCKED`, so
    /// instances claiming at once get different rows.
    ///
    /// First, rows a newer score of the same learner made stale and that no live claim holds
    /// (a pending row whose instance was killed, a parked or pending one a race between
    /// instances left behind) become superseded: never sent, and no longer in the way of the
    /// newer one.
    pub async fn claim_due_scores(
        &self,
        now: i64,
        limit: u64,
        lease: i64,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let backend = self.db.get_database_backend();
        let (p, lock) = match backend {
            DbBackend::Postgres => (["$1", "$2", "$3"], " FOR UPDATE SKIP LOCKED"),
            _ => (["?", "?", "?"], ""),
        };
        let stale = format!(
            "UPDATE grade_outbox SET status = 'superseded', locked_until = NULL, updated_at = {now_p} \
             WHERE id IN (SELECT grade_outbox.id FROM grade_outbox \
               WHERE (grade_outbox.status = 'failed' OR (grade_outbox.status = 'pending' \
                 AND (grade_outbox.locked_until IS NULL OR grade_outbox.locked_until <= {now_p}))) \
               AND {NEWER_EXISTS}{lock})",
            now_p = p[0],
        );
        let values: Vec<sea_orm::Value> = match backend {
            DbBackend::Postgres => vec![now.into()],
            _ => vec![now.into(), now.into()],
        };
        self.db
            .execute_raw(Statement::from_sql_and_values(backend, stale, values))
            .await?;
        let sql = format!(
            "UPDATE grade_outbox SET locked_until = {lease_p}, attempts = attempts + 1 \
             WHERE id IN (SELECT g.id FROM grade_outbox g \
               WHERE g.status = 'pending' AND g.next_attempt_at <= {now_p} \
               AND (g.locked_until IS NULL OR g.locked_until <= {now_p}) \
               AND NOT EXISTS (SELECT 1 FROM grade_outbox o WHERE o.course_id = g.course_id \
                 AND o.activity = g.activity AND o.person_id = g.person_id \
                 AND o.status = 'pending' AND o.id < g.id) \
               ORDER BY g.id LIMIT {limit_p}{lock}) \
             RETURNING *",
            lease_p = p[0],
            now_p = p[1],
            limit_p = p[2],
        );
        // SQLite numbers `?` in order of appearance: the second `now` needs its own value.
        let values: Vec<sea_orm::Value> = match backend {
            DbBackend::Postgres => vec![(now + lease).into(), now.into(), (limit as i64).into()],
            _ => vec![
                (now + lease).into(),
                now.into(),
                now.into(),
                (limit as i64).into(),
            ],
        };
        let rows = grade_outbox::Entity::find()
            .from_raw_sql(Statement::from_sql_and_values(backend, sql, values))
            .all(&self.db)
            .await?;
        let mut out = rows.into_iter().map(row).collect::<Result<Vec<_>, _>>()?;
        out.sort_by_key(|r| r.id);
        Ok(out)
    }

    /// The platform accepted the score.
    pub async fn mark_delivered(&self, id: i64, now: i64) -> Result<(), StoreError> {
        self.mark_delivered_many(&[id], now).await
    }

    /// The platform accepted these scores (one statement per few hundred).
    pub async fn mark_delivered_many(&self, ids: &[i64], now: i64) -> Result<(), StoreError> {
        use grade_outbox::Column as C;
        for chunk in ids.chunks(500) {
            grade_outbox::Entity::update_many()
                .col_expr(C::Status, Expr::value(GradeStatus::Delivered.key()))
                .col_expr(C::LockedUntil, Expr::value(Option::<i64>::None))
                .col_expr(C::DeliveredAt, Expr::value(now))
                .col_expr(C::UpdatedAt, Expr::value(now))
                .col_expr(C::LastError, Expr::value(Option::<String>::None))
                .filter(C::Id.is_in(chunk.iter().copied()))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }

    /// The attempt failed: try again at `next_at` (Unix seconds), with the score's
    /// timestamp moved to `timestamp` (after a 409) and the line item now known — unless a
    /// newer score of the learner is queued behind it: then it is superseded, never sent again.
    /// A row no longer pending (superseded at a claim after its lease ran out) stays as it is.
    pub async fn mark_retry(
        &self,
        id: i64,
        next_at: i64,
        error: &str,
        timestamp: i64,
        lineitem: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        use grade_outbox::Column as C;
        let mut q = settle(id, error, now)
            .col_expr(C::Status, unless_superseded("status"))
            .col_expr(C::NextAttemptAt, Expr::value(next_at))
            .col_expr(C::Timestamp, Expr::value(timestamp));
        if let Some(l) = lineitem {
            q = q.col_expr(C::Lineitem, Expr::value(l));
        }
        q.exec(&self.db).await?;
        Ok(())
    }

    /// The attempt could not be made, or was not the score's fault (its line item is on a host
    /// that is not the platform's, the platform asked to slow down, another instance is
    /// finding the line item): the attempt is given back and the score waits until `next_at`
    /// (Unix seconds), with the reason — or is superseded, as with [`Store::mark_retry`].
    pub async fn mark_waiting(
        &self,
        id: i64,
        next_at: i64,
        error: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        use grade_outbox::Column as C;
        settle(id, error, now)
            .col_expr(C::Status, unless_superseded("status"))
            .col_expr(C::NextAttemptAt, Expr::value(next_at))
            .col_expr(
                C::Attempts,
                Expr::cust("CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END"),
            )
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The score is parked after its last attempt, with the platform's message — or
    /// superseded, as with [`Store::mark_retry`]: a parked score is always its learner's latest.
    pub async fn mark_failed(&self, id: i64, error: &str, now: i64) -> Result<(), StoreError> {
        settle(id, error, now)
            .col_expr(
                grade_outbox::Column::Status,
                unless_superseded(&format!("'{}'", GradeStatus::Failed.key())),
            )
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Staff's "retry": the activity's parked scores that are still their learner's latest
    /// are due again now, with a fresh count of attempts; a parked score a newer one of the
    /// same learner made stale is superseded instead, never sent again. Returns how many are
    /// sent again.
    pub async fn retry_failed_scores(
        &self,
        course: CourseId,
        activity: &str,
        now: i64,
    ) -> Result<u64, StoreError> {
        use grade_outbox::Column as C;
        grade_outbox::Entity::update_many()
            .col_expr(C::Status, Expr::value(GradeStatus::Superseded.key()))
            .col_expr(C::UpdatedAt, Expr::value(now))
            .filter(C::CourseId.eq(course.get()))
            .filter(C::Activity.eq(activity))
            .filter(C::Status.eq(GradeStatus::Failed.key()))
            .filter(Expr::cust(NEWER_EXISTS))
            .exec(&self.db)
            .await?;
        let res = grade_outbox::Entity::update_many()
            .col_expr(C::Status, Expr::value(GradeStatus::Pending.key()))
            .col_expr(C::Attempts, Expr::value(0))
            .col_expr(C::NextAttemptAt, Expr::value(now))
            .col_expr(C::UpdatedAt, Expr::value(now))
            .filter(C::CourseId.eq(course.get()))
            .filter(C::Activity.eq(activity))
            .filter(C::Status.eq(GradeStatus::Failed.key()))
            .filter(Expr::cust(format!("NOT {NEWER_EXISTS}")))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected)
    }

    /// Every score of an activity, oldest first (for staff, and for tests).
    pub async fn scores_of_activity(
        &self,
        course: CourseId,
        activity: &str,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        use grade_outbox::Column as C;
        grade_outbox::Entity::find()
            .filter(C::CourseId.eq(course.get()))
            .filter(C::Activity.eq(activity))
            .order_by_asc(C::Id)
            .limit(10_000)
            .all(&self.db)
            .await?
            .into_iter()
            .map(row)
            .collect()
    }

    /// How many scores are pending, every course included.
    pub async fn pending_scores(&self) -> Result<u64, StoreError> {
        use sea_orm::PaginatorTrait;
        Ok(grade_outbox::Entity::find()
            .filter(grade_outbox::Column::Status.eq(GradeStatus::Pending.key()))
            .count(&self.db)
            .await?)
    }

    /// Remembers the line item found or created for an activity.
    pub async fn set_activity_lineitem(
        &self,
        course: CourseId,
        activity: &str,
        lineitem: &str,
    ) -> Result<(), StoreError> {
        activity::Entity::update_many()
            .col_expr(activity::Column::AgsLineitem, Expr::value(lineitem))
            .filter(activity::Column::CourseId.eq(course.get()))
            .filter(activity::Column::ResourceLinkId.eq(activity))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
