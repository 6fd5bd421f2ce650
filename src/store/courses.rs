//! Courses, activities and the people seen in launches, scoped by platform and deployment.

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};

use super::batch::Batcher;

use super::entities::{activity, course, member};
use super::{Store, StoreError};
use crate::lti::RegistrationId;

/// Database id of a course: one LMS context in one deployment of one platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct CourseId(i32);

impl CourseId {
    /// The course of a database id (the store and tests make them; nothing parses them from
    /// a request).
    pub const fn new(id: i32) -> CourseId {
        CourseId(id)
    }

    /// The database id.
    pub const fn get(self) -> i32 {
        self.0
    }
}

/// What a launch tells us about the course, the activity and the person.
#[derive(Debug, Clone)]
pub struct LaunchRecord<'a> {
    pub registration: RegistrationId,
    pub deployment_id: &'a str,
    pub context_id: &'a str,
    pub context_label: Option<&'a str>,
    pub context_title: Option<&'a str>,
    /// NRPS membership URL of the course, when the launch offers the service.
    pub memberships_url: Option<&'a str>,
    pub resource_link: Option<(&'a str, Option<&'a str>)>,
    /// The activity's AGS endpoint, when the launch offers grades.
    pub ags: Option<super::AgsRecord<'a>>,
    pub user_id: Option<&'a str>,
    pub name: Option<&'a str>,
    pub given_name: Option<&'a str>,
    pub family_name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub picture: Option<&'a str>,
    pub roles: &'a [String],
    pub now: i64,
}

/// The group-commit queue of member upserts.
pub(super) type MemberWriter = Batcher<((i32, String), member::ActiveModel), ()>;

pub(super) fn spawn_member_writer(db: DatabaseConnection) -> MemberWriter {
    Batcher::spawn(move |rows: Vec<((i32, String), member::ActiveModel)>| {
        let db = db.clone();
        async move {
            let n = rows.len();
            // One statement may not touch a row twice (PostgreSQL refuses it): the last
            // launch of a person in a batch wins.
            let mut unique: Vec<((i32, String), member::ActiveModel)> = Vec::with_capacity(n);
            for (key, row) in rows.into_iter().rev() {
                if !unique.iter().any(|(k, _)| *k == key) {
                    unique.push((key, row));
                }
            }
            member::Entity::insert_many(unique.into_iter().map(|(_, row)| row))
                .on_conflict(
                    OnConflict::columns([member::Column::CourseId, member::Column::UserId])
                        .update_columns([
                            member::Column::Name,
                            member::Column::GivenName,
                            member::Column::FamilyName,
                            member::Column::Email,
                            member::Column::Picture,
                            member::Column::Roles,
                            member::Column::LastLaunchAt,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(&db)
                .await?;
            Ok(vec![(); n])
        }
    })
}

impl Store {
    /// Records the course and the activity of a launch; returns the course.
    pub async fn upsert_course(&self, l: &LaunchRecord<'_>) -> Result<CourseId, StoreError> {
        let c = course::ActiveModel {
            platform_id: Set(l.registration.get()),
            deployment_id: Set(l.deployment_id.to_string()),
            context_id: Set(l.context_id.to_string()),
            label: Set(l.context_label.map(str::to_string)),
            title: Set(l.context_title.map(str::to_string)),
            updated_at: Set(l.now),
            memberships_url: Set(l.memberships_url.map(str::to_string)),
            ..Default::default()
        };
        let course = course::Entity::insert(c)
            .on_conflict(
                OnConflict::columns([
                    course::Column::PlatformId,
                    course::Column::DeploymentId,
                    course::Column::ContextId,
                ])
                .update_columns([
                    course::Column::Label,
                    course::Column::Title,
                    course::Column::UpdatedAt,
                ])
                // A launch without the NRPS claim (some placements) keeps the known URL.
                .value(
                    course::Column::MembershipsUrl,
                    Expr::cust("COALESCE(excluded.memberships_url, courses.memberships_url)"),
                )
                .to_owned(),
            )
            .exec_with_returning(&self.db)
            .await?;
        if let Some((rl_id, title)) = l.resource_link {
            let a = activity::ActiveModel {
                course_id: Set(course.id),
                resource_link_id: Set(rl_id.to_string()),
                title: Set(title.map(str::to_string)),
                updated_at: Set(l.now),
                ags_lineitem: Set(l.ags.as_ref().and_then(|a| a.lineitem.map(str::to_string))),
                ags_lineitems: Set(l.ags.as_ref().and_then(|a| a.lineitems.map(str::to_string))),
                ags_scopes: Set(l.ags.as_ref().map(|a| a.scopes.clone())),
                ..Default::default()
            };
            let mut update = vec![activity::Column::Title, activity::Column::UpdatedAt];
            // A launch without the AGS claim (another placement) keeps the known endpoint.
            if l.ags.is_some() {
                update.extend([
                    activity::Column::AgsLineitem,
                    activity::Column::AgsLineitems,
                    activity::Column::AgsScopes,
                ]);
            }
            activity::Entity::insert(a)
                .on_conflict(
                    OnConflict::columns([
                        activity::Column::CourseId,
                        activity::Column::ResourceLinkId,
                    ])
                    .update_columns(update)
                    .to_owned(),
                )
                .exec_without_returning(&self.db)
                .await?;
        }
        Ok(CourseId::new(course.id))
    }

    /// Records the person of a launch in its course (nothing for an anonymous launch).
    pub async fn upsert_member(
        &self,
        course: CourseId,
        l: &LaunchRecord<'_>,
    ) -> Result<(), StoreError> {
        let Some(user_id) = l.user_id else {
            return Ok(());
        };
        let m = member::ActiveModel {
            course_id: Set(course.0),
            user_id: Set(user_id.to_string()),
            name: Set(l.name.map(str::to_string)),
            given_name: Set(l.given_name.map(str::to_string)),
            family_name: Set(l.family_name.map(str::to_string)),
            email: Set(l.email.map(str::to_string)),
            picture: Set(l.picture.map(str::to_string)),
            roles: Set(serde_json::to_string(l.roles).unwrap_or_else(|_| "[]".into())),
            last_launch_at: Set(Some(l.now)),
            ..Default::default()
        };
        self.members
            .submit(((course.0, user_id.to_string()), m))
            .await?;
        self.forget_contact(course, user_id).await;
        Ok(())
    }
}

impl Store {
    /// The titles of a course's activities (modules), by resource link id: a course has a
    /// handful, and staff pages name modules by title, never by id.
    pub async fn activity_titles(
        &self,
        course: CourseId,
    ) -> Result<std::collections::HashMap<String, Option<String>>, StoreError> {
        use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
        let rows = activity::Entity::find()
            .filter(activity::Column::CourseId.eq(course.0))
            .limit(1000)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|a| (a.resource_link_id, a.title))
            .collect())
    }
}
