//! The history staff see of a course's pairing: each change is stored as a typed record (who,
//! which module, what, with user ids) and worded only when shown, with names and module
//! titles, so that no internal id ever reaches a page. Also the sync status as staff see it.

use serde::{Deserialize, Serialize};

use crate::i18n::Locale;
use crate::store::{CourseInfo, PairEvent};

/// One change to a course's pairing set-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum PairingChange {
    /// The tag list and pairing policy were saved.
    Settings { policy: String },
    /// Hierarchical links were uploaded as CSV.
    UploadLinks { added: usize, unused: usize },
    /// The engine proposed a draft.
    Propose { groups: usize, unplaced: usize },
    /// Two learners were swapped between their groups.
    Swap { a: String, b: String },
    /// A group was locked.
    Lock { members: Vec<String> },
    /// A group was unlocked.
    Unlock { members: Vec<String> },
    /// A group was dissolved.
    Split { members: Vec<String> },
    /// Two learners may no longer be paired.
    Exclude { a: String, b: String },
    /// The draft became visible to learners.
    Publish,
}

impl PairingChange {
    /// The stored action name.
    pub fn action(&self) -> &'static str {
        match self {
            PairingChange::Settings { .. } => "settings",
            PairingChange::UploadLinks { .. } => "upload_links",
            PairingChange::Propose { .. } => "propose",
            PairingChange::Swap { .. } => "swap",
            PairingChange::Lock { .. } => "lock",
            PairingChange::Unlock { .. } => "unlock",
            PairingChange::Split { .. } => "split",
            PairingChange::Exclude { .. } => "exclude",
            PairingChange::Publish => "publish",
        }
    }

    /// The stored detail: the record itself, as JSON.
    pub fn detail(&self) -> String {
        // A plain enum of strings and numbers always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The wording of a stored event, with `name` and `module` to name people and modules.
pub fn describe(
    e: &PairEvent,
    name: impl Fn(&str) -> String,
    module: impl Fn(&str) -> String,
    l: Locale,
) -> String {
    let Ok(change) = serde_json::from_str::<PairingChange>(&e.detail) else {
        // Written before changes were typed: the action alone, never the raw detail (ids).
        return l.t("event_other").to_string();
    };
    let people = |ids: &[String]| ids.iter().map(|i| name(i)).collect::<Vec<_>>().join(" · ");
    match &change {
        PairingChange::Settings { policy } => {
            let p = match policy.as_str() {
                "new" => l.t("policy_new"),
                "free" => l.t("policy_free"),
                _ => l.t("policy_keep"),
            };
            format!("{}{} {p}", l.t("event_settings"), l.t("colon"))
        }
        PairingChange::UploadLinks { added, unused } => {
            format!(
                "{}{} +{added}, {unused} ✗",
                l.t("event_upload_links"),
                l.t("colon")
            )
        }
        PairingChange::Propose { groups, unplaced } => format!(
            "{}{} {groups} / {unplaced}",
            l.t("event_propose"),
            l.t("colon")
        ),
        PairingChange::Swap { a, b } => {
            format!(
                "{}{} {} ↔ {}",
                l.t("event_swap"),
                l.t("colon"),
                name(a),
                name(b)
            )
        }
        PairingChange::Lock { members } => {
            format!("{}{} {}", l.t("event_lock"), l.t("colon"), people(members))
        }
        PairingChange::Unlock { members } => {
            format!(
                "{}{} {}",
                l.t("event_unlock"),
                l.t("colon"),
                people(members)
            )
        }
        PairingChange::Split { members } => {
            format!("{}{} {}", l.t("event_split"), l.t("colon"), people(members))
        }
        PairingChange::Exclude { a, b } => {
            format!(
                "{}{} {} ✗ {}",
                l.t("event_exclude"),
                l.t("colon"),
                name(a),
                name(b)
            )
        }
        PairingChange::Publish => format!(
            "{}{} {}",
            l.t("event_publish"),
            l.t("colon"),
            e.module.as_deref().map(module).unwrap_or_default()
        ),
    }
}

/// The last failed sync of a course, as (when, what the LMS said), when the last attempt
/// failed. The store keeps it as `"<unix time>|<message>"`.
pub fn sync_failure(course: &CourseInfo) -> Option<(i64, String)> {
    let (at, msg) = course.last_sync_error.as_deref()?.split_once('|')?;
    Some((at.parse().ok()?, msg.to_string()))
}
