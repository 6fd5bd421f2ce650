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
#[serde(deny_unknown_fields)]
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
///
/// Only [`LinkKind::Manages`] is followed across levels, and only staff should be able to
/// create it (an upload or the roster): a learner's own declarations must map to a direct-only
/// kind, so that nobody can make the closure, and with it the engine's work, grow beyond what
/// the roster holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// `a` manages `b`, uploaded by staff. Directed and transitive: a manager's manager is
    /// excluded too.
    Manages,
    /// A hierarchical link known to staff, either direction; direct only.
    Hierarchical,
    /// An explicit "do not pair" entry by staff, either direction; direct only.
    DoNotPair,
    /// A link a learner declared: direct only, and private. The engine never names the other
    /// person to staff because of it (see [`UnplacedReason::NoCompatiblePartner`]).
    Declared,
}

impl LinkKind {
    /// Whether staff may be told who is excluded with whom because of this link.
    pub fn is_private(self) -> bool {
        self == LinkKind::Declared
    }
}

/// A hard exclusion between two learners.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
pub struct ModulePairs {
    pub module: String,
    pub groups: Vec<Vec<LearnerId>>,
}

/// Previous modules, oldest first; the last one holds the current pairs. It may name people who
/// have left the roster since: they are ignored.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {
    #[serde(default)]
    pub modules: Vec<ModulePairs>,
}

/// The cost model. Costs are integers; lower is better. Negative values are read as zero.
///
/// There is no bonus for pairing orphans (learners whose partner left) together any more: it
/// outweighed every shared tag and made the new pairs less similar. Old inputs that still carry
/// `orphans_together` are read; the field is ignored. Any other unknown field is refused, so a
/// misspelt weight is not silently the default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    /// `keep_pairs`: reward for staying with a current partner when a group has to be reopened
    /// (a trio that must absorb a late joiner).
    pub keep_partner: i64,
    /// Read from old inputs and ignored (see above); never written.
    #[serde(rename = "orphans_together", skip_serializing)]
    ignored_orphans_together: Option<i64>,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            shared_tag: 10,
            differing_tag: 4,
            shared_group: 3,
            repeat_partner: 10_000,
            keep_partner: 100_000,
            ignored_orphans_together: None,
        }
    }
}

/// Everything the engine needs. In JSON every field but `participants` may be left out; a
/// field it does not know (a misspelt `"polcy"`) is refused, never silently ignored.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    /// What staff should know about the group; each note is written as its key in JSON.
    pub notes: Vec<Note>,
}

/// Why the engine dropped an instructor's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockDropReason {
    /// A lock must hold two or three learners.
    Size,
    /// The lock names someone the roster does not know.
    UnknownLearner,
    /// The lock names someone who is not available.
    Unavailable,
    /// The lock names someone twice, or someone another lock already holds.
    Duplicate,
    /// The lock would break a hard exclusion.
    Constraint,
    /// Only one trio is allowed and an earlier lock already is one.
    SecondTrio,
    /// The locked trio was not needed (the count is even without it) and was reopened.
    TrioNotNeeded,
}

impl LockDropReason {
    const ALL: [LockDropReason; 7] = [
        LockDropReason::Size,
        LockDropReason::UnknownLearner,
        LockDropReason::Unavailable,
        LockDropReason::Duplicate,
        LockDropReason::Constraint,
        LockDropReason::SecondTrio,
        LockDropReason::TrioNotNeeded,
    ];

    /// The key after `lock_dropped:`.
    pub fn as_str(self) -> &'static str {
        match self {
            LockDropReason::Size => "size",
            LockDropReason::UnknownLearner => "unknown_learner",
            LockDropReason::Unavailable => "unavailable",
            LockDropReason::Duplicate => "duplicate",
            LockDropReason::Constraint => "constraint",
            LockDropReason::SecondTrio => "second_trio",
            LockDropReason::TrioNotNeeded => "trio_not_needed",
        }
    }
}

/// One explanation note. In JSON (stored plans, the CLI) a note is its key as a string, the
/// same keys as before notes were typed; an unknown key is an error, never silently kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Note {
    /// No hierarchical link or do-not-pair entry inside the group (`no_hierarchy`).
    NoHierarchy,
    /// The members have never been together before (`new_partner`).
    NewPartner,
    /// Under `new_partners`, some members were together before: no other grouping existed
    /// (`repeat_partner`).
    RepeatPartner,
    /// A member is new to the course's history (`late_joiner`).
    LateJoiner,
    /// A member's previous partner left and they were re-paired (`orphan_repaired`).
    OrphanRepaired,
    /// A learner joined a pair kept from the last module to make the trio (`joined_trio`).
    JoinedTrio,
    /// The group comes from a trio that was reopened because the count became even
    /// (`trio_reopened`).
    TrioReopened,
    /// An instructor edited the group by hand (`changed_by_instructor`).
    ChangedByInstructor,
    /// An instructor's lock was dropped (`lock_dropped:<reason>`).
    LockDropped(LockDropReason),
}

impl Note {
    const SIMPLE: [Note; 8] = [
        Note::NoHierarchy,
        Note::NewPartner,
        Note::RepeatPartner,
        Note::LateJoiner,
        Note::OrphanRepaired,
        Note::JoinedTrio,
        Note::TrioReopened,
        Note::ChangedByInstructor,
    ];

    /// The note's key; `lock_dropped` carries its reason after a colon.
    pub fn key(self) -> std::borrow::Cow<'static, str> {
        let simple = match self {
            Note::NoHierarchy => "no_hierarchy",
            Note::NewPartner => "new_partner",
            Note::RepeatPartner => "repeat_partner",
            Note::LateJoiner => "late_joiner",
            Note::OrphanRepaired => "orphan_repaired",
            Note::JoinedTrio => "joined_trio",
            Note::TrioReopened => "trio_reopened",
            Note::ChangedByInstructor => "changed_by_instructor",
            Note::LockDropped(why) => return format!("lock_dropped:{}", why.as_str()).into(),
        };
        simple.into()
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key())
    }
}

/// A key that names no note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownNote(pub String);

impl std::fmt::Display for UnknownNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown explanation note `{}`", self.0)
    }
}

impl std::error::Error for UnknownNote {}

impl std::str::FromStr for Note {
    type Err = UnknownNote;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(why) = s.strip_prefix("lock_dropped:") {
            return LockDropReason::ALL
                .into_iter()
                .find(|r| r.as_str() == why)
                .map(Note::LockDropped)
                .ok_or_else(|| UnknownNote(s.to_string()));
        }
        Note::SIMPLE
            .into_iter()
            .find(|n| n.key() == s)
            .ok_or_else(|| UnknownNote(s.to_string()))
    }
}

impl Serialize for Note {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.key())
    }
}

impl<'de> Deserialize<'de> for Note {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let key = String::deserialize(deserializer)?;
        key.parse().map_err(serde::de::Error::custom)
    }
}

/// Why a learner is in no group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnplacedReason {
    /// Not available (inactive, deleted, or flagged unavailable).
    Unavailable,
    /// Excluded from every other available learner. `excluded_with` names only the people
    /// excluded through links staff know about: a learner's private declaration
    /// ([`LinkKind::Declared`]) is never revealed.
    NoCompatiblePartner { excluded_with: Vec<LearnerId> },
    /// A maximum matching under the hard constraints leaves this learner over.
    LeftOver { detail: String },
    /// Staff dissolved the learner's group; the next proposal places them again.
    SplitByInstructor,
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
    /// Sum of the groups' costs (a trio counts its three pairings); the bonus that only orders
    /// priorities (keeping a partner when a group is reopened) is not included.
    pub cost: i64,
    /// True when the grouping (pairs and the trio) was solved to optimality; false when the
    /// scalable method ran.
    pub exact: bool,
}
