//! The method's wording: every prompt a screen names exists in both languages, and the
//! catalogues hold no coaching message that no screen names.

use binome::coaching::{Role, Step, prompts};
use binome::i18n::{Arg, Locale};

#[test]
fn every_prompt_id_exists_in_both_languages() {
    let ids = prompts::all_ids();
    assert!(ids.len() > 80, "{}", ids.len());
    for id in &ids {
        assert!(id.starts_with("coach_"), "{id}");
        for l in Locale::ALL {
            assert!(l.has(id), "{id} ({})", l.code());
        }
    }
    // And the catalogue has no coaching message that no screen names.
    for l in Locale::ALL {
        let unused: Vec<_> = l
            .ids()
            .into_iter()
            .filter(|id| id.starts_with("coach_") && !ids.contains(id))
            .collect();
        assert!(unused.is_empty(), "{unused:?} ({})", l.code());
        let args = [("round", Arg::from(1)), ("rounds", Arg::from(3))];
        assert!(l.lookup("coach_round_title", &args).is_ok());
        assert!(
            l.lookup("coach_timer_overtime", &[("minutes", Arg::from(1))])
                .is_ok()
        );
    }
    assert_eq!(
        Locale::Fr.tr("coach_timer_overtime", &[("minutes", 3.into())]),
        "3 minutes de plus que prévu"
    );
    // The coach sees the questions of the questioning steps, and the listening reminder
    // while the coachee shares.
    for step in [Step::Analysis, Step::Options, Step::Commitments] {
        assert!(!prompts::for_step(step, Role::Coach).questions.is_empty());
        assert!(prompts::for_step(step, Role::Coachee).questions.is_empty());
    }
    assert_eq!(
        prompts::for_step(Step::Sharing, Role::Coach).posture,
        ["coach_posture_listen"]
    );
    assert!(prompts::POSTURE.iter().all(|p| ids.contains(p)));
}

/// A step's name and description are named by `Step::name_id` and `Step::text_id`, never
/// built with `format!`: the literal-id scan cannot see ids made at run time, so this asks
/// both languages for every step's, and no source builds one.
#[test]
fn every_step_names_messages_of_both_languages() {
    for step in Step::ALL {
        for id in [step.name_id(), step.text_id()] {
            for l in Locale::ALL {
                assert!(l.has(id), "{id} ({})", l.code());
            }
        }
    }
    let files = crate::tidy::workspace_sources();
    assert!(files.len() > 100, "only {} source files", files.len());
    for (path, text) in files {
        assert!(
            !text.contains("format!(\"step_"),
            "{path} builds a step's message id; use Step::name_id"
        );
    }
}
