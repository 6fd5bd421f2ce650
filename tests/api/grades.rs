//! Grades through AGS: a live session's progress reaches the test platform's gradebook
//! through the outbox, whatever the platform does (outages, 429, 401, 409), with the worker's
//! step driven directly on a clock the test controls.

use std::time::Duration;

use binome::grades::{Deps, GradeWorker, StepReport, deliver_step};
use binome::launch::keyring::KeyRing;
use binome::lti::ags::{ActivityProgress, GradingProgress};
use binome::lti::keys::ToolKey;
use binome::store::{CourseId, GradeStatus, OutboxRow, ScoreContent};
use sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::helpers::{Options, TestApp, spawn_with};
use crate::live::{finish_session, ok, pair_and_other};
use crate::platform::AgsFailure;

/// The resource link of the default launch.
pub(crate) const ACTIVITY: &str = "1";

/// An app whose own grade worker is off: the test runs every step.
pub(crate) async fn app() -> TestApp {
    spawn_with(Options {
        env: vec![("BINOME_GRADE_WORKER", "false".into())],
        ..Default::default()
    })
    .await
}

pub(crate) struct Worker {
    pub(crate) worker: GradeWorker,
    pub(crate) key: ToolKey,
}

pub(crate) async fn worker(app: &TestApp) -> Worker {
    let now = crate::platform::now();
    let keys = KeyRing::load(app.store.clone(), Duration::from_secs(3600), now)
        .await
        .unwrap();
    Worker {
        worker: GradeWorker::new(
            binome::lti::outbound::Outbound::new("binome-test", false, false).unwrap(),
        ),
        key: keys.current(now).await,
    }
}

pub(crate) async fn step(app: &TestApp, w: &Worker, now: i64) -> StepReport {
    let regs = [app.reg.clone()];
    let deps = Deps {
        store: &app.store,
        worker: &w.worker,
        registrations: &regs,
        key: &w.key,
    };
    deliver_step(&deps, now).await.unwrap()
}

pub(crate) async fn outbox(app: &TestApp) -> Vec<OutboxRow> {
    let c = app.first_course().await;
    app.store.scores_of_activity(c, ACTIVITY).await.unwrap()
}

/// Scores the platform holds for one learner.
pub(crate) fn scores_of(app: &TestApp, person: &str) -> Vec<Value> {
    app.platform
        .scores()
        .into_iter()
        .filter(|(_, s)| s["userId"] == person)
        .map(|(_, s)| s)
        .collect()
}

/// A launched pair that accepted the framework and whose first member marked prepared
/// (one Started score queued for them).
pub(crate) async fn one_score_queued(app: &TestApp) -> ([String; 2], String) {
    let ([a, b], _, staff, _) = pair_and_other(app).await;
    for t in [&a, &b] {
        ok(app, t, "accept_framework").await;
    }
    ok(app, &a, "mark_prepared").await;
    let rows = outbox(app).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    ([a, b], staff)
}

pub(crate) fn now() -> i64 {
    crate::platform::now()
}

#[tokio::test]
async fn grades_a_completed_session_posts_started_in_progress_and_completed() {
    let app = app().await;
    let w = worker(&app).await;
    let ([a, b], _, staff, pair) = pair_and_other(&app).await;
    for t in [&a, &b] {
        ok(&app, t, "accept_framework").await;
    }
    for t in [&a, &b] {
        ok(&app, t, "mark_prepared").await;
        assert_eq!(step(&app, &w, now()).await.delivered, 1);
    }
    ok(&app, &a, "start").await;
    assert_eq!(step(&app, &w, now()).await.delivered, 2);
    finish_session(&app, &a, &b, ["Call the client", "Write the plan"]).await;
    let r = step(&app, &w, now()).await;
    assert_eq!((r.claimed, r.delivered), (2, 2), "{r:?}");

    for person in &pair {
        let scores = scores_of(&app, person);
        let progress: Vec<&str> = scores
            .iter()
            .map(|s| s["activityProgress"].as_str().unwrap())
            .collect();
        assert_eq!(
            progress,
            ["Started", "InProgress", "Completed"],
            "{scores:?}"
        );
        let seconds: Vec<&str> = scores
            .iter()
            .map(|s| &s["timestamp"].as_str().unwrap()[..19])
            .collect();
        assert!(seconds.windows(2).all(|w| w[0] < w[1]), "{seconds:?}");
        assert!(scores[0]["timestamp"].as_str().unwrap().ends_with('Z'));
        assert_eq!(scores[0]["gradingProgress"], "Pending");
        assert!(scores[0].get("scoreGiven").is_none());
        let done = &scores[2];
        assert_eq!(done["gradingProgress"], "FullyGraded");
        assert_eq!(done["scoreGiven"], 1.0);
        assert_eq!(done["scoreMaximum"], 1.0);
        assert_eq!(done["comment"], "Peer-coaching session completed");
    }
    // Posted into the line item's path, before its query string.
    assert!(
        app.platform
            .scores()
            .iter()
            .all(|(p, _)| p == "/ags/2/lineitems/1/lineitem")
    );
    assert!(
        outbox(&app)
            .await
            .iter()
            .all(|r| r.status == GradeStatus::Delivered)
    );
    assert_eq!(app.store.pending_scores().await.unwrap(), 0);
    let page = app.page("/app", &staff).await;
    assert_eq!(
        page.matches(r#"data-grade="delivered""#).count(),
        2,
        "{page}"
    );
    // One token for the score scope, whatever the number of scores.
    let score_tokens = app
        .platform
        .issued_tokens()
        .values()
        .filter(|t| t.scopes.iter().any(|s| s == crate::platform::SCORE_SCOPE))
        .count();
    assert_eq!(score_tokens, 1);
}

#[tokio::test]
async fn grades_a_newer_pending_score_replaces_the_older_one() {
    let app = app().await;
    let w = worker(&app).await;
    let ([a, b], _, _, pair) = pair_and_other(&app).await;
    crate::live::run_to_completion(&app, &a, &b, ["One", "Two"]).await;
    let rows = outbox(&app).await;
    assert_eq!(rows.len(), 2, "one row per learner: {rows:?}");
    assert!(
        rows.iter()
            .all(|r| r.score.activity_progress == ActivityProgress::Completed)
    );
    step(&app, &w, now()).await;
    for person in &pair {
        let scores = scores_of(&app, person);
        assert_eq!(scores.len(), 1, "{scores:?}");
        assert_eq!(scores[0]["activityProgress"], "Completed");
    }
    assert_eq!(app.store.pending_scores().await.unwrap(), 0);
}

#[tokio::test]
async fn grades_an_outage_is_retried_with_backoff_then_delivered() {
    let app = app().await;
    let w = worker(&app).await;
    one_score_queued(&app).await;
    app.platform
        .inject_ags((0..3).map(|_| AgsFailure::Server("down for maintenance".into())));
    let mut t = now();
    for attempt in 1..=3 {
        let r = step(&app, &w, t).await;
        assert_eq!(r.retried, 1, "attempt {attempt}: {r:?}");
        let row = &outbox(&app).await[0];
        assert_eq!(row.status, GradeStatus::Pending);
        assert!(row.next_attempt_at > t, "backs off");
        assert_eq!(
            row.last_error.as_deref(),
            Some("HTTP 500: down for maintenance")
        );
        // Not due before its time.
        assert_eq!(step(&app, &w, row.next_attempt_at - 1).await.claimed, 0);
        t = row.next_attempt_at;
    }
    assert_eq!(step(&app, &w, t).await.delivered, 1);
    let row = &outbox(&app).await[0];
    assert_eq!(
        (row.status, row.attempts, row.last_error.as_deref()),
        (GradeStatus::Delivered, 4, None)
    );
    assert_eq!(app.platform.scores().len(), 1);
}

#[tokio::test]
async fn grades_retry_after_is_honoured() {
    let app = app().await;
    let w = worker(&app).await;
    one_score_queued(&app).await;
    app.platform.inject_ags([AgsFailure::TooMany(120)]);
    let t = now();
    assert_eq!(step(&app, &w, t).await.retried, 1);
    assert_eq!(outbox(&app).await[0].next_attempt_at, t + 120);
    assert_eq!(step(&app, &w, t + 119).await.claimed, 0);
    assert_eq!(step(&app, &w, t + 120).await.delivered, 1);
}

#[tokio::test]
async fn grades_a_refused_token_is_renewed_once_and_the_score_delivered() {
    let app = app().await;
    let w = worker(&app).await;
    one_score_queued(&app).await;
    app.platform.inject_ags([AgsFailure::Unauthorized]);
    let before = app.platform.token_hits();
    let r = step(&app, &w, now()).await;
    assert_eq!(r.delivered, 1, "{r:?}");
    assert_eq!(
        app.platform.token_hits() - before,
        2,
        "the first and a fresh one"
    );
    assert_eq!(app.platform.score_hits(), 2);
}

#[tokio::test]
async fn grades_a_conflict_moves_the_timestamp_one_second() {
    let app = app().await;
    let w = worker(&app).await;
    one_score_queued(&app).await;
    let queued = outbox(&app).await[0].timestamp;
    app.platform.inject_ags([AgsFailure::Conflict]);
    assert_eq!(step(&app, &w, now()).await.delivered, 1);
    let sent = &app.platform.scores()[0].1;
    assert_eq!(
        sent["timestamp"],
        binome::lti::ags::timestamp(queued + 1000).as_str()
    );
}

#[tokio::test]
async fn grades_after_the_last_attempt_a_score_is_parked_with_the_platform_message() {
    let app = app().await;
    let w = worker(&app).await;
    let (_, staff) = one_score_queued(&app).await;
    let page = app.page("/app", &staff).await;
    assert!(page.contains("waiting to be sent"), "{page}");
    let max = binome::grades::outbox::MAX_ATTEMPTS;
    app.platform
        .inject_ags((0..max).map(|_| AgsFailure::Server("gradebook is locked".into())));
    let mut t = now();
    for _ in 1..max {
        assert_eq!(step(&app, &w, t).await.retried, 1);
        t = outbox(&app).await[0].next_attempt_at;
    }
    assert_eq!(step(&app, &w, t).await.failed, 1);
    let row = &outbox(&app).await[0];
    assert_eq!(row.status, GradeStatus::Failed);
    assert_eq!(row.attempts, max);
    assert_eq!(
        row.last_error.as_deref(),
        Some("HTTP 500: gradebook is locked")
    );
    // Parked: never tried again.
    assert_eq!(step(&app, &w, t + 86_400).await.claimed, 0);
    assert!(app.platform.scores().is_empty());
    assert_eq!(app.store.pending_scores().await.unwrap(), 0);
    // Staff see it, with the platform's words.
    let page = app.page("/app", &staff).await;
    assert!(
        page.contains(r#"data-grade="failed""#)
            && page.contains("not accepted by the LMS (HTTP 500: gradebook is locked)"),
        "{page}"
    );
    // Once the LMS is fixed, staff send it again, and it is delivered.
    assert!(page.contains("id=\"retry-grades\""), "{page}");
    let r = app.post_form("/app/grades/retry", &staff, &[]).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(outbox(&app).await[0].status, GradeStatus::Pending);
    assert_eq!(step(&app, &w, now() + 1).await.delivered, 1);
    assert_eq!(app.platform.scores().len(), 1);
}

#[tokio::test]
async fn grades_without_a_lineitem_claim_the_line_item_is_found_or_created() {
    let app = app().await;
    let w = worker(&app).await;
    let ([a, b], _, _, pair) = pair_and_other(&app).await;
    // As Moodle once a second line item is bound to the link: `lineitems` only.
    app.store
        .connection()
        .execute_unprepared("UPDATE activities SET ags_lineitem = NULL")
        .await
        .unwrap();
    for t in [&a, &b] {
        ok(&app, t, "accept_framework").await;
    }
    for t in [&a, &b] {
        ok(&app, t, "mark_prepared").await;
    }
    assert!(outbox(&app).await.iter().all(|r| r.lineitem.is_none()));
    assert_eq!(step(&app, &w, now()).await.delivered, 2);
    let items = app.platform.state.ags_lineitems.lock().unwrap().clone();
    assert_eq!(items.len(), 1, "created once: {items:?}");
    assert_eq!(items[0]["resourceLinkId"], ACTIVITY);
    assert_eq!(items[0]["tag"], "binome");
    for person in &pair {
        assert_eq!(scores_of(&app, person).len(), 1);
    }
}

#[tokio::test]
async fn grades_two_workers_never_deliver_one_score_twice() {
    let app = app().await;
    let (w1, w2) = (worker(&app).await, worker(&app).await);
    let ([a, b], _, _, _) = pair_and_other(&app).await;
    for t in [&a, &b] {
        ok(&app, t, "accept_framework").await;
    }
    for t in [&a, &b] {
        ok(&app, t, "mark_prepared").await;
    }
    let t = now();
    let (r1, r2) = tokio::join!(step(&app, &w1, t), step(&app, &w2, t));
    assert_eq!(r1.claimed + r2.claimed, 2, "{r1:?} {r2:?}");
    assert_eq!(r1.delivered + r2.delivered, 2);
    assert_eq!(app.platform.score_hits(), 2);
}

/// Queues a Completed score for each of `n` learners (`learner-0`…) of the default activity,
/// as the end of their sessions would, in one transaction.
async fn queue_completed(app: &TestApp, n: usize) -> CourseId {
    let c = app.first_course().await;
    let tx = app.store.begin(c).await.unwrap();
    let now_ms = now() * 1000;
    for i in 0..n {
        let person = binome::store::PersonId::new(format!("learner-{i}"));
        let queued = tx
            .enqueue_score(binome::store::NewScore {
                activity: ACTIVITY,
                person_id: &person,
                score: ScoreContent {
                    given: Some(1.0),
                    maximum: Some(1.0),
                    activity_progress: ActivityProgress::Completed,
                    grading_progress: GradingProgress::FullyGraded,
                    comment: None,
                },
                now_millis: now_ms,
            })
            .await
            .unwrap();
        assert!(queued);
    }
    tx.commit().await.unwrap();
    c
}

/// Polls until no score is pending, or `deadline` passes (then fails, saying how many are).
async fn drained(app: &TestApp, deadline: Duration) {
    let end = tokio::time::Instant::now() + deadline;
    loop {
        let pending = app.store.pending_scores().await.unwrap();
        if pending == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < end,
            "{pending} scores still pending after {deadline:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// How many scores the platform accepted per user, and the progress of each user's last.
fn accepted_per_user(app: &TestApp) -> std::collections::HashMap<String, (usize, String)> {
    let mut out: std::collections::HashMap<String, (usize, String)> = Default::default();
    for (_, s) in app.platform.scores() {
        let e = out
            .entry(s["userId"].as_str().unwrap().to_string())
            .or_insert((0, String::new()));
        e.0 += 1;
        e.1 = s["activityProgress"].as_str().unwrap().to_string();
    }
    out
}

#[tokio::test]
async fn grades_staff_check_the_gradebook_and_see_what_the_lms_holds() {
    let app = app().await;
    let w = worker(&app).await;
    // One result a page: the read must follow `Link: rel="next"`.
    app.platform
        .state
        .ags_results_page_size
        .store(1, std::sync::atomic::Ordering::SeqCst);
    let ([a, b], staff) = one_score_queued(&app).await;
    let page = app.page("/app", &staff).await;
    assert!(
        page.contains(r#"id="gradebook""#) && page.contains("Not checked yet."),
        "{page}"
    );
    assert_eq!(step(&app, &w, now()).await.delivered, 1);
    let r = app.post_form("/app/grades/check", &staff, &[]).await;
    assert_eq!(r.status().as_u16(), 303);
    let page = app.page("/app", &staff).await;
    // A Started score holds no grade: the LMS has a result without a score.
    assert!(page.contains(r#"data-lms="none""#), "{page}");
    assert!(page.contains("no grade in the LMS yet"), "{page}");
    assert!(page.contains("Last checked"), "{page}");
    assert!(!page.contains(r#"data-lms="graded""#), "{page}");

    ok(&app, &b, "mark_prepared").await;
    ok(&app, &a, "start").await;
    finish_session(&app, &a, &b, ["Call the client", "Write the plan"]).await;
    assert_eq!(step(&app, &w, now()).await.delivered, 2);
    let hits = app
        .platform
        .state
        .ags_results_hits
        .load(std::sync::atomic::Ordering::SeqCst);
    app.post_form("/app/grades/check", &staff, &[]).await;
    let page = app.page("/app", &staff).await;
    assert_eq!(page.matches(r#"data-lms="graded""#).count(), 2, "{page}");
    // `/` is escaped in HTML.
    assert!(page.contains(">1 &#x2f; 1<"), "{page}");
    assert_eq!(
        app.platform
            .state
            .ags_results_hits
            .load(std::sync::atomic::Ordering::SeqCst)
            - hits,
        2,
        "two pages of one result"
    );
    // Our side and the LMS's side, next to each other.
    assert_eq!(
        page.matches(r#"data-sent="delivered""#).count(),
        2,
        "{page}"
    );

    // The LMS fails: its words are shown, what was read before stays.
    *app.platform.state.ags_results_fail.lock().unwrap() = Some((503, "gradebook offline".into()));
    let r = app.post_form("/app/grades/check", &staff, &[]).await;
    assert_eq!(r.status().as_u16(), 303);
    let page = app.page("/app", &staff).await;
    assert!(
        page.contains("The last check failed: HTTP 503: gradebook offline"),
        "{page}"
    );
    assert_eq!(page.matches(r#"data-lms="graded""#).count(), 2, "{page}");
    // A learner may not read the gradebook.
    let r = app.post_form("/app/grades/check", &a, &[]).await;
    assert_ne!(r.status().as_u16(), 303);
}

#[tokio::test]
async fn grades_new_points_update_the_line_item_keeping_what_the_lms_holds() {
    let app = app().await;
    let w = worker(&app).await;
    one_score_queued(&app).await;
    let c = app.first_course().await;
    app.store
        .set_activity_points(c, ACTIVITY, 10.0, now())
        .await
        .unwrap();
    assert_eq!(
        app.store.activity_points(c, ACTIVITY).await.unwrap(),
        (Some(10.0), None)
    );
    assert_eq!(step(&app, &w, now()).await.delivered, 1);
    let puts = app.platform.state.ags_lineitem_puts.lock().unwrap().clone();
    assert_eq!(puts.len(), 1, "{puts:?}");
    let (path, item) = &puts[0];
    assert!(path.ends_with("/lineitems/1/lineitem"), "{path}");
    assert_eq!(item["scoreMaximum"], 10.0);
    // What the platform held is kept: a PUT replaces the whole line item.
    assert_eq!(item["label"], "Peer coaching (Moodle)");
    assert_eq!(item["resourceId"], "res-1");
    assert_eq!(item["resourceLinkId"], "1");
    assert_eq!(item["tag"], "binome");
    assert_eq!(app.platform.lineitem(path).unwrap()["scoreMaximum"], 10.0);
    assert_eq!(
        app.store.activity_points(c, ACTIVITY).await.unwrap(),
        (Some(10.0), Some(10.0))
    );
    // Applied once: the next steps do not put it again, nor the same points set again.
    step(&app, &w, now() + 1).await;
    app.store
        .set_activity_points(c, ACTIVITY, 10.0, now())
        .await
        .unwrap();
    step(&app, &w, now() + 2).await;
    assert_eq!(
        app.platform.state.ags_lineitem_puts.lock().unwrap().len(),
        1
    );
    // New points: put again.
    app.store
        .set_activity_points(c, ACTIVITY, 4.0, now())
        .await
        .unwrap();
    step(&app, &w, now() + 3).await;
    let puts = app.platform.state.ags_lineitem_puts.lock().unwrap().clone();
    assert_eq!(puts.len(), 2);
    assert_eq!(puts[1].1["scoreMaximum"], 4.0);
    assert_eq!(puts[1].1["label"], "Peer coaching (Moodle)");
}

#[tokio::test]
async fn grades_lti_ags_reads_and_updates_a_line_item() {
    let app = app().await;
    app.staff_launch(None).await;
    let w = worker(&app).await;
    let url = format!(
        "{}/ags/ctx/lineitems/9/lineitem?type_id=1",
        app.platform.issuer
    );
    // Only a URL on the platform's own hosts carries a token.
    let url = app.reg.service_url(&url).unwrap();
    let http = w.worker.http.for_platform(&app.reg);
    let token = w
        .worker
        .tokens
        .token(http, &app.reg, &w.key, &[binome::lti::ags::SCOPE_LINEITEM])
        .await
        .unwrap();
    let item = binome::lti::ags::get_lineitem(http, &token, &url)
        .await
        .unwrap();
    assert_eq!(
        (item.score_maximum, item.tag.as_deref()),
        (1.0, Some("binome"))
    );
    let updated = binome::lti::ags::update_lineitem(http, &token, &url, 20.0)
        .await
        .unwrap();
    assert_eq!(updated.score_maximum, 20.0);
    assert_eq!(updated.label, item.label);
    assert_eq!(updated.id, item.id);
    // A token without the results scope cannot read results: a typed refusal.
    let e = binome::lti::ags::read_results(http, &token, &url)
        .await
        .unwrap_err();
    assert_eq!(e, binome::lti::ags::AgsError::Unauthorized);
}

/// `binome serve` as its own process on the test app's database, with its grade worker on
/// and its claims held `lease` seconds.
fn binome_process(app: &TestApp, lease: u64) -> std::process::Child {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_binome"));
    cmd.env_clear();
    for (k, v) in &app.env {
        cmd.env(k, v);
    }
    cmd.env("BINOME_BIND", format!("127.0.0.1:{port}"))
        .env("BINOME_GRADE_WORKER", "true")
        .env("BINOME_GRADE_LEASE_SECS", lease.to_string())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn grades_a_killed_process_loses_no_score_and_the_restart_delivers_each_once() {
    let app = app().await;
    // A pair's session driven to completion through HTTP, and many more learners' scores.
    let ([a, b], _, _, pair) = pair_and_other(&app).await;
    crate::live::run_to_completion(&app, &a, &b, ["One", "Two"]).await;
    const MORE: usize = 40;
    queue_completed(&app, MORE).await;
    let total = MORE + pair.len();
    // The LMS hangs on every score the first process posts.
    app.platform
        .inject_ags((0..total).map(|_| AgsFailure::Hang(600)));
    let mut first = binome_process(&app, 2);
    // Wait until it has claimed every score (a claim counts an attempt) and posts are in flight.
    let end = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let rows = outbox(&app).await;
        if rows.len() == total
            && rows.iter().all(|r| r.attempts >= 1)
            && app.platform.score_hits() > 0
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < end,
            "the first process never claimed the scores: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // SIGKILL while the scores are claimed: nothing is acknowledged, nothing may be lost.
    first.kill().unwrap();
    first.wait().unwrap();
    app.platform.state.ags_inject.lock().unwrap().clear();
    assert!(app.platform.scores().is_empty());
    assert_eq!(app.store.pending_scores().await.unwrap(), total as u64);

    // A restart on the same database delivers them once their lease has passed.
    let mut second = binome_process(&app, 2);
    drained(&app, Duration::from_secs(180)).await;
    second.kill().ok();
    second.wait().ok();
    let per_user = accepted_per_user(&app);
    assert_eq!(per_user.len(), total, "{per_user:?}");
    for (user, (count, progress)) in &per_user {
        assert_eq!(
            (*count, progress.as_str()),
            (1, "Completed"),
            "{user}: every final score exactly once"
        );
    }
    assert!(
        outbox(&app)
            .await
            .iter()
            .all(|r| r.status == GradeStatus::Delivered)
    );
}

#[tokio::test]
async fn grades_two_instances_drain_one_outbox_and_never_post_a_row_twice() {
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {}
        _ => {
            eprintln!(
                "grades two instances: skipped (two instances need PostgreSQL: set DATABASE_URL=postgres://…)"
            );
            return;
        }
    }
    // Both instances run their worker on one database.
    let app = crate::helpers::spawn_app().await;
    let _other = app.spawn_instance().await;
    app.staff_launch(None).await;
    // More than one batch.
    const N: usize = binome::grades::outbox::BATCH as usize + 100;
    // A slow gradebook: the first instance's batch takes far longer than the other's idle
    // sleep, so both are delivering at once.
    app.platform
        .state
        .ags_score_delay_ms
        .store(500, std::sync::atomic::Ordering::SeqCst);
    queue_completed(&app, N).await;
    drained(&app, Duration::from_secs(300)).await;
    // Posts per (user, line item, timestamp): one each, and nothing else was posted.
    let mut seen = std::collections::HashMap::new();
    for (path, s) in app.platform.scores() {
        *seen
            .entry((
                s["userId"].as_str().unwrap().to_string(),
                path,
                s["timestamp"].as_str().unwrap().to_string(),
            ))
            .or_insert(0) += 1;
    }
    assert_eq!(seen.len(), N);
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
    assert_eq!(app.platform.score_hits(), N, "no post was made twice");
    assert_eq!(accepted_per_user(&app).len(), N);
    // Each instance's worker has its own token: both delivered.
    let tokens: std::collections::HashSet<String> = app
        .platform
        .state
        .ags_score_tokens
        .lock()
        .unwrap()
        .iter()
        .cloned()
        .collect();
    assert_eq!(tokens.len(), 2, "both instances posted");
}
