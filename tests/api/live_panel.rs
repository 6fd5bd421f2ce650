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

/// A learner's launch in French (the LMS's locale).
async fn french_launch(app: &TestApp, sub: &str) -> String {
    let p = app.platform.clone();
    let sub = sub.to_string();
    let (status, body) = app
        .launch_with(move |c| {
            c["sub"] = sub.into();
            c["https://purl.imsglobal.org/spec/lti/claim/launch_presentation"]["locale"] =
                "fr-FR".into();
            p.use_test_services(c);
        })
        .await;
    assert_eq!(status, 200, "{body}");
    crate::helpers::session_token(&body)
}

#[tokio::test]
async fn the_summary_shows_lists_as_tables_with_dates_in_the_readers_language() {
    let app = spawn_app().await;
    let ([a, b], _, _, pair) = crate::live::pair_and_other(&app).await;
    crate::live::run_to_completion(
        &app,
        &a,
        &b,
        [
            "Call the client | 2027-01-15\nWrite the plan",
            "Ask for help | 2027-03-02",
        ],
    )
    .await;
    let en = panel(&app, &a).await;
    let summary = &en[en.find("id=\"summary\"").expect("the summary")..];
    assert!(
        summary.contains("<th scope=\"col\">Action</th><th scope=\"col\">By</th>")
            && summary.contains("<td>Call the client</td><td>15 Jan 2027</td>")
            && summary.contains("<td>Write the plan</td><td></td>")
            && summary.contains("<td>Ask for help</td><td>2 Mar 2027</td>"),
        "{summary}"
    );
    assert!(
        !en.contains("2027-01-15"),
        "no date in its input form: {en}"
    );
    assert!(!en.contains(" | "), "no entry in its input form");
    let fr = panel(&app, &french_launch(&app, &pair[1]).await).await;
    assert!(
        fr.contains("<td>Call the client</td><td>15 janv. 2027</td>")
            && fr.contains("<td>Ask for help</td><td>2 mars 2027</td>"),
        "{fr}"
    );
}

#[tokio::test]
async fn the_panel_shows_where_the_pair_is_in_the_method_and_the_step_first() {
    let app = spawn_app().await;
    let ([a, b], _, _, _) = crate::live::pair_and_other(&app).await;
    for c in ["accept_framework", "mark_prepared"] {
        for t in [&a, &b] {
            ok(&app, t, c).await;
        }
    }
    ok(&app, &a, "start").await;
    ok(&app, &a, "next_step").await;
    ok(&app, &b, "next_step").await;
    let p = panel(&app, &a).await;
    // One step is the current one, said in words; the ones before are done, in words too.
    assert_eq!(p.matches("aria-current=\"step\"").count(), 1, "{p}");
    let at = p.find("aria-current=\"step\"").unwrap();
    let current = &p[at..at + p[at..].find("</li>").unwrap()];
    assert!(
        current.contains("Round 1, step 2: Objectives: now"),
        "{current}"
    );
    for done in [
        "Preparation: done",
        "Step 0: Introduction: done",
        "Round 1, step 1: Sharing: done",
    ] {
        assert!(p.contains(done), "{done}: {p}");
    }
    assert!(p.contains("Round 2, step 5: Commitments: to come"), "{p}");
    // The step's own work comes before the folded preparations and the tools.
    let work = p.find("id=\"step-work\"").unwrap();
    let field = p.find("data-field=\"global_objective.r1\"").unwrap();
    let preparations = p.find("id=\"preparations\"").unwrap();
    assert!(
        work < field && field < preparations,
        "the step's fields come first"
    );
    assert!(
        p.contains("<details class=\"card fold\" id=\"preparations\">"),
        "folded during a round: {p}"
    );
    assert!(p.find("id=\"controls\"").unwrap() > preparations);
}

#[tokio::test]
async fn the_meeting_is_a_date_and_time_with_a_calendar_file_for_the_group_only() {
    let app = spawn_app().await;
    let ([a, b], x, staff, _) = crate::live::pair_and_other(&app).await;
    app.page("/app/session", &a).await;
    // The link: http or https, nothing else.
    let (status, body) = save(&app, &a, "meeting_link.g", "ftp://meet.example/x", 0).await;
    assert_eq!(status, 409);
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("https://"),
        "the refusal says what a link is: {body}"
    );
    let (status, _) = save(&app, &a, "meeting_link.g", "http://meet.example/pair", 0).await;
    assert_eq!(status, 200);
    // The time: an instant in UTC with the zone it was set in.
    let (status, body) = save(&app, &b, "meeting_date.g", "next Thursday", 0).await;
    assert_eq!(status, 409, "free text is refused");
    assert_eq!(body["message"], "Choose a date and a time.");
    let (status, body) = save(
        &app,
        &b,
        "meeting_date.g",
        "2027-01-15T13:00:00Z[Europe/Paris]",
        0,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let p = panel(&app, &a).await;
    assert!(
        p.contains("type=\"datetime-local\"")
            && p.contains("data-utc=\"2027-01-15T13:00:00Z\"")
            && p.contains(
                "<time datetime=\"2027-01-15T13:00:00Z\" data-local>15 Jan 2027, 13:00 UTC</time>"
            ),
        "{p}"
    );
    assert!(p.contains("type=\"url\""), "{p}");
    assert!(p.contains("id=\"add-to-calendar\""), "{p}");

    // The calendar file: a member's download.
    let r = app.post_form("/app/session/calendar", &b, &[]).await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar"),
    );
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".ics")
    );
    let ics = r.text().await.unwrap();
    let unfolded = ics.replace("\r\n ", "");
    let lines: Vec<&str> = unfolded.split("\r\n").collect();
    for expected in [
        "BEGIN:VEVENT",
        "DTSTART:20270115T130000Z",
        "DURATION:PT85M",
        "SUMMARY:Peer coaching",
        "URL:http://meet.example/pair",
        "DESCRIPTION:http://meet.example/pair",
        "END:VEVENT",
    ] {
        assert!(lines.contains(&expected), "{expected:?} in {ics}");
    }
    assert!(lines.iter().any(|l| l.starts_with("UID:")));
    assert!(lines.iter().any(|l| l.starts_with("DTSTAMP:")));
    // The same event at every download, for both members.
    let again = app
        .post_form("/app/session/calendar", &a, &[])
        .await
        .text()
        .await
        .unwrap();
    let uid = |t: &str| {
        t.lines()
            .find(|l| l.starts_with("UID:"))
            .unwrap()
            .to_string()
    };
    assert_eq!(uid(&ics), uid(&again));
    // No name, no word of the session.
    let names = app.page("/app/session", &a).await;
    for member in app.platform.members() {
        if let Some(name) = member["name"].as_str()
            && names.contains(name)
        {
            assert!(!ics.contains(name), "{name} in {ics}");
        }
    }
    // Nobody else gets it: another group has no meeting noted, staff have no session.
    let r = app.post_form("/app/session/calendar", &x, &[]).await;
    assert_eq!(r.status().as_u16(), 404);
    let r = app.post_form("/app/session/calendar", &staff, &[]).await;
    assert_eq!(r.status().as_u16(), 403);
    let r = app
        .http
        .post(format!("{}/app/session/calendar", app.base))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
}

#[tokio::test]
async fn a_meeting_time_noted_as_free_text_before_stays_readable() {
    let app = spawn_app().await;
    let ([a, _], _, _, _) = crate::live::pair_and_other(&app).await;
    app.page("/app/session", &a).await;
    // Written by an earlier version, which took any text.
    let course = app.first_course().await;
    let id = app.store.sessions_of_activity(course, "1").await.unwrap()[0].id;
    let tx = app.store.begin(course).await.unwrap();
    tx.save_field(
        id,
        &binome::store::FieldOwner::Group,
        "meeting_date.g",
        "Thursday 14:00",
        0,
        0,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // A panel is drawn from the fields as they stand at an entry of the log: the next one.
    crate::live::ok(&app, &a, "accept_framework").await;
    let p = panel(&app, &a).await;
    assert!(p.contains("Noted earlier: Thursday 14:00"), "{p}");
    assert!(
        !p.contains("id=\"add-to-calendar\""),
        "no calendar entry for a time that is not one"
    );
    let r = app.post_form("/app/session/calendar", &a, &[]).await;
    assert_eq!(r.status().as_u16(), 404);
}
