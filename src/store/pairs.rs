//! Pair sets (a draft and a published set per course module) and the audit trail of every
//! change staff make to them.

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::entities::{pair_set, pairing_event};
use super::{CourseId, Store, StoreError, Tx};

/// Whether a pair set is being prepared or visible to learners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairSetStatus {
    Draft,
    Published,
}

impl PairSetStatus {
    fn as_str(self) -> &'static str {
        match self {
            PairSetStatus::Draft => "draft",
            PairSetStatus::Published => "published",
        }
    }
}

/// A stored pair set; `groups` is the JSON the roster layer wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairSet {
    /// The row, to name it when its `groups` do not parse.
    pub id: i32,
    pub module: String,
    pub groups: String,
    pub updated_by: String,
    pub updated_at: i64,
    pub published_at: Option<i64>,
}

/// One recorded change: who did what, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairEvent {
    pub actor: String,
    pub module: Option<String>,
    pub action: String,
    pub detail: String,
    pub at: i64,
}

fn to_set(r: pair_set::Model) -> PairSet {
    PairSet {
        id: r.id,
        module: r.module,
        groups: r.groups,
        updated_by: r.updated_by,
        updated_at: r.updated_at,
        published_at: r.published_at,
    }
}

async fn find_set<C: ConnectionTrait>(
    db: &C,
    course: CourseId,
    module: &str,
    status: PairSetStatus,
) -> Result<Option<PairSet>, StoreError> {
    let row = pair_set::Entity::find()
        .filter(pair_set::Column::CourseId.eq(course.get()))
        .filter(pair_set::Column::Module.eq(module))
        .filter(pair_set::Column::Status.eq(status.as_str()))
        .one(db)
        .await?;
    Ok(row.map(to_set))
}

impl Store {
    /// The draft or published pair set of a module.
    pub async fn pair_set(
        &self,
        course: CourseId,
        module: &str,
        status: PairSetStatus,
    ) -> Result<Option<PairSet>, StoreError> {
        find_set(&self.db, course, module, status).await
    }

    /// Every published pair set of the course, in the order the modules were first
    /// published (a later fix to a module keeps its place): the pairing history.
    pub async fn published_sets(&self, course: CourseId) -> Result<Vec<PairSet>, StoreError> {
        let rows = pair_set::Entity::find()
            .filter(pair_set::Column::CourseId.eq(course.get()))
            .filter(pair_set::Column::Status.eq(PairSetStatus::Published.as_str()))
            .order_by_asc(pair_set::Column::PublishedAt)
            .order_by_asc(pair_set::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(to_set).collect())
    }

    /// The latest recorded changes of a course, newest first: of one module and the
    /// course-wide ones when `module` is given.
    pub async fn events(
        &self,
        course: CourseId,
        module: Option<&str>,
        limit: u64,
    ) -> Result<Vec<PairEvent>, StoreError> {
        let mut q =
            pairing_event::Entity::find().filter(pairing_event::Column::CourseId.eq(course.get()));
        if let Some(m) = module {
            q = q.filter(
                sea_orm::Condition::any()
                    .add(pairing_event::Column::Module.eq(m))
                    .add(pairing_event::Column::Module.is_null()),
            );
        }
        let rows = q
            .order_by_desc(pairing_event::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|e| PairEvent {
                actor: e.actor,
                module: e.module,
                action: e.action,
                detail: e.detail,
                at: e.at,
            })
            .collect())
    }
}

impl Tx<'_> {
    /// The draft of a module, as this transaction sees it.
    pub async fn draft(&self, module: &str) -> Result<Option<PairSet>, StoreError> {
        find_set(&self.txn, self.course, module, PairSetStatus::Draft).await
    }

    /// Creates the draft of a module unless one exists (someone else proposed meanwhile).
    /// Returns false when there was one.
    pub async fn create_draft(
        &self,
        module: &str,
        groups: &str,
        by: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let row = pair_set::ActiveModel {
            course_id: Set(self.course.get()),
            module: Set(module.to_string()),
            status: Set(PairSetStatus::Draft.as_str().to_string()),
            groups: Set(groups.to_string()),
            updated_by: Set(by.to_string()),
            updated_at: Set(now),
            published_at: Set(None),
            ..Default::default()
        };
        let n = pair_set::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    pair_set::Column::CourseId,
                    pair_set::Column::Module,
                    pair_set::Column::Status,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&self.txn)
            .await?;
        Ok(n == 1)
    }

    /// Replaces the draft of a module only if it is still `expected` (compare-and-swap):
    /// two people editing at once cannot silently undo each other, and an edit racing a
    /// publication cannot bring the draft back. Returns false when the draft changed.
    pub async fn replace_draft(
        &self,
        module: &str,
        expected: &str,
        groups: &str,
        by: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let res = pair_set::Entity::update_many()
            .col_expr(pair_set::Column::Groups, Expr::value(groups))
            .col_expr(pair_set::Column::UpdatedBy, Expr::value(by))
            .col_expr(pair_set::Column::UpdatedAt, Expr::value(now))
            .filter(pair_set::Column::CourseId.eq(self.course.get()))
            .filter(pair_set::Column::Module.eq(module))
            .filter(pair_set::Column::Status.eq(PairSetStatus::Draft.as_str()))
            .filter(pair_set::Column::Groups.eq(expected))
            .exec(&self.txn)
            .await?;
        Ok(res.rows_affected == 1)
    }

    /// Publishes the draft of a module: learners see it once the transaction commits.
    /// Returns false when there is no draft.
    pub async fn publish_draft(
        &self,
        module: &str,
        by: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let Some(draft) = self.draft(module).await? else {
            return Ok(false);
        };
        upsert_set(
            &self.txn,
            self.course,
            module,
            PairSetStatus::Published,
            &draft.groups,
            by,
            now,
            Some(now),
        )
        .await?;
        pair_set::Entity::delete_by_id(draft.id)
            .exec(&self.txn)
            .await?;
        Ok(true)
    }

    /// Records who changed what, in which module (none for a course-wide change).
    pub async fn log_event(
        &self,
        module: Option<&str>,
        actor: &str,
        action: &str,
        detail: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let row = pairing_event::ActiveModel {
            course_id: Set(self.course.get()),
            module: Set(module.map(str::to_string)),
            actor: Set(actor.to_string()),
            action: Set(action.to_string()),
            detail: Set(detail.to_string()),
            at: Set(now),
            ..Default::default()
        };
        pairing_event::Entity::insert(row)
            .exec_without_returning(&self.txn)
            .await?;
        Ok(())
    }
}

#[expect(clippy::too_many_arguments)]
async fn upsert_set<C: ConnectionTrait>(
    db: &C,
    course: CourseId,
    module: &str,
    status: PairSetStatus,
    groups: &str,
    by: &str,
    now: i64,
    published_at: Option<i64>,
) -> Result<(), StoreError> {
    let row = pair_set::ActiveModel {
        course_id: Set(course.get()),
        module: Set(module.to_string()),
        status: Set(status.as_str().to_string()),
        groups: Set(groups.to_string()),
        updated_by: Set(by.to_string()),
        updated_at: Set(now),
        published_at: Set(published_at),
        ..Default::default()
    };
    pair_set::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                pair_set::Column::CourseId,
                pair_set::Column::Module,
                pair_set::Column::Status,
            ])
            .update_columns([
                pair_set::Column::Groups,
                pair_set::Column::UpdatedBy,
                pair_set::Column::UpdatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}
