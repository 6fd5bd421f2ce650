//! When a course's roster is read again: on a staff launch when it is stale, on the
//! instructor's "Refresh roster" (always a complete read), and on the background schedule.

use crate::lti::Registration;
use crate::lti::keys::ToolKey;
use crate::store::{CourseId, Store};

use super::{RosterSync, STAFF_LAUNCH_MIN_AGE, SyncError, SyncReport};

/// What started a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A staff member opened the activity: sync only when the roster is stale.
    StaffLaunch,
    /// The instructor asked for it: a complete read, now.
    Refresh,
}

/// What came of asking for a sync.
#[derive(Debug)]
pub enum Outcome {
    /// The roster is fresh enough; nothing was read.
    Fresh,
    /// A sync ran (or one running was waited for) and this is its result.
    Synced(Result<SyncReport, SyncError>),
}

/// Syncs the course of a session (found only within its registration and deployment)
/// according to `trigger`.
pub async fn sync_course(
    sync: &RosterSync,
    store: &Store,
    reg: &Registration,
    key: &ToolKey,
    (course, deployment_id): (CourseId, &str),
    trigger: Trigger,
    now: i64,
) -> Outcome {
    let course = match store.course_in_scope(course, reg.id, deployment_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return Outcome::Synced(Err(SyncError::NoService)),
        Err(e) => return Outcome::Synced(Err(e.into())),
    };
    if trigger == Trigger::StaffLaunch
        && course
            .last_sync_at
            .is_some_and(|t| now - t < STAFF_LAUNCH_MIN_AGE)
    {
        return Outcome::Fresh;
    }
    let full = trigger == Trigger::Refresh;
    Outcome::Synced(sync.sync(store, reg, key, &course, full, now).await)
}
