//! The steps of one peer-coaching round and the preparation before it.

use serde::{Deserialize, Serialize};

/// One step of a round. The wording shown to people lives in the web layer's catalogues,
/// keyed by [`Step::key`]. Serialised as the same snake_case key, since session events
/// store it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Introduction,
    Sharing,
    Objectives,
    Analysis,
    Options,
    Commitments,
}

/// Who leads a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Lead {
    /// Both participants, once per session.
    Both,
    /// The coachee speaks; the coach only listens.
    Coachee,
    /// Coach and coachee agree together.
    Pair,
    /// The coach asks open questions.
    Coach,
}

impl Step {
    /// The six steps, in order.
    pub const ALL: [Step; 6] = [
        Step::Introduction,
        Step::Sharing,
        Step::Objectives,
        Step::Analysis,
        Step::Options,
        Step::Commitments,
    ];

    /// Stable key for catalogues and storage.
    pub fn key(self) -> &'static str {
        match self {
            Step::Introduction => "introduction",
            Step::Sharing => "sharing",
            Step::Objectives => "objectives",
            Step::Analysis => "analysis",
            Step::Options => "options",
            Step::Commitments => "commitments",
        }
    }

    /// The catalogue id of the step's name. Written out in full, not built from
    /// [`Step::key`], so a search for an id finds its one spelling; the id check
    /// (`tests/api/coaching_wording.rs`) asks both languages for every step's ids.
    pub fn name_id(self) -> &'static str {
        match self {
            Step::Introduction => "step_introduction",
            Step::Sharing => "step_sharing",
            Step::Objectives => "step_objectives",
            Step::Analysis => "step_analysis",
            Step::Options => "step_options",
            Step::Commitments => "step_commitments",
        }
    }

    /// The catalogue id of the step's description (see [`Step::name_id`]).
    pub fn text_id(self) -> &'static str {
        match self {
            Step::Introduction => "step_introduction_text",
            Step::Sharing => "step_sharing_text",
            Step::Objectives => "step_objectives_text",
            Step::Analysis => "step_analysis_text",
            Step::Options => "step_options_text",
            Step::Commitments => "step_commitments_text",
        }
    }

    /// Indicative duration in minutes, as a (min, max) range.
    pub fn minutes(self) -> (u32, u32) {
        match self {
            Step::Introduction | Step::Sharing => (3, 5),
            Step::Objectives => (5, 5),
            Step::Analysis | Step::Options | Step::Commitments => (10, 10),
        }
    }

    /// Who leads the step.
    pub fn lead(self) -> Lead {
        match self {
            Step::Introduction => Lead::Both,
            Step::Sharing => Lead::Coachee,
            Step::Objectives => Lead::Pair,
            Step::Analysis | Step::Options | Step::Commitments => Lead::Coach,
        }
    }

    /// Whether the step happens once per session rather than once per round.
    pub fn once_per_session(self) -> bool {
        self == Step::Introduction
    }

    /// The step's number in the method: 0 for the introduction, 1 to 5 for a round's steps.
    pub fn number(self) -> u8 {
        match self {
            Step::Introduction => 0,
            Step::Sharing => 1,
            Step::Objectives => 2,
            Step::Analysis => 3,
            Step::Options => 4,
            Step::Commitments => 5,
        }
    }

    /// The step after this one, if any (the introduction leads to sharing).
    pub fn next(self) -> Option<Step> {
        Step::ALL.get(usize::from(self.number()) + 1).copied()
    }

    /// The step before this one inside a round; `None` for sharing and the introduction,
    /// because a round never goes back to the introduction.
    pub fn previous(self) -> Option<Step> {
        match self {
            Step::Introduction | Step::Sharing => None,
            s => Step::ALL.get(usize::from(s.number()) - 1).copied(),
        }
    }
}

/// How many steps one round has: every step but those that happen once per session.
pub fn steps_per_round() -> u8 {
    Step::ALL.iter().filter(|s| !s.once_per_session()).count() as u8
}

/// Planned length of a whole session in minutes (min, max): the introduction once, then the
/// other five steps once per round; a trio plays three rounds.
pub fn session_minutes(rounds: u32) -> (u32, u32) {
    Step::ALL.iter().fold((0, 0), |(lo, hi), s| {
        let (a, b) = s.minutes();
        let n = if s.once_per_session() { 1 } else { rounds };
        (lo + a * n, hi + b * n)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_session_fits_the_method_length() {
        // Two rounds: 3-5 + 2 × (3-5 + 5 + 10 + 10 + 10) = 79-85 minutes, inside 75-90.
        assert_eq!(session_minutes(2), (79, 85));
    }

    #[test]
    fn a_round_has_five_steps_numbered_from_one() {
        assert_eq!(steps_per_round(), 5);
        let numbers: Vec<u8> = Step::ALL
            .iter()
            .filter(|s| !s.once_per_session())
            .map(|s| s.number())
            .collect();
        assert_eq!(numbers, (1..=steps_per_round()).collect::<Vec<_>>());
    }

    #[test]
    fn message_ids_are_named_after_the_step() {
        for s in Step::ALL {
            assert_eq!(s.name_id().strip_prefix("step_"), Some(s.key()));
            assert_eq!(s.text_id().strip_suffix("_text"), Some(s.name_id()));
        }
    }

    #[test]
    fn only_the_coachee_speaks_while_sharing() {
        assert_eq!(Step::Sharing.lead(), Lead::Coachee);
        assert_eq!(Step::ALL.iter().filter(|s| s.once_per_session()).count(), 1);
    }
}
