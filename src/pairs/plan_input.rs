//! From the stored people, links, settings and history of a course to the pairing engine's
//! input for one module.

use crate::pairing::{self, History, LearnerId, Link, ModulePairs, Participant, PlanInput, Policy};
use crate::store::{self, CourseId, LinkRow, LinkSource, PairSetStatus, Store, StoreError};

use crate::course::pair_set::StoredPlan;
use crate::course::people::{Person, people};

/// How the engine must treat a stored link. A learner's declaration excludes the declarer's
/// own pairing and nothing more: it is direct whatever it says, so that no declaration can
/// reach across levels to people the declarer never named. Only links staff uploaded are
/// followed across levels.
pub fn engine_kind(l: &LinkRow) -> pairing::LinkKind {
    match (l.source, l.kind) {
        // A learner's own declaration: a direct exclusion of the declarer, never followed
        // across levels, and never named to staff.
        (LinkSource::Declared, _) => pairing::LinkKind::Declared,
        (_, store::LinkKind::Manages) => pairing::LinkKind::Manages,
        (_, store::LinkKind::Hierarchical) => pairing::LinkKind::Hierarchical,
        (_, store::LinkKind::DoNotPair) => pairing::LinkKind::DoNotPair,
    }
}

/// The engine's input for a module of a course, and the people it was made from.
pub async fn plan_input(
    store: &Store,
    course: CourseId,
    module: &str,
    seed: u64,
) -> Result<(PlanInput, Vec<Person>), StoreError> {
    let (input, people, _) = plan_input_with_draft(store, course, module, seed).await?;
    Ok((input, people))
}

/// The same, with the stored text of the draft it read (its locked groups are kept), for a
/// proposal to replace exactly that draft.
pub(super) async fn plan_input_with_draft(
    store: &Store,
    course: CourseId,
    module: &str,
    seed: u64,
) -> Result<(PlanInput, Vec<Person>, Option<String>), StoreError> {
    let (people, _) = people(store, course).await?;
    let links = store.links(course).await?;
    // The module's own policy when its activity is configured, else the course's.
    let policy = match store.activity_config(course, module).await? {
        Some(c) => c.policy,
        None => store.course_settings(course).await?.policy,
    };
    // Earlier modules in order of first publication. The module being planned is not its own
    // history, except that under "keep pairs" its published set is the current pairs.
    let mut sets = store.published_sets(course).await?;
    if let Some(own) = sets.iter().position(|s| s.module == module) {
        let own = sets.remove(own);
        if policy == Policy::KeepPairs {
            sets.push(own);
        }
    }
    let mut history = History::default();
    for set in sets {
        let plan = StoredPlan::from_set(&set)?;
        history.modules.push(ModulePairs {
            module: set.module.clone(),
            groups: plan
                .groups
                .iter()
                .map(|g| {
                    g.members
                        .iter()
                        .map(|m| LearnerId::new(m.as_str()))
                        .collect()
                })
                .collect(),
        });
    }
    let draft_set = store.pair_set(course, module, PairSetStatus::Draft).await?;
    let draft = match &draft_set {
        Some(d) => StoredPlan::from_set(d)?,
        None => StoredPlan::default(),
    };
    let locked = draft
        .groups
        .iter()
        .filter(|g| g.locked)
        .map(|g| {
            g.members
                .iter()
                .map(|m| LearnerId::new(m.as_str()))
                .collect()
        })
        .collect();
    let participants = people
        .iter()
        .filter(|p| p.learner)
        .map(|p| Participant {
            id: LearnerId::new(p.user_id.as_str()),
            tags: p.tags.clone(),
            groups: Vec::new(),
            available: p.status.is_active(),
        })
        .collect();
    let input = PlanInput {
        participants,
        links: links
            .iter()
            .map(|l| Link {
                a: LearnerId::new(l.a_user.as_str()),
                b: LearnerId::new(l.b_user.as_str()),
                kind: engine_kind(l),
            })
            .collect(),
        history,
        policy,
        weights: Default::default(),
        locked,
        seed,
    };
    Ok((input, people, draft_set.map(|d| d.groups)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::LinkKind;

    fn link(kind: LinkKind, source: LinkSource) -> LinkRow {
        LinkRow {
            id: 1,
            a_user: "a".into(),
            b_user: "b".into(),
            kind,
            source,
            created_by: "a".into(),
        }
    }

    #[test]
    fn only_staff_links_reach_across_levels_and_declarations_stay_private() {
        use LinkKind::*;
        use LinkSource::*;
        let check = |kind, source, expected| {
            assert_eq!(
                engine_kind(&link(kind, source)),
                expected,
                "{kind:?} {source:?}"
            )
        };
        check(Manages, Declared, pairing::LinkKind::Declared);
        check(Hierarchical, Declared, pairing::LinkKind::Declared);
        check(Manages, Uploaded, pairing::LinkKind::Manages);
        check(Manages, Staff, pairing::LinkKind::Manages);
        check(Hierarchical, Uploaded, pairing::LinkKind::Hierarchical);
        check(DoNotPair, Staff, pairing::LinkKind::DoNotPair);
    }
}
