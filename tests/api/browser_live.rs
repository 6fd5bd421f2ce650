//! The live session in real browsers: each member of a published pair launches the tool in
//! their own headless Chromium, inside the test platform's course page (the tool in an
//! iframe), opens the session and runs it to completion by clicking the page's buttons. Every
//! step change and every saved text shows in the partner's browser without a reload (the
//! event stream and the panel's redraw); a reload of the LMS frame comes back on the same
//! step with the texts; the teaching team sees the status only; and axe-core finds no WCAG
//! 2.1 A/AA violation in the session page at its main phases.
//!
//! Chromium, chromedriver (see browser.rs) and axe-core are required: `.ci/run` installs
//! axe-core with `npm install --prefix target/axe axe-core@4.14.1`; `BINOME_AXE` may point at
//! another `axe.min.js`. Without them the tests skip with a message, unless `CI` is set.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::browser::{Browser, Cookies, ELEMENT, WAIT, course_url};
use crate::helpers::{TestApp, spawn_app};

/// How often a condition in a browser is checked again.
const POLL: Duration = Duration::from_millis(100);

/// The panel's state as `[phase, step]`, or null before the session page shows.
const PANEL: &str = "var p = document.getElementById('session-panel'); \
     return p ? [p.getAttribute('data-phase'), p.getAttribute('data-step')] : null;";

/// Everything the panel shows, the values of its text areas included.
const PANEL_TEXT: &str = "var p = document.getElementById('session-panel'); \
     if (!p) { return null; } var s = p.innerText; \
     p.querySelectorAll('textarea').forEach(function (t) { s += '\\n' + t.value; }); return s;";

/// A member's browser, named for messages.
pub(crate) struct Seat {
    pub(crate) b: Browser,
    pub(crate) who: String,
}

/// Runs `js` in the iframe's document until `done` accepts its value; returns that value.
pub(crate) async fn wait_js(
    seat: &Seat,
    js: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let seen = async {
            seat.b.enter_iframe().await?;
            seat.b.script(js).await
        }
        .await;
        let last = match seen {
            Ok(v) if done(&v) => return v,
            Ok(v) => v.to_string(),
            Err(e) => e,
        };
        assert!(
            Instant::now() < deadline,
            "{}: {what} never happened; last seen: {last}",
            seat.who
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until the seat's panel shows `step` (its `data-step`).
async fn wait_step(seat: &Seat, step: &str) {
    wait_js(seat, PANEL, &format!("step {step}"), |v| v[1] == step).await;
}

/// Waits until the seat's panel shows `text` somewhere.
async fn wait_text(seat: &Seat, text: &str) -> String {
    let v = wait_js(seat, PANEL_TEXT, &format!("text {text:?} shown"), |v| {
        v.as_str().is_some_and(|s| s.contains(text))
    })
    .await;
    v.as_str().unwrap().to_string()
}

async fn panel_text(seat: &Seat) -> String {
    let v = wait_js(seat, PANEL_TEXT, "the panel", |v| v.is_string()).await;
    v.as_str().unwrap().to_string()
}

/// A WebDriver click on the first element matching `css` in the iframe, once it is there
/// (a redraw may replace it between finding and clicking: then it is found again).
pub(crate) async fn click(seat: &Seat, css: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let clicked = async {
            seat.b.enter_iframe().await?;
            let el = seat.b.find("css selector", css).await?;
            let id = el[ELEMENT].as_str().unwrap_or_default().to_string();
            seat.b
                .post(&format!("/element/{id}/click"), json!({}))
                .await
        }
        .await;
        match clicked {
            Ok(_) => return,
            Err(e) => assert!(
                Instant::now() < deadline,
                "{}: cannot click {css}: {e}",
                seat.who
            ),
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Clicks the command button `action` in `actor`'s browser and waits until every browser
/// shows step `to`, the others without any reload.
async fn step(actor: &Seat, action: &str, to: &str, all: &[&Seat]) {
    click(actor, &format!("button[data-action={action}]")).await;
    for s in all {
        wait_step(s, to).await;
    }
}

/// Types `text` into the text area of `field` and waits until the page's autosave has
/// stored it (the script marks the saved text in `data-saved`).
async fn type_and_wait_saved(seat: &Seat, field: &str, text: &str) {
    let css = format!("textarea[data-field=\"{field}\"]");
    let deadline = Instant::now() + WAIT;
    loop {
        let typed = async {
            seat.b.enter_iframe().await?;
            let el = seat.b.find("css selector", &css).await?;
            let id = el[ELEMENT].as_str().unwrap_or_default().to_string();
            seat.b
                .post(&format!("/element/{id}/value"), json!({ "text": text }))
                .await
        }
        .await;
        match typed {
            Ok(_) => break,
            Err(e) => assert!(
                Instant::now() < deadline,
                "{}: cannot type into {field}: {e}",
                seat.who
            ),
        }
        tokio::time::sleep(POLL).await;
    }
    let js = format!(
        "var t = document.querySelector({sel}); \
         return t ? [t.value, t.getAttribute('data-saved')] : null;",
        sel = json!(css)
    );
    wait_js(seat, &js, &format!("autosave of {field}"), |v| {
        v[0].as_str().is_some_and(|s| s.contains(text)) && v[0] == v[1]
    })
    .await;
}

/// The session page fits a 320 px wide LMS frame: nothing scrolls sideways.
async fn fits_in_320_px(seat: &Seat) {
    seat.b.to_top().await.unwrap();
    seat.b
        .script("document.querySelector('iframe').style.width = '320px'; return true;")
        .await
        .unwrap();
    seat.b.enter_iframe().await.unwrap();
    let v = wait_js(
        seat,
        "var d = document.documentElement; \
         return d.clientWidth <= 320 ? [d.scrollWidth, d.clientWidth] : null;",
        "the frame at 320 px",
        |v| v.is_array(),
    )
    .await;
    let (scroll, client) = (v[0].as_i64().unwrap(), v[1].as_i64().unwrap());
    assert!(
        scroll <= client + 1,
        "{}: {scroll} px wide in a {client} px frame",
        seat.who
    );
    seat.b.to_top().await.unwrap();
    seat.b
        .script("document.querySelector('iframe').style.width = ''; return true;")
        .await
        .unwrap();
    seat.b.enter_iframe().await.unwrap();
}

/// A browser launched as learner `sub` from the course page, on the session page.
async fn open_session(app: &TestApp, sub: &str) -> Option<Seat> {
    open_session_in(app, sub, None).await
}

/// Same, with the browser's time zone set to `zone` (an IANA name) when given.
async fn open_session_in(app: &TestApp, sub: &str, zone: Option<&str>) -> Option<Seat> {
    let b = Browser::start(Cookies::Default).await?;
    if let Some(zone) = zone {
        b.post(
            "/goog/cdp/execute",
            json!({ "cmd": "Emulation.setTimezoneOverride", "params": { "timezoneId": zone } }),
        )
        .await
        .unwrap();
    }
    let seat = Seat {
        b,
        who: format!("learner {sub}"),
    };
    let course = format!("{}&user={sub}", course_url(app, "127.0.0.1", None));
    seat.b.goto(&course).await;
    wait_js(
        &seat,
        "return document.getElementById('open-session') ? true : null;",
        "the learner page",
        |v| *v == json!(true),
    )
    .await;
    click(&seat, "#open-session").await;
    wait_step(&seat, "framework").await;
    Some(seat)
}

/// The axe-core script, or None (a skip) when it is not installed and `CI` is unset.
pub(crate) fn axe_source() -> Option<String> {
    let path = std::env::var("BINOME_AXE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("target/axe/node_modules/axe-core/axe.min.js")
        });
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(e) => {
            let message = format!(
                "{}: {e}: the accessibility checks need axe-core \
                 (`npm install --prefix target/axe axe-core@4.14.1`, or set BINOME_AXE)",
                path.display()
            );
            assert!(std::env::var_os("CI").is_none(), "{message}");
            crate::browser::skipped("accessibility (axe-core)", &message);
            None
        }
    }
}

/// Runs axe-core's WCAG 2.0/2.1 A and AA rules on the iframe's document and fails on any
/// violation, listing each with its impact and the nodes concerned.
pub(crate) async fn axe_check(seat: &Seat, axe: Option<&str>, label: &str) {
    let Some(axe) = axe else { return };
    seat.b.enter_iframe().await.unwrap();
    let present = seat.b.script("return typeof window.axe;").await.unwrap();
    if present != "object" {
        seat.b
            .script(&format!("{axe}\n;return typeof window.axe;"))
            .await
            .unwrap();
    }
    let run = r#"
var done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
  .then(function (r) {
    done({
      passes: r.passes.map(function (v) { return v.id; }),
      incomplete: r.incomplete.map(function (v) { return v.id; }),
      violations: r.violations.map(function (v) {
        return { id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.map(function (n) { return n.target.join(' ') + ' — ' + n.failureSummary; }) };
      })
    });
  }, function (e) { done({ error: String(e) }); });
"#;
    let found = seat
        .b
        .post("/execute/async", json!({ "script": run, "args": [] }))
        .await
        .unwrap();
    let (Some(violations), Some(passes)) =
        (found["violations"].as_array(), found["passes"].as_array())
    else {
        panic!("axe-core failed on {label}: {found}");
    };
    // The rules did run on this page: the contrast and label rules, at least, passed or failed.
    let ran = |id: &str| passes.iter().any(|p| p == id) || violations.iter().any(|v| v["id"] == id);
    assert!(
        ran("color-contrast") && ran("html-has-lang"),
        "axe-core did not check {label}: {found}"
    );
    eprintln!(
        "axe-core on {label} ({}): {} rules passed, {} violated, needing review: {}",
        seat.who,
        passes.len(),
        violations.len(),
        found["incomplete"]
    );
    let report: Vec<String> = violations
        .iter()
        .map(|v| {
            let nodes: Vec<String> = v["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|n| format!("    {}", n.as_str().unwrap_or_default()))
                .collect();
            format!(
                "  {} ({}): {}\n{}",
                v["id"].as_str().unwrap_or_default(),
                v["impact"].as_str().unwrap_or_default(),
                v["help"].as_str().unwrap_or_default(),
                nodes.join("\n")
            )
        })
        .collect();
    assert!(
        report.is_empty(),
        "axe-core: {} violation(s), {label} ({}):\n{}",
        report.len(),
        seat.who,
        report.join("\n")
    );
}

/// Reloads the LMS frame's document (as the browser's reload of the frame does) and waits
/// until the fresh document shows the panel again.
async fn reload_frame(seat: &Seat) {
    seat.b.enter_iframe().await.unwrap();
    seat.b
        .script("window.beforeReload = 1; setTimeout(function () { location.reload(); }, 10); return 1;")
        .await
        .unwrap();
    wait_js(
        seat,
        "return window.beforeReload === undefined && document.readyState === 'complete' \
         && document.getElementById('session-panel') ? location.pathname : null;",
        "the session page after the reload",
        |v| v.is_string(),
    )
    .await;
}

#[tokio::test]
async fn a_pair_runs_a_whole_session_in_two_browsers() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let started = Instant::now();
    let app = spawn_app().await;
    app.set_up_default_activity().await;
    let axe = axe_source();
    let (staff, groups) = app.publish_pairs().await;
    let pair = groups.iter().find(|g| g.len() == 2).unwrap().clone();
    // Seat 0, the first member in stored order, is the coachee of round 1.
    let (a, b) = tokio::join!(open_session(&app, &pair[0]), open_session(&app, &pair[1]));
    let (Some(a), Some(b)) = (a, b) else { return };
    let both = [&a, &b];
    // Each sees the other online (a member always sees themself online).
    for s in both {
        wait_js(
            s,
            "return document.querySelectorAll('#members li[data-presence=online]').length;",
            "both members online",
            |v| *v == json!(2),
        )
        .await;
    }
    axe_check(&a, axe.as_deref(), "trust framework").await;

    // The framework, then the preparation, each written alone.
    click(&a, "button[data-action=accept_framework]").await;
    wait_text(&b, "has accepted").await;
    step(&b, "accept_framework", "preparation", &both).await;
    axe_check(&a, axe.as_deref(), "preparation with text areas").await;
    type_and_wait_saved(&a, "prep_situation.s0", "BROWSER-A-PREP").await;
    click(&a, "button[data-action=mark_prepared]").await;
    wait_text(&b, "is prepared").await;
    step(&b, "mark_prepared", "preparation", &both).await;
    step(&b, "start", "introduction", &both).await;
    let seen = wait_text(&b, "BROWSER-A-PREP").await;
    assert!(
        seen.contains("BROWSER-A-PREP"),
        "shared from the introduction"
    );

    // Round 1: a is the coachee, b the coach, who alone moves the steps.
    step(&a, "next_step", "1-sharing", &both).await;
    step(&b, "next_step", "1-objectives", &both).await;
    wait_js(
        &a,
        "return document.querySelector('[data-timer]') && \
         !document.querySelector('button[data-action=next_step]') ? true : null;",
        "a timer and no step button for the coachee",
        |v| *v == json!(true),
    )
    .await;
    type_and_wait_saved(&a, "global_objective.r1", "BROWSER-A-GOAL").await;
    wait_text(&b, "BROWSER-A-GOAL").await;
    type_and_wait_saved(&b, "coach_scratchpad.r1", "BROWSER-B-SCRATCH").await;
    axe_check(&a, axe.as_deref(), "round 1 objectives, coachee, timer").await;
    axe_check(&b, axe.as_deref(), "round 1 objectives, coach, timer").await;
    fits_in_320_px(&a).await;
    step(&b, "next_step", "1-analysis", &both).await;
    // Rendered after the scratchpad was saved: its author's only.
    assert!(panel_text(&b).await.contains("BROWSER-B-SCRATCH"));
    assert!(
        !panel_text(&a).await.contains("BROWSER-B-SCRATCH"),
        "the coach's scratchpad shows to the coachee"
    );

    // The LMS frame reloads: the page reopens itself, on the same step, with the texts.
    reload_frame(&a).await;
    wait_step(&a, "1-analysis").await;
    let seen = wait_text(&a, "BROWSER-A-GOAL").await;
    assert!(seen.contains("BROWSER-A-PREP"), "{seen}");
    // And it is live again: the next change shows without another reload.
    step(&b, "next_step", "1-options", &both).await;

    // Meanwhile the teaching team sees that a session runs, and none of its words.
    let page = app.page("/app", &staff).await;
    assert!(page.contains("id=\"sessions\""), "{page}");
    assert!(page.contains("data-status=\"in_progress\""), "{page}");

    step(&b, "next_step", "1-commitments", &both).await;
    step(&b, "end_round", "1-ended", &both).await;

    // Round 2, roles swapped: a coaches.
    step(&a, "next_step", "2-sharing", &both).await;
    wait_js(
        &b,
        "return document.querySelector('button[data-action=next_step]') ? null : true;",
        "no step button for the coachee of round 2",
        |v| *v == json!(true),
    )
    .await;
    for s in ["2-objectives", "2-analysis", "2-options", "2-commitments"] {
        step(&a, "next_step", s, &both).await;
    }
    step(&a, "end_round", "2-ended", &both).await;
    step(&b, "close", "closing", &both).await;
    type_and_wait_saved(&b, "takeaway.s1", "BROWSER-B-TAKEAWAY").await;
    step(&a, "close", "completed", &both).await;
    for s in both {
        let v = wait_js(s, PANEL, "completion", |v| v[0] == "completed").await;
        assert_eq!(v[0], "completed");
    }
    wait_text(&a, "BROWSER-B-TAKEAWAY").await;
    axe_check(&a, axe.as_deref(), "completed").await;

    // The teaching team: the status, not a word of what was written.
    let page = app.page("/app", &staff).await;
    let sessions = &page[page.find("id=\"sessions\"").expect("the sessions table")..];
    assert!(sessions.contains("data-status=\"completed\""), "{page}");
    for secret in [
        "BROWSER-A-PREP",
        "BROWSER-A-GOAL",
        "BROWSER-B-SCRATCH",
        "BROWSER-B-TAKEAWAY",
    ] {
        assert!(!page.contains(secret), "staff see {secret}");
    }
    eprintln!("the session in two browsers took {:?}", started.elapsed());
}

/// The trio's three browsers after the pair's two would make five Chromiums at once on a
/// small machine: the tests of this file take turns.
pub(crate) static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn a_trio_runs_its_three_rounds_in_three_browsers() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let started = Instant::now();
    let app = spawn_app().await;
    app.set_up_default_activity().await;
    let axe = axe_source();
    let (staff, groups) = app.publish_pairs().await;
    let trio = groups
        .iter()
        .find(|g| g.len() == 3)
        .expect("a trio")
        .clone();
    let (a, b, c) = tokio::join!(
        open_session(&app, &trio[0]),
        open_session(&app, &trio[1]),
        open_session(&app, &trio[2])
    );
    let (Some(a), Some(b), Some(c)) = (a, b, c) else {
        return;
    };
    let all = [&a, &b, &c];
    for action in ["accept_framework", "mark_prepared"] {
        for s in all {
            click(s, &format!("button[data-action={action}]")).await;
            let gone = format!(
                "return document.querySelector('button[data-action={action}]') ? null : true;"
            );
            wait_js(s, &gone, &format!("{action} done"), |v| *v == json!(true)).await;
        }
    }
    step(&c, "start", "introduction", &all).await;
    step(&a, "next_step", "1-sharing", &all).await;

    // Each seat moves one role along per round: the coaches of rounds 1, 2, 3 are seats 1,
    // 2 and 0, and the observer of round 1 is seat 2.
    let coaches = [&b, &c, &a];
    for (i, coach) in coaches.iter().enumerate() {
        let round = i + 1;
        if round > 1 {
            step(coach, "next_step", &format!("{round}-sharing"), &all).await;
        }
        for s in ["objectives", "analysis", "options", "commitments"] {
            step(coach, "next_step", &format!("{round}-{s}"), &all).await;
            if round == 1 && s == "analysis" {
                type_and_wait_saved(&c, "observer_notes.r1", "BROWSER-C-OBSERVED").await;
                axe_check(&c, axe.as_deref(), "round 1 analysis, observer").await;
            }
        }
        step(coach, "end_round", &format!("{round}-ended"), &all).await;
    }
    step(&b, "close", "closing", &all).await;
    step(&c, "close", "completed", &all).await;

    let page = app.page("/app", &staff).await;
    let sessions = &page[page.find("id=\"sessions\"").expect("the sessions table")..];
    assert!(sessions.contains("data-status=\"completed\""), "{page}");
    assert!(
        !page.contains("BROWSER-C-OBSERVED"),
        "staff see the observer's notes"
    );
    eprintln!("the trio in three browsers took {:?}", started.elapsed());
}

#[tokio::test]
async fn the_staff_dashboard_and_course_overview_pass_axe_in_a_320_px_frame() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app().await;
    app.set_up_default_activity().await;
    let axe = axe_source();
    let (_, groups) = app.publish_pairs().await;
    // One pair begins, so that the dashboard and the chart show more than one status.
    let pair = groups.iter().find(|g| g.len() == 2).unwrap();
    let (a, _) = app.learner_launch(&pair[0]).await;
    app.page("/app/session", &a).await;
    crate::live::ok(&app, &a, "accept_framework").await;
    // The teacher opens the course page: the platform launches them as an instructor.
    *app.platform.state.extra_claims.lock().unwrap() = json!({
        crate::helpers::ROLES_CLAIM:
            ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
    });
    let Some(b) = Browser::start(Cookies::Default).await else {
        return;
    };
    let staff = Seat {
        b,
        who: "teacher".into(),
    };
    let course = format!("{}&user=3", course_url(&app, "127.0.0.1", None));
    staff.b.goto(&course).await;
    wait_js(
        &staff,
        "return document.getElementById('open-overview') ? true : null;",
        "the staff page with its dashboard",
        |v| *v == json!(true),
    )
    .await;
    axe_check(&staff, axe.as_deref(), "staff page with the dashboard").await;
    click(&staff, "#open-overview").await;
    wait_js(
        &staff,
        "return document.querySelector('svg.chart') && document.getElementById('matrix') \
         ? location.pathname : null;",
        "the course overview",
        |v| v.is_string(),
    )
    .await;
    axe_check(&staff, axe.as_deref(), "course overview").await;
    staff.b.to_top().await.unwrap();
    staff
        .b
        .screenshot(std::path::Path::new("/tmp/binome-overview.png"))
        .await;
    fits_in_320_px(&staff).await;
}

/// Makes every panel the page's script fetches from now on reach it 1.5 s after the server
/// rendered it, and counts those that arrived: a partner's change made in that window is
/// one the fetched panel cannot show.
const HOLD_PANELS: &str = "var orig = window.fetch; window.binomePanelsServed = 0; \
     window.fetch = function (url, opts) { \
       var p = orig.apply(window, arguments); \
       if (String(url).indexOf('/app/session/panel') < 0) { return p; } \
       return p.then(function (r) { window.binomePanelsServed += 1; \
         return new Promise(function (done) { setTimeout(function () { done(r); }, 1500); }); }); \
     }; return true;";

#[tokio::test]
async fn a_change_that_comes_while_the_panel_is_being_fetched_still_shows() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app().await;
    app.set_up_default_activity().await;
    let (_, groups) = app.publish_pairs().await;
    let pair = groups.iter().find(|g| g.len() == 2).unwrap().clone();
    let Some(a) = open_session(&app, &pair[0]).await else {
        return;
    };
    // The partner acts from their own device, through the same routes as their page.
    let (b, _) = app.learner_launch(&pair[1]).await;
    a.b.enter_iframe().await.unwrap();
    a.b.script(HOLD_PANELS).await.unwrap();
    click(&a, "button[data-action=accept_framework]").await;
    // A's own acceptance has its panel rendered; it is on its way to A's script.
    wait_js(
        &a,
        "return window.binomePanelsServed || null;",
        "a panel fetched after A's acceptance",
        |v| v.as_i64().is_some_and(|n| n >= 1),
    )
    .await;
    // B accepts now: B's event reaches A's script while that older panel is in flight.
    crate::live::ok(&app, &b, "accept_framework").await;
    wait_step(&a, "preparation").await;
}

#[tokio::test]
async fn a_screen_follows_the_next_session_its_partner_opens() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app().await;
    app.set_up_default_activity().await;
    let (_, groups) = app.publish_pairs().await;
    let pair = groups.iter().find(|g| g.len() == 2).unwrap().clone();
    let Some(a) = open_session(&app, &pair[0]).await else {
        return;
    };
    // A's commands from another tab, B's from their own device.
    let (a2, _) = app.learner_launch(&pair[0]).await;
    let (b, _) = app.learner_launch(&pair[1]).await;
    crate::live::ok(&app, &a2, "abandon").await;
    crate::live::ok(&app, &b, "abandon").await;
    wait_step(&a, "abandoned").await;
    // B opens a practice session: A's page shows it, and follows it live.
    crate::live::ok(&app, &b, "practice").await;
    wait_js(
        &a,
        "var p = document.getElementById('session-panel'); \
         return p ? [p.getAttribute('data-session'), p.getAttribute('data-phase')] : null;",
        "the practice session",
        |v| *v == json!(["1", "framework"]),
    )
    .await;
    crate::live::ok(&app, &b, "accept_framework").await;
    wait_text(&a, "has accepted").await;
}

/// Gives the LMS frame the size of Moodle's (about 650 px high, ignoring lti.frameResize)
/// in a main column of 700 px, and scrolls it to the top.
async fn moodle_frame(seat: &Seat) {
    seat.b.to_top().await.unwrap();
    seat.b
        .script(
            "var f = document.querySelector('iframe'); f.style.height = '650px'; \
             f.style.width = '700px'; return true;",
        )
        .await
        .unwrap();
    seat.b.enter_iframe().await.unwrap();
    wait_js(
        seat,
        "window.scrollTo(0, 0); return window.innerHeight === 650 ? true : null;",
        "a 650 px frame",
        |v| *v == json!(true),
    )
    .await;
}

/// Which of the step's heading, timer and first field are not wholly inside the frame
/// without scrolling: [names], empty when all are.
const ABOVE_THE_FOLD: &str = "window.scrollTo(0, 0); var h = window.innerHeight; var out = []; \
     var parts = { heading: document.getElementById('session-title'), \
       timer: document.querySelector('[data-timer]'), \
       'first field': document.querySelector('#step-work .field textarea, #step-work .field input, #step-work .field .readonly, #step-work .field table') }; \
     for (var k in parts) { var e = parts[k]; \
       if (!e) { out.push(k + ' missing'); continue; } \
       var r = e.getBoundingClientRect(); \
       if (r.top < 0 || r.bottom > h) { out.push(k + ' at ' + Math.round(r.top) + '-' + Math.round(r.bottom) + ' of ' + h); } } \
     return out;";

/// Checks that the step's heading, timer and first field show without scrolling at `step`.
async fn step_first(seat: &Seat, step: &str) {
    wait_step(seat, step).await;
    seat.b.enter_iframe().await.unwrap();
    let hidden = seat.b.script(ABOVE_THE_FOLD).await.unwrap();
    assert_eq!(
        hidden,
        json!([]),
        "{}: at {step}, in a 650 px frame, below the fold: {hidden}",
        seat.who
    );
}

#[tokio::test]
async fn in_a_650_px_frame_the_steps_work_shows_without_scrolling() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app().await;
    app.set_up_default_activity().await;
    let axe = axe_source();
    let (_, groups) = app.publish_pairs().await;
    let pair = groups.iter().find(|g| g.len() == 2).unwrap().clone();
    let Some(a) = open_session(&app, &pair[0]).await else {
        return;
    };
    let (b, _) = app.learner_launch(&pair[1]).await;
    let ok = |t: &str, c: &'static str| {
        let (app, t) = (&app, t.to_string());
        async move { crate::live::ok(app, &t, c).await }
    };
    // A meeting noted, as most groups have: its line is in the head too.
    crate::live::save(&app, &b, "meeting_link.g", "https://meet.example/pair", 0).await;
    crate::live::save(&app, &b, "meeting_date.g", "2027-01-15T13:00:00Z[UTC]", 0).await;
    click(&a, "button[data-action=accept_framework]").await;
    ok(&b, "accept_framework").await;
    wait_step(&a, "preparation").await;
    moodle_frame(&a).await;
    // While preparing, one's preparation is the work: its first field shows at once.
    let first =
        a.b.script(
            "var e = document.querySelector('#step-work textarea'); \
             return e ? e.getBoundingClientRect().bottom <= window.innerHeight : null;",
        )
        .await
        .unwrap();
    assert_eq!(first, json!(true), "the preparation's first field");
    click(&a, "button[data-action=mark_prepared]").await;
    wait_js(
        &a,
        "return document.querySelector('button[data-action=mark_prepared]') ? null : true;",
        "A prepared",
        |v| *v == json!(true),
    )
    .await;
    ok(&b, "mark_prepared").await;
    ok(&b, "start").await;
    wait_step(&a, "introduction").await;
    // Round 1: A is the coachee; round 2, the coach (scratchpad, then the questions).
    click(&a, "button[data-action=next_step]").await;
    step_first(&a, "1-sharing").await;
    ok(&b, "next_step").await;
    step_first(&a, "1-objectives").await;
    axe_check(
        &a,
        axe.as_deref(),
        "round 1 objectives, coachee, 650 px frame",
    )
    .await;
    for _ in 0..3 {
        ok(&b, "next_step").await;
    }
    step_first(&a, "1-commitments").await;
    ok(&b, "end_round").await;
    wait_step(&a, "1-ended").await;
    click(&a, "button[data-action=next_step]").await;
    step_first(&a, "2-sharing").await;
    click(&a, "button[data-action=next_step]").await;
    click_when_step(&a, "2-objectives").await;
    step_first(&a, "2-analysis").await;
    axe_check(&a, axe.as_deref(), "round 2 analysis, coach, 650 px frame").await;
    a.b.to_top().await.unwrap();
    a.b.screenshot(std::path::Path::new("/tmp/binome-650.png"))
        .await;
}

/// Clicks the next step once the panel shows `step` (the coach moving on).
async fn click_when_step(seat: &Seat, step: &str) {
    wait_step(seat, step).await;
    click(seat, "button[data-action=next_step]").await;
}

#[tokio::test]
async fn the_meeting_time_shows_and_is_set_in_the_readers_time_zone() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app().await;
    app.set_up_default_activity().await;
    let (_, groups) = app.publish_pairs().await;
    let pair = groups.iter().find(|g| g.len() == 2).unwrap().clone();
    let Some(a) = open_session_in(&app, &pair[0], Some("Europe/Paris")).await else {
        return;
    };
    let (b, _) = app.learner_launch(&pair[1]).await;
    // B, in New York, set 08:00 there: 13:00 UTC, 14:00 in Paris (winter).
    let (status, _) = crate::live::save(
        &app,
        &b,
        "meeting_date.g",
        "2027-01-15T13:00:00Z[America/New_York]",
        0,
    )
    .await;
    assert_eq!(status, 200);
    let shown = wait_js(
        &a,
        "var i = document.querySelector('input[data-field=\"meeting_date.g\"]'); \
         var t = document.querySelector('#meeting-when time'); \
         var z = document.querySelector('[data-zone]'); \
         return i && t && i.value ? [i.value, t.textContent, z ? z.textContent : ''] : null;",
        "the meeting's time",
        |v| v[0] == "2027-01-15T14:00",
    )
    .await;
    assert!(
        shown[1]
            .as_str()
            .is_some_and(|s| s.contains("2027") && !s.contains("UTC")),
        "in the reader's zone, not the server's UTC: {shown}"
    );
    assert_eq!(shown[2], "(Europe/Paris)");
    // A moves it to 1 Feb, 09:30 in Paris: stored as 08:30 UTC, with A's zone.
    a.b.enter_iframe().await.unwrap();
    a.b.script(
        "var i = document.querySelector('input[data-field=\"meeting_date.g\"]'); \
         i.value = '2027-02-01T09:30'; i.dispatchEvent(new Event('change')); i.blur(); return true;",
    )
    .await
    .unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        let p = crate::live::panel(&app, &b).await;
        if p.contains("data-utc=\"2027-02-01T08:30:00Z\"") {
            break;
        }
        assert!(Instant::now() < deadline, "A's new time never saved: {p}");
        tokio::time::sleep(POLL).await;
    }
    let course = app.first_course().await;
    let id = app.store.sessions_of_activity(course, "1").await.unwrap()[0].id;
    let fields = app.store.fields(course, id).await.unwrap();
    let stored = fields.iter().find(|f| f.field == "meeting_date.g").unwrap();
    assert_eq!(stored.text, "2027-02-01T08:30:00Z[Europe/Paris]");
}
