//! A short-lived cache of what every page of a course reads: the course's and activities'
//! titles (and with them the check that the course belongs to the session's platform and
//! deployment), the course settings, the activities' configurations and the published pair
//! set of a module. A launch then costs no query for them; a change made
//! here is seen at once (the writer invalidates), one made by another instance within
//! [`TTL`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use crate::course::pair_set::StoredPlan;
use crate::lti::RegistrationId;
use crate::store::{ActivityConfig, CourseId, CourseSettingsRow, PairSetStatus, Store, StoreError};

/// How long a cached value is used.
pub const TTL: Duration = Duration::from_secs(2);
/// The most entries each of the four caches holds.
const MAX_ENTRIES: u64 = 50_000;

type Published = Option<Arc<StoredPlan>>;
/// The configured activities of a course, by resource link id.
pub type Configs = Arc<HashMap<String, ActivityConfig>>;

/// What the header of every page names: the course and its activities, by title.
#[derive(Debug, Clone)]
pub struct Titles {
    pub course: Option<String>,
    /// Activity titles by resource link id.
    pub activities: HashMap<String, Option<String>>,
}

/// A course as a session names it: its id within a registration and deployment.
type Scoped = (CourseId, RegistrationId, String);
/// The titles of a course, or None when it is not in that scope.
type ScopedTitles = Option<Arc<Titles>>;

/// Per-process cache; cheap to share. Concurrent misses of one key share one read.
pub struct CourseCache {
    settings: Cache<CourseId, CourseSettingsRow>,
    published: Cache<(CourseId, String), Published>,
    titles: Cache<Scoped, ScopedTitles>,
    configs: Cache<CourseId, Configs>,
}

impl Default for CourseCache {
    fn default() -> Self {
        CourseCache {
            settings: cache(),
            published: cache(),
            titles: cache(),
            configs: cache(),
        }
    }
}

/// A cache of [`MAX_ENTRIES`] values kept [`TTL`]; keys that hold a course besides other
/// parts are invalidated by predicate (`invalidate`).
fn cache<K, V>() -> Cache<K, V>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    Cache::builder()
        .max_capacity(MAX_ENTRIES)
        .time_to_live(TTL)
        .support_invalidation_closures()
        .build()
}

impl CourseCache {
    /// The course's pairing settings.
    pub async fn settings(
        &self,
        store: &Store,
        course: CourseId,
    ) -> Result<CourseSettingsRow, StoreError> {
        self.settings
            .try_get_with(course, store.course_settings(course))
            .await
            .map_err(StoreError::shared)
    }

    /// The configured activities of a course.
    pub async fn configs(&self, store: &Store, course: CourseId) -> Result<Configs, StoreError> {
        self.configs
            .try_get_with(course, async {
                Ok::<_, StoreError>(Arc::new(store.activity_configs(course).await?))
            })
            .await
            .map_err(StoreError::shared)
    }

    /// Reads the configurations again, cached or not, and caches them.
    async fn read_configs(&self, store: &Store, course: CourseId) -> Result<Configs, StoreError> {
        let c = Arc::new(store.activity_configs(course).await?);
        self.configs.insert(course, c.clone()).await;
        Ok(c)
    }

    /// The configuration of one activity, if staff set it up. A miss reads again: an
    /// activity waits for its configuration only until staff save it, maybe on another
    /// instance, and it must open as soon as they have.
    pub async fn config(
        &self,
        store: &Store,
        course: CourseId,
        resource_link: &str,
    ) -> Result<Option<ActivityConfig>, StoreError> {
        if let Some(c) = self.configs.get(&course).await
            && let Some(found) = c.get(resource_link)
        {
            return Ok(Some(found.clone()));
        }
        Ok(self
            .read_configs(store, course)
            .await?
            .get(resource_link)
            .cloned())
    }

    /// The published pair set of a module, if any.
    pub async fn published(
        &self,
        store: &Store,
        course: CourseId,
        module: &str,
    ) -> Result<Published, StoreError> {
        let read = async {
            store
                .pair_set(course, module, PairSetStatus::Published)
                .await?
                .map(|d| StoredPlan::from_set(&d).map(Arc::new))
                .transpose()
        };
        self.published
            .try_get_with((course, module.to_string()), read)
            .await
            .map_err(StoreError::shared)
    }

    /// The titles of a course, or None when the course is not within that registration and
    /// deployment (the session's scope).
    pub async fn titles(
        &self,
        store: &Store,
        course: CourseId,
        registration: RegistrationId,
        deployment_id: &str,
    ) -> Result<Option<Arc<Titles>>, StoreError> {
        let read = async {
            Ok::<_, StoreError>(
                match store
                    .course_in_scope(course, registration, deployment_id)
                    .await?
                {
                    Some(info) => Some(Arc::new(Titles {
                        course: info.title,
                        activities: store.activity_titles(course).await?,
                    })),
                    None => None,
                },
            )
        };
        self.titles
            .try_get_with((course, registration, deployment_id.to_string()), read)
            .await
            .map_err(StoreError::shared)
    }

    /// Forgets what this instance knows of a course, after it changed something.
    pub async fn invalidate(&self, course: CourseId) {
        self.settings.invalidate(&course).await;
        self.configs.invalidate(&course).await;
        // Seen by every read from now on; the entries themselves go at the next housekeeping.
        let titles = self
            .titles
            .invalidate_entries_if(move |(c, _, _), _| *c == course);
        let published = self
            .published
            .invalidate_entries_if(move |(c, _), _| *c == course);
        // Only a cache built without invalidation closures refuses them (not ours, see
        // `cache`); were it so, forgetting everything is still correct.
        if titles.is_err() || published.is_err() {
            self.titles.invalidate_all();
            self.published.invalidate_all();
        }
    }
}
