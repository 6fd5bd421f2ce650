//! What the staff page shows: the roster with its sync status, the course's pairing settings
//! and links, the module's draft and published pairs with their explanations, and the
//! module's history — people and modules named, never internal ids, and never a word of what
//! learners wrote.

use std::collections::HashMap;

use minijinja::{Value, context};

use super::AppState;
use super::error::WebError;
use super::pages::moment;
use crate::course::pair_set::StoredPlan;
use crate::course::people::{self, Person, RosterSource};
use crate::i18n::Locale;
use crate::launch::session::Session;
use crate::pairing::{Note, UnplacedReason};
use crate::store::{PairSetStatus, PersonId};

pub use crate::read::module;
pub use crate::read::staff::{Reader, failure_words};

/// People shown per page of the staff roster.
pub const ROSTER_PAGE: usize = 100;

/// How staff pages name people: by name (else email, else a placeholder), never by LMS id.
pub struct Names(HashMap<PersonId, String>);

impl Names {
    pub fn of(people: &[Person]) -> Names {
        Names(
            people
                .iter()
                .map(|p| (p.user_id.clone(), p.label()))
                .collect(),
        )
    }

    pub fn get(&self, id: &str, l: Locale) -> String {
        self.0
            .get(id)
            .cloned()
            .unwrap_or_else(|| l.t("someone_left").to_string())
    }
}

fn groups_view(
    plan: &StoredPlan,
    names: &Names,
    modules: &HashMap<String, Option<String>>,
    l: Locale,
) -> Value {
    let groups: Vec<Value> = plan
        .groups
        .iter()
        .map(|g| {
            let kept_from = g
                .explanation
                .kept_from
                .as_deref()
                .map(|m| module_name(modules, m, l));
            context! {
                members => g.members.iter().map(|m| context! { id => m, name => names.get(m.as_str(), l) }).collect::<Vec<_>>(),
                first => g.members.first().map(ToString::to_string).unwrap_or_default(),
                locked => g.locked,
                trio => g.members.len() == 3,
                shared => g.explanation.shared_tags.join(", "),
                kept_from => kept_from,
                notes => g.explanation.notes.iter().map(|n| note(n, l)).collect::<Vec<_>>().join(", "),
            }
        })
        .collect();
    let unplaced: Vec<Value> = plan
        .unplaced
        .iter()
        .map(|u| {
            let (key, detail) = match &u.reason {
                UnplacedReason::Unavailable => ("reason_unavailable", String::new()),
                UnplacedReason::NoCompatiblePartner { excluded_with } => (
                    "reason_no_partner",
                    excluded_with
                        .iter()
                        .map(|x| names.get(x.as_str(), l))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                UnplacedReason::SplitByInstructor => ("reason_split", String::new()),
                UnplacedReason::LeftOver { .. } => ("reason_left_over", String::new()),
            };
            context! { name => names.get(u.id.as_str(), l), reason => l.t(key), detail => detail }
        })
        .collect();
    context! { groups => groups, unplaced => unplaced, exact => plan.exact }
}

/// A module's name for staff: its title in the LMS, else a neutral placeholder.
fn module_name(modules: &HashMap<String, Option<String>>, id: &str, l: Locale) -> String {
    modules
        .get(id)
        .cloned()
        .flatten()
        .unwrap_or_else(|| l.t("module_untitled").to_string())
}

/// The wording of an explanation note.
fn note(n: &Note, l: Locale) -> String {
    match n {
        Note::LockDropped(why) => {
            let reason = l.t(&format!("lock_reason_{}", why.as_str()));
            l.tr("note_lock_dropped", &[("reason", reason.into())])
        }
        other => l.t(&format!("note_{}", other.key())),
    }
}

/// One entry of the module's history, worded with names.
fn event_view(
    e: &crate::store::PairEvent,
    names: &Names,
    modules: &HashMap<String, Option<String>>,
    l: Locale,
) -> Value {
    let who = names.get(&e.actor, l);
    let what = crate::pairs::history::describe(
        e,
        |id| names.get(id, l),
        |m| module_name(modules, m, l),
        l,
    );
    context! { actor => who, what => what, at => moment(l, e.at) }
}

/// Everything the staff page shows beyond the basics, and the name of the person looking.
/// `page` is the roster page (from 0).
pub async fn staff_context(
    state: &AppState,
    s: &Session,
    page: usize,
) -> Result<(Value, Option<String>), WebError> {
    let store = &state.flow.store;
    let l = s.locale;
    let course = super::extract::course_of(state, s).await?;
    let (people, source) = people::people(store, s.course).await?;
    let names = Names::of(&people);
    let modules = store.activity_titles(s.course).await?;
    let settings = store.course_settings(s.course).await?;
    // The policy this module's pairs follow: its activity's own once configured.
    let policy = match s.resource_link() {
        Some(rl) => state
            .courses
            .config(store, s.course, rl)
            .await?
            .map(|c| c.policy),
        None => None,
    }
    .unwrap_or(settings.policy);
    let links = store.links(s.course).await?;
    // Learners' own declarations stay private: staff see only the links staff made.
    let staff_links = links
        .iter()
        .filter(|k| k.source != crate::store::LinkSource::Declared)
        .count();
    let m = module(s);
    let draft = store
        .pair_set(s.course, &m, PairSetStatus::Draft)
        .await?
        .map(|d| StoredPlan::from_set(&d))
        .transpose()?;
    let published = store
        .pair_set(s.course, &m, PairSetStatus::Published)
        .await?
        .map(|d| StoredPlan::from_set(&d))
        .transpose()?;
    let events = store.events(s.course, Some(&m), 20).await?;
    let learners_launched = people
        .iter()
        .filter(|p| p.learner && p.launched_at.is_some())
        .count();
    let staff_launched = people
        .iter()
        .filter(|p| p.staff && p.launched_at.is_some())
        .count();
    let names_missing = people.iter().any(|p| p.learner)
        && people
            .iter()
            .filter(|p| p.learner)
            .all(|p| p.name.is_none() && p.email.is_none());
    let failure = crate::pairs::history::sync_failure(&course);
    let pages = people.len().div_ceil(ROSTER_PAGE).max(1);
    let page = page.min(pages - 1);
    let roster: Vec<Value> = people
        .iter()
        .skip(page * ROSTER_PAGE)
        .take(ROSTER_PAGE)
        .map(|p| {
            let role = if p.staff { l.t("role_staff_short") } else if p.learner { l.t("role_learner_short") } else { l.t("role_other_short") };
            context! { id => &p.user_id, name => p.label(), email => if s.may_manage { p.email.clone() } else { None }, role => role, status => &p.status, tags => p.tags.join(", "), launched => p.launched_at.is_some(), pairable => p.pairable() }
        })
        .collect();
    let my_name = s
        .user()
        .and_then(|me| people.iter().find(|p| p.user_id == me))
        .and_then(|p| p.name.clone());
    let values = context! {
        manage => s.may_manage,
        roster => roster,
        roster_total => people.len(),
        roster_page => page,
        roster_pages => pages,
        roster_nrps => source == RosterSource::Nrps,
        last_sync => course.last_sync_at.map(|t| moment(l, t)),
        sync_error => failure.as_ref().and_then(|(_, e)| failure_words(e, Reader::of(s), l)),
        sync_error_at => failure.as_ref().map(|(at, _)| moment(l, *at)),
        names_missing => names_missing,
        learners_launched => learners_launched,
        staff_launched => staff_launched,
        tag_options => settings.tag_options.join("\n"),
        policy => crate::store::policy_key(policy),
        staff_links => staff_links,
        draft => draft.as_ref().map(|d| groups_view(d, &names, &modules, l)),
        published => published.as_ref().map(|d| groups_view(d, &names, &modules, l)),
        learners => people.iter().filter(|p| p.pairable()).map(|p| context! { id => &p.user_id, name => p.label() }).collect::<Vec<_>>(),
        events => events.iter().map(|e| event_view(e, &names, &modules, l)).collect::<Vec<_>>(),
        module_title => module_name(&modules, &m, l),
    };
    Ok((values, my_name))
}
