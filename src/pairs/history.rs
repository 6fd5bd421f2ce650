//! The history staff see of a course's pairing: each change is stored as a typed record (who,
//! which module, what, with user ids) and worded only when shown, with names and module
//! titles, so that no internal id ever reaches a page. Also the sync status as staff see it.

use serde::{Deserialize, Serialize};

use crate::i18n::Locale;
use crate::store::{CourseInfo, PairEvent, PersonId};

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
    Swap { a: PersonId, b: PersonId },
    /// A group was locked.
    Lock { members: Vec<PersonId> },
    /// A group was unlocked.
    Unlock { members: Vec<PersonId> },
    /// A group was dissolved.
    Split { members: Vec<PersonId> },
    /// Two learners may no longer be paired.
    Exclude { a: PersonId, b: PersonId },
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
        return l.t("event_other");
    };
    let people = |ids: &[PersonId]| {
        ids.iter()
            .map(|i| name(i.as_str()))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    match &change {
        PairingChange::Settings { policy } => {
            let p = match policy.as_str() {
                "new" => l.t("policy_new"),
                "free" => l.t("policy_free"),
                _ => l.t("policy_keep"),
            };
            l.tr("event_settings", &[("policy", p.into())])
        }
        PairingChange::UploadLinks { added, unused } => l.tr(
            "event_upload_links",
            &[("added", (*added).into()), ("unused", (*unused).into())],
        ),
        PairingChange::Propose { groups, unplaced } => l.tr(
            "event_propose",
            &[
                ("groups", (*groups).into()),
                ("unplaced", (*unplaced).into()),
            ],
        ),
        PairingChange::Swap { a, b } => l.tr(
            "event_swap",
            &[
                ("a", name(a.as_str()).into()),
                ("b", name(b.as_str()).into()),
            ],
        ),
        PairingChange::Lock { members } => {
            l.tr("event_lock", &[("members", people(members).into())])
        }
        PairingChange::Unlock { members } => {
            l.tr("event_unlock", &[("members", people(members).into())])
        }
        PairingChange::Split { members } => {
            l.tr("event_split", &[("members", people(members).into())])
        }
        PairingChange::Exclude { a, b } => l.tr(
            "event_exclude",
            &[
                ("a", name(a.as_str()).into()),
                ("b", name(b.as_str()).into()),
            ],
        ),
        PairingChange::Publish => l.tr(
            "event_publish",
            &[(
                "module",
                e.module.as_deref().map(module).unwrap_or_default().into(),
            )],
        ),
    }
}

/// The last failed sync of a course, as (when, what the LMS said), when the last attempt
/// failed. The store keeps it as `"<unix time>|<message>"`.
pub fn sync_failure(course: &CourseInfo) -> Option<(i64, String)> {
    let (at, msg) = course.last_sync_error.as_deref()?.split_once('|')?;
    Some((at.parse().ok()?, msg.to_string()))
}
