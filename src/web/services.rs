//! Roster work that a handler starts: finds the session's registration and the tool's current
//! key in the launch flow, and hands them to `roster/`.

use super::AppState;
use crate::launch::now;
use crate::launch::session::Session;
use crate::roster::schedule::{Outcome, Trigger, sync_course};

/// Syncs the session's course as `trigger` asks; false when a sync ran and failed (or there is
/// no roster service), true when it succeeded or was not needed.
pub async fn sync_now(state: &AppState, s: &Session, trigger: Trigger) -> bool {
    let Ok(snap) = state.flow.registry.snapshot().await else {
        return false;
    };
    let Some(reg) = snap.registration(s.registration) else {
        return false;
    };
    let now = now();
    let key = state.flow.keys.current(now).await;
    let outcome = sync_course(
        &state.roster,
        &state.flow.store,
        reg,
        &key,
        (s.course, s.deployment_id.as_str()),
        trigger,
        now,
    )
    .await;
    let ok = match outcome {
        Outcome::Fresh => true,
        Outcome::Synced(r) => r.is_ok(),
    };
    state.courses.invalidate(s.course).await;
    ok
}
