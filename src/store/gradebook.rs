//! The gradebook side of an activity beyond its scores: the points it is worth and whether
//! the LMS line item has them yet (a durable line item update, claimed like a score so that
//! one instance applies it at a time, and retried until the LMS takes it), and what the LMS
//! held at staff's last check (AGS results), kept so every instance shows the same.
//!
//! When the launch names no line item, the one the tool finds or creates is kept here too
//! (`lineitem`, never overwritten by a launch), resolved by one instance at a time under a
//! claim (`lineitem_claimed_until`): one line item per activity, ever.

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use super::entities::{activity, activity_grade, course, lms_result};
use super::{CourseId, PersonId, Store, StoreError};
use crate::lti::RegistrationId;

/// A line item that must be given new points.
#[derive(Debug, Clone, PartialEq)]
pub struct LineItemUpdate {
    pub course: CourseId,
    pub registration: RegistrationId,
    pub activity: String,
    pub lineitem: Option<String>,
    pub lineitems: Option<String>,
    pub points: f64,
}

/// The answer to [`Store::claim_lineitem_resolution`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineItemClaim {
    /// The line item is known already.
    Resolved(String),
    /// This caller may find or create it until then (Unix seconds), and must then report
    /// with [`Store::lineitem_resolved`] or [`Store::release_lineitem_claim`].
    Claimed(i64),
    /// Another instance is finding it right now.
    Busy,
}

/// What the LMS held for one learner at the last check.
#[derive(Debug, Clone, PartialEq)]
pub struct LmsResult {
    pub person_id: PersonId,
    pub result_score: Option<f64>,
    pub result_maximum: Option<f64>,
}

/// The last check of an activity's gradebook.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LmsResults {
    /// When the last successful read was made (Unix seconds); None: never.
    pub read_at: Option<i64>,
    /// Why the latest read failed (None when it succeeded).
    pub error: Option<String>,
    pub results: Vec<LmsResult>,
}

/// Where an activity's grades go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityAgs {
    pub registration: RegistrationId,
    pub lineitem: Option<String>,
    pub lineitems: Option<String>,
    /// Space-separated.
    pub scopes: String,
}

fn bounded(s: &str) -> String {
    s.chars().take(super::MAX_ERROR).collect()
}

/// An `activity_grades` row with only its key, for upserts.
fn key(course: CourseId, activity: &str) -> activity_grade::ActiveModel {
    activity_grade::ActiveModel {
        course_id: Set(course.get()),
        activity: Set(activity.to_string()),
        points: Set(None),
        points_synced: Set(None),
        points_next_at: Set(0),
        points_error: Set(None),
        results_read_at: Set(None),
        results_error: Set(None),
        lineitem: Set(None),
        lineitem_claimed_until: Set(None),
    }
}

fn on_key(cols: &[activity_grade::Column]) -> OnConflict {
    OnConflict::columns([
        activity_grade::Column::CourseId,
        activity_grade::Column::Activity,
    ])
    .update_columns(cols.iter().copied())
    .to_owned()
}

async fn upsert_points<C: sea_orm::ConnectionTrait>(
    db: &C,
    course: CourseId,
    activity: &str,
    points: f64,
    now: i64,
) -> Result<(), StoreError> {
    use activity_grade::Column as C;
    let mut row = key(course, activity);
    row.points = Set(Some(points));
    row.points_next_at = Set(now);
    activity_grade::Entity::insert(row)
        .on_conflict(on_key(&[C::Points, C::PointsNextAt, C::PointsError]))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

impl super::Tx<'_> {
    /// [`Store::set_activity_points`] in this transaction (with the configuration that sets
    /// them).
    pub async fn set_activity_points(
        &self,
        activity: &str,
        points: f64,
        now: i64,
    ) -> Result<(), StoreError> {
        upsert_points(&self.txn, self.course, activity, points, now).await
    }
}

impl Store {
    /// Sets the points an activity is worth in the gradebook: the LMS line item is given them
    /// by the grade worker (at once, then retried until the LMS takes them). Scores keep
    /// their own maximum: the LMS scales a score to its line item's points.
    pub async fn set_activity_points(
        &self,
        course: CourseId,
        activity: &str,
        points: f64,
        now: i64,
    ) -> Result<(), StoreError> {
        upsert_points(&self.db, course, activity, points, now).await
    }

    /// The points an activity is worth (None: never set, the default applies), and the
    /// points its line item was last given.
    pub async fn activity_points(
        &self,
        course: CourseId,
        activity: &str,
    ) -> Result<(Option<f64>, Option<f64>), StoreError> {
        Ok(
            activity_grade::Entity::find_by_id((course.get(), activity.to_string()))
                .one(&self.db)
                .await?
                .map(|r| (r.points, r.points_synced))
                .unwrap_or_default(),
        )
    }

    /// Claims up to `limit` line item updates due at `now` for `lease` seconds (each is
    /// taken by one conditional update, so two instances never apply one at once).
    pub async fn claim_lineitem_updates(
        &self,
        now: i64,
        limit: u64,
        lease: i64,
    ) -> Result<Vec<LineItemUpdate>, StoreError> {
        use activity_grade::Column as C;
        let due = activity_grade::Entity::find()
            .filter(C::Points.is_not_null())
            .filter(C::PointsNextAt.lte(now))
            .filter(
                sea_orm::Condition::any()
                    .add(C::PointsSynced.is_null())
                    .add(Expr::cust("points_synced <> points")),
            )
            .order_by_asc(C::PointsNextAt)
            .limit(limit)
            .all(&self.db)
            .await?;
        let mut out = Vec::new();
        for g in due {
            let Some(points) = g.points else { continue };
            let claimed = activity_grade::Entity::update_many()
                .col_expr(C::PointsNextAt, Expr::value(now + lease))
                .filter(C::CourseId.eq(g.course_id))
                .filter(C::Activity.eq(g.activity.clone()))
                .filter(C::PointsNextAt.eq(g.points_next_at))
                .exec(&self.db)
                .await?
                .rows_affected;
            if claimed == 0 {
                continue;
            }
            let course = CourseId::new(g.course_id);
            let Some(ags) = self.activity_ags(course, &g.activity).await? else {
                // No AGS endpoint (yet): the next launch that brings one makes it due.
                self.lineitem_update_failed(
                    course,
                    &g.activity,
                    "the activity has no line item",
                    now + 3600,
                )
                .await?;
                continue;
            };
            out.push(LineItemUpdate {
                course,
                registration: ags.registration,
                activity: g.activity,
                lineitem: ags.lineitem,
                lineitems: ags.lineitems,
                points,
            });
        }
        Ok(out)
    }

    /// The line item now has `points` (and is `lineitem`, found or created on the way).
    pub async fn lineitem_updated(
        &self,
        course: CourseId,
        activity: &str,
        points: f64,
        lineitem: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        use activity_grade::Column as C;
        activity_grade::Entity::update_many()
            .col_expr(C::PointsSynced, Expr::value(points))
            .col_expr(C::PointsError, Expr::value(Option::<String>::None))
            // Due again at once if the points changed while this update was on its way.
            .col_expr(C::PointsNextAt, Expr::value(now))
            .filter(C::CourseId.eq(course.get()))
            .filter(C::Activity.eq(activity))
            .exec(&self.db)
            .await?;
        self.set_activity_lineitem(course, activity, lineitem).await
    }

    /// The line item update failed: tried again at `next_at`, with the platform's words.
    pub async fn lineitem_update_failed(
        &self,
        course: CourseId,
        activity: &str,
        error: &str,
        next_at: i64,
    ) -> Result<(), StoreError> {
        use activity_grade::Column as C;
        activity_grade::Entity::update_many()
            .col_expr(C::PointsError, Expr::value(bounded(error)))
            .col_expr(C::PointsNextAt, Expr::value(next_at))
            .filter(C::CourseId.eq(course.get()))
            .filter(C::Activity.eq(activity))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Where an activity's grades go, when its launches gave an AGS endpoint.
    pub async fn activity_ags(
        &self,
        course: CourseId,
        activity: &str,
    ) -> Result<Option<ActivityAgs>, StoreError> {
        let Some(act) = activity::Entity::find()
            .filter(activity::Column::CourseId.eq(course.get()))
            .filter(activity::Column::ResourceLinkId.eq(activity))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        if act.ags_lineitem.is_none() && act.ags_lineitems.is_none() {
            return Ok(None);
        }
        let platform = course::Entity::find_by_id(course.get())
            .one(&self.db)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("course {}", course.get())))?
            .platform_id;
        let lineitem = match act.ags_lineitem {
            Some(l) => Some(l),
            None => self.resolved_lineitem(course, activity).await?,
        };
        Ok(Some(ActivityAgs {
            registration: RegistrationId::new(platform),
            lineitem,
            lineitems: act.ags_lineitems,
            scopes: act.ags_scopes.unwrap_or_default(),
        }))
    }

    /// The line item the tool found or created for an activity, if it did.
    pub async fn resolved_lineitem(
        &self,
        course: CourseId,
        activity: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(
            activity_grade::Entity::find_by_id((course.get(), activity.to_string()))
                .one(&self.db)
                .await?
                .and_then(|g| g.lineitem),
        )
    }

    /// Asks for the right to find or create an activity's line item until `now + lease`: the
    /// line item when one was already found, else the claim when nobody else holds one, else
    /// `Busy`. One conditional update: of two instances asking at once, one gets it (on
    /// PostgreSQL the second waits for the first's update and then finds the claim held).
    pub async fn claim_lineitem_resolution(
        &self,
        course: CourseId,
        activity: &str,
        now: i64,
        lease: i64,
    ) -> Result<LineItemClaim, StoreError> {
        use activity_grade::Column as C;
        activity_grade::Entity::insert(key(course, activity))
            .on_conflict(
                OnConflict::columns([C::CourseId, C::Activity])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        let claimed = activity_grade::Entity::update_many()
            .col_expr(C::LineitemClaimedUntil, Expr::value(now + lease.max(1)))
            .filter(C::CourseId.eq(course.get()))
            .filter(C::Activity.eq(activity))
            .filter(C::Lineitem.is_null())
            .filter(
                sea_orm::Condition::any()
                    .add(C::LineitemClaimedUntil.is_null())
                    .add(C::LineitemClaimedUntil.lte(now)),
            )
            .exec(&self.db)
            .await?
            .rows_affected;
        if claimed > 0 {
            return Ok(LineItemClaim::Claimed(now + lease.max(1)));
        }
        Ok(match self.resolved_lineitem(course, activity).await? {
            Some(l) => LineItemClaim::Resolved(l),
            None => LineItemClaim::Busy,
        })
    }

    /// The line item of an activity is found (or created): kept for every later score, on
    /// every instance, and the claim given back.
    pub async fn lineitem_resolved(
        &self,
        course: CourseId,
        activity: &str,
        lineitem: &str,
    ) -> Result<(), StoreError> {
        use activity_grade::Column as C;
        activity_grade::Entity::update_many()
            .col_expr(C::Lineitem, Expr::value(lineitem))
            .col_expr(C::LineitemClaimedUntil, Expr::value(Option::<i64>::None))
            .filter(C::CourseId.eq(course.get()))
            .filter(C::Activity.eq(activity))
            .exec(&self.db)
            .await?;
        self.set_activity_lineitem(course, activity, lineitem).await
    }

    /// Finding the line item failed: the claim held until `until` is given back (the next
    /// step asks again); a claim another instance took since is left alone.
    pub async fn release_lineitem_claim(
        &self,
        course: CourseId,
        activity: &str,
        until: i64,
    ) -> Result<(), StoreError> {
        use activity_grade::Column as C;
        activity_grade::Entity::update_many()
            .col_expr(C::LineitemClaimedUntil, Expr::value(Option::<i64>::None))
            .filter(C::CourseId.eq(course.get()))
            .filter(C::Activity.eq(activity))
            .filter(C::LineitemClaimedUntil.eq(until))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Replaces what the LMS held for an activity with a complete read of its results.
    pub async fn replace_lms_results(
        &self,
        course: CourseId,
        activity: &str,
        results: &[LmsResult],
        now: i64,
    ) -> Result<(), StoreError> {
        use lms_result::Column as R;
        let txn = self.db.begin().await?;
        lms_result::Entity::delete_many()
            .filter(R::CourseId.eq(course.get()))
            .filter(R::Activity.eq(activity))
            .exec(&txn)
            .await?;
        // The latest result of each learner (a platform may list one twice across pages).
        let mut seen = std::collections::HashSet::new();
        let rows: Vec<lms_result::ActiveModel> = results
            .iter()
            .rev()
            .filter(|r| seen.insert(r.person_id.clone()))
            .map(|r| lms_result::ActiveModel {
                course_id: Set(course.get()),
                activity: Set(activity.to_string()),
                person_id: Set(r.person_id.to_string()),
                result_score: Set(r.result_score),
                result_maximum: Set(r.result_maximum),
                read_at: Set(now),
                ..Default::default()
            })
            .collect();
        for chunk in rows.chunks(500) {
            lms_result::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        let mut row = key(course, activity);
        row.results_read_at = Set(Some(now));
        activity_grade::Entity::insert(row)
            .on_conflict(on_key(&[
                activity_grade::Column::ResultsReadAt,
                activity_grade::Column::ResultsError,
            ]))
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The latest read of the results failed: what was read before stays, with the error.
    pub async fn lms_results_failed(
        &self,
        course: CourseId,
        activity: &str,
        error: &str,
    ) -> Result<(), StoreError> {
        let mut row = key(course, activity);
        row.results_error = Set(Some(bounded(error)));
        activity_grade::Entity::insert(row)
            .on_conflict(on_key(&[activity_grade::Column::ResultsError]))
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    /// What the LMS held for an activity at the last check.
    pub async fn lms_results(
        &self,
        course: CourseId,
        activity: &str,
    ) -> Result<LmsResults, StoreError> {
        let Some(g) = activity_grade::Entity::find_by_id((course.get(), activity.to_string()))
            .one(&self.db)
            .await?
        else {
            return Ok(LmsResults::default());
        };
        use lms_result::Column as R;
        let results = lms_result::Entity::find()
            .filter(R::CourseId.eq(course.get()))
            .filter(R::Activity.eq(activity))
            .order_by_asc(R::PersonId)
            .limit(100_000)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| LmsResult {
                person_id: PersonId::new(r.person_id),
                result_score: r.result_score,
                result_maximum: r.result_maximum,
            })
            .collect();
        Ok(LmsResults {
            read_at: g.results_read_at,
            error: g.results_error,
            results,
        })
    }
}
