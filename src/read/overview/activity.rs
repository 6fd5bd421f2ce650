//! The activity page's dashboard: where each published group stands in its sessions (status
//! in words, time spent, last activity) and each member's gradebook delivery.

use std::collections::HashMap;

use serde::Serialize;

use super::status::{duration_words, grade_words, status_words, time_spent};
use crate::i18n::Locale;
use crate::launch::session::Session;
use crate::read::staff::Reader;
use crate::read::{Moment, Sources, module, names};
use crate::realtime::live::group_key;
use crate::store::{GradeStatus, PersonId, SessionSummary, StoreError};

/// A member's gradebook delivery on a group's row.
#[derive(Debug, Clone, Serialize)]
pub struct GradeLine {
    /// `pending`, `delivered`, `failed` or `superseded`: the page's `data-grade`.
    pub key: &'static str,
    pub text: String,
}

/// One session (or a group without one yet) on the activity page.
#[derive(Debug, Clone, Serialize)]
pub struct GroupRow {
    /// The members' names.
    pub group: String,
    pub status: String,
    pub status_key: &'static str,
    /// The practice session's number; none for the guided one.
    pub practice: Option<i32>,
    pub spent: Option<String>,
    /// The last activity, once someone acted.
    pub updated: Option<Moment>,
    /// The members' deliveries, on the guided session's row only.
    pub grades: Vec<GradeLine>,
}

/// What the activity's rows are built from, as read.
pub struct ActivityInput {
    /// The groups of the module's published set, in order.
    pub groups: Vec<Vec<PersonId>>,
    pub sessions: Vec<SessionSummary>,
    pub names: HashMap<PersonId, String>,
    /// Each learner's latest score in the activity: what the gradebook has or will have.
    pub grades: HashMap<PersonId, (GradeStatus, Option<String>)>,
}

/// Reads the activity's rows: published groups, sessions, scores, names (three queries and
/// the cache).
pub async fn load(src: Sources<'_>, s: &Session) -> Result<ActivityInput, StoreError> {
    let store = src.store;
    let m = module(s);
    let published = src.courses.published(store, s.course, &m).await?;
    let sessions = store.sessions_of_activity(s.course, &m).await?;
    let groups: Vec<Vec<PersonId>> = published
        .as_ref()
        .map(|p| p.groups.iter().map(|g| g.members.clone()).collect())
        .unwrap_or_default();
    let mut people: Vec<PersonId> = sessions.iter().flat_map(|r| r.members.clone()).collect();
    people.extend(groups.iter().flatten().cloned());
    people.sort();
    people.dedup();
    let names = names(store, s, &people).await?;
    let mut grades = HashMap::new();
    for g in store.scores_of_activity(s.course, &m).await? {
        grades.insert(g.person_id.clone(), (g.status, g.last_error.clone()));
    }
    Ok(ActivityInput {
        groups,
        sessions,
        names,
        grades,
    })
}

/// The session's rows on the activity page's dashboard: one per published group (its
/// guided session, or none yet), then each practice session, then sessions of groups that
/// are no longer published.
pub fn rows(input: &ActivityInput, reader: Reader, l: Locale) -> Vec<GroupRow> {
    let name_of = |p: &PersonId| input.names.get(p).cloned().unwrap_or_default();
    let row_view = |members: &[PersonId], session: Option<&SessionSummary>| {
        let grades = if session.is_none_or(|x| x.ordinal == 0) {
            members
                .iter()
                .filter_map(|p| {
                    let (status, error) = input.grades.get(p)?;
                    let (key, words) = grade_words(*status, error.as_deref(), reader, l);
                    Some(GradeLine {
                        key,
                        text: l.tr(
                            "live_grade_line",
                            &[("name", name_of(p).into()), ("status", words.into())],
                        ),
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        GroupRow {
            group: members.iter().map(name_of).collect::<Vec<_>>().join(", "),
            status: status_words(session, members.len(), l),
            status_key: session.map_or("not_started", |x| x.status.as_str()),
            practice: session.and_then(|x| (x.ordinal > 0).then_some(x.ordinal)),
            spent: session.and_then(time_spent).map(|t| duration_words(t, l)),
            updated: session
                .filter(|x| x.last_seq > 0)
                .map(|x| Moment::at(l, x.updated_at)),
            grades,
        }
    };
    let mut by_group: HashMap<&str, Vec<&SessionSummary>> = HashMap::new();
    for r in &input.sessions {
        by_group.entry(r.group_key.as_str()).or_default().push(r);
    }
    let mut out = Vec::new();
    let mut shown = std::collections::HashSet::new();
    for members in &input.groups {
        let key = group_key(members);
        let mut sessions = by_group.get(key.as_str()).cloned().unwrap_or_default();
        sessions.sort_by_key(|r| r.ordinal);
        let guided = sessions.iter().find(|r| r.ordinal == 0).copied();
        out.push(row_view(members, guided));
        for r in sessions.iter().filter(|r| r.ordinal > 0) {
            out.push(row_view(&r.members, Some(r)));
        }
        shown.insert(key);
    }
    // Sessions of groups the published set no longer holds (pairs changed after they met).
    for r in input
        .sessions
        .iter()
        .filter(|r| !shown.contains(&r.group_key))
    {
        out.push(row_view(&r.members, Some(r)));
    }
    out
}
