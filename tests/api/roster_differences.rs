//! The `differences` link is read only while the last *complete* read is under a day old:
//! hourly syncs must not chain differences forever.

use std::time::Duration;

use binome::store::CourseInfo;
use sea_orm::ConnectionTrait;

use crate::helpers::{TestApp, spawn_app};

async fn course(app: &TestApp) -> CourseInfo {
    let mut all = app
        .store
        .courses_due_for_sync(i64::MAX / 2, 0)
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    all.remove(0)
}

/// Waits until the staff launch's background sync has written `last_sync_at` past `after`.
async fn synced_after(app: &TestApp, after: i64) -> CourseInfo {
    for _ in 0..100 {
        let c = course(app).await;
        if c.last_sync_at.is_some_and(|t| t > after) {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no sync happened");
}

async fn set_sync_times(app: &TestApp, last: i64, last_full: i64) {
    app.store
        .connection()
        .execute_unprepared(&format!(
            "UPDATE courses SET last_sync_at = {last}, last_full_sync_at = {last_full}"
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn differences_are_read_only_while_the_last_full_read_is_under_a_day_old() {
    let app = spawn_app().await;
    app.staff_launch(None).await;
    let first = synced_after(&app, 0).await;
    assert!(
        first.differences_url.is_some(),
        "the platform offers differences"
    );
    let now = binome::launch::now();

    // Last sync an hour ago, last full read an hour ago: only the changes are read.
    set_sync_times(&app, now - 3600, now - 3600).await;
    app.staff_launch(None).await;
    let c = synced_after(&app, now - 3600).await;
    assert_eq!(
        c.last_full_sync_at,
        Some(now - 3600),
        "a differences read is not a full read"
    );

    // Last sync an hour ago (differences), but the last full read two days ago: a full read.
    set_sync_times(&app, now - 3600, now - 2 * 86_400).await;
    app.staff_launch(None).await;
    let c = synced_after(&app, now - 3600).await;
    assert!(
        c.last_full_sync_at.is_some_and(|t| t >= now),
        "a complete read is due: {:?}",
        c.last_full_sync_at
    );
}
