//! NRPS paging stays on the platform: links to another origin are not followed (nor given
//! the Bearer token), a `next` cycle ends at once, a whole sync has a deadline, and a
//! refresh that waited on a concurrent sync reports that sync's real outcome.

use std::time::Duration;

use crate::helpers::{Options, TestApp, spawn_app, spawn_with};
use crate::platform::{Failure, TestPlatform};

/// A staff launch with the test platform's NRPS endpoint, once its background sync has
/// brought the 13 default members in; returns the session token.
async fn staff(app: &TestApp) -> String {
    let (t, _) = app.staff_launch(None).await;
    for _ in 0..100 {
        if app.page("/app", &t).await.matches("<tr data-user=").count() >= 13 {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the launch's background sync never finished");
}

/// POST "Refresh roster"; returns the redirect's notice.
async fn refresh(app: &TestApp, t: &str) -> String {
    let r = app.post_form("/app/roster/refresh", t, &[]).await;
    assert_eq!(r.status().as_u16(), 303);
    r.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn a_next_link_to_another_origin_is_not_followed_and_gets_no_token() {
    let app = spawn_app().await;
    let t = staff(&app).await;
    let other = TestPlatform::start().await;
    app.platform.set_nrps_link(
        1,
        &format!(
            r#"<{}?page=2&limit=4>; rel="next""#,
            other.memberships_url("2")
        ),
    );
    let notice = refresh(&app, &t).await;
    assert!(notice.contains("notice_sync_failed"), "{notice}");
    assert_eq!(other.nrps_hits(), 0, "the other host never saw a request");
    let html = app.page("/app", &t).await;
    assert!(
        html.contains("another origin"),
        "the instructor is told why"
    );
    assert_eq!(
        html.matches("<tr data-user=").count(),
        13,
        "the roster is kept"
    );
}

#[tokio::test]
async fn a_differences_link_to_another_origin_is_not_kept() {
    let app = spawn_app().await;
    let t = staff(&app).await;
    let other = TestPlatform::start().await;
    app.platform.set_nrps_page_size(100);
    app.platform.set_nrps_link(
        1,
        &format!(
            r#"<{}/differences?since=1>; rel="differences""#,
            other.memberships_url("2")
        ),
    );
    let notice = refresh(&app, &t).await;
    assert!(notice.contains("notice_synced"), "{notice}");
    let courses = app
        .store
        .courses_due_for_sync(i64::MAX / 2, 0)
        .await
        .unwrap();
    assert_eq!(courses.len(), 1);
    assert_eq!(courses[0].differences_url, None);
}

#[tokio::test]
async fn a_next_cycle_ends_the_sync_at_once() {
    let app = spawn_app().await;
    let t = staff(&app).await;
    let first = format!("{}?limit=1000", app.platform.memberships_url("2"));
    // Page 2 sends the reader back to page 1 (the URL the tool started from).
    app.platform
        .set_nrps_link(2, &format!(r#"<{first}>; rel="next""#));
    let before = app.platform.nrps_hits();
    let notice = refresh(&app, &t).await;
    assert!(notice.contains("notice_sync_failed"), "{notice}");
    assert_eq!(
        app.platform.nrps_hits() - before,
        2,
        "two pages, not thousands"
    );
    assert!(app.page("/app", &t).await.contains("loop back"));
}

#[tokio::test]
async fn a_whole_sync_has_a_deadline() {
    let app = spawn_with(Options {
        env: vec![("BINOME_ROSTER_SYNC_DEADLINE_SECS", "1".into())],
        ..Options::default()
    })
    .await;
    let t = staff(&app).await;
    // Four pages of 400 ms each: every page is quick, the whole read is not.
    app.platform.set_nrps_delay_ms(400);
    let started = std::time::Instant::now();
    let notice = refresh(&app, &t).await;
    assert!(notice.contains("notice_sync_failed"), "{notice}");
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert!(app.page("/app", &t).await.contains("longer than 1 s"));
}

#[tokio::test]
async fn a_refresh_that_waited_on_a_failing_sync_reports_the_failure() {
    let app = spawn_app().await;
    let t = staff(&app).await;
    app.platform.set_nrps_delay_ms(300);
    app.platform
        .set_nrps_fail_page(Some((2, Failure::ServerError)));
    let (a, b) = tokio::join!(refresh(&app, &t), async {
        // The second arrives while the first is reading page 1.
        tokio::time::sleep(Duration::from_millis(100)).await;
        refresh(&app, &t).await
    });
    assert!(a.contains("notice_sync_failed"), "{a}");
    assert!(b.contains("notice_sync_failed"), "the waiter too: {b}");
    // And both see a success when the sync they share succeeds.
    app.platform.set_nrps_fail_page(None);
    let (a, b) = tokio::join!(refresh(&app, &t), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        refresh(&app, &t).await
    });
    assert!(
        a.contains("notice_synced") && b.contains("notice_synced"),
        "{a} {b}"
    );
}
