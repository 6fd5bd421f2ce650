//! Activity configurations: what a course designer set for one activity (title,
//! instructions, module, pairing policy, step durations, session mode, language, grading),
//! stored as checked JSON on the activity; and the configurations a Deep Linking response
//! created, waiting for the first launch of their resource link. All scoped by course; the
//! one lookup across courses (a course copy, [`Store::copy_activity_draft`]) stays inside
//! the courses of one platform registration.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

use super::entities::{activity, activity_draft, course};
use super::{CourseId, Store, StoreError, Tx, parse_policy, policy_key};
use crate::coaching::{Grading, SessionMode, Timings};
use crate::i18n::Locale;
use crate::pairing::Policy;

/// The longest title kept, in characters.
pub const MAX_TITLE: usize = 200;
/// The longest instructions kept, in characters.
pub const MAX_INSTRUCTIONS: usize = 4000;
/// The longest module name kept, in characters.
pub const MAX_MODULE_NAME: usize = 120;
/// Module numbers of a training.
pub const MODULE_NUMBERS: std::ops::RangeInclusive<u16> = 1..=99;
/// Deep-linked configurations a course may hold before its resource links are launched.
pub const MAX_DRAFTS_PER_COURSE: u64 = 500;

/// One activity's configuration, typed and within bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityConfig {
    pub title: String,
    pub instructions: String,
    /// Which module of the training this activity is (its number orders the modules).
    pub module_number: Option<u16>,
    pub module_name: String,
    /// How this module's pairs are formed.
    pub policy: Policy,
    pub timings: Timings,
    pub mode: SessionMode,
    /// A language forced on every page of the activity; none follows the LMS.
    pub language: Option<Locale>,
    pub grading: Grading,
}

impl Default for ActivityConfig {
    fn default() -> Self {
        ActivityConfig {
            title: String::new(),
            instructions: String::new(),
            module_number: None,
            module_name: String::new(),
            policy: Policy::KeepPairs,
            timings: Timings::default(),
            mode: SessionMode::default(),
            language: None,
            grading: Grading::default(),
        }
    }
}

/// The stored shape; reading it back checks every bound again.
#[derive(Serialize, Deserialize)]
struct Wire {
    title: String,
    instructions: String,
    module_number: Option<u16>,
    module_name: String,
    policy: String,
    timings: Timings,
    mode: SessionMode,
    language: Option<Locale>,
    grading: Grading,
}

impl ActivityConfig {
    fn to_json(&self) -> String {
        let w = Wire {
            title: self.title.clone(),
            instructions: self.instructions.clone(),
            module_number: self.module_number,
            module_name: self.module_name.clone(),
            policy: policy_key(self.policy).to_string(),
            timings: self.timings,
            mode: self.mode,
            language: self.language,
            grading: self.grading,
        };
        // Plain strings, numbers and enums always serialise.
        serde_json::to_string(&w).unwrap_or_default()
    }

    fn from_json(json: &str, table: &'static str, row: impl ToString) -> Result<Self, StoreError> {
        let corrupt = |d: String| StoreError::corrupt(table, row.to_string(), d);
        let w: Wire = serde_json::from_str(json).map_err(|e| corrupt(e.to_string()))?;
        let policy =
            parse_policy(&w.policy).ok_or_else(|| corrupt(format!("policy {}", w.policy)))?;
        if w.title.chars().count() > MAX_TITLE
            || w.instructions.chars().count() > MAX_INSTRUCTIONS
            || w.module_name.chars().count() > MAX_MODULE_NAME
            || w.module_number
                .is_some_and(|n| !MODULE_NUMBERS.contains(&n))
        {
            return Err(corrupt(
                "a text or the module number is out of bounds".into(),
            ));
        }
        Ok(ActivityConfig {
            title: w.title,
            instructions: w.instructions,
            module_number: w.module_number,
            module_name: w.module_name,
            policy,
            timings: w.timings,
            mode: w.mode,
            language: w.language,
            grading: w.grading,
        })
    }
}

async fn read_config<C: sea_orm::ConnectionTrait>(
    db: &C,
    course: CourseId,
    resource_link: &str,
) -> Result<Option<ActivityConfig>, StoreError> {
    let row: Option<(i32, Option<String>)> = activity::Entity::find()
        .select_only()
        .column(activity::Column::Id)
        .column(activity::Column::Config)
        .filter(activity::Column::CourseId.eq(course.get()))
        .filter(activity::Column::ResourceLinkId.eq(resource_link))
        .into_tuple()
        .one(db)
        .await?;
    match row {
        Some((id, Some(c))) => Ok(Some(ActivityConfig::from_json(&c, "activities", id)?)),
        _ => Ok(None),
    }
}

/// What came of saving a deep-linked configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftSaved {
    Saved,
    /// The course already holds [`MAX_DRAFTS_PER_COURSE`] of them.
    TooMany,
}

impl Store {
    /// The configured activities of a course, by resource link id.
    pub async fn activity_configs(
        &self,
        course: CourseId,
    ) -> Result<HashMap<String, ActivityConfig>, StoreError> {
        let rows: Vec<(i32, String, Option<String>)> = activity::Entity::find()
            .select_only()
            .column(activity::Column::Id)
            .column(activity::Column::ResourceLinkId)
            .column(activity::Column::Config)
            .filter(activity::Column::CourseId.eq(course.get()))
            .filter(activity::Column::Config.is_not_null())
            .into_tuple()
            .all(&self.db)
            .await?;
        rows.into_iter()
            .filter_map(|(id, rl, c)| c.map(|c| (id, rl, c)))
            .map(|(id, rl, c)| Ok((rl, ActivityConfig::from_json(&c, "activities", id)?)))
            .collect()
    }

    /// The configuration of one activity, if staff set it up.
    pub async fn activity_config(
        &self,
        course: CourseId,
        resource_link: &str,
    ) -> Result<Option<ActivityConfig>, StoreError> {
        read_config(&self.db, course, resource_link).await
    }

    /// Gives an activity not configured yet the deep-linked configuration `key` of its course
    /// names; whether it now has it. A duplicated activity carries the same key and gets the
    /// same configuration (a copied course: [`Store::copy_activity_draft`]).
    pub async fn adopt_activity_draft(
        &self,
        course: CourseId,
        resource_link: &str,
        key: &str,
    ) -> Result<bool, StoreError> {
        let Some(draft) = activity_draft::Entity::find()
            .filter(activity_draft::Column::CourseId.eq(course.get()))
            .filter(activity_draft::Column::Key.eq(key))
            .one(&self.db)
            .await?
        else {
            return Ok(false);
        };
        // Checked before it is copied, so a bad row is reported where it is.
        ActivityConfig::from_json(&draft.config, "activity_drafts", draft.id)?;
        let config = (draft.config, draft.created_at, draft.created_by);
        set_config_if_none(&self.db, course, resource_link, config).await
    }

    /// Course copy: gives an activity of `course` not configured yet the configuration
    /// deep-linked under `key` in another course of the same platform registration (the
    /// registration of `course` itself, read from its row, so a key made under another
    /// registration never matches), and that course's field-context tags when `course` has
    /// none yet. The source is the original draft — what the designer saved by deep linking,
    /// the earliest if several courses hold the key — never what a course later made of it,
    /// and nothing else of the other course is read: no pairs, sessions, grades, roster or
    /// links. Returns the course the configuration came from, or None when no other course
    /// of the registration holds the key (or the activity already has a configuration).
    ///
    /// The same course's own draft is [`Store::adopt_activity_draft`], which the launch tries
    /// first.
    pub async fn copy_activity_draft(
        &self,
        course: CourseId,
        resource_link: &str,
        key: &str,
        now: i64,
    ) -> Result<Option<CourseId>, StoreError> {
        let registration = Query::select()
            .column(course::Column::PlatformId)
            .from(course::Entity)
            .and_where(course::Column::Id.eq(course.get()))
            .to_owned();
        let courses_of_registration = Query::select()
            .column(course::Column::Id)
            .from(course::Entity)
            .and_where(course::Column::PlatformId.in_subquery(registration))
            .to_owned();
        let Some(draft) = activity_draft::Entity::find()
            .filter(activity_draft::Column::Key.eq(key))
            .filter(activity_draft::Column::CourseId.ne(course.get()))
            .filter(activity_draft::Column::CourseId.in_subquery(courses_of_registration))
            .order_by_asc(activity_draft::Column::CreatedAt)
            .order_by_asc(activity_draft::Column::Id)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        // Checked before it is copied, so a bad row is reported where it is.
        ActivityConfig::from_json(&draft.config, "activity_drafts", draft.id)?;
        let source = CourseId::new(draft.course_id);
        let tx = self.begin(course).await?;
        let config = (draft.config, now, draft.created_by);
        if !set_config_if_none(&tx.txn, course, resource_link, config).await? {
            tx.rollback().await?;
            return Ok(None);
        }
        // The tags learners choose from were typed on the same form; a course that has its
        // own already keeps them.
        let mut settings = tx.course_settings().await?;
        if settings.tag_options.is_empty() {
            let theirs = super::settings::read_settings(&tx.txn, source).await?;
            if !theirs.tag_options.is_empty() {
                settings.tag_options = theirs.tag_options;
                tx.set_course_settings(&settings, now).await?;
            }
        }
        tx.commit().await?;
        Ok(Some(source))
    }
}

impl Tx<'_> {
    /// The configuration of one of the course's activities, as this transaction sees it.
    pub async fn activity_config(
        &self,
        resource_link: &str,
    ) -> Result<Option<ActivityConfig>, StoreError> {
        read_config(&self.txn, self.course, resource_link).await
    }

    /// Keeps a configuration made in a deep-linking request under `key`, for the resource
    /// link the LMS will create with it.
    pub async fn save_activity_draft(
        &self,
        key: &str,
        config: &ActivityConfig,
        actor: &str,
        now: i64,
    ) -> Result<DraftSaved, StoreError> {
        let held = activity_draft::Entity::find()
            .filter(activity_draft::Column::CourseId.eq(self.course.get()))
            .count(&self.txn)
            .await?;
        if held >= MAX_DRAFTS_PER_COURSE {
            return Ok(DraftSaved::TooMany);
        }
        activity_draft::Entity::insert(activity_draft::ActiveModel {
            course_id: Set(self.course.get()),
            key: Set(key.to_string()),
            config: Set(config.to_json()),
            created_by: Set(actor.to_string()),
            created_at: Set(now),
            ..Default::default()
        })
        .exec_without_returning(&self.txn)
        .await?;
        Ok(DraftSaved::Saved)
    }

    /// Sets the configuration of one of the course's activities; false when the course has
    /// no such activity.
    pub async fn set_activity_config(
        &self,
        resource_link: &str,
        config: &ActivityConfig,
        actor: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = activity::Entity::update_many()
            .col_expr(activity::Column::Config, Expr::value(config.to_json()))
            .col_expr(activity::Column::ConfigUpdatedAt, Expr::value(now))
            .col_expr(activity::Column::ConfigUpdatedBy, Expr::value(actor))
            .filter(activity::Column::CourseId.eq(self.course.get()))
            .filter(activity::Column::ResourceLinkId.eq(resource_link))
            .exec(&self.txn)
            .await?;
        Ok(done.rows_affected > 0)
    }
}

/// Gives an activity of the course the configuration `(json, at, by)` unless it already has
/// one; whether it did.
async fn set_config_if_none<C: ConnectionTrait>(
    conn: &C,
    course: CourseId,
    resource_link: &str,
    (config, at, by): (String, i64, String),
) -> Result<bool, StoreError> {
    let done = activity::Entity::update_many()
        .col_expr(activity::Column::Config, Expr::value(config))
        .col_expr(activity::Column::ConfigUpdatedAt, Expr::value(at))
        .col_expr(activity::Column::ConfigUpdatedBy, Expr::value(by))
        .filter(activity::Column::CourseId.eq(course.get()))
        .filter(activity::Column::ResourceLinkId.eq(resource_link))
        .filter(activity::Column::Config.is_null())
        .exec(conn)
        .await?;
    Ok(done.rows_affected > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_reads_back_as_written_and_bounds_are_checked_on_read() {
        let c = ActivityConfig {
            title: "Module 2".into(),
            module_number: Some(2),
            policy: Policy::NewPartners,
            mode: SessionMode::Remote,
            language: Some(Locale::Fr),
            grading: Grading::new(10, 3).unwrap(),
            timings: Timings::new([5, 10, 10, 20, 15, 10]).unwrap(),
            ..Default::default()
        };
        assert_eq!(ActivityConfig::from_json(&c.to_json(), "t", 1).unwrap(), c);
        let bad = c
            .to_json()
            .replace("\"module_number\":2", "\"module_number\":500");
        assert!(ActivityConfig::from_json(&bad, "t", 1).is_err());
    }
}
