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
