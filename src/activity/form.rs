//! The activity configuration form (Deep Linking, a first staff launch, or staff editing
//! later): its fields as typed, checked into a [`crate::store::ActivityConfig`] with every
//! problem named, and saved with the course's tag list in one transaction.

use serde::{Deserialize, Serialize};

use crate::coaching::{Grading, SessionMode, Step, Timings, timer::STEP_MINUTES};
use crate::course::cache::CourseCache;
use crate::i18n::Locale;
use crate::pairs::history::PairingChange;
use crate::pairs::settings::settings_from_form;
use crate::store::{
    ActivityConfig, CourseId, DraftSaved, MAX_INSTRUCTIONS, MAX_MODULE_NAME, MAX_TITLE,
    MODULE_NUMBERS, Store, StoreError, parse_policy, policy_key,
};

/// The form as posted: every value as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ActivityForm {
    pub title: String,
    pub instructions: String,
    pub module_number: String,
    pub module_name: String,
    pub policy: String,
    /// One tag per line.
    pub tags: String,
    pub minutes_introduction: String,
    pub minutes_sharing: String,
    pub minutes_objectives: String,
    pub minutes_analysis: String,
    pub minutes_options: String,
    pub minutes_commitments: String,
    pub mode: String,
    pub language: String,
    pub points: String,
    pub preparation_points: String,
}

/// A value of the form that cannot be used, named by the message key of its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormProblem {
    MissingTitle,
    TooLong { field: &'static str, max: usize },
    ModuleNumber,
    StepMinutes(Step),
    Points,
    PreparationPoints,
    Choice { field: &'static str },
}

impl ActivityForm {
    /// The form showing a configuration and the course's tags.
    pub fn of(c: &ActivityConfig, tags: &[String]) -> ActivityForm {
        let m = |s: Step| c.timings.minutes(s).to_string();
        ActivityForm {
            title: c.title.clone(),
            instructions: c.instructions.clone(),
            module_number: c.module_number.map(|n| n.to_string()).unwrap_or_default(),
            module_name: c.module_name.clone(),
            policy: policy_key(c.policy).to_string(),
            tags: tags.join("\n"),
            minutes_introduction: m(Step::Introduction),
            minutes_sharing: m(Step::Sharing),
            minutes_objectives: m(Step::Objectives),
            minutes_analysis: m(Step::Analysis),
            minutes_options: m(Step::Options),
            minutes_commitments: m(Step::Commitments),
            mode: c.mode.key().to_string(),
            language: match c.language {
                None => "lms".into(),
                Some(l) => l.code().into(),
            },
            points: c.grading.points().to_string(),
            preparation_points: c.grading.preparation_points().to_string(),
        }
    }

    /// The minutes typed for a step.
    pub fn minutes(&self, step: Step) -> &str {
        match step {
            Step::Introduction => &self.minutes_introduction,
            Step::Sharing => &self.minutes_sharing,
            Step::Objectives => &self.minutes_objectives,
            Step::Analysis => &self.minutes_analysis,
            Step::Options => &self.minutes_options,
            Step::Commitments => &self.minutes_commitments,
        }
    }

    /// The configuration and the course's tags this form asks for, or every problem in it.
    pub fn check(&self) -> Result<(ActivityConfig, Vec<String>), Vec<FormProblem>> {
        let mut problems = Vec::new();
        let mut text = |v: &str, field: &'static str, max: usize| {
            let v = v.trim();
            if v.chars().count() > max {
                problems.push(FormProblem::TooLong { field, max });
            }
            v.to_string()
        };
        let title = text(&self.title, "cfg_field_title", MAX_TITLE);
        let instructions = text(
            &self.instructions,
            "cfg_field_instructions",
            MAX_INSTRUCTIONS,
        );
        let module_name = text(&self.module_name, "cfg_field_module_name", MAX_MODULE_NAME);
        if title.is_empty() {
            problems.push(FormProblem::MissingTitle);
        }
        let module_number = match self.module_number.trim() {
            "" => None,
            n => match n.parse::<u16>() {
                Ok(n) if MODULE_NUMBERS.contains(&n) => Some(n),
                _ => {
                    problems.push(FormProblem::ModuleNumber);
                    None
                }
            },
        };
        let mut minutes = [0u32; 6];
        for (i, step) in Step::ALL.into_iter().enumerate() {
            match self.minutes(step).trim().parse::<u32>() {
                Ok(m) if STEP_MINUTES.contains(&m) => minutes[i] = m,
                _ => problems.push(FormProblem::StepMinutes(step)),
            }
        }
        let points = self.points.trim().parse::<u32>().ok();
        let preparation = match self.preparation_points.trim() {
            "" => Some(0),
            p => p.parse::<u32>().ok(),
        };
        let grading = match (points, preparation) {
            (Some(p), Some(q)) => match Grading::new(p, q) {
                Ok(g) => Some(g),
                Err(_) if (1..=crate::coaching::activity::MAX_ACTIVITY_POINTS).contains(&p) => {
                    problems.push(FormProblem::PreparationPoints);
                    None
                }
                Err(_) => {
                    problems.push(FormProblem::Points);
                    None
                }
            },
            (None, _) => {
                problems.push(FormProblem::Points);
                None
            }
            (Some(_), None) => {
                problems.push(FormProblem::PreparationPoints);
                None
            }
        };
        let policy = parse_policy(self.policy.trim());
        if policy.is_none() {
            problems.push(FormProblem::Choice {
                field: "cfg_field_policy",
            });
        }
        let mode = SessionMode::from_key(self.mode.trim());
        if mode.is_none() {
            problems.push(FormProblem::Choice {
                field: "cfg_field_mode",
            });
        }
        let language = match self.language.trim() {
            "lms" => Some(None),
            "en" => Some(Some(Locale::En)),
            "fr" => Some(Some(Locale::Fr)),
            _ => None,
        };
        if language.is_none() {
            problems.push(FormProblem::Choice {
                field: "cfg_field_language",
            });
        }
        let timings = Timings::new(minutes);
        match (policy, mode, language, grading, timings) {
            (Some(policy), Some(mode), Some(language), Some(grading), Ok(timings))
                if problems.is_empty() =>
            {
                let tags = settings_from_form(&self.tags, "keep").tag_options;
                Ok((
                    ActivityConfig {
                        title,
                        instructions,
                        module_number,
                        module_name,
                        policy,
                        timings,
                        mode,
                        language,
                        grading,
                    },
                    tags,
                ))
            }
            _ => Err(problems),
        }
    }
}

/// Where a configuration goes.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// An activity of the course, by resource link id.
    Activity(&'a str),
    /// A deep-linked item not launched yet, by the key its custom parameters carry.
    Draft(&'a str),
}

/// What came of saving a configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Saved,
    /// The course has no such activity.
    NoActivity,
    /// The course holds as many deep-linked configurations as it may.
    TooManyDrafts,
}

/// Saves a configuration and, when they changed, the course's tags (with their history
/// entry), in one transaction.
#[expect(clippy::too_many_arguments, reason = "one save, named in full")]
pub async fn save_config(
    store: &Store,
    cache: &CourseCache,
    course: CourseId,
    target: Target<'_>,
    actor: &str,
    config: &ActivityConfig,
    tags: &[String],
    now: i64,
) -> Result<Saved, StoreError> {
    let tx = store.begin(course).await?;
    let saved = match target {
        Target::Activity(rl) => {
            let before = tx.activity_config(rl).await?;
            if tx.set_activity_config(rl, config, actor, now).await? {
                // The LMS's grade column follows the points (the grade worker applies them).
                if before.map(|b| b.grading.points()) != Some(config.grading.points()) {
                    tx.set_activity_points(rl, f64::from(config.grading.points()), now)
                        .await?;
                }
                Saved::Saved
            } else {
                Saved::NoActivity
            }
        }
        Target::Draft(key) => match tx.save_activity_draft(key, config, actor, now).await? {
            DraftSaved::Saved => Saved::Saved,
            DraftSaved::TooMany => Saved::TooManyDrafts,
        },
    };
    if saved != Saved::Saved {
        return Ok(saved);
    }
    let mut settings = tx.course_settings().await?;
    if settings.tag_options != tags {
        settings.tag_options = tags.to_vec();
        tx.set_course_settings(&settings, now).await?;
        let change = PairingChange::Settings {
            policy: policy_key(settings.policy).to_string(),
        };
        tx.log_event(None, actor, change.action(), &change.detail(), now)
            .await?;
    }
    tx.commit().await?;
    cache.invalidate(course).await;
    Ok(Saved::Saved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pairing::Policy;

    fn filled() -> ActivityForm {
        ActivityForm::of(
            &ActivityConfig {
                title: "Module 1".into(),
                ..Default::default()
            },
            &["Nursing".into()],
        )
    }

    #[test]
    fn a_filled_form_gives_its_configuration_back() {
        let mut f = filled();
        f.policy = "new".into();
        f.points = "20".into();
        f.preparation_points = "5".into();
        f.module_number = "3".into();
        f.language = "fr".into();
        f.tags = "Nursing\n\nSurgery\nNursing".into();
        let (c, tags) = f.check().unwrap();
        assert_eq!(c.policy, Policy::NewPartners);
        assert_eq!(
            (c.grading.points(), c.grading.preparation_points()),
            (20, 5)
        );
        assert_eq!(c.module_number, Some(3));
        assert_eq!(c.language, Some(Locale::Fr));
        assert_eq!(tags, vec!["Nursing", "Surgery"]);
    }

    #[test]
    fn every_problem_is_named() {
        let mut f = filled();
        f.title = "  ".into();
        f.module_number = "0".into();
        f.minutes_analysis = "90".into();
        f.points = "10".into();
        f.preparation_points = "10".into();
        f.mode = "teleport".into();
        assert_eq!(
            f.check().unwrap_err(),
            vec![
                FormProblem::MissingTitle,
                FormProblem::ModuleNumber,
                FormProblem::StepMinutes(Step::Analysis),
                FormProblem::PreparationPoints,
                FormProblem::Choice {
                    field: "cfg_field_mode"
                },
            ]
        );
        f.points = "0".into();
        assert!(f.check().unwrap_err().contains(&FormProblem::Points));
    }
}
