//! The people of a course as the staff page and the engine see them: the NRPS roster when one
//! was synced, else those who launched, each with one display name, roles and tags.

use serde::Serialize;

use crate::lti::roles::Roles;
use crate::store::{
    CourseId, MemberStatus, PersonId, RosterEntry, Store, StoreError, display_name,
};

/// Where the people of a course come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RosterSource {
    /// The LMS roster (NRPS).
    Nrps,
    /// No roster service: the people who launched the activity.
    Launches,
}

/// A person of the course as the staff page and the engine see them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Person {
    pub user_id: PersonId,
    pub name: Option<String>,
    pub email: Option<String>,
    pub picture: Option<String>,
    pub status: MemberStatus,
    pub learner: bool,
    pub staff: bool,
    pub launched_at: Option<i64>,
    pub tags: Vec<String>,
}

impl Person {
    /// A name to show: the LMS name, else the email, else the LMS user id.
    pub fn label(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.email.clone())
            .unwrap_or_else(|| format!("#{}", self.user_id))
    }

    /// What learners may see of another learner: the name, else the LMS id — never the
    /// email (the platform may share emails with the tool, not with classmates).
    pub fn public_label(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("#{}", self.user_id))
    }

    /// Learners who are active: the only people the engine may pair.
    pub fn pairable(&self) -> bool {
        self.learner && self.status.is_active()
    }

    fn new(
        e: RosterEntry,
        name: Option<String>,
        launched_at: Option<i64>,
        tags: Vec<String>,
    ) -> Person {
        let roles = Roles::parse(&e.roles);
        Person {
            name,
            email: e.email,
            picture: e.picture,
            status: e.status,
            learner: super::rules::is_pairable_learner(&roles),
            staff: roles.is_context_staff(),
            launched_at,
            tags,
            user_id: e.user_id,
        }
    }
}

/// The people of a course: the NRPS roster when one was synced, else those who launched.
/// A person who launched is named as their launch names them, else as the roster does.
pub async fn people(
    store: &Store,
    course: CourseId,
) -> Result<(Vec<Person>, RosterSource), StoreError> {
    let roster = store.roster(course).await?;
    let launched = store.launched(course).await?;
    let mut profiles = store.profiles(course).await?;
    let (base, source) = if roster.is_empty() {
        let mut l: Vec<RosterEntry> = launched.values().map(|(e, _)| e.clone()).collect();
        l.sort_by(|a, b| a.user_id.cmp(&b.user_id));
        (l, RosterSource::Launches)
    } else {
        (roster, RosterSource::Nrps)
    };
    let people = base
        .into_iter()
        .map(|e| {
            let launch = launched.get(e.user_id.as_str());
            let name = launch
                .and_then(|(l, _)| display_name(l))
                .or_else(|| display_name(&e));
            let at = launch.and_then(|(_, t)| *t);
            let tags = profiles.remove(e.user_id.as_str()).unwrap_or_default();
            Person::new(e, name, at, tags)
        })
        .collect();
    Ok((people, source))
}

/// One page of the people of a course (see [`Store::roster_page`]), with their tags; the
/// `after` of the next page; and where the people come from.
pub async fn people_page(
    store: &Store,
    course: CourseId,
    after: Option<&str>,
    limit: u64,
) -> Result<(Vec<Person>, Option<String>, RosterSource), StoreError> {
    let page = store.roster_page(course, after, limit).await?;
    let ids: Vec<String> = page
        .entries
        .iter()
        .map(|p| p.entry.user_id.to_string())
        .collect();
    let mut profiles = store.profiles_of(course, &ids).await?;
    let people = page
        .entries
        .into_iter()
        .map(|p| {
            let tags = profiles
                .remove(p.entry.user_id.as_str())
                .unwrap_or_default();
            let name = p.entry.name.clone();
            Person::new(p.entry, name, p.launched_at, tags)
        })
        .collect();
    let source = if page.from_roster {
        RosterSource::Nrps
    } else {
        RosterSource::Launches
    };
    Ok((people, page.next, source))
}
