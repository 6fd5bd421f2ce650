//! Names from Moodle's NRPS arrive HTML-escaped; they are decoded before they are stored, so
//! the roster page escapes them exactly once. Unknown member statuses are kept apart.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

async fn staff_page_once_synced(app: &TestApp) -> String {
    let (t, _) = app.staff_launch(None).await;
    for _ in 0..100 {
        let html = app.page("/app", &t).await;
        if html.contains("data-user=\"201\"") {
            return html;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the roster never synced");
}

#[tokio::test]
async fn moodle_escaped_names_are_decoded_before_storing_and_escaped_once_on_output() {
    let app = spawn_app().await;
    let mut members = app.platform.members();
    // What Moodle 4.5's NRPS sends for a user typed as `<b>Zoé</b> & "Ünïcode"` (the tags are
    // stripped by its filters, the rest entity-escaped).
    members.push(json!({
        "user_id": "201", "roles": ["Learner"], "status": "Active",
        "name": "Zoé &amp; &quot;Ünïcode&quot; O&#039;Brien",
        "given_name": "Zoé", "family_name": "&quot;Ünïcode&quot; O&#039;Brien",
        "email": "zoe@example.com"
    }));
    app.platform.set_members(members);
    let html = staff_page_once_synced(&app).await;
    assert!(!html.contains("&amp;amp;"), "escaped twice");
    assert!(!html.contains("&amp;quot;"), "escaped twice");
    assert!(!html.contains("&amp;#039;"), "escaped twice");
    assert!(
        html.contains("Zoé &amp; "),
        "the decoded name, escaped once"
    );
    let stored = app
        .store
        .courses_due_for_sync(i64::MAX / 2, 0)
        .await
        .unwrap();
    let roster = app.store.roster(stored[0].id).await.unwrap();
    let zoe = roster.iter().find(|m| m.user_id == "201").unwrap();
    assert_eq!(zoe.name.as_deref(), Some("Zoé & \"Ünïcode\" O'Brien"));
    assert_eq!(zoe.family_name.as_deref(), Some("\"Ünïcode\" O'Brien"));
}

#[tokio::test]
async fn a_member_status_the_spec_does_not_name_is_not_read_as_active() {
    let app = spawn_app().await;
    let mut members = app.platform.members();
    members.push(
        json!({"user_id": "201", "roles": ["Learner"], "status": "Suspended",
        "name": "Sam Suspended"}),
    );
    app.platform.set_members(members);
    let html = staff_page_once_synced(&app).await;
    let row = html.split("data-user=\"201\"").nth(1).unwrap();
    let status: String = row
        .split("data-status=\"")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    assert_eq!(status, "Inactive");
}
