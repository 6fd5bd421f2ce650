//! Course settings (the tags learners pick from, the pairing policy) and learners' profiles
//! (the tags each picked). All scoped by course.

use std::collections::HashMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::entities::{course_setting, learner_profile};
use super::{CourseId, PersonId, Store, StoreError, Tx};
use crate::pairing::Policy;

/// What the pairing of a course is configured with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CourseSettingsRow {
    pub tag_options: Vec<String>,
    pub policy: Policy,
}

/// The stored (and form) word of a policy; these words are in existing databases.
pub fn policy_key(p: Policy) -> &'static str {
    match p {
        Policy::KeepPairs => "keep",
        Policy::NewPartners => "new",
        Policy::Free => "free",
    }
}

/// The policy a stored (or form) word names, if any.
pub fn parse_policy(s: &str) -> Option<Policy> {
    match s {
        "keep" => Some(Policy::KeepPairs),
        "new" => Some(Policy::NewPartners),
        "free" => Some(Policy::Free),
        _ => None,
    }
}

/// A JSON list of tags, or the error naming the row it came from.
fn tags(json: &str, table: &'static str, row: impl ToString) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::corrupt(table, row, e))
}

fn tags_json(tags: &[String]) -> String {
    // A list of strings always serialises.
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

pub(super) async fn read_settings<C: ConnectionTrait>(
    db: &C,
    course_id: CourseId,
) -> Result<CourseSettingsRow, StoreError> {
    let Some(r) = course_setting::Entity::find_by_id(course_id.get())
        .one(db)
        .await?
    else {
        return Ok(CourseSettingsRow::default());
    };
    Ok(CourseSettingsRow {
        tag_options: tags(&r.tag_options, "course_settings", r.course_id)?,
        policy: parse_policy(&r.policy)
            .ok_or_else(|| StoreError::corrupt("course_settings", r.course_id, "unknown policy"))?,
    })
}

impl Store {
    /// The pairing settings of a course (defaults when never set).
    pub async fn course_settings(
        &self,
        course_id: CourseId,
    ) -> Result<CourseSettingsRow, StoreError> {
        read_settings(&self.db, course_id).await
    }

    /// Every learner's chosen tags in a course.
    pub async fn profiles(
        &self,
        course_id: CourseId,
    ) -> Result<HashMap<String, Vec<String>>, StoreError> {
        let rows = learner_profile::Entity::find()
            .filter(learner_profile::Column::CourseId.eq(course_id.get()))
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|r| Ok((r.user_id, tags(&r.tags, "learner_profiles", r.id)?)))
            .collect()
    }

    /// The chosen tags of a few learners of a course (a page of the roster).
    pub async fn profiles_of(
        &self,
        course_id: CourseId,
        ids: &[String],
    ) -> Result<HashMap<String, Vec<String>>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = learner_profile::Entity::find()
            .filter(learner_profile::Column::CourseId.eq(course_id.get()))
            .filter(learner_profile::Column::UserId.is_in(ids.iter().cloned()))
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|r| Ok((r.user_id, tags(&r.tags, "learner_profiles", r.id)?)))
            .collect()
    }

    /// One learner's chosen tags (empty when none).
    pub async fn profile(
        &self,
        course_id: CourseId,
        user_id: &PersonId,
    ) -> Result<Vec<String>, StoreError> {
        let row = learner_profile::Entity::find()
            .filter(learner_profile::Column::CourseId.eq(course_id.get()))
            .filter(learner_profile::Column::UserId.eq(user_id.as_str()))
            .one(&self.db)
            .await?;
        match row {
            Some(r) => tags(&r.tags, "learner_profiles", r.id),
            None => Ok(Vec::new()),
        }
    }

    /// Saves one learner's tags.
    pub async fn set_profile(
        &self,
        course_id: CourseId,
        user_id: &PersonId,
        tags: &[String],
        now: i64,
    ) -> Result<(), StoreError> {
        let row = learner_profile::ActiveModel {
            course_id: Set(course_id.get()),
            user_id: Set(user_id.to_string()),
            tags: Set(tags_json(tags)),
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
}

impl Tx<'_> {
    /// The pairing settings of the course, as this transaction sees them.
    pub async fn course_settings(&self) -> Result<CourseSettingsRow, StoreError> {
        read_settings(&self.txn, self.course).await
    }

    /// Saves the pairing settings of the course.
    pub async fn set_course_settings(
        &self,
        s: &CourseSettingsRow,
        now: i64,
    ) -> Result<(), StoreError> {
        let row = course_setting::ActiveModel {
            course_id: Set(self.course.get()),
            tag_options: Set(tags_json(&s.tag_options)),
            policy: Set(policy_key(s.policy).to_string()),
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
            .exec_without_returning(&self.txn)
            .await?;
        Ok(())
    }
}
