//! What staff see of the LMS gradebook on the activity page: per learner, our delivery
//! status of their latest score next to what the LMS held at the last check (AGS results),
//! with when that check was made or why it failed — why only for staff who may manage.

use std::collections::BTreeSet;

use minijinja::{Value, context};

use super::AppState;
use super::error::WebError;
use super::session_view::names;
use super::staff_view::{Reader, failure_words, module};
use crate::launch::session::Session;
use crate::read::overview::grade_words;
use crate::store::PersonId;

/// A number as staff read it: `1`, `0.5`.
fn points(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The gradebook block of the staff page (None when the activity has no grades service).
pub async fn gradebook_block(state: &AppState, s: &Session) -> Result<Option<Value>, WebError> {
    if !s.grade_service {
        return Ok(None);
    }
    let l = s.locale;
    let reader = Reader::of(s);
    let activity = module(s);
    let store = &state.flow.store;
    let scores = store.scores_of_activity(s.course, &activity).await?;
    let read = store.lms_results(s.course, &activity).await?;
    let people: BTreeSet<PersonId> = scores
        .iter()
        .map(|r| r.person_id.clone())
        .chain(read.results.iter().map(|r| r.person_id.clone()))
        .collect();
    let people: Vec<PersonId> = people.into_iter().collect();
    let names = names(state, s, &people).await?;
    let rows: Vec<Value> = people
        .iter()
        .map(|p| {
            // The latest score: what the gradebook has or will have.
            let ours = scores.iter().rev().find(|r| &r.person_id == p);
            let (ours_key, ours_text) = match ours {
                Some(r) => grade_words(r.status, r.last_error.as_deref(), reader, l),
                None => ("none", l.t("gradebook_nothing_sent")),
            };
            let lms = read.results.iter().find(|r| &r.person_id == p);
            let (lms_key, lms_text) = match lms {
                Some(r) if r.result_score.is_some() => (
                    "graded",
                    l.tr(
                        "gradebook_result",
                        &[
                            ("score", points(r.result_score.unwrap_or(0.0)).into()),
                            (
                                "maximum",
                                r.result_maximum.map(points).unwrap_or_default().into(),
                            ),
                        ],
                    ),
                ),
                _ => ("none", l.t("gradebook_no_result")),
            };
            context! {
                person => p,
                name => names.get(p).cloned().unwrap_or_default(),
                ours_key => ours_key, ours => ours_text,
                lms_key => lms_key, lms => lms_text,
            }
        })
        .collect();
    Ok(Some(context! {
        checked => read.read_at.map(|t| l.format_time(t)),
        // What the LMS answered is for staff who may manage only.
        error => read.error.as_deref().and_then(|e| failure_words(e, reader, l)),
        rows => rows,
    }))
}
