//! The course roster from NRPS and its sync status, course settings, learner profiles and
//! links (hierarchical, do-not-pair). All scoped by course.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use super::entities::{course, course_setting, learner_profile, link, member, roster_member};
use super::{CourseId, Store, StoreError};
use crate::lti::RegistrationId;

/// Membership status as NRPS reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberStatus {
    Active,
    Inactive,
    Deleted,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Active => "Active",
            MemberStatus::Inactive => "Inactive",
            MemberStatus::Deleted => "Deleted",
        }
    }
    pub fn parse(s: &str) -> MemberStatus {
        match s {
            "Inactive" => MemberStatus::Inactive,
            "Deleted" => MemberStatus::Deleted,
            _ => MemberStatus::Active,
        }
    }
}

/// One person of a course roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    pub user_id: String,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub picture: Option<String>,
    pub roles: Vec<String>,
    pub status: MemberStatus,
}

/// A course as the staff page needs it.
#[derive(Debug, Clone)]
pub struct CourseInfo {
    pub id: CourseId,
    pub registration: RegistrationId,
    pub deployment_id: String,
    pub context_id: String,
    pub title: Option<String>,
    pub memberships_url: Option<String>,
    pub differences_url: Option<String>,
    pub last_sync_at: Option<i64>,
    /// The last complete read (as opposed to a read of the differences only).
    pub last_full_sync_at: Option<i64>,
    pub last_sync_error: Option<String>,
    pub last_sync_count: Option<i32>,
}

/// What the pairing of a course is configured with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CourseSettingsRow {
    pub tag_options: Vec<String>,
    pub policy: String,
}

/// A stored link between two people of a course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRow {
    pub id: i32,
    pub a_user: String,
    pub b_user: String,
    /// `manages`, `hierarchical` or `do_not_pair`.
    pub kind: String,
    /// `declared` (by a learner, private), `uploaded` or `staff`.
    pub source: String,
    pub created_by: String,
}

fn to_info(c: course::Model) -> CourseInfo {
    CourseInfo {
        id: CourseId(c.id),
        registration: RegistrationId(c.platform_id),
        deployment_id: c.deployment_id,
        context_id: c.context_id,
        title: c.title.or(c.label),
        memberships_url: c.memberships_url,
        differences_url: c.differences_url,
        last_sync_at: c.last_sync_at,
        last_full_sync_at: c.last_full_sync_at,
        last_sync_error: c.last_sync_error,
        last_sync_count: c.last_sync_count,
    }
}

impl Store {
    /// A course by id, only within its registration and deployment.
    pub async fn course_in_scope(
        &self,
        id: CourseId,
        reg: RegistrationId,
        deployment_id: &str,
    ) -> Result<Option<CourseInfo>, StoreError> {
        let row = course::Entity::find_by_id(id.0)
            .filter(course::Column::PlatformId.eq(reg.0))
            .filter(course::Column::DeploymentId.eq(deployment_id))
            .one(&self.db)
            .await?;
        Ok(row.map(to_info))
    }

    /// Courses with an NRPS URL whose roster is older than `synced_before` and that someone
    /// launched since `active_since`: the scheduled sync's work list.
    pub async fn courses_due_for_sync(
        &self,
        synced_before: i64,
        active_since: i64,
    ) -> Result<Vec<CourseInfo>, StoreError> {
        let rows = course::Entity::find()
            .filter(course::Column::MembershipsUrl.is_not_null())
            .filter(course::Column::UpdatedAt.gte(active_since))
            .filter(
                course::Column::LastSyncAt
                    .is_null()
                    .or(course::Column::LastSyncAt.lt(synced_before)),
            )
            .order_by_asc(course::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(to_info).collect())
    }

    /// Replaces the roster of a course with a complete new one, atomically: readers see the
    /// old roster or the new one, never a mix, and a failed write leaves the old one. `full`
    /// says whether it came from a complete read (rather than the previous roster merged with
    /// the differences). A person listed twice is stored once (the last entry wins).
    pub async fn replace_roster(
        &self,
        course_id: CourseId,
        members: &[RosterEntry],
        differences_url: Option<&str>,
        full: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut unique: Vec<&RosterEntry> = Vec::with_capacity(members.len());
        let mut seen = std::collections::HashMap::new();
        for m in members {
            match seen.get(&m.user_id) {
                Some(&i) => unique[i] = m,
                None => {
                    seen.insert(m.user_id.clone(), unique.len());
                    unique.push(m);
                }
            }
        }
        let members = unique;
        let txn = self.db.begin().await?;
        roster_member::Entity::delete_many()
            .filter(roster_member::Column::CourseId.eq(course_id.0))
            .exec(&txn)
            .await?;
        for chunk in members.chunks(500) {
            let rows = chunk.iter().map(|m| roster_member::ActiveModel {
                course_id: Set(course_id.0),
                user_id: Set(m.user_id.clone()),
                name: Set(m.name.clone()),
                given_name: Set(m.given_name.clone()),
                family_name: Set(m.family_name.clone()),
                email: Set(m.email.clone()),
                picture: Set(m.picture.clone()),
                roles: Set(serde_json::to_string(&m.roles).unwrap_or_else(|_| "[]".into())),
                status: Set(m.status.as_str().to_string()),
                synced_at: Set(now),
                ..Default::default()
            });
            roster_member::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await?;
        }
        let mut done = course::Entity::update_many()
            .col_expr(course::Column::LastSyncAt, Expr::value(now))
            .col_expr(course::Column::LastAttemptAt, Expr::value(now));
        if full {
            done = done.col_expr(course::Column::LastFullSyncAt, Expr::value(now));
        }
        done.col_expr(
            course::Column::LastSyncError,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            course::Column::LastSyncCount,
            Expr::value(members.len() as i32),
        )
        .col_expr(
            course::Column::DifferencesUrl,
            Expr::value(differences_url.map(str::to_string)),
        )
        .filter(course::Column::Id.eq(course_id.0))
        .exec(&txn)
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Records why the last sync failed; the stored roster is left as it is.
    pub async fn record_sync_error(
        &self,
        course_id: CourseId,
        error: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        course::Entity::update_many()
            .col_expr(
                course::Column::LastSyncError,
                Expr::value(format!("{now}|{error}")),
            )
            .col_expr(course::Column::LastAttemptAt, Expr::value(now))
            .filter(course::Column::Id.eq(course_id.0))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The stored NRPS roster of a course (empty when never synced).
    pub async fn roster(&self, course_id: CourseId) -> Result<Vec<RosterEntry>, StoreError> {
        let rows = roster_member::Entity::find()
            .filter(roster_member::Column::CourseId.eq(course_id.0))
            .order_by_asc(roster_member::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(roster_entry).collect())
    }

    /// People who launched the course: user id → (entry, last launch time).
    pub async fn launched(
        &self,
        course_id: CourseId,
    ) -> Result<HashMap<String, (RosterEntry, Option<i64>)>, StoreError> {
        let rows = member::Entity::find()
            .filter(member::Column::CourseId.eq(course_id.0))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|m| {
                let at = m.last_launch_at;
                (m.user_id.clone(), (member_entry(m), at))
            })
            .collect())
    }

    /// The pairing settings of a course (defaults when never set).
    pub async fn course_settings(
        &self,
        course_id: CourseId,
    ) -> Result<CourseSettingsRow, StoreError> {
        let row = course_setting::Entity::find_by_id(course_id.0)
            .one(&self.db)
            .await?;
        Ok(row
            .map(|r| CourseSettingsRow {
                tag_options: serde_json::from_str(&r.tag_options).unwrap_or_default(),
                policy: r.policy,
            })
            .unwrap_or_else(|| CourseSettingsRow {
                tag_options: Vec::new(),
                policy: "keep".into(),
            }))
    }

    /// Saves the pairing settings of a course.
    pub async fn set_course_settings(
        &self,
        course_id: CourseId,
        s: &CourseSettingsRow,
        now: i64,
    ) -> Result<(), StoreError> {
        let row = course_setting::ActiveModel {
            course_id: Set(course_id.0),
            tag_options: Set(serde_json::to_string(&s.tag_options).unwrap_or_else(|_| "[]".into())),
            policy: Set(s.policy.clone()),
            updated_at: Set(now),
        };
        course_setting::Entity::insert(row)
            .on_conflict(
                OnConflict::column(course_setting::Column::CourseId)
                    .update_columns([
                        course_setting::Column::TagOptions,
                        course_setting::Column::Policy,
                        course_setting::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    /// Every learner's chosen tags in a course.
    pub async fn profiles(
        &self,
        course_id: CourseId,
    ) -> Result<HashMap<String, Vec<String>>, StoreError> {
        let rows = learner_profile::Entity::find()
            .filter(learner_profile::Column::CourseId.eq(course_id.0))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.user_id, serde_json::from_str(&r.tags).unwrap_or_default()))
            .collect())
    }

    /// One learner's chosen tags (empty when none).
    pub async fn profile(
        &self,
        course_id: CourseId,
        user_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        let row = learner_profile::Entity::find()
            .filter(learner_profile::Column::CourseId.eq(course_id.0))
            .filter(learner_profile::Column::UserId.eq(user_id))
            .one(&self.db)
            .await?;
        Ok(row
            .map(|r| serde_json::from_str(&r.tags).unwrap_or_default())
            .unwrap_or_default())
    }

    /// The links a learner declared themselves (and only those).
    pub async fn declared_by(
        &self,
        course_id: CourseId,
        user_id: &str,
    ) -> Result<Vec<LinkRow>, StoreError> {
        let rows = link::Entity::find()
            .filter(link::Column::CourseId.eq(course_id.0))
            .filter(link::Column::Source.eq("declared"))
            .filter(link::Column::CreatedBy.eq(user_id))
            .order_by_asc(link::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(to_link).collect())
    }

    /// Names and pictures of a few people of a course, from the roster or else from their
    /// launches: user id → (name, picture).
    pub async fn names(
        &self,
        course_id: CourseId,
        ids: &[String],
    ) -> Result<HashMap<String, (Option<String>, Option<String>)>, StoreError> {
        let mut out = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let launched = member::Entity::find()
            .filter(member::Column::CourseId.eq(course_id.0))
            .filter(member::Column::UserId.is_in(ids.iter().cloned()))
            .all(&self.db)
            .await?;
        for m in launched {
            let e = member_entry(m);
            out.insert(e.user_id.clone(), (display_name(&e), e.picture.clone()));
        }
        let roster = roster_member::Entity::find()
            .filter(roster_member::Column::CourseId.eq(course_id.0))
            .filter(roster_member::Column::UserId.is_in(ids.iter().cloned()))
            .all(&self.db)
            .await?;
        for r in roster {
            let e = roster_entry(r);
            let name = display_name(&e);
            let entry = out.entry(e.user_id.clone()).or_insert((None, None));
            if name.is_some() {
                entry.0 = name;
            }
            if e.picture.is_some() {
                entry.1 = e.picture;
            }
        }
        Ok(out)
    }

    /// Saves one learner's tags.
    pub async fn set_profile(
        &self,
        course_id: CourseId,
        user_id: &str,
        tags: &[String],
        now: i64,
    ) -> Result<(), StoreError> {
        let row = learner_profile::ActiveModel {
            course_id: Set(course_id.0),
            user_id: Set(user_id.to_string()),
            tags: Set(serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())),
            updated_at: Set(now),
            ..Default::default()
        };
        learner_profile::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    learner_profile::Column::CourseId,
                    learner_profile::Column::UserId,
                ])
                .update_columns([
                    learner_profile::Column::Tags,
                    learner_profile::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    /// Adds a link (idempotent).
    #[expect(clippy::too_many_arguments)]
    pub async fn add_link(
        &self,
        course_id: CourseId,
        a: &str,
        b: &str,
        kind: &str,
        source: &str,
        by: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let row = link::ActiveModel {
            course_id: Set(course_id.0),
            a_user: Set(a.to_string()),
            b_user: Set(b.to_string()),
            kind: Set(kind.to_string()),
            source: Set(source.to_string()),
            created_by: Set(by.to_string()),
            created_at: Set(now),
            ..Default::default()
        };
        link::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    link::Column::CourseId,
                    link::Column::AUser,
                    link::Column::BUser,
                    link::Column::Kind,
                    link::Column::Source,
                    link::Column::CreatedBy,
                ])
                // Each person's declaration stands on its own: two learners declaring the
                // same link keep two rows, so one withdrawing does not undo the other.
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    /// Every link of a course.
    pub async fn links(&self, course_id: CourseId) -> Result<Vec<LinkRow>, StoreError> {
        let rows = link::Entity::find()
            .filter(link::Column::CourseId.eq(course_id.0))
            .order_by_asc(link::Column::Id)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(to_link).collect())
    }

    /// Removes a link a learner declared themselves.
    pub async fn remove_declared_link(
        &self,
        course_id: CourseId,
        by: &str,
        id: i32,
    ) -> Result<(), StoreError> {
        link::Entity::delete_many()
            .filter(link::Column::CourseId.eq(course_id.0))
            .filter(link::Column::Id.eq(id))
            .filter(link::Column::CreatedBy.eq(by))
            .filter(link::Column::Source.eq("declared"))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

/// The best name of a roster entry: the full name, else given and family names.
pub fn display_name(e: &RosterEntry) -> Option<String> {
    e.name
        .clone()
        .or_else(|| match (&e.given_name, &e.family_name) {
            (Some(g), Some(f)) => Some(format!("{g} {f}")),
            (Some(g), None) => Some(g.clone()),
            (None, Some(f)) => Some(f.clone()),
            _ => None,
        })
}

fn to_link(l: link::Model) -> LinkRow {
    LinkRow {
        id: l.id,
        a_user: l.a_user,
        b_user: l.b_user,
        kind: l.kind,
        source: l.source,
        created_by: l.created_by,
    }
}

/// A person who launched, as a roster entry (launching makes them Active).
fn member_entry(m: member::Model) -> RosterEntry {
    RosterEntry {
        user_id: m.user_id,
        name: m.name,
        given_name: m.given_name,
        family_name: m.family_name,
        email: m.email,
        picture: m.picture,
        roles: serde_json::from_str(&m.roles).unwrap_or_default(),
        status: MemberStatus::Active,
    }
}

fn roster_entry(r: roster_member::Model) -> RosterEntry {
    RosterEntry {
        user_id: r.user_id,
        name: r.name,
        given_name: r.given_name,
        family_name: r.family_name,
        email: r.email,
        picture: r.picture,
        roles: serde_json::from_str(&r.roles).unwrap_or_default(),
        status: MemberStatus::parse(&r.status),
    }
}
