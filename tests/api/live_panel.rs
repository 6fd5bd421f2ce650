//! What each member's panel shows, at every phase of a session, through the real HTTP
//! surface: no element id twice on any panel (any step, round, role, for a pair and a trio),
//! lists as tables with dates in the reader's language, and the meeting's time as a moment
//! with its calendar entry.

use std::collections::BTreeMap;

use crate::helpers::{TestApp, spawn_app};
use crate::live::{ok, panel, save};

/// Every `id="…"` of an HTML text, in order.
pub(crate) fn element_ids(html: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(" id=\"") {
        rest = &rest[at + 5..];
        let end = rest.find('"').unwrap_or(rest.len());
        ids.push(rest[..end].to_string());
        rest = &rest[end..];
    }
    ids
}

/// The ids that appear more than once, with their counts.
pub(crate) fn duplicate_ids(html: &str) -> BTreeMap<String, usize> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for id in element_ids(html) {
        *seen.entry(id).or_default() += 1;
    }
    seen.retain(|_, n| *n > 1);
    seen
}

/// The seats of round `round` in a group of `n`: (coachee, coach, observer).
fn roles(n: usize, round: usize) -> (usize, usize, Option<usize>) {
    if n == 2 {
        (round - 1, round % 2, None)
    } else {
        (round - 1, round % 3, Some((round + 1) % 3))
    }
}

/// The fields the coachee of a round writes at a step (by step key).
fn coachee_fields(step: &str) -> &'static [&'static str] {
    match step {
        "sharing" => &["sharing_notes"],
        "objectives" => &["global_objective", "session_objective"],
        "analysis" => &["analysis_notes"],
        "options" => &["options", "ideal_option", "ideal_option_needs"],
        "commitments" => &[
            "actions",
            "obstacles",
            "resources_people",
            "resources_material",
        ],
        _ => &[],
    }
}

/// What a list field's writer types (one entry per line, parts separated by `|`).
fn typed(field: &str) -> &'static str {
    match field {
        "options" => "Ask my manager | quick | may refuse\nDo nothing",
        "actions" => "Call the client | 2027-01-15\nWrite the plan",
        "obstacles" => "No time | block an hour",
        _ => "Some words",
    }
}

/// Runs a group's session from the trust framework to completion, filling every field it
/// may at each step, and hands `look` each member's panel (and the whole page) at every
/// stop, named by its phase and step.
pub(crate) async fn walk_session(
    app: &TestApp,
    t: &[String],
    mut look: impl AsyncFnMut(&str, usize, String),
) {
    let n = t.len();
    async fn all(
        app: &TestApp,
        t: &[String],
        stop: &str,
        look: &mut impl AsyncFnMut(&str, usize, String),
    ) {
        for (i, x) in t.iter().enumerate() {
            look(stop, i, panel(app, x).await).await;
            look(stop, i, app.page("/app/session", x).await).await;
        }
    }
    all(app, t, "framework", &mut look).await;
    for x in t {
        ok(app, x, "accept_framework").await;
    }
    for (i, x) in t.iter().enumerate() {
        for f in ["prep_situation", "prep_context"] {
            let (status, body) = save(app, x, &format!("{f}.s{i}"), "Mine", 0).await;
            assert_eq!(status, 200, "{body}");
        }
    }
    all(app, t, "preparation", &mut look).await;
    for x in t {
        ok(app, x, "mark_prepared").await;
    }
    ok(app, &t[0], "start").await;
    for (i, x) in t.iter().enumerate() {
        let (status, body) =
            save(app, x, "meeting_link.g", "https://meet.example/x", i as i64).await;
        assert_eq!(status, 200, "{body}");
    }
    all(app, t, "introduction", &mut look).await;
    ok(app, &t[0], "next_step").await;
    for round in 1..=n {
        let (coachee, coach, observer) = roles(n, round);
        if round > 1 {
            ok(app, &t[coach], "next_step").await;
        }
        for (k, step) in [
            "sharing",
            "objectives",
            "analysis",
            "options",
            "commitments",
        ]
        .into_iter()
        .enumerate()
        {
            if k > 0 {
                ok(app, &t[coach], "next_step").await;
            }
            for f in coachee_fields(step) {
                let (status, body) =
                    save(app, &t[coachee], &format!("{f}.r{round}"), typed(f), 0).await;
                assert_eq!(status, 200, "{f}.r{round}: {body}");
            }
            if k == 0 {
                let (status, body) = save(
                    app,
                    &t[coach],
                    &format!("coach_scratchpad.r{round}"),
                    "Note",
                    0,
                )
                .await;
                assert_eq!(status, 200, "{body}");
                if let Some(o) = observer {
                    let (status, body) =
                        save(app, &t[o], &format!("observer_notes.r{round}"), "Seen", 0).await;
                    assert_eq!(status, 200, "{body}");
                }
            }
            all(app, t, &format!("{round}-{step}"), &mut look).await;
        }
        ok(app, &t[coach], "end_round").await;
        all(app, t, &format!("{round}-ended"), &mut look).await;
    }
    ok(app, &t[1], "close").await;
    for (i, x) in t.iter().enumerate() {
        let (status, body) = save(app, x, &format!("takeaway.s{i}"), "Learnt", 0).await;
        assert_eq!(status, 200, "{body}");
    }
    all(app, t, "closing", &mut look).await;
    ok(app, &t[0], "close").await;
    all(app, t, "completed", &mut look).await;
}

/// The launched members of the pair and of the trio, in seat order.
pub(crate) async fn pair_and_trio(app: &TestApp) -> (Vec<String>, Vec<String>) {
    let (_, groups) = app.publish_pairs().await;
    let mut pair = Vec::new();
    for m in groups.iter().find(|g| g.len() == 2).unwrap() {
        pair.push(app.learner_launch(m).await.0);
    }
    let mut trio = Vec::new();
    for m in groups.iter().find(|g| g.len() == 3).unwrap() {
        trio.push(app.learner_launch(m).await.0);
    }
    (pair, trio)
}

#[tokio::test]
async fn no_panel_has_an_element_id_twice_at_any_step_round_or_role() {
    let app = spawn_app().await;
    let (pair, trio) = pair_and_trio(&app).await;
    let mut problems = Vec::new();
    let mut stops = 0;
    for group in [&pair, &trio] {
        walk_session(
            &app,
            group,
            async |stop: &str, seat: usize, html: String| {
                stops += 1;
                let dups = duplicate_ids(&html);
                if !dups.is_empty() {
                    problems.push(format!(
                        "group of {}, {stop}, seat {seat}: {dups:?}",
                        group.len()
                    ));
                }
            },
        )
        .await;
    }
    assert!(stops > 100, "the walk saw every stop ({stops})");
    assert!(
        problems.is_empty(),
        "duplicate element ids:\n{}",
        problems.join("\n")
    );
}
