//! Grades: exactly the final score, always (issue 14, section 1). Each test drives the outbox
//! against the test platform failing on a schedule, and failed before the fix it names:
//! a stale parked score re-sent after the final one, a line item created once per score,
//! twin rows, a 429 counted as a failure, a backoff grown to minutes, and Moodle's results
//! endpoint failing with `limit`.

use std::sync::atomic::Ordering;
use std::time::Duration;

use binome::grades::outbox::{MAX_ATTEMPTS, RATE_LIMIT_PATIENCE, RESOLVING_WAIT};
use binome::lti::ags::{ActivityProgress, GradingProgress};
use binome::store::{CourseId, GradeStatus, OutboxRow, ScoreContent};
use sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::grades::{
    ACTIVITY, Worker, app, now, one_score_queued, outbox, scores_of, step, worker,
};
use crate::helpers::TestApp;
use crate::live::{finish_session, ok, pair_and_other};
use crate::platform::AgsFailure;

/// Queues one score for each of `people` in the default activity, in one transaction (as
/// the session events that cause them would).
async fn queue(
    app: &TestApp,
    people: &[String],
    progress: ActivityProgress,
    now_millis: i64,
) -> CourseId {
    let c = app.first_course().await;
    let tx = app.store.begin(c).await.unwrap();
    for person in people {
        let completed = progress == ActivityProgress::Completed;
        let queued = tx
            .enqueue_score(binome::store::NewScore {
                activity: ACTIVITY,
                person_id: &binome::store::PersonId::new(person.as_str()),
                score: ScoreContent {
                    given: completed.then_some(1.0),
                    maximum: Some(1.0),
                    activity_progress: progress,
                    grading_progress: if completed {
                        GradingProgress::FullyGraded
                    } else {
                        GradingProgress::Pending
                    },
                    comment: None,
                },
                now_millis,
            })
            .await
            .unwrap();
        assert!(queued);
    }
    tx.commit().await.unwrap();
    c
}

/// Waits until `cond` holds (at most 20 s, then fails saying `what`).
async fn until(what: &str, cond: impl Fn() -> bool) {
    let end = tokio::time::Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(tokio::time::Instant::now() < end, "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn learners(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("learner-{i}")).collect()
}

/// The activity's launches name no line item (Moodle once a second one is bound to the
/// link): it must be found or created in the container.
async fn without_lineitem_claim(app: &TestApp) {
    app.store
        .connection()
        .execute_unprepared("UPDATE activities SET ags_lineitem = NULL")
        .await
        .unwrap();
}

/// Steps with the clock moved to each next due row until nothing is pending (at most
/// `steps` steps); returns the clock.
async fn drive(app: &TestApp, w: &Worker, mut t: i64, steps: usize) -> i64 {
    for _ in 0..steps {
        let rows = outbox(app).await;
        let Some(next) = rows
            .iter()
            .filter(|r| r.status == GradeStatus::Pending)
            .map(|r| r.next_attempt_at)
            .max()
        else {
            return t;
        };
        t = t.max(next);
        step(app, w, t).await;
    }
    assert_eq!(
        app.store.pending_scores().await.unwrap(),
        0,
        "still pending"
    );
    t
}

/// The progress and second of each score the platform accepted for `person`, in order.
fn received(app: &TestApp, person: &str) -> Vec<(String, String)> {
    scores_of(app, person)
        .iter()
        .map(|s: &Value| {
            (
                s["activityProgress"].as_str().unwrap().to_string(),
                s["timestamp"].as_str().unwrap()[..19].to_string(),
            )
        })
        .collect()
}

fn rows_of<'a>(rows: &'a [OutboxRow], person: &str) -> Vec<&'a OutboxRow> {
    rows.iter().filter(|r| r.person_id == person).collect()
}

/// Point 1, over HTTP: Started and InProgress parked while the LMS is down, Completed
/// delivered once it is back. No refused grade is shown, no retry button, and pressing
/// retry anyway sends nothing: the platform's scores for the learner end with Completed.
#[tokio::test]
async fn grades_regress_retry_never_sends_a_score_older_than_the_delivered_one() {
    let app = app().await;
    let w = worker(&app).await;
    let ([a, b], _, staff, pair) = pair_and_other(&app).await;
    for t in [&a, &b] {
        ok(&app, t, "accept_framework").await;
    }
    ok(&app, &a, "mark_prepared").await;
    // The LMS is down, and slow to say so: a's Started is in flight while b prepares and
    // a opens the introduction (a's InProgress queued behind it).
    *app.platform.state.ags_scores_fail.lock().unwrap() = Some((503, "down".into()));
    app.platform
        .state
        .ags_score_delay_ms
        .store(1500, Ordering::SeqCst);
    let t0 = now();
    let (r, ()) = tokio::join!(step(&app, &w, t0), async {
        until("a score posted", || app.platform.score_hits() > 0).await;
        ok(&app, &b, "mark_prepared").await;
        ok(&app, &a, "start").await;
    });
    assert_eq!(r.claimed, 1, "{r:?}");
    app.platform
        .state
        .ags_score_delay_ms
        .store(0, Ordering::SeqCst);
    // Down long enough for every score to be parked.
    let t = drive(&app, &w, t0, 3 * MAX_ATTEMPTS as usize + 3).await;
    let rows = outbox(&app).await;
    let latest = *rows_of(&rows, &pair[0]).last().unwrap();
    assert_eq!(
        (latest.score.activity_progress, latest.status),
        (ActivityProgress::InProgress, GradeStatus::Failed),
        "{rows:?}"
    );
    let page = app.page("/app", &staff).await;
    assert!(page.contains("id=\"retry-grades\""), "{page}");

    // The LMS is back; the session completes and Completed is delivered.
    *app.platform.state.ags_scores_fail.lock().unwrap() = None;
    finish_session(&app, &a, &b, ["Call the client", "Write the plan"]).await;
    let t = t.max(now()) + 1;
    let r = step(&app, &w, t).await;
    assert_eq!(r.delivered, 2, "{r:?}");
    let page = app.page("/app", &staff).await;
    assert!(!page.contains(r#"data-grade="failed""#), "{page}");
    assert!(!page.contains("not accepted by the LMS"), "{page}");
    assert!(!page.contains("id=\"retry-grades\""), "{page}");
    assert_eq!(
        page.matches(r#"data-grade="delivered""#).count(),
        2,
        "{page}"
    );

    // Pressing retry anyway (the route, directly) sends nothing stale.
    let r = app.post_form("/app/grades/retry", &staff, &[]).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(app.store.pending_scores().await.unwrap(), 0);
    let mut t = t + 2;
    for _ in 0..10 {
        t += 60;
        assert_eq!(step(&app, &w, t).await.claimed, 0);
    }
    for person in &pair {
        let got = received(&app, person);
        assert_eq!(
            got.last().map(|(p, _)| p.as_str()),
            Some("Completed"),
            "{person}: {got:?}"
        );
        assert!(got.windows(2).all(|w| w[0].1 < w[1].1), "{got:?}");
    }
    // The stale scores are kept, superseded: never sent, never deleted.
    let rows = outbox(&app).await;
    assert!(
        rows.iter()
            .filter(|r| r.score.activity_progress != ActivityProgress::Completed)
            .all(|r| r.status == GradeStatus::Superseded),
        "{rows:?}"
    );
}

/// Point 2: the first line item lookup of a step is rate limited: no other score of the
/// activity looks it up in that step, and it is created once.
#[tokio::test]
async fn grades_regress_a_failed_line_item_lookup_is_not_repeated_by_each_score() {
    let app = app().await;
    let w = worker(&app).await;
    app.staff_launch(None).await;
    without_lineitem_claim(&app).await;
    queue(
        &app,
        &learners(0..6),
        ActivityProgress::Completed,
        now() * 1000,
    )
    .await;
    app.platform
        .state
        .ags_lineitems_inject
        .lock()
        .unwrap()
        .push_back(AgsFailure::TooMany(30));
    let t = now();
    let r = step(&app, &w, t).await;
    assert_eq!((r.claimed, r.retried, r.delivered), (6, 6, 0), "{r:?}");
    let state = &app.platform.state;
    assert_eq!(state.ags_lineitems_gets.load(Ordering::SeqCst), 1);
    assert_eq!(state.ags_lineitems_posts.load(Ordering::SeqCst), 0);
    for row in outbox(&app).await {
        assert_eq!(
            (row.status, row.attempts, row.next_attempt_at),
            (GradeStatus::Pending, 0, t + 30),
            "a 429 spends no attempt: {row:?}"
        );
    }
    let r = step(&app, &w, t + 30).await;
    assert_eq!(r.delivered, 6, "{r:?}");
    assert_eq!(state.ags_lineitems_gets.load(Ordering::SeqCst), 2);
    assert_eq!(state.ags_lineitems_posts.load(Ordering::SeqCst), 1);
    let items = state.ags_lineitems.lock().unwrap().clone();
    assert_eq!(items.len(), 1, "one line item: {items:?}");
    // Every score went to it, and later scores need no lookup at all.
    assert!(
        app.platform
            .scores()
            .iter()
            .all(|(p, _)| p == "/ags/2/lineitems/1/lineitem")
    );
    queue(
        &app,
        &learners(6..8),
        ActivityProgress::Completed,
        now() * 1000,
    )
    .await;
    assert_eq!(step(&app, &w, now().max(t + 31)).await.delivered, 2);
    assert_eq!(state.ags_lineitems_gets.load(Ordering::SeqCst), 2);
    assert_eq!(state.ags_lineitems.lock().unwrap().len(), 1);
}

/// Point 2, across workers (two instances on one database): while one finds the activity's
/// line item, the other's scores wait for it; one line item is created.
#[tokio::test]
async fn grades_regress_two_workers_create_one_line_item() {
    let app = app().await;
    let (w1, w2) = (worker(&app).await, worker(&app).await);
    app.staff_launch(None).await;
    without_lineitem_claim(&app).await;
    queue(
        &app,
        &learners(0..4),
        ActivityProgress::Completed,
        now() * 1000,
    )
    .await;
    // A slow list: the first worker is still reading it when the second claims its scores.
    let state = &app.platform.state;
    state.ags_lineitems_delay_ms.store(600, Ordering::SeqCst);
    let t = now();
    let (r1, (r2, t2)) = tokio::join!(step(&app, &w1, t), async {
        until("a line item lookup", || {
            state.ags_lineitems_gets.load(Ordering::SeqCst) > 0
        })
        .await;
        queue(
            &app,
            &learners(4..8),
            ActivityProgress::Completed,
            now() * 1000,
        )
        .await;
        let t2 = now();
        (step(&app, &w2, t2).await, t2)
    });
    assert_eq!((r1.claimed, r2.claimed), (4, 4), "{r1:?} {r2:?}");
    assert_eq!(r1.delivered, 4, "{r1:?}");
    assert_eq!(r2.waiting, 4, "the second waits for the first: {r2:?}");
    state.ags_lineitems_delay_ms.store(0, Ordering::SeqCst);
    let r = step(&app, &w2, t2 + RESOLVING_WAIT).await;
    assert_eq!(r.delivered, 4, "{r:?}");
    assert_eq!(state.ags_lineitems_posts.load(Ordering::SeqCst), 1);
    let items = state.ags_lineitems.lock().unwrap().clone();
    assert_eq!(items.len(), 1, "one line item: {items:?}");
    assert_eq!(app.platform.scores().len(), 8);
    assert!(outbox(&app).await.iter().all(|r| r.attempts == 1));
}

/// Point 3: several scores of one learner enqueued while their rows are pending and one is
/// claimed (in flight): one pending row no worker holds, never two rows with one timestamp,
/// the new row sent after the held one, and each score posted once.
#[tokio::test]
async fn grades_regress_one_pending_row_per_learner_whatever_is_in_flight() {
    let app = app().await;
    let w = worker(&app).await;
    app.staff_launch(None).await;
    let state = &app.platform.state;
    let x = "learner-x".to_string();
    let y = "learner-y".to_string();
    // Scores of `p` queued while the step posts its held row, slowly.
    let w = &w;
    let while_in_flight = |p: &String, t: i64| {
        let p = p.clone();
        let app = &app;
        async move {
            let hits = app.platform.score_hits();
            state.ags_score_delay_ms.store(1500, Ordering::SeqCst);
            let (r, ()) = tokio::join!(step(app, w, t), async {
                until("a score posted", || app.platform.score_hits() > hits).await;
                let ms = now() * 1000;
                queue(
                    app,
                    std::slice::from_ref(&p),
                    ActivityProgress::InProgress,
                    ms,
                )
                .await;
                queue(
                    app,
                    std::slice::from_ref(&p),
                    ActivityProgress::Completed,
                    ms,
                )
                .await;
                let rows = outbox(app).await;
                let mine = rows_of(&rows, &p);
                assert_eq!(mine.len(), 2, "the held row and one more: {mine:?}");
                assert!(mine[1].timestamp >= mine[0].timestamp + 1000, "{mine:?}");
                assert_eq!(mine[1].score.activity_progress, ActivityProgress::Completed);
                // The new row waits behind the held one.
                let claimed = app.store.claim_due_scores(now(), 500, 300).await.unwrap();
                assert!(
                    claimed.iter().all(|r| r.person_id != p.as_str()),
                    "{claimed:?}"
                );
            });
            state.ags_score_delay_ms.store(0, Ordering::SeqCst);
            r
        }
    };

    // x's Started fails while x's newer scores are queued.
    queue(
        &app,
        std::slice::from_ref(&x),
        ActivityProgress::Started,
        now() * 1000,
    )
    .await;
    app.platform.inject_ags([AgsFailure::Server("busy".into())]);
    let r = while_in_flight(&x, now()).await;
    assert_eq!((r.claimed, r.delivered, r.retried), (1, 0, 1), "{r:?}");
    // Another score of x's while its stale Started waits for a retry.
    queue(
        &app,
        std::slice::from_ref(&x),
        ActivityProgress::Completed,
        now() * 1000,
    )
    .await;
    // y's Started is accepted while y's newer scores are queued.
    queue(
        &app,
        std::slice::from_ref(&y),
        ActivityProgress::Started,
        now() * 1000,
    )
    .await;
    while_in_flight(&y, now()).await;

    let rows = outbox(&app).await;
    for p in [&x, &y] {
        let mine = rows_of(&rows, p);
        let open = mine
            .iter()
            .filter(|r| r.status == GradeStatus::Pending && r.delivered_at.is_none())
            .count();
        assert!(open <= 1, "one pending row: {mine:?}");
        let mut stamps: Vec<i64> = mine.iter().map(|r| r.timestamp).collect();
        stamps.sort();
        stamps.dedup();
        assert_eq!(stamps.len(), mine.len(), "no twins: {mine:?}");
    }
    drive(&app, w, now(), 10).await;
    let got = received(&app, &x);
    assert_eq!(
        got.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        ["Completed"],
        "x: {got:?}"
    );
    let got = received(&app, &y);
    assert_eq!(
        got.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        ["Started", "Completed"],
        "y: {got:?}"
    );
    assert!(got[0].1 < got[1].1, "{got:?}");
    // Four posts in all: x's failed Started, y's Started, and one Completed each.
    assert_eq!(app.platform.score_hits(), 4);
}

/// Point 4: a platform that keeps answering 429 does not park a young score; the score waits
/// as `Retry-After` says, spending no attempt, then is delivered. Once a score is older than
/// a day, a 429 counts.
#[tokio::test]
async fn grades_regress_a_rate_limit_spends_no_attempt_for_a_day() {
    let app = app().await;
    let w = worker(&app).await;
    let ([_, b], _) = one_score_queued(&app).await;
    let n = MAX_ATTEMPTS as usize + 4;
    app.platform
        .inject_ags((0..n).map(|_| AgsFailure::TooMany(5)));
    let mut t = now();
    for i in 0..n {
        let r = step(&app, &w, t).await;
        assert_eq!((r.claimed, r.retried, r.failed), (1, 1, 0), "{i}: {r:?}");
        let row = &outbox(&app).await[0];
        assert_eq!(
            (row.status, row.attempts, row.next_attempt_at),
            (GradeStatus::Pending, 0, t + 5),
            "{i}"
        );
        assert_eq!(row.last_error.as_deref(), Some("HTTP 429: retry after 5 s"));
        t += 5;
    }
    assert_eq!(step(&app, &w, t).await.delivered, 1);
    // A day later, a 429 is a failed attempt like any other.
    ok(&app, &b, "mark_prepared").await;
    app.platform.inject_ags([AgsFailure::TooMany(5)]);
    let late = now() + RATE_LIMIT_PATIENCE + 10;
    assert_eq!(step(&app, &w, late).await.retried, 1);
    let row = outbox(&app).await.pop().unwrap();
    assert_eq!(
        (row.attempts, row.next_attempt_at),
        (1, late + 5),
        "{row:?}"
    );
}

/// Point 4: a score whose earlier claims were lost to killed instances, and then fails once
/// more, is tried again within a minute, not after minutes.
#[tokio::test]
async fn grades_regress_after_lost_claims_a_score_waits_at_most_a_minute() {
    let app = app().await;
    let w = worker(&app).await;
    one_score_queued(&app).await;
    let mut t = now();
    // Five instances claimed it and were killed before any answer (one-second leases).
    for _ in 0..5 {
        assert_eq!(
            app.store.claim_due_scores(t, 500, 1).await.unwrap().len(),
            1
        );
        t += 2;
    }
    app.platform
        .inject_ags([AgsFailure::Server("gradebook is locked".into())]);
    assert_eq!(step(&app, &w, t).await.retried, 1);
    let row = &outbox(&app).await[0];
    assert_eq!(row.attempts, 6);
    assert!(
        row.next_attempt_at - t <= 60,
        "waits {} s",
        row.next_attempt_at - t
    );
    assert_eq!(step(&app, &w, row.next_attempt_at).await.delivered, 1);
}

/// Point 5: the test platform answers like Moodle 4.5 (its error page, HTTP 404, when a
/// results URL carries `limit` with `type_id`); "Check the gradebook" reads without `limit`
/// and succeeds.
#[tokio::test]
async fn grades_regress_check_the_gradebook_reads_moodle_results_without_limit() {
    let app = app().await;
    let w = worker(&app).await;
    let ([a, b], _, staff, _) = pair_and_other(&app).await;
    crate::live::run_to_completion(&app, &a, &b, ["One", "Two"]).await;
    assert_eq!(step(&app, &w, now()).await.delivered, 2);
    // What Moodle answers to `limit` next to `type_id`.
    let r = app
        .http
        .get(format!(
            "{}/ags/2/lineitems/1/lineitem/results?type_id=1&limit=10",
            app.platform.issuer
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert!(r.text().await.unwrap().contains("<html>"));
    app.platform
        .state
        .ags_results_queries
        .lock()
        .unwrap()
        .clear();

    let r = app.post_form("/app/grades/check", &staff, &[]).await;
    assert_eq!(r.status().as_u16(), 303);
    let page = app.page("/app", &staff).await;
    assert!(!page.contains("The last check failed"), "{page}");
    assert!(page.contains("Last checked"), "{page}");
    assert_eq!(page.matches(r#"data-lms="graded""#).count(), 2, "{page}");
    let queries = app
        .platform
        .state
        .ags_results_queries
        .lock()
        .unwrap()
        .clone();
    assert_eq!(queries, ["type_id=1"]);
}
