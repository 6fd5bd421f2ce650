//! The draft pair set of a module as a state machine: the engine proposes it, staff swap,
//! lock, split and exclude, then publish it. Each action and its `pairing_events` row commit
//! in one transaction, and each edit replaces exactly the draft it read (compare-and-swap),
//! so a concurrent edit is refused rather than lost.

use crate::course::pair_set::{StoredGroup, StoredPlan};
use crate::pairing::{self, Explanation, LearnerId};
use crate::store::{CourseId, LinkKind, LinkSource, PersonId, Store, StoreError, Tx};

use super::history::PairingChange;
use crate::course::cache::CourseCache;

use super::plan_input::{engine_kind, plan_input_with_draft};
use crate::course::people::people;

/// Why an edit of the draft was refused.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// There is no draft to edit.
    #[error("there is no proposal to edit yet")]
    NoDraft,
    /// The learner is in no group of the draft.
    #[error("this learner is in no pair of the proposal")]
    NotPlaced,
    /// The learner named is not a learner of the course.
    #[error("this person is not a learner of the course")]
    UnknownLearner,
    /// The same learner was named twice.
    #[error("the same learner was chosen twice")]
    SamePerson,
    /// The two learners are already in the same group.
    #[error("these learners are already in the same group")]
    SameGroup,
    /// Someone else changed the proposal meanwhile.
    #[error("the proposal changed meanwhile; reload the page")]
    Conflict,
    /// The edit would put two linked learners together.
    #[error("this change would put two people with a hierarchical or do-not-pair link together")]
    BreaksConstraint,
    /// The pairing engine failed (it panicked): a bug, not a refusal.
    #[error("the pairing engine failed")]
    Engine(#[source] tokio::task::JoinError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who edits which module's draft, and when: the context of every pairing action.
pub struct DraftScope<'a> {
    pub store: &'a Store,
    /// Invalidated after every change, so learners of this instance see it at once.
    pub cache: &'a CourseCache,
    pub course: CourseId,
    pub module: &'a str,
    pub actor: &'a str,
    pub now: i64,
}

impl DraftScope<'_> {
    /// Runs the engine and saves its plan as the module's draft (locked groups kept). The
    /// plan replaces the draft it was computed from: if someone changed the draft while the
    /// engine ran (a lock, another proposal), it is refused as a conflict.
    pub async fn propose(&self) -> Result<StoredPlan, EditError> {
        let (input, _, read) = plan_input_with_draft(
            self.store,
            self.course,
            self.module,
            self.course.get() as u64,
        )
        .await?;
        // Large courses take a moment: keep the HTTP worker free.
        let plan = tokio::task::spawn_blocking(move || pairing::plan(&input))
            .await
            .map_err(EditError::Engine)?;
        let stored = StoredPlan {
            groups: plan
                .groups
                .into_iter()
                .map(|g| StoredGroup {
                    locked: g.explanation.locked,
                    members: g
                        .members
                        .into_iter()
                        .map(|m| PersonId::new(m.as_str()))
                        .collect(),
                    explanation: g.explanation,
                })
                .collect(),
            unplaced: plan.unplaced,
            exact: plan.exact,
        };
        let change = PairingChange::Propose {
            groups: stored.groups.len(),
            unplaced: stored.unplaced.len(),
        };
        let json = stored.to_json();
        let (module, actor, now) = (self.module, self.actor, self.now);
        self.store
            .transaction(self.course, |tx| {
                Box::pin(async move {
                    let saved = match &read {
                        Some(read) => tx.replace_draft(module, read, &json, actor, now).await?,
                        None => tx.create_draft(module, &json, actor, now).await?,
                    };
                    if !saved {
                        return Err(EditError::Conflict);
                    }
                    log(tx, module, actor, &change, now).await?;
                    Ok(())
                })
            })
            .await?;
        self.cache.invalidate(self.course).await;
        Ok(stored)
    }

    /// The draft, with the stored text it was read from (for the compare-and-swap).
    async fn draft(&self) -> Result<(StoredPlan, String), EditError> {
        let d = self
            .store
            .pair_set(self.course, self.module, crate::store::PairSetStatus::Draft)
            .await?
            .ok_or(EditError::NoDraft)?;
        Ok((StoredPlan::from_set(&d)?, d.groups))
    }

    /// Replaces the draft `read` by `plan` and records the action, in one transaction.
    async fn save(
        &self,
        read: &str,
        plan: &StoredPlan,
        change: PairingChange,
    ) -> Result<(), EditError> {
        let json = plan.to_json();
        let (module, actor, now) = (self.module, self.actor, self.now);
        self.store
            .transaction(self.course, |tx| {
                Box::pin(async move {
                    if !tx.replace_draft(module, read, &json, actor, now).await? {
                        return Err(EditError::Conflict);
                    }
                    log(tx, module, actor, &change, now).await?;
                    Ok(())
                })
            })
            .await?;
        self.cache.invalidate(self.course).await;
        Ok(())
    }

    /// Swaps two learners between their groups of the draft.
    pub async fn swap(&self, a: &PersonId, b: &PersonId) -> Result<(), EditError> {
        if a == b {
            return Err(EditError::SamePerson);
        }
        let (mut plan, read) = self.draft().await?;
        let ga = plan
            .groups
            .iter()
            .position(|g| g.members.iter().any(|m| m == a))
            .ok_or(EditError::NotPlaced)?;
        let gb = plan
            .groups
            .iter()
            .position(|g| g.members.iter().any(|m| m == b))
            .ok_or(EditError::NotPlaced)?;
        if ga == gb {
            return Err(EditError::SameGroup);
        }
        for (g, from, to) in [(ga, a, b), (gb, b, a)] {
            for m in plan.groups[g].members.iter_mut().filter(|m| *m == from) {
                *m = to.clone();
            }
        }
        let forbidden = forbidden(self.store, self.course).await?;
        if !forbidden.group_ok(&plan.groups[ga].members)
            || !forbidden.group_ok(&plan.groups[gb].members)
        {
            return Err(EditError::BreaksConstraint);
        }
        for g in [ga, gb] {
            plan.groups[g].explanation = Explanation {
                notes: vec![pairing::Note::ChangedByInstructor],
                ..Default::default()
            };
            plan.groups[g].locked = false;
        }
        let change = PairingChange::Swap {
            a: a.clone(),
            b: b.clone(),
        };
        self.save(&read, &plan, change).await
    }

    /// Locks or unlocks the group of a learner: a locked group survives a new proposal.
    pub async fn set_lock(&self, member: &PersonId, locked: bool) -> Result<(), EditError> {
        let (mut plan, read) = self.draft().await?;
        let g = plan
            .groups
            .iter_mut()
            .find(|g| g.members.iter().any(|m| m == member))
            .ok_or(EditError::NotPlaced)?;
        g.locked = locked;
        g.explanation.locked = locked;
        let members = g.members.clone();
        let change = if locked {
            PairingChange::Lock { members }
        } else {
            PairingChange::Unlock { members }
        };
        self.save(&read, &plan, change).await
    }

    /// Dissolves the group of a learner; its members wait for the next proposal.
    pub async fn split(&self, member: &PersonId) -> Result<(), EditError> {
        let (mut plan, read) = self.draft().await?;
        let members = plan.split(member).ok_or(EditError::NotPlaced)?;
        self.save(&read, &plan, PairingChange::Split { members })
            .await
    }

    /// Adds a do-not-pair exclusion; if the two share a group of the draft, it is dissolved.
    /// The link, its event, the split and the split's event are one transaction.
    pub async fn exclude(&self, a: &PersonId, b: &PersonId) -> Result<(), EditError> {
        if a == b {
            return Err(EditError::SamePerson);
        }
        let (people, _) = people(self.store, self.course).await?;
        if ![a, b]
            .iter()
            .all(|id| people.iter().any(|p| p.user_id == **id && p.learner))
        {
            return Err(EditError::UnknownLearner);
        }
        let tx = self.store.begin(self.course).await?;
        tx.add_link(
            a,
            b,
            LinkKind::DoNotPair,
            LinkSource::Staff,
            self.actor,
            self.now,
        )
        .await?;
        let change = PairingChange::Exclude {
            a: a.clone(),
            b: b.clone(),
        };
        log(&tx, self.module, self.actor, &change, self.now).await?;
        // The draft is read inside the transaction, which holds the write lock on SQLite;
        // on PostgreSQL the compare-and-swap still refuses a draft changed since.
        if let Some(set) = tx.draft(self.module).await? {
            let mut plan = StoredPlan::from_set(&set)?;
            if plan.together(a, b) {
                let members = plan.split(a).ok_or(EditError::NotPlaced)?;
                if !tx
                    .replace_draft(
                        self.module,
                        &set.groups,
                        &plan.to_json(),
                        self.actor,
                        self.now,
                    )
                    .await?
                {
                    return Err(EditError::Conflict);
                }
                let change = PairingChange::Split { members };
                log(&tx, self.module, self.actor, &change, self.now).await?;
            }
        }
        tx.commit().await?;
        self.cache.invalidate(self.course).await;
        Ok(())
    }

    /// Publishes the draft: learners see their partner from now on.
    pub async fn publish(&self) -> Result<(), EditError> {
        let tx = self.store.begin(self.course).await?;
        if !tx.publish_draft(self.module, self.actor, self.now).await? {
            return Err(EditError::NoDraft);
        }
        log(
            &tx,
            self.module,
            self.actor,
            &PairingChange::Publish,
            self.now,
        )
        .await?;
        tx.commit().await?;
        self.cache.invalidate(self.course).await;
        Ok(())
    }
}

/// Records a change of a module's pairs inside the transaction that makes it.
async fn log(
    tx: &Tx<'_>,
    module: &str,
    actor: &str,
    change: &PairingChange,
    now: i64,
) -> Result<(), StoreError> {
    tx.log_event(Some(module), actor, change.action(), &change.detail(), now)
        .await
}

/// The learners that may never share a group (hard constraints): the engine's own rule
/// (`pairing::Exclusions`), from the course's links.
async fn forbidden(store: &Store, course: CourseId) -> Result<pairing::Exclusions, StoreError> {
    let links: Vec<pairing::Link> = store
        .links(course)
        .await?
        .iter()
        .map(|l| pairing::Link {
            kind: engine_kind(l),
            a: LearnerId::new(l.a_user.as_str()),
            b: LearnerId::new(l.b_user.as_str()),
        })
        .collect();
    Ok(pairing::Exclusions::from_links(&links))
}
