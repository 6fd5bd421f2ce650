//! Forming pairs from a roster: hard exclusions, the history policy, cost, an exact
//! minimum-cost grouping into pairs and one trio (a scalable method for very large pools), and
//! explanations.
//!
//! **Architecture Invariant:** pure: std, serde and the matching crate only; no I/O (no tokio,
//! sea-orm, reqwest, actix, std::fs or std::net). The caller reads the roster and the history and
//! hands over a [`PlanInput`]; [`plan`] returns a [`Plan`].
//!
//! **Architecture Invariant:** [`Exclusions`] is the one definition of who may never share a
//! group; the engine and the instructor's hand edits (`roster/`) both use it.

mod constraints;
mod engine;
mod matching;
mod model;
#[cfg(test)]
mod tests;

pub use constraints::Exclusions;
pub use engine::{plan, plan_with};
pub use matching::SolveOptions;
pub use model::{
    Explanation, Group, History, LearnerId, Link, LinkKind, LockDropReason, ModulePairs, Note,
    Participant, Plan, PlanInput, Policy, UnknownNote, Unplaced, UnplacedReason, Weights,
};
