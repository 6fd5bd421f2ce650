//! Configuring an activity: the course designer's deep-linking form reaches the resource
//! link the LMS creates from it; an activity added by URL is set up on its first staff
//! launch while learners are told it is not ready; a refused form keeps what was typed and
//! stores nothing; the configuration drives the session (step durations for sessions not
//! begun, how the group meets, the language) and the gradebook (points, preparation points).

use serde_json::{Value, json};

use crate::deep_linking::{deep_linking_claims, form, verified_response};
use crate::helpers::{Options, TestApp, session_token, spawn_app, spawn_with};
use crate::live::{cmd, ok};

const RL: &str = "https://purl.imsglobal.org/spec/lti/claim/resource_link";
const CUSTOM: &str = "https://purl.imsglobal.org/spec/lti/claim/custom";

/// Adds an activity by deep linking with `changes` to the default form; its custom key.
pub(crate) async fn deep_link(app: &TestApp, changes: &[(&str, &str)]) -> String {
    let (status, body) = app.launch_with(deep_linking_claims).await;
    assert_eq!(status, 200, "{body}");
    let resp = app
        .post_form("/app/deep-link", &session_token(&body), &form(changes))
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    let claims = verified_response(app, &resp.text().await.unwrap()).await;
    claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"][0]["custom"]
        ["binome_activity"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A launch of the resource link `rl` the LMS made from a deep-linked item (its custom
/// parameters carry the item's key), by `sub`, staff when `staff`.
async fn launch_link(app: &TestApp, rl: &str, key: &str, sub: &str, staff: bool) -> String {
    let (p, rl, key, sub) = (
        app.platform.clone(),
        rl.to_string(),
        key.to_string(),
        sub.to_string(),
    );
    let (status, body) = app
        .launch_with(move |c| {
            c["sub"] = sub.into();
            c[RL] = json!({"id": rl, "title": "Peer coaching 2"});
            c[CUSTOM]["binome_activity"] = key.into();
            if staff {
                c["https://purl.imsglobal.org/spec/lti/claim/roles"] =
                    json!([crate::helpers::INSTRUCTOR]);
            }
            p.use_test_services(c);
        })
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn a_deep_linked_activity_opens_with_its_configuration_on_first_launch() {
    let app = spawn_app().await;
    let key = deep_link(
        &app,
        &[("language", "fr"), ("policy", "new"), ("mode", "in_person")],
    )
    .await;
    // A learner opens it first: the configuration is there, in French as forced.
    let page = launch_link(&app, "rl-made-by-lms", &key, "10", false).await;
    assert!(page.contains("<html lang=\"fr\">"), "{page}");
    assert!(page.contains("Module 2 — Conflicts"), "{page}");
    assert!(page.contains("Bring a real situation from your ward."));
    assert!(!page.contains("id=\"not-set-up\""));
    let course = app.first_course().await;
    let (points, _) = app
        .store
        .activity_points(course, "rl-made-by-lms")
        .await
        .unwrap();
    assert_eq!(
        points,
        Some(20.0),
        "the deep-linked points reach the grade worker"
    );
    // Staff get the activity page (not the form), with this module's policy and a way to
    // change the settings; the course's tags are the ones the designer typed.
    let staff = launch_link(&app, "rl-made-by-lms", &key, "3", true).await;
    assert!(staff.contains("id=\"activity-settings\""), "{staff}");
    assert!(staff.contains("<option value=\"new\" selected"), "{staff}");
    assert!(staff.contains("Nursing\nSurgery"), "{staff}");
    // A duplicate of the item in the same course (same key, new link) gets the same.
    let copy = launch_link(&app, "rl-duplicate", &key, "10", false).await;
    assert!(copy.contains("Module 2 — Conflicts"), "{copy}");
    // A key the course never made leaves the activity to be set up.
    let other = launch_link(
        &app,
        "rl-foreign",
        "forgedkeyforgedkeyforgedkey",
        "10",
        false,
    )
    .await;
    assert!(other.contains("id=\"not-set-up\""), "{other}");
}

#[tokio::test]
async fn a_refused_form_keeps_what_was_typed_and_stores_nothing() {
    let app = spawn_app().await;
    let (_, body) = app.launch_with(deep_linking_claims).await;
    let t = session_token(&body);
    let resp = app
        .post_form(
            "/app/deep-link",
            &t,
            &form(&[
                ("title", "My own title"),
                ("minutes_analysis", "90"),
                ("points", "10"),
                ("preparation_points", "10"),
                ("mode", "teleport"),
            ]),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 422);
    let page = resp.text().await.unwrap();
    assert!(page.contains("id=\"cfg-problems\""), "{page}");
    assert!(
        page.contains("Analysis: a whole number of minutes from 1 to 60"),
        "{page}"
    );
    assert!(page.contains("Points for the preparation alone"), "{page}");
    assert!(page.contains("How pairs meet: choose one"), "{page}");
    assert!(
        page.contains("value=\"My own title\""),
        "what was typed stays"
    );
    assert!(page.contains("href=\"#cfg-minutes_analysis\""));
    assert!(!page.contains("contentitem_return.php"), "no response sent");
    let drafts = count(&app, "activity_drafts").await;
    assert_eq!(drafts, 0, "nothing stored");
}

async fn count(app: &TestApp, table: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let db = app.store.connection();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn a_platform_that_takes_no_resource_link_is_told_so_and_a_window_only_one_gets_a_window() {
    let app = spawn_app().await;
    let settings = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings";
    let (_, body) = app
        .launch_with(move |c| {
            deep_linking_claims(c);
            c[settings]["accept_types"] = json!(["file", "html"]);
        })
        .await;
    assert!(body.contains("id=\"cfg-cannot-add\""), "{body}");
    let r = app
        .post_form("/app/deep-link", &session_token(&body), &form(&[]))
        .await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(
        crate::helpers::reason(&r.text().await.unwrap()),
        "forbidden_deep_link_kind"
    );

    let (_, body) = app
        .launch_with(move |c| {
            deep_linking_claims(c);
            c[settings]["accept_presentation_document_targets"] = json!(["window"]);
            c[settings]["accept_lineitem"] = json!(false);
        })
        .await;
    let r = app
        .post_form("/app/deep-link", &session_token(&body), &form(&[]))
        .await;
    let claims = verified_response(&app, &r.text().await.unwrap()).await;
    let item = &claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"][0];
    assert_eq!(item["window"]["targetName"], "binome");
    assert!(item.get("iframe").is_none(), "{item}");
    assert!(
        item.get("lineItem").is_none(),
        "the platform said it takes no line item"
    );
}

#[tokio::test]
async fn an_activity_added_by_url_is_set_up_on_the_first_staff_launch() {
    let app = spawn_with(Options {
        unconfigured: true,
        ..Default::default()
    })
    .await;
    // Learners who come first are told to come back; nothing else is offered.
    let (_, learner) = app.learner_launch("10").await;
    assert!(learner.contains("id=\"not-set-up\""), "{learner}");
    assert!(!learner.contains("open-session"));
    // The first staff launch opens the same form as deep linking.
    let (t, staff) = app.staff_launch(None).await;
    assert!(
        staff.contains("Set up this peer-coaching activity"),
        "{staff}"
    );
    assert!(staff.contains("name=\"minutes_analysis\"") && staff.contains("Save the settings"));
    // A refused submission stores nothing: learners still wait.
    let r = app
        .post_form("/app/activity/settings", &t, &form(&[("points", "0")]))
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let (_, learner) = app.learner_launch("10").await;
    assert!(learner.contains("id=\"not-set-up\""));
    // Saved: learners get the activity at once, staff the activity page.
    let r = app
        .post_form("/app/activity/settings", &t, &form(&[]))
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, learner) = app.learner_launch("10").await;
    assert!(!learner.contains("id=\"not-set-up\""), "{learner}");
    assert!(learner.contains("Module 2 — Conflicts"));
    let (t, staff) = app.staff_launch(None).await;
    assert!(staff.contains("id=\"activity-settings\""), "{staff}");
    // Learners may not change it.
    let (lt, _) = app.learner_launch("10").await;
    let r = app
        .post_form("/app/activity/settings", &lt, &form(&[]))
        .await;
    assert_eq!(r.status().as_u16(), 403);
    // The settings page shows what is stored.
    let page = app.post_form("/app/go", &t, &[("to", "configure")]).await;
    assert_eq!(page.status().as_u16(), 303);
    let loc = page.headers()["location"].to_str().unwrap().to_string();
    let html = app
        .http
        .get(format!("{}{loc}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Activity settings"), "{html}");
    assert!(html.contains("value=\"Conflicts\""), "{html}");
}

/// The staff token of the default activity and its published groups, each member launched:
/// (staff token, groups of tokens).
async fn launched_groups(app: &TestApp) -> (String, Vec<Vec<String>>) {
    let (staff, groups) = app.publish_pairs().await;
    let mut out = Vec::new();
    for g in &groups {
        let mut tokens = Vec::new();
        for m in g {
            tokens.push(app.learner_launch(m).await.0);
        }
        out.push(tokens);
    }
    (staff, out)
}

async fn panel(app: &TestApp, t: &str) -> String {
    let r = app.get_with("/app/session/panel", t).await;
    assert_eq!(r.status().as_u16(), 200);
    r.text().await.unwrap()
}

async fn begin(app: &TestApp, group: &[String]) {
    for t in group {
        ok(app, t, "accept_framework").await;
    }
    for t in group {
        ok(app, t, "mark_prepared").await;
    }
    ok(app, &group[0], "start").await;
}

#[tokio::test]
async fn new_step_durations_apply_to_sessions_not_begun_and_never_to_one_under_way() {
    let app = spawn_app().await;
    let (staff, groups) = launched_groups(&app).await;
    let save = |changes: Vec<(&'static str, &'static str)>| {
        let (app, staff) = (&app, staff.clone());
        async move {
            let r = app
                .post_form("/app/activity/settings", &staff, &form(&changes))
                .await;
            assert_eq!(r.status().as_u16(), 303);
        }
    };
    save(vec![
        ("minutes_introduction", "2"),
        ("minutes_sharing", "3"),
    ])
    .await;
    // The first group begins on these durations.
    begin(&app, &groups[0]).await;
    let p = panel(&app, &groups[0][0]).await;
    assert!(
        p.contains("data-duration=\"120\""),
        "introduction of 2 minutes: {p}"
    );
    // A change now reaches the group not begun, never the one under way.
    save(vec![
        ("minutes_introduction", "4"),
        ("minutes_sharing", "7"),
    ])
    .await;
    ok(&app, &groups[0][0], "next_step").await;
    let p = panel(&app, &groups[0][1]).await;
    assert!(
        p.contains("data-duration=\"180\""),
        "sharing keeps its 3 minutes: {p}"
    );
    begin(&app, &groups[1]).await;
    let p = panel(&app, &groups[1][0]).await;
    assert!(
        p.contains("data-duration=\"240\""),
        "introduction of 4 minutes: {p}"
    );
}

#[tokio::test]
async fn the_configured_meeting_mode_and_points_reach_the_session_and_the_gradebook() {
    let app = spawn_with(Options {
        env: vec![("BINOME_GRADE_WORKER", "false".into())],
        ..Default::default()
    })
    .await;
    let (staff, groups) = launched_groups(&app).await;
    let a = &groups[0];
    assert!(
        panel(&app, &a[0]).await.contains("meeting_link.g"),
        "remote or either: a link"
    );
    let r = app
        .post_form(
            "/app/activity/settings",
            &staff,
            &form(&[
                ("mode", "in_person"),
                ("points", "10"),
                ("preparation_points", "4"),
            ]),
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let p = panel(&app, &a[0]).await;
    assert!(
        !p.contains("meeting_link.g"),
        "in person: no link asked for: {p}"
    );
    assert!(p.contains("meeting_date.g"), "but still when they meet");
    for t in a {
        ok(&app, t, "accept_framework").await;
    }
    ok(&app, &a[0], "mark_prepared").await;
    let course = app.first_course().await;
    let (points, _) = app.store.activity_points(course, "1").await.unwrap();
    assert_eq!(
        points,
        Some(10.0),
        "the grade column is to get the new points"
    );
    let rows = app.store.scores_of_activity(course, "1").await.unwrap();
    let row = rows
        .iter()
        .find(|r| r.score.activity_progress == binome::lti::ags::ActivityProgress::Started)
        .unwrap();
    assert_eq!(row.score.given, Some(4.0), "{row:?}");
    assert_eq!(row.score.maximum, Some(10.0));
    assert_eq!(
        row.score.grading_progress,
        binome::lti::ags::GradingProgress::FullyGraded,
        "partial points are a grade"
    );
    let (status, _): (u16, Value) = cmd(&app, &a[0], "mark_prepared").await;
    assert_eq!(status, 409);
}

/// The opening tag of the element with this id.
fn tag_with_id<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element {id}"));
    let start = html[..at].rfind('<').unwrap();
    let end = at + html[at..].find('>').unwrap();
    &html[start..=end]
}

#[tokio::test]
async fn each_field_in_error_is_marked_and_described_by_its_own_message() {
    let app = spawn_app().await;
    let (_, body) = app.launch_with(deep_linking_claims).await;
    // The method's suggestions: one duration, or a range.
    assert!(body.contains(">suggested: 5 minutes<"), "{body}");
    assert!(body.contains(">suggested: 3 to 5 minutes<"), "{body}");
    assert!(
        !body.contains("5 to 5") && !body.contains("10 to 10"),
        "{body}"
    );
    assert!(!body.contains("aria-invalid"), "nothing is wrong yet");
    let resp = app
        .post_form(
            "/app/deep-link",
            &session_token(&body),
            &form(&[
                ("title", " "),
                ("minutes_analysis", "90"),
                ("mode", "teleport"),
            ]),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 422);
    let page = resp.text().await.unwrap();
    for (id, hint, words) in [
        ("cfg-title", None, "Please fill in this field: Title"),
        (
            "cfg-minutes_analysis",
            Some("cfg-minutes_analysis-hint"),
            "Analysis: a whole number of minutes from 1 to 60.",
        ),
    ] {
        let input = tag_with_id(&page, id);
        assert!(input.contains("aria-invalid=\"true\""), "{input}");
        let described = match hint {
            Some(h) => format!("aria-describedby=\"{h} {id}-error\""),
            None => format!("aria-describedby=\"{id}-error\""),
        };
        assert!(input.contains(&described), "{input}");
        // Its own message, right after the field (before the next field's label).
        let message = format!("id=\"{id}-error\">{words}</p>");
        let at_message = page.find(&message).expect(&message);
        let at_input = page.find(input).unwrap();
        let next_label = at_input + page[at_input..].find("<label").unwrap();
        assert!(at_input < at_message && at_message < next_label, "{page}");
    }
    // A choice in error: every option of the group points at the group's message.
    let radios: Vec<&str> = page
        .split("<input type=\"radio\" name=\"mode\"")
        .skip(1)
        .map(|s| &s[..s.find('>').unwrap()])
        .collect();
    assert_eq!(radios.len(), 3);
    for r in radios {
        assert!(
            r.contains("aria-invalid=\"true\" aria-describedby=\"cfg-mode-error\""),
            "{r}"
        );
    }
    assert!(page.contains("id=\"cfg-mode-error\">How pairs meet: choose one"));
    // Fields without a problem are not marked.
    for id in ["cfg-points", "cfg-module-name", "cfg-minutes_options"] {
        assert!(!tag_with_id(&page, id).contains("aria-invalid"), "{id}");
    }

    // In French too.
    let (_, body) = app
        .launch_with(|c| {
            deep_linking_claims(c);
            c["https://purl.imsglobal.org/spec/lti/claim/launch_presentation"]["locale"] =
                "fr".into();
        })
        .await;
    assert!(body.contains(">suggéré : 5 minutes<"), "{body}");
    assert!(body.contains(">suggéré : 3 à 5 minutes<"), "{body}");
}
