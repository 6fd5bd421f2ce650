//! Where the group stands in the method, in words: the phase's title and keys, the compact
//! progress list at the top of the panel, and the prompts of the reader's role at this step.

use serde::Serialize;

use super::fields::step_name;
use crate::coaching::{GroupSize, Phase, Role, Step, prompts};
use crate::i18n::Locale;

/// The phase as the page names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Now {
    /// The phase's key (`framework`, `round`, `round_ended`, ...), for the page's script.
    pub phase: &'static str,
    pub title: String,
    /// The phase and, in a round, its number and step (`1-analysis`, `2-ended`).
    pub step_key: String,
}

/// The title and keys of a phase.
pub fn now(phase: Phase, l: Locale) -> Now {
    let now_step = |number: i64, step: Step| {
        l.tr(
            "live_now_step",
            &[
                ("number", number.into()),
                ("step", step_name(step, l).into()),
            ],
        )
    };
    let (phase, title, step_key) = match phase {
        Phase::Framework => (
            "framework",
            l.t("live_phase_framework"),
            "framework".to_string(),
        ),
        Phase::Preparation => (
            "preparation",
            l.t("live_phase_preparation"),
            "preparation".to_string(),
        ),
        Phase::Introduction => (
            "introduction",
            now_step(0, Step::Introduction),
            "introduction".to_string(),
        ),
        Phase::Round { round, step } => (
            "round",
            now_step(i64::from(step.number()), step),
            format!("{round}-{}", step.key()),
        ),
        Phase::RoundEnded { round } => (
            "round_ended",
            l.tr(
                "live_phase_round_ended",
                &[("round", i64::from(round).into())],
            ),
            format!("{round}-ended"),
        ),
        Phase::Closing => ("closing", l.t("live_phase_closing"), "closing".to_string()),
        Phase::Completed => (
            "completed",
            l.t("live_phase_completed"),
            "completed".to_string(),
        ),
        Phase::Abandoned => (
            "abandoned",
            l.t("live_phase_abandoned"),
            "abandoned".to_string(),
        ),
    };
    Now {
        phase,
        title,
        step_key,
    }
}

/// One place in the progress list: done, under way (`aria-current="step"`) or to come, in
/// words as well as in looks.
#[derive(Debug, Clone, Serialize)]
pub struct Place {
    pub short: String,
    pub long: String,
    /// `done`, `now` or `todo`.
    pub state: &'static str,
}

/// A round's places in the progress list.
#[derive(Debug, Clone, Serialize)]
pub struct RoundPlaces {
    pub short: String,
    pub steps: Vec<Place>,
}

/// The progress list: the preparation, the introduction (step 0), each round's five steps,
/// the closing.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub prep: Place,
    pub intro: Place,
    pub rounds: Vec<RoundPlaces>,
    pub closing: Place,
}

/// Where the group stands as the progress list; None for an abandoned session.
pub fn progress(phase: Phase, rounds: u8, l: Locale) -> Option<Progress> {
    let now = phase.rank()?;
    let state = |from: (u8, u8, u8), to: (u8, u8, u8)| {
        if now > to {
            "done"
        } else if now >= from {
            "now"
        } else {
            "todo"
        }
    };
    let item = |short: String, what: String, state: &'static str| {
        let long = l.tr(&format!("live_progress_{state}"), &[("what", what.into())]);
        Place { short, long, state }
    };
    let prep = item(
        l.t("live_progress_prep_short"),
        l.t("live_phase_preparation"),
        state((0, 0, 0), (1, 9, 9)),
    );
    let intro = item(
        "0".into(),
        l.tr(
            "live_now_step",
            &[
                ("number", 0.into()),
                ("step", step_name(Step::Introduction, l).into()),
            ],
        ),
        state((2, 0, 0), (2, 0, 0)),
    );
    let rounds = (1..=rounds)
        .map(|r| {
            let steps = Step::ALL[1..]
                .iter()
                .map(|st| {
                    let at = (3, r, st.number());
                    item(
                        st.number().to_string(),
                        l.tr(
                            "live_progress_step",
                            &[
                                ("round", i64::from(r).into()),
                                ("number", i64::from(st.number()).into()),
                                ("step", step_name(*st, l).into()),
                            ],
                        ),
                        state(at, at),
                    )
                })
                .collect();
            RoundPlaces {
                short: l.tr(
                    "live_progress_round_short",
                    &[("round", i64::from(r).into())],
                ),
                steps,
            }
        })
        .collect();
    let closing = item(
        l.t("live_progress_closing_short"),
        l.t("live_phase_closing"),
        state((4, 0, 0), (4, 0, 0)),
    );
    Some(Progress {
        prep,
        intro,
        rounds,
        closing,
    })
}

/// The prompts of a role at this phase, as message ids: guidance (its first line leads),
/// posture, questions.
pub fn prompt_ids(
    phase: Phase,
    role: Option<Role>,
    size: GroupSize,
) -> (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
) {
    match (phase, role) {
        (Phase::Introduction, _) => {
            let p = prompts::for_step(Step::Introduction, Role::Coachee);
            (p.guidance, p.posture, p.questions)
        }
        (Phase::Round { step, .. }, Some(role)) => {
            let p = prompts::for_step(step, role);
            (p.guidance, p.posture, p.questions)
        }
        (Phase::Framework, _) => (prompts::TRUST_FRAMEWORK, &[][..], &[][..]),
        (Phase::Preparation, _) => (prompts::PREPARATION, &[][..], &[][..]),
        (Phase::Closing, _) => (prompts::closing(size), &[][..], &[][..]),
        _ => (&[][..], &[][..], &[][..]),
    }
}

/// A step's planned length, for the framework's table of timings.
#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    pub key: &'static str,
    pub name: String,
    pub minutes: u32,
}
