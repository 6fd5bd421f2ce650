//! A module's pair set as it is stored (draft or published): its groups, who is locked, why
//! each group was formed, and who was left out. Read by every page of the course through the
//! course cache, edited by the draft's state machine (`crate::pairs::draft`).

use serde::{Deserialize, Serialize};

use crate::pairing::{Explanation, LearnerId, Unplaced, UnplacedReason};
use crate::store::{PairSet, PersonId, StoreError};

/// One group of a stored pair set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredGroup {
    pub members: Vec<PersonId>,
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
    /// The plan a stored pair set holds. One that does not parse is an error naming its
    /// row: read as empty, it would show no pairs and, as history, forget who met whom.
    pub fn from_set(set: &PairSet) -> Result<StoredPlan, StoreError> {
        let mut plan: StoredPlan = serde_json::from_str(&set.groups)
            .map_err(|e| StoreError::corrupt("pair_sets", set.id, e))?;
        // Sets stored before the split had a reason of its own said it as a left-over detail.
        for u in &mut plan.unplaced {
            if matches!(&u.reason, UnplacedReason::LeftOver { detail } if detail == "split_by_instructor")
            {
                u.reason = UnplacedReason::SplitByInstructor;
            }
        }
        Ok(plan)
    }

    /// The stored form. A plan is strings, numbers, booleans and lists, which always
    /// serialise.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// The group of a learner, if any.
    pub fn group_of(&self, user: &PersonId) -> Option<&StoredGroup> {
        self.groups
            .iter()
            .find(|g| g.members.iter().any(|m| m == user))
    }

    /// Dissolves the group of a learner; its members wait for the next proposal. Returns
    /// the members, or none when the learner is in no group.
    pub(crate) fn split(&mut self, member: &PersonId) -> Option<Vec<PersonId>> {
        let i = self
            .groups
            .iter()
            .position(|g| g.members.iter().any(|m| m == member))?;
        let g = self.groups.remove(i);
        for m in &g.members {
            self.unplaced.push(Unplaced {
                id: LearnerId::new(m.as_str()),
                reason: UnplacedReason::SplitByInstructor,
            });
        }
        Some(g.members)
    }

    pub(crate) fn together(&self, a: &PersonId, b: &PersonId) -> bool {
        self.groups
            .iter()
            .any(|g| g.members.iter().any(|m| m == a) && g.members.iter().any(|m| m == b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(groups: &str) -> PairSet {
        PairSet {
            id: 1,
            module: "m".into(),
            groups: groups.into(),
            updated_by: "t".into(),
            updated_at: 0,
            published_at: None,
        }
    }

    #[test]
    fn a_split_reads_as_its_own_reason_in_old_and_new_sets() {
        let mut plan = StoredPlan::default();
        plan.unplaced.push(Unplaced {
            id: LearnerId::new("a"),
            reason: UnplacedReason::SplitByInstructor,
        });
        let read = StoredPlan::from_set(&set(&plan.to_json())).unwrap();
        assert_eq!(read, plan);
        let old = r#"{"groups":[],"unplaced":[
            {"id":"a","reason":{"left_over":{"detail":"split_by_instructor"}}},
            {"id":"b","reason":{"left_over":{"detail":"odd count"}}}]}"#;
        let read = StoredPlan::from_set(&set(old)).unwrap();
        assert_eq!(read.unplaced[0].reason, UnplacedReason::SplitByInstructor);
        assert_eq!(
            read.unplaced[1].reason,
            UnplacedReason::LeftOver {
                detail: "odd count".into()
            }
        );
    }
}
