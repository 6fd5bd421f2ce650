//! Which prompts each screen shows, as Fluent message ids: per step and role, the trust
//! framework, the preparation guidance, the closing, field labels and the note on the
//! method's source. The wording itself lives in the `coaching.ftl` catalogues; this module
//! only says which ids go where, so the domain stays free of the i18n layer.
//!
//! The questions the coach asks are written peer to peer (`tu` in French), the guidance to
//! the reader in the interface's usual register (`vous`).

use super::fields::FieldKey;
use super::method::Step;
use super::roles::{GroupSize, Role};

/// What one member's screen shows during one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepPrompts {
    /// What this role does during the step.
    pub guidance: &'static [&'static str],
    /// The coach's posture reminders for the step (empty for other roles).
    pub posture: &'static [&'static str],
    /// Open questions the coach may ask (empty for other roles).
    pub questions: &'static [&'static str],
}

const NONE: &[&str] = &[];

/// The trust framework every member accepts first.
pub const TRUST_FRAMEWORK: &[&str] = &[
    "coach_framework_title",
    "coach_framework_intro",
    "coach_framework_confidentiality",
    "coach_framework_benevolence",
    "coach_framework_staff",
    "coach_framework_accept",
];

/// Guidance for the preparation, done alone before the session.
pub const PREPARATION: &[&str] = &[
    "coach_prep_title",
    "coach_prep_intro",
    "coach_prep_situation_hint",
    "coach_prep_context_hint",
    "coach_prep_stakeholders_hint",
    "coach_prep_desired_change_hint",
    "coach_prep_visibility",
    "coach_prep_done",
];

/// The "About this method" note, with the source's CC BY 4.0 attribution.
pub const ABOUT: &[&str] = &[
    "coach_about_title",
    "coach_about_text",
    "coach_about_credit",
];

/// The coach's four posture reminders.
pub const POSTURE: &[&str] = &[
    "coach_posture_listen",
    "coach_posture_open_questions",
    "coach_posture_reformulate",
    "coach_posture_ambiguous",
];

/// The names of the roles.
pub const ROLES: &[&str] = &[
    "coach_role_coachee",
    "coach_role_coach",
    "coach_role_observer",
];

/// Other texts of the session screens. `coach_round_title` takes `$round` and `$rounds`;
/// `coach_timer_overtime` takes `$minutes`.
pub const SCREEN: &[&str] = &[
    "coach_round_title",
    "coach_timer_remaining",
    "coach_timer_overtime",
    "coach_timer_paused",
    "coach_scratchpad_private",
    "coach_waiting_for_coach",
    "coach_round_ended",
    "coach_abandoned",
    "coach_completed",
];

const ANALYSIS_QUESTIONS: &[&str] = &[
    "coach_analysis_q_now",
    "coach_analysis_q_tried",
    "coach_analysis_q_thinking",
    "coach_analysis_q_blocking",
    "coach_analysis_q_unblock",
];

const OPTIONS_QUESTIONS: &[&str] = &[
    "coach_options_q_options",
    "coach_options_q_pros_cons",
    "coach_options_q_ideal",
    "coach_options_q_needs",
];

const COMMITMENTS_QUESTIONS: &[&str] = &[
    "coach_commitments_q_actions",
    "coach_commitments_q_obstacles",
    "coach_commitments_q_resources",
];

const QUESTIONING_POSTURE: &[&str] = &[
    "coach_posture_open_questions",
    "coach_posture_reformulate",
    "coach_posture_ambiguous",
];

/// The prompts of `step` for a member in `role`. The introduction is the same for everyone.
pub fn for_step(step: Step, role: Role) -> StepPrompts {
    let guidance = |g: &'static [&'static str]| StepPrompts {
        guidance: g,
        posture: NONE,
        questions: NONE,
    };
    match (step, role) {
        (Step::Introduction, _) => guidance(&["coach_intro_all", "coach_intro_all_brief"]),

        (Step::Sharing, Role::Coachee) => {
            guidance(&["coach_sharing_coachee", "coach_sharing_coachee_why"])
        }
        (Step::Sharing, Role::Coach) => StepPrompts {
            guidance: &["coach_sharing_coach"],
            posture: &["coach_posture_listen"],
            questions: NONE,
        },
        (Step::Sharing, Role::Observer) => guidance(&["coach_sharing_observer"]),

        (Step::Objectives, Role::Coachee) => guidance(&[
            "coach_objectives_coachee_global",
            "coach_objectives_coachee_session",
            "coach_objectives_example_title",
            "coach_objectives_example_global",
            "coach_objectives_example_session",
        ]),
        (Step::Objectives, Role::Coach) => StepPrompts {
            guidance: &["coach_objectives_coach"],
            posture: &["coach_posture_reformulate"],
            questions: NONE,
        },
        (Step::Objectives, Role::Observer) => guidance(&["coach_objectives_observer"]),

        (Step::Analysis, Role::Coachee) => guidance(&["coach_analysis_coachee"]),
        (Step::Analysis, Role::Coach) => StepPrompts {
            guidance: &["coach_analysis_coach"],
            posture: QUESTIONING_POSTURE,
            questions: ANALYSIS_QUESTIONS,
        },
        (Step::Analysis, Role::Observer) => guidance(&["coach_analysis_observer"]),

        (Step::Options, Role::Coachee) => guidance(&["coach_options_coachee"]),
        (Step::Options, Role::Coach) => StepPrompts {
            guidance: &["coach_options_coach"],
            posture: QUESTIONING_POSTURE,
            questions: OPTIONS_QUESTIONS,
        },
        (Step::Options, Role::Observer) => guidance(&["coach_options_observer"]),

        (Step::Commitments, Role::Coachee) => guidance(&["coach_commitments_coachee"]),
        (Step::Commitments, Role::Coach) => StepPrompts {
            guidance: &["coach_commitments_coach"],
            posture: QUESTIONING_POSTURE,
            questions: COMMITMENTS_QUESTIONS,
        },
        (Step::Commitments, Role::Observer) => guidance(&["coach_commitments_observer"]),
    }
}

/// The closing's prompts, the same for every member. In a trio every member observed one
/// round, so each of them is asked for the observer's feedback as well.
pub fn closing(size: GroupSize) -> &'static [&'static str] {
    if size == GroupSize::Trio {
        &[
            "coach_closing_title",
            "coach_closing_takeaway",
            "coach_closing_commitments",
            "coach_closing_observer_feedback",
            "coach_closing_observer_facts",
            "coach_closing_next",
        ]
    } else {
        &[
            "coach_closing_title",
            "coach_closing_takeaway",
            "coach_closing_commitments",
            "coach_closing_feedback",
            "coach_closing_next",
        ]
    }
}

/// The label of a field on the screen.
pub fn field_label(key: FieldKey) -> &'static str {
    match key {
        FieldKey::PrepSituation => "coach_field_prep_situation",
        FieldKey::PrepContext => "coach_field_prep_context",
        FieldKey::PrepStakeholders => "coach_field_prep_stakeholders",
        FieldKey::PrepDesiredChange => "coach_field_prep_desired_change",
        FieldKey::SharingNotes => "coach_field_sharing_notes",
        FieldKey::GlobalObjective => "coach_field_global_objective",
        FieldKey::SessionObjective => "coach_field_session_objective",
        FieldKey::AnalysisNotes => "coach_field_analysis_notes",
        FieldKey::Options => "coach_field_options",
        FieldKey::IdealOption => "coach_field_ideal_option",
        FieldKey::IdealOptionNeeds => "coach_field_ideal_option_needs",
        FieldKey::Actions => "coach_field_actions",
        FieldKey::Obstacles => "coach_field_obstacles",
        FieldKey::ResourcesPeople => "coach_field_resources_people",
        FieldKey::ResourcesMaterial => "coach_field_resources_material",
        FieldKey::CoachScratchpad => "coach_field_coach_scratchpad",
        FieldKey::ObserverNotes => "coach_field_observer_notes",
        FieldKey::Takeaway => "coach_field_takeaway",
        FieldKey::CheckIn => "coach_field_check_in",
        FieldKey::MeetingLink => "coach_field_meeting_link",
        FieldKey::MeetingDate => "coach_field_meeting_date",
    }
}

/// The labels inside a list field's entries (option, pros, cons; action, due date;
/// obstacle, how to overcome it).
pub const LIST_LABELS: &[&str] = &[
    "coach_item_option",
    "coach_item_pros",
    "coach_item_cons",
    "coach_item_action",
    "coach_item_due",
    "coach_item_obstacle",
    "coach_item_overcome",
    "coach_item_add",
    "coach_item_remove",
];

/// Every id this module names, without repeats, for the catalogue check.
pub fn all_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = Vec::new();
    let mut add = |list: &[&'static str]| {
        for id in list {
            if !ids.contains(id) {
                ids.push(id);
            }
        }
    };
    for list in [
        TRUST_FRAMEWORK,
        PREPARATION,
        ABOUT,
        POSTURE,
        ROLES,
        SCREEN,
        LIST_LABELS,
    ] {
        add(list);
    }
    for step in Step::ALL {
        for role in [Role::Coachee, Role::Coach, Role::Observer] {
            let p = for_step(step, role);
            add(p.guidance);
            add(p.posture);
            add(p.questions);
        }
    }
    add(closing(GroupSize::Pair));
    add(closing(GroupSize::Trio));
    for key in FieldKey::ALL {
        add(&[field_label(key)]);
    }
    ids
}
