//! From the stored roster, profiles, links and history to the pairing engine's input, and from
//! its plan to the draft pair set the instructor edits and publishes. Every change is recorded
//! with who made it and when.

use serde::{Deserialize, Serialize};

use crate::lti::roles::Roles;
use crate::pairing::{
    self, Explanation, History, LearnerId, Link, LinkKind, ModulePairs, Participant, PlanInput,
    Policy, Unplaced, UnplacedReason,
};
use crate::store::{
    CourseId, LinkRow, PairSetStatus, RosterEntry, Store, StoreError, display_name,
};

/// One group of a stored pair set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredGroup {
    pub members: Vec<String>,
    #[serde(default)]
    pub locked: bool,
    #[serde(default)]
    pub explanation: Explanation,
}

/// A stored pair set: groups, and the learners left out with the reason.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StoredPlan {
    pub groups: Vec<StoredGroup>,
    #[serde(default)]
    pub unplaced: Vec<Unplaced>,
    #[serde(default)]
    pub exact: bool,
}

impl StoredPlan {
    pub fn parse(json: &str) -> StoredPlan {
        serde_json::from_str(json).unwrap_or_default()
    }

    fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// The group of a learner, if any.
    pub fn group_of(&self, user: &str) -> Option<&StoredGroup> {
        self.groups
            .iter()
            .find(|g| g.members.iter().any(|m| m == user))
    }
}

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
    pub user_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub picture: Option<String>,
    pub status: String,
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
        self.learner && self.status == "Active"
    }
}

/// The people of a course: the NRPS roster when one was synced, else those who launched.
pub async fn people(
    store: &Store,
    course: CourseId,
) -> Result<(Vec<Person>, RosterSource), StoreError> {
    let roster = store.roster(course).await?;
    let launched = store.launched(course).await?;
    let profiles = store.profiles(course).await?;
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
            let roles = Roles::parse(&e.roles);
            Person {
                name: display_name(&e),
                email: e.email.clone(),
                picture: e.picture.clone(),
                status: e.status.as_str().to_string(),
                learner: roles.is_pairable_learner(),
                staff: roles.is_context_staff(),
                launched_at: launched.get(&e.user_id).and_then(|(_, t)| *t),
                tags: profiles.get(&e.user_id).cloned().unwrap_or_default(),
                user_id: e.user_id,
            }
        })
        .collect();
    Ok((people, source))
}

fn link_kind(kind: &str) -> LinkKind {
    match kind {
        "manages" => LinkKind::Manages,
        "do_not_pair" => LinkKind::DoNotPair,
        _ => LinkKind::Hierarchical,
    }
}

fn policy(p: &str) -> Policy {
    match p {
        "new" => Policy::NewPartners,
        "free" => Policy::Free,
        _ => Policy::KeepPairs,
    }
}

/// The engine's input for a module of a course.
pub async fn plan_input(
    store: &Store,
    course: CourseId,
    module: &str,
    seed: u64,
) -> Result<(PlanInput, Vec<Person>), StoreError> {
    let (people, _) = people(store, course).await?;
    let links = store.links(course).await?;
    let settings = store.course_settings(course).await?;
    let policy = policy(&settings.policy);
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
        let plan = StoredPlan::parse(&set.groups);
        history.modules.push(ModulePairs {
            module: set.module.clone(),
            groups: plan
                .groups
                .iter()
                .map(|g| g.members.iter().map(LearnerId::new).collect())
                .collect(),
        });
    }
    let draft = store
        .pair_set(course, module, PairSetStatus::Draft)
        .await?
        .map(|d| StoredPlan::parse(&d.groups))
        .unwrap_or_default();
    let locked = draft
        .groups
        .iter()
        .filter(|g| g.locked)
        .map(|g| g.members.iter().map(LearnerId::new).collect())
        .collect();
    let participants = people
        .iter()
        .filter(|p| p.learner)
        .map(|p| Participant {
            id: LearnerId::new(&p.user_id),
            tags: p.tags.clone(),
            groups: Vec::new(),
            available: p.status == "Active",
        })
        .collect();
    let input = PlanInput {
        participants,
        links: links
            .iter()
            .map(|l: &LinkRow| Link {
                a: LearnerId::new(&l.a_user),
                b: LearnerId::new(&l.b_user),
                kind: link_kind(&l.kind),
            })
            .collect(),
        history,
        policy,
        weights: Default::default(),
        locked,
        seed,
    };
    Ok((input, people))
}

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
    /// Someone else changed the proposal meanwhile.
    #[error("the proposal changed meanwhile; reload the page")]
    Conflict,
    /// The edit would put two linked learners together.
    #[error("this change would put two people with a hierarchical or do-not-pair link together")]
    BreaksConstraint,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who edits which module's draft, and when: the context of every pairing action.
pub struct DraftScope<'a> {
    pub store: &'a Store,
    pub course: CourseId,
    pub module: &'a str,
    pub actor: &'a str,
    pub now: i64,
}

impl DraftScope<'_> {
    /// Runs the engine and saves its plan as the module's draft (locked groups kept).
    pub async fn propose(&self) -> Result<StoredPlan, StoreError> {
        let (input, _) =
            plan_input(self.store, self.course, self.module, self.course.0 as u64).await?;
        // Large courses take a moment: keep the HTTP worker free.
        let plan = tokio::task::spawn_blocking(move || pairing::plan(&input))
            .await
            .map_err(|e| StoreError::Corrupt(format!("pairing failed: {e}")))?;
        let stored = StoredPlan {
            groups: plan
                .groups
                .into_iter()
                .map(|g| StoredGroup {
                    locked: g.explanation.locked,
                    members: g
                        .members
                        .into_iter()
                        .map(|m| m.as_str().to_string())
                        .collect(),
                    explanation: g.explanation,
                })
                .collect(),
            unplaced: plan.unplaced,
            exact: plan.exact,
        };
        self.store
            .save_draft(
                self.course,
                self.module,
                &stored.to_json(),
                self.actor,
                self.now,
            )
            .await?;
        let detail = format!(
            "{} groups, {} unplaced",
            stored.groups.len(),
            stored.unplaced.len()
        );
        self.store
            .log_event(self.course, self.actor, "propose", &detail, self.now)
            .await?;
        Ok(stored)
    }

    /// The draft, with the stored text it was read from (for the compare-and-swap).
    async fn draft(&self) -> Result<(StoredPlan, String), EditError> {
        let d = self
            .store
            .pair_set(self.course, self.module, PairSetStatus::Draft)
            .await?
            .ok_or(EditError::NoDraft)?;
        Ok((StoredPlan::parse(&d.groups), d.groups))
    }

    async fn save(
        &self,
        read: &str,
        plan: &StoredPlan,
        action: &str,
        detail: &str,
    ) -> Result<(), EditError> {
        if !self
            .store
            .replace_draft(
                self.course,
                self.module,
                read,
                &plan.to_json(),
                self.actor,
                self.now,
            )
            .await?
        {
            return Err(EditError::Conflict);
        }
        self.store
            .log_event(self.course, self.actor, action, detail, self.now)
            .await?;
        Ok(())
    }

    /// Swaps two learners between their groups of the draft.
    pub async fn swap(&self, a: &str, b: &str) -> Result<(), EditError> {
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
            return Ok(());
        }
        for (g, from, to) in [(ga, a, b), (gb, b, a)] {
            for m in plan.groups[g]
                .members
                .iter_mut()
                .filter(|m| m.as_str() == from)
            {
                *m = to.to_string();
            }
        }
        let forbidden = forbidden(self.store, self.course).await?;
        if !group_ok(&plan.groups[ga].members, &forbidden)
            || !group_ok(&plan.groups[gb].members, &forbidden)
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
        self.save(&read, &plan, "swap", &format!("{a} <-> {b}"))
            .await
    }

    /// Locks or unlocks the group of a learner: a locked group survives a new proposal.
    pub async fn set_lock(&self, member: &str, locked: bool) -> Result<(), EditError> {
        let (mut plan, read) = self.draft().await?;
        let g = plan
            .groups
            .iter_mut()
            .find(|g| g.members.iter().any(|m| m == member))
            .ok_or(EditError::NotPlaced)?;
        g.locked = locked;
        g.explanation.locked = locked;
        let detail = g.members.join(" + ");
        self.save(
            &read,
            &plan,
            if locked { "lock" } else { "unlock" },
            &detail,
        )
        .await
    }

    /// Dissolves the group of a learner; its members wait for the next proposal.
    pub async fn split(&self, member: &str) -> Result<(), EditError> {
        let (mut plan, read) = self.draft().await?;
        let i = plan
            .groups
            .iter()
            .position(|g| g.members.iter().any(|m| m == member))
            .ok_or(EditError::NotPlaced)?;
        let g = plan.groups.remove(i);
        for m in &g.members {
            plan.unplaced.push(Unplaced {
                id: LearnerId::new(m),
                reason: UnplacedReason::LeftOver {
                    detail: "split_by_instructor".into(),
                },
            });
        }
        self.save(&read, &plan, "split", &g.members.join(" + "))
            .await
    }

    /// Adds a do-not-pair exclusion; if the two share a group of the draft, it is dissolved.
    pub async fn exclude(&self, a: &str, b: &str) -> Result<(), EditError> {
        if a == b {
            return Ok(());
        }
        let (people, _) = people(self.store, self.course).await?;
        if ![a, b]
            .iter()
            .all(|id| people.iter().any(|p| p.user_id == *id && p.learner))
        {
            return Err(EditError::UnknownLearner);
        }
        self.store
            .add_link(
                self.course,
                a,
                b,
                "do_not_pair",
                "staff",
                self.actor,
                self.now,
            )
            .await?;
        self.store
            .log_event(
                self.course,
                self.actor,
                "exclude",
                &format!("{a} x {b}"),
                self.now,
            )
            .await?;
        let together = self.draft().await.is_ok_and(|(plan, _)| {
            plan.groups
                .iter()
                .any(|g| g.members.iter().any(|m| m == a) && g.members.iter().any(|m| m == b))
        });
        if together {
            self.split(a).await?;
        }
        Ok(())
    }

    /// Publishes the draft: learners see their partner from now on.
    pub async fn publish(&self) -> Result<(), EditError> {
        if !self
            .store
            .publish_draft(self.course, self.module, self.actor, self.now)
            .await?
        {
            return Err(EditError::NoDraft);
        }
        self.store
            .log_event(self.course, self.actor, "publish", self.module, self.now)
            .await?;
        Ok(())
    }
}

/// The learners that may never share a group (hard constraints): the same closure the engine
/// uses, from the course's links.
async fn forbidden(store: &Store, course: CourseId) -> Result<pairing::Exclusions, StoreError> {
    let links: Vec<Link> = store
        .links(course)
        .await?
        .into_iter()
        .map(|l| Link {
            kind: link_kind(&l.kind),
            a: LearnerId::new(l.a_user),
            b: LearnerId::new(l.b_user),
        })
        .collect();
    Ok(pairing::Exclusions::from_links(&links))
}

fn group_ok(members: &[String], forbidden: &pairing::Exclusions) -> bool {
    forbidden.group_ok(members)
}

/// Hierarchical links uploaded as CSV: `a,b` per line (emails or LMS user ids; the first is
/// the manager of the second). Returns the number of links added and the bad lines with
/// their line number and reason; good lines are kept even when others are bad.
pub fn parse_links_csv(text: &str, people: &[Person]) -> CsvLinks {
    let find = |v: &str| -> Option<String> {
        let v = v.trim().trim_matches('"').trim();
        people
            .iter()
            .find(|p| {
                p.user_id == v
                    || p.email
                        .as_deref()
                        .is_some_and(|e| e.eq_ignore_ascii_case(v))
            })
            .map(|p| p.user_id.clone())
    };
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split([',', ';', '\t']).collect();
        if cells.len() != 2 {
            bad.push((n, "expected two values separated by a comma".into()));
            continue;
        }
        match (find(cells[0]), find(cells[1])) {
            (Some(a), Some(b)) if a == b => {
                bad.push((n, "the two values name the same person".into()))
            }
            (Some(a), Some(b)) => good.push((a, b)),
            (None, _) => bad.push((
                n,
                format!("{} is not in the course roster", cells[0].trim()),
            )),
            (_, None) => bad.push((
                n,
                format!("{} is not in the course roster", cells[1].trim()),
            )),
        }
    }
    CsvLinks { good, bad }
}

/// What a CSV of links gave: the (manager, report) user ids, and the bad lines by number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvLinks {
    pub good: Vec<(String, String)>,
    pub bad: Vec<(usize, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemberStatus;

    fn person(id: &str, email: &str) -> Person {
        Person {
            user_id: id.into(),
            name: None,
            email: Some(email.into()),
            picture: None,
            status: MemberStatus::Active.as_str().into(),
            learner: true,
            staff: false,
            launched_at: None,
            tags: vec![],
        }
    }

    #[test]
    fn csv_keeps_good_lines_and_reports_bad_ones_with_their_number() {
        let people = [
            person("4", "ada@example.com"),
            person("5", "brian@example.com"),
            person("6", "chloe@example.com"),
        ];
        let CsvLinks { good, bad } = parse_links_csv(
            "ada@example.com,brian@example.com\n\nnope@example.com,6\n6;4\nonly-one\n5,5\n",
            &people,
        );
        assert_eq!(
            good,
            vec![
                ("4".to_string(), "5".to_string()),
                ("6".to_string(), "4".to_string())
            ]
        );
        assert_eq!(
            bad.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            vec![3, 5, 6]
        );
        assert!(bad[0].1.contains("nope@example.com"));
    }
}
