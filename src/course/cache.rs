//! A short-lived cache of what every page of a course reads: the course's and activities'
//! titles (and with them the check that the course belongs to the session's platform and
//! deployment), the course settings, the activities' configurations and the published pair
//! set of a module. A launch then costs no query for them; a change made
//! here is seen at once (the writer invalidates), one made by another instance within
//! [`TTL`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::course::pair_set::StoredPlan;
use crate::lti::RegistrationId;
use crate::store::{ActivityConfig, CourseId, CourseSettingsRow, PairSetStatus, Store, StoreError};

/// How long a cached value is used.
pub const TTL: Duration = Duration::from_secs(2);
const MAX_ENTRIES: usize = 50_000;

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

/// Per-process cache; cheap to share.
#[derive(Default)]
pub struct CourseCache {
    settings: Mutex<HashMap<CourseId, (Instant, CourseSettingsRow)>>,
    published: Mutex<HashMap<(CourseId, String), (Instant, Published)>>,
    titles: Mutex<HashMap<Scoped, (Instant, ScopedTitles)>>,
    configs: Mutex<HashMap<CourseId, (Instant, Configs)>>,
}

fn get<K: std::hash::Hash + Eq, V: Clone>(
    map: &Mutex<HashMap<K, (Instant, V)>>,
    k: &K,
) -> Option<V> {
    let map = map.lock().unwrap_or_else(|e| e.into_inner());
    map.get(k)
        .filter(|(at, _)| at.elapsed() < TTL)
        .map(|(_, v)| v.clone())
}

fn put<K: std::hash::Hash + Eq, V>(map: &Mutex<HashMap<K, (Instant, V)>>, k: K, v: V) {
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() >= MAX_ENTRIES {
        map.retain(|_, (at, _)| at.elapsed() < TTL);
    }
    map.insert(k, (Instant::now(), v));
}

impl CourseCache {
    /// The course's pairing settings.
    pub async fn settings(
        &self,
        store: &Store,
        course: CourseId,
    ) -> Result<CourseSettingsRow, StoreError> {
        if let Some(s) = get(&self.settings, &course) {
            return Ok(s);
        }
        let s = store.course_settings(course).await?;
        put(&self.settings, course, s.clone());
        Ok(s)
    }

    /// The configured activities of a course.
    pub async fn configs(&self, store: &Store, course: CourseId) -> Result<Configs, StoreError> {
        match get(&self.configs, &course) {
            Some(c) => Ok(c),
            None => self.read_configs(store, course).await,
        }
    }

    async fn read_configs(&self, store: &Store, course: CourseId) -> Result<Configs, StoreError> {
        let c = Arc::new(store.activity_configs(course).await?);
        put(&self.configs, course, c.clone());
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
        if let Some(c) = get(&self.configs, &course)
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
        let key = (course, module.to_string());
        if let Some(p) = get(&self.published, &key) {
            return Ok(p);
        }
        let p = store
            .pair_set(course, module, PairSetStatus::Published)
            .await?
            .map(|d| StoredPlan::from_set(&d).map(Arc::new))
            .transpose()?;
        put(&self.published, key, p.clone());
        Ok(p)
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
        let key = (course, registration, deployment_id.to_string());
        if let Some(t) = get(&self.titles, &key) {
            return Ok(t);
        }
        let t = match store
            .course_in_scope(course, registration, deployment_id)
            .await?
        {
            Some(info) => Some(Arc::new(Titles {
                course: info.title,
                activities: store.activity_titles(course).await?,
            })),
            None => None,
        };
        put(&self.titles, key, t.clone());
        Ok(t)
    }

    /// Forgets what this instance knows of a course, after it changed something.
    pub fn invalidate(&self, course: CourseId) {
        self.titles
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(c, _, _), _| *c != course);
        self.settings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&course);
        self.published
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(c, _), _| *c != course);
        self.configs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&course);
    }
}
