//! The pairing engine's input and output types: participants, links, history, policy, weights,
//! and the plan with its explanations. These are also the JSON formats of `binome pairs plan`.

use serde::{Deserialize, Serialize};

/// A learner's identifier as the roster knows it (an LMS user id, usually).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LearnerId(String);

impl LearnerId {
    /// Wraps a roster identifier.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The identifier as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for LearnerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One learner of the course. Staff are filtered out before the engine: it sees learners only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Participant {
    pub id: LearnerId,
    /// Field-context tags ("sector:health", "job:trainer"); shared tags make a better pair.
    #[serde(default)]
    pub tags: Vec<String>,
    /// LMS groups, if known; a shared group is a small bonus.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Only available learners are placed (an inactive or deleted member is not).
    #[serde(default = "yes")]
    pub available: bool,
}

fn yes() -> bool {
    true
}

/// Why two learners must never be in the same group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// `a` manages `b`. Directed and transitive: a manager's manager is excluded too.
    Manages,
    /// A declared hierarchical link, either direction; direct only.
    Hierarchical,
    /// An explicit "do not pair" entry, either direction.
    DoNotPair,
}

/// A hard exclusion between two learners.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub a: LearnerId,
    pub b: LearnerId,
    pub kind: LinkKind,
}

/// How history shapes the new plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Keep every intact current pair; re-pair the rest with minimal disruption.
    #[default]
    KeepPairs,
    /// Avoid every partner of every previous module (hard when possible, else a large cost).
    NewPartners,
    /// Ignore history.
    Free,
}

/// The groups of one module.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModulePairs {
    pub module: String,
    pub groups: Vec<Vec<LearnerId>>,
}

/// Previous modules, oldest first; the last one holds the current pairs. It may name people who
/// have left the roster since: they are ignored.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct History {
    #[serde(default)]
    pub modules: Vec<ModulePairs>,
}

/// The cost model. Costs are integers; lower is better. Negative values are read as zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Weights {
    /// Reward for each tag both learners have.
    pub shared_tag: i64,
    /// Penalty for each tag only one of the two has.
    pub differing_tag: i64,
    /// Reward for each LMS group both learners are in.
    pub shared_group: i64,
    /// `new_partners`: penalty for each previous module two learners were together in. Large
    /// enough by default to act as a hard rule whenever another pairing exists.
    pub repeat_partner: i64,
    /// `keep_pairs`: reward for pairing two orphans (learners whose partner left) together, so
    /// orphans are matched among themselves first.
    pub orphans_together: i64,
    /// `keep_pairs`: reward for staying with a current partner when a group has to be reopened
    /// (a trio that must absorb a late joiner).
    pub keep_partner: i64,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            shared_tag: 10,
            differing_tag: 4,
            shared_group: 3,
            repeat_partner: 10_000,
            orphans_together: 1_000,
            keep_partner: 100_000,
        }
    }
}

/// Everything the engine needs. In JSON every field but `participants` may be left out.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanInput {
    pub participants: Vec<Participant>,
    pub links: Vec<Link>,
    pub history: History,
    pub policy: Policy,
    pub weights: Weights,
    /// Groups the instructor locked: kept as given unless they break a hard constraint or name
    /// someone unknown or unavailable (then the lock is dropped and the members say why).
    pub locked: Vec<Vec<LearnerId>>,
    /// Breaks ties only: the same input and seed always give the same plan.
    pub seed: u64,
}

/// One pair, or the single trio.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub members: Vec<LearnerId>,
    pub explanation: Explanation,
}

/// Why a group is what it is, for the instructor's screen.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Explanation {
    /// Tags every member has.
    pub shared_tags: Vec<String>,
    /// The module whose pair this group keeps.
    pub kept_from: Option<String>,
    /// The instructor locked this group.
    pub locked: bool,
    /// Machine-readable keys: `no_hierarchy`, `new_partner`, `repeat_partner`, `late_joiner`,
    /// `orphan_repaired`, `joined_trio`, `lock_dropped:<reason>`.
    pub notes: Vec<String>,
}

/// Why a learner is in no group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnplacedReason {
    /// Not available (inactive, deleted, or flagged unavailable).
    Unavailable,
    /// Excluded from every other available learner.
    NoCompatiblePartner { excluded_with: Vec<LearnerId> },
    /// A maximum matching under the hard constraints leaves this learner over.
    LeftOver { detail: String },
}

/// A learner the plan does not place, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unplaced {
    pub id: LearnerId,
    pub reason: UnplacedReason,
}

/// The engine's proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub groups: Vec<Group>,
    pub unplaced: Vec<Unplaced>,
    /// Sum of the groups' costs (a trio counts its three pairings); bonuses that only order
    /// priorities (orphans together, keeping a partner) are not included.
    pub cost: i64,
    /// True when the matching was solved to optimality; false when the scalable method ran.
    pub exact: bool,
}
