//! Forming pairs from a roster: hard exclusions, the history policy, cost, an exact
//! minimum-cost matching (a scalable one for very large pools), and explanations.
//!
//! **Architecture Invariant:** pure: std, serde and the matching crate only; no I/O (no tokio,
//! sea-orm, reqwest, actix, std::fs or std::net). The caller reads the roster and the history and
//! hands over a [`PlanInput`]; [`plan`] returns a [`Plan`].

mod engine;
mod matching;
mod model;
#[cfg(test)]
mod tests;

pub use engine::{plan, plan_with};
pub use matching::SolveOptions;
pub use model::{
    Explanation, Group, History, LearnerId, Link, LinkKind, ModulePairs, Participant, Plan,
    PlanInput, Policy, Unplaced, UnplacedReason, Weights,
};
