//! The course's pairing settings as staff save them: the tag list learners pick from and the
//! pairing policy, stored with their `pairing_events` row in one transaction.

use crate::pairing::Policy;

use super::history::PairingChange;
use crate::course::cache::CourseCache;
use crate::store::{CourseId, CourseSettingsRow, Store, StoreError, parse_policy, policy_key};

/// At most this many tags, of at most [`MAX_TAG_CHARS`] characters each.
pub const MAX_TAGS: usize = 200;
/// The longest tag kept (longer ones are cut).
pub const MAX_TAG_CHARS: usize = 80;

/// The settings a staff form asks for: one tag per line (blank lines and repeats dropped,
/// long ones cut), and a policy word (`keep`, `new`, `free`; anything else keeps pairs).
pub fn settings_from_form(tags: &str, policy: &str) -> CourseSettingsRow {
    let mut tag_options: Vec<String> = Vec::new();
    for line in tags
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(MAX_TAGS)
    {
        let tag: String = line.chars().take(MAX_TAG_CHARS).collect();
        if !tag_options.contains(&tag) {
            tag_options.push(tag);
        }
    }
    CourseSettingsRow {
        tag_options,
        policy: parse_policy(policy).unwrap_or(Policy::KeepPairs),
    }
}

/// Saves the course's settings and records who changed them, in one transaction; this
/// instance's course cache forgets the old ones at once.
pub async fn save_settings(
    store: &Store,
    cache: &CourseCache,
    course: CourseId,
    actor: &str,
    settings: &CourseSettingsRow,
    now: i64,
) -> Result<(), StoreError> {
    save_settings_in(store, cache, course, None, actor, settings, now).await
}

/// The same from an activity's staff page: the policy is also this module's own, when its
/// configuration exists (an activity's configured policy is the one its pairs follow).
pub async fn save_settings_in(
    store: &Store,
    cache: &CourseCache,
    course: CourseId,
    module: Option<&str>,
    actor: &str,
    settings: &CourseSettingsRow,
    now: i64,
) -> Result<(), StoreError> {
    let tx = store.begin(course).await?;
    tx.set_course_settings(settings, now).await?;
    if let Some(rl) = module
        && let Some(mut config) = tx.activity_config(rl).await?
        && config.policy != settings.policy
    {
        config.policy = settings.policy;
        tx.set_activity_config(rl, &config, actor, now).await?;
    }
    let change = PairingChange::Settings {
        policy: policy_key(settings.policy).to_string(),
    };
    tx.log_event(None, actor, change.action(), &change.detail(), now)
        .await?;
    let done = tx.commit().await;
    cache.invalidate(course).await;
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_tags_are_trimmed_deduplicated_and_cut() {
        let long = "x".repeat(100);
        let s = settings_from_form(&format!(" a \n\nb\na\n{long}\n"), "new");
        assert_eq!(s.tag_options, vec!["a", "b", &long[..MAX_TAG_CHARS]]);
        assert_eq!(s.policy, Policy::NewPartners);
        assert_eq!(settings_from_form("", "weird").policy, Policy::KeepPairs);
    }
}
