//! What the staff dashboard reads across a whole course: its modules (activities) in the
//! order they were first seen, the status columns of every guided session, and each
//! learner's latest score per module. Each is one query scoped by course, so a course view
//! costs the same handful of queries for 20 learners or 2,000, and none of them reads a
//! snapshot, an event or a field: status and timing only.

use sea_orm::sea_query::{Expr, Func, Query};
use sea_orm::{ColumnTrait, DerivePartialModel, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::coaching::SessionSummary;
use super::entities::{activity, coaching_session, grade_outbox};
use super::{CourseId, GradeStatus, PersonId, Store, StoreError};

/// The most modules a course view reads (a course has a few dozen at most).
pub const MAX_MODULES: u64 = 200;

/// A module of the course: an activity (LTI resource link) someone launched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleRow {
    /// The resource link id.
    pub id: String,
    pub title: Option<String>,
    /// The order in which the tool first saw the module (its row's key).
    pub seen_order: i32,
}

/// A guided session of the course, with the activity it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseSession {
    pub activity: String,
    pub session: SessionSummary,
}

/// A learner's latest score in a module, as the gradebook has it or will.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreState {
    pub activity: String,
    pub person_id: PersonId,
    pub status: GradeStatus,
    /// The platform's message when it refused the score.
    pub last_error: Option<String>,
}

#[derive(Debug, DerivePartialModel)]
#[sea_orm(entity = "coaching_session::Entity")]
struct SessionCols {
    activity: String,
    #[sea_orm(nested)]
    summary: super::coaching::SummaryCols,
}

impl Store {
    /// The modules of a course, in the order the tool first saw them.
    pub async fn modules(&self, course: CourseId) -> Result<Vec<ModuleRow>, StoreError> {
        use activity::Column as C;
        let rows: Vec<(i32, String, Option<String>)> = activity::Entity::find()
            .filter(C::CourseId.eq(course.get()))
            .select_only()
            .columns([C::Id, C::ResourceLinkId, C::Title])
            .order_by_asc(C::Id)
            .limit(MAX_MODULES)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(seen_order, id, title)| ModuleRow {
                id,
                title,
                seen_order,
            })
            .collect())
    }

    /// Every guided session (ordinal 0) of the course, status columns only, oldest first.
    pub async fn guided_sessions(
        &self,
        course: CourseId,
    ) -> Result<Vec<CourseSession>, StoreError> {
        use coaching_session::Column as C;
        let rows = coaching_session::Entity::find()
            .filter(C::CourseId.eq(course.get()))
            .filter(C::Ordinal.eq(0))
            .order_by_asc(C::Id)
            .into_partial_model::<SessionCols>()
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(CourseSession {
                    activity: r.activity,
                    session: r.summary.parse()?,
                })
            })
            .collect()
    }

    /// Each learner's latest score in each module of the course (the newest row of the
    /// outbox per module and person), whatever its delivery status.
    pub async fn latest_scores(&self, course: CourseId) -> Result<Vec<ScoreState>, StoreError> {
        use grade_outbox::Column as C;
        let latest = Query::select()
            .expr(Func::max(Expr::col(C::Id)))
            .from(grade_outbox::Entity)
            .and_where(C::CourseId.eq(course.get()))
            .group_by_columns([C::Activity, C::PersonId])
            .to_owned();
        let rows: Vec<(i64, String, String, String, Option<String>)> = grade_outbox::Entity::find()
            .filter(C::CourseId.eq(course.get()))
            .filter(C::Id.in_subquery(latest))
            .select_only()
            .columns([C::Id, C::Activity, C::PersonId, C::Status, C::LastError])
            .order_by_asc(C::Id)
            .into_tuple()
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|(id, activity, person_id, status, last_error)| {
                Ok(ScoreState {
                    status: GradeStatus::parse(&status)
                        .map_err(|d| StoreError::corrupt("grade_outbox", id, d))?,
                    activity,
                    person_id: PersonId::new(person_id),
                    last_error,
                })
            })
            .collect()
    }
}
