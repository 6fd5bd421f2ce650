//! What the activity configuration form shows: the values as typed (or as stored), the
//! choices with their wording, the method's suggested minutes beside each step, and every
//! problem of a refused submission: listed at the top with a link to its field, and next to
//! the field itself, which is marked invalid and described by it.

use minijinja::{Value, context};

use super::AppState;
use super::error::WebError;
use crate::activity::form::{ActivityForm, FormProblem};
use crate::coaching::{SessionMode, Step, activity::MAX_ACTIVITY_POINTS, timer::STEP_MINUTES};
use crate::i18n::Locale;
use crate::launch::session::Session;
use crate::store::{ActivityConfig, MAX_INSTRUCTIONS, MAX_MODULE_NAME, MAX_TITLE};

pub use crate::read::module_label;

/// What a form starts from: the method's defaults and a neutral title.
pub fn default_config(s: &Session) -> ActivityConfig {
    ActivityConfig {
        title: s.locale.t("dl_default_title"),
        ..Default::default()
    }
}

/// The form showing `config` (else the method's defaults) with the course's tags.
pub async fn form_of(
    state: &AppState,
    s: &Session,
    config: Option<&ActivityConfig>,
) -> Result<ActivityForm, WebError> {
    let tags = state
        .courses
        .settings(&state.flow.store, s.course)
        .await?
        .tag_options;
    Ok(match config {
        Some(c) => ActivityForm::of(c, &tags),
        None => ActivityForm::of(&default_config(s), &tags),
    })
}

/// Which page the form is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupMode {
    /// A deep-linking request: the designer adds an activity.
    DeepLink,
    /// The first staff launch of an activity nobody configured.
    First,
    /// Staff change an activity's configuration.
    Edit,
}

impl SetupMode {
    fn key(self) -> &'static str {
        match self {
            SetupMode::DeepLink => "deep_link",
            SetupMode::First => "first",
            SetupMode::Edit => "edit",
        }
    }

    fn action(self) -> &'static str {
        match self {
            SetupMode::DeepLink => "/app/deep-link",
            SetupMode::First | SetupMode::Edit => "/app/activity/settings",
        }
    }
}

/// What the platform lets a deep-linking response hold.
#[derive(Debug, Clone, Copy)]
pub struct Accepts {
    pub resource_link: bool,
    pub lineitem: bool,
}

/// The form input of a step's minutes.
fn minutes_name(step: Step) -> String {
    format!("minutes_{}", step.key())
}

/// The id of the input a problem is about (the summary links to it).
fn anchor(p: &FormProblem) -> String {
    match p {
        FormProblem::MissingTitle => "cfg-title".into(),
        FormProblem::TooLong { field, .. } => match *field {
            "cfg_field_instructions" => "cfg-instructions".into(),
            "cfg_field_module_name" => "cfg-module-name".into(),
            _ => "cfg-title".into(),
        },
        FormProblem::ModuleNumber => "cfg-module-number".into(),
        FormProblem::StepMinutes(s) => format!("cfg-{}", minutes_name(*s)),
        FormProblem::Points => "cfg-points".into(),
        FormProblem::PreparationPoints => "cfg-preparation-points".into(),
        FormProblem::Choice { field } => match *field {
            "cfg_field_policy" => "cfg-policy".into(),
            "cfg_field_mode" => "cfg-mode".into(),
            _ => "cfg-language".into(),
        },
    }
}

/// A problem in words.
pub fn problem_text(p: &FormProblem, l: Locale) -> String {
    let step = |s: &Step| l.t(s.name_id());
    match p {
        FormProblem::MissingTitle => {
            l.tr("form_missing", &[("field", l.t("cfg_field_title").into())])
        }
        FormProblem::TooLong { field, max } => l.tr(
            "cfg_problem_too_long",
            &[("field", l.t(field).into()), ("max", (*max as i64).into())],
        ),
        FormProblem::ModuleNumber => l.t("cfg_problem_module_number"),
        FormProblem::StepMinutes(s) => l.tr(
            "cfg_problem_minutes",
            &[
                ("step", step(s).into()),
                ("min", i64::from(*STEP_MINUTES.start()).into()),
                ("max", i64::from(*STEP_MINUTES.end()).into()),
            ],
        ),
        FormProblem::Points => l.tr(
            "cfg_problem_points",
            &[("max", i64::from(MAX_ACTIVITY_POINTS).into())],
        ),
        FormProblem::PreparationPoints => l.t("cfg_problem_preparation_points"),
        FormProblem::Choice { field } => {
            l.tr("cfg_problem_choice", &[("field", l.t(field).into())])
        }
    }
}

/// The method's suggestion for a step, in words: one duration or a range.
pub fn step_hint(step: Step, l: Locale) -> String {
    match step.minutes() {
        (lo, hi) if lo == hi => l.tr("cfg_step_hint_one", &[("minutes", i64::from(lo).into())]),
        (lo, hi) => l.tr(
            "cfg_step_hint",
            &[("min", i64::from(lo).into()), ("max", i64::from(hi).into())],
        ),
    }
}

/// The problems of a refused form by the id of the field they are about (several problems
/// of one field in one message), for the message next to each field.
fn field_errors(problems: &[FormProblem], l: Locale) -> std::collections::BTreeMap<String, String> {
    let mut errors = std::collections::BTreeMap::<String, String>::new();
    for p in problems {
        let text = problem_text(p, l);
        errors
            .entry(anchor(p))
            .and_modify(|t| {
                t.push(' ');
                t.push_str(&text);
            })
            .or_insert(text);
    }
    errors
}

/// The form's own values (beside the page's common ones).
pub fn setup_context(
    l: Locale,
    mode: SetupMode,
    form: &ActivityForm,
    problems: &[FormProblem],
    allowed: bool,
    accepts: Accepts,
) -> Value {
    let choice = |value: &str, key: String| context! { value => value, label => l.t(&key) };
    let steps: Vec<Value> = Step::ALL
        .into_iter()
        .map(|s| {
            context! {
                name => minutes_name(s),
                label => l.t(s.name_id()),
                value => form.minutes(s),
                hint => step_hint(s, l),
            }
        })
        .collect();
    context! {
        mode => mode.key(), action => mode.action(), form => Value::from_serialize(form),
        allowed => allowed, accept_resource_link => accepts.resource_link, accept_lineitem => accepts.lineitem,
        problems => problems.iter().map(|p| context! { field => anchor(p), text => problem_text(p, l) }).collect::<Vec<_>>(),
        errors => field_errors(problems, l),
        policies => ["keep", "new", "free"].map(|p| choice(p, format!("cfg_policy_{p}"))),
        modes => SessionMode::ALL.map(|m| choice(m.key(), format!("cfg_mode_{}", m.key()))),
        languages => ["lms", "en", "fr"].map(|g| choice(g, format!("cfg_language_{g}"))),
        step_minutes => steps,
        max_title => MAX_TITLE, max_instructions => MAX_INSTRUCTIONS, max_module_name => MAX_MODULE_NAME,
        max_points => MAX_ACTIVITY_POINTS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_links_to_an_input_of_the_form() {
        let html = include_str!("templates/activity_setup.html");
        let problems = [
            FormProblem::MissingTitle,
            FormProblem::TooLong {
                field: "cfg_field_instructions",
                max: 1,
            },
            FormProblem::TooLong {
                field: "cfg_field_module_name",
                max: 1,
            },
            FormProblem::ModuleNumber,
            FormProblem::Points,
            FormProblem::PreparationPoints,
            FormProblem::Choice {
                field: "cfg_field_policy",
            },
            FormProblem::Choice {
                field: "cfg_field_mode",
            },
            FormProblem::Choice {
                field: "cfg_field_language",
            },
        ];
        for p in problems {
            assert!(html.contains(&format!("id=\"{}\"", anchor(&p))), "{p:?}");
        }
        assert!(html.contains("id=\"cfg-{{ s.name }}\""));
    }

    #[test]
    fn a_step_of_one_suggested_duration_says_so() {
        assert_eq!(
            step_hint(Step::Objectives, Locale::En),
            "suggested: 5 minutes"
        );
        assert_eq!(
            step_hint(Step::Objectives, Locale::Fr),
            "suggéré : 5 minutes"
        );
        assert_eq!(
            step_hint(Step::Sharing, Locale::En),
            "suggested: 3 to 5 minutes"
        );
        assert_eq!(
            step_hint(Step::Sharing, Locale::Fr),
            "suggéré : 3 à 5 minutes"
        );
    }
}
