//! Course copy: designers copy last term's course every term (Moodle's backup and restore or
//! Import, Canvas's course copy). The copied activity keeps its custom parameters, so its
//! first launch in the new course carries the key of a configuration deep-linked in the old
//! one: the new course gets that configuration (and the old course's field-context tags when
//! it has none), never the old course's pairs, sessions, grades, roster or links. The same
//! course's own key wins; a key made under another platform registration never matches.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::activity_config::deep_link;
use crate::helpers::{INSTRUCTOR, ROLES_CLAIM, TestApp, draft_groups, session_token, spawn_app};
use crate::live::ok;
use crate::platform::now;
use binome::store::entities::course;
use binome::store::{ActivityConfig, CourseId, LaunchRecord, NewPlatform};

const RL: &str = "https://purl.imsglobal.org/spec/lti/claim/resource_link";
const CONTEXT: &str = "https://purl.imsglobal.org/spec/lti/claim/context";
const CUSTOM: &str = "https://purl.imsglobal.org/spec/lti/claim/custom";

/// A launch of the resource link `rl` of course `ctx` carrying the configuration key `key`,
/// by `sub` (the instructor when `staff`); the page.
async fn launch(app: &TestApp, ctx: &str, rl: &str, key: &str, sub: &str, staff: bool) -> String {
    let (p, ctx, rl, key, sub) = (
        app.platform.clone(),
        ctx.to_string(),
        rl.to_string(),
        key.to_string(),
        sub.to_string(),
    );
    let (status, body) = app
        .launch_with(move |c| {
            c["sub"] = sub.into();
            c[CONTEXT] = json!({"id": ctx, "label": format!("C-{ctx}"), "title": format!("Course {ctx}"),
                "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]});
            c[RL] = json!({"id": rl, "title": "Peer coaching"});
            c[CUSTOM]["binome_activity"] = key.into();
            if staff {
                c[ROLES_CLAIM] = json!([INSTRUCTOR]);
            }
            p.use_test_services(c);
        })
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The course of a context id.
async fn course_of(app: &TestApp, ctx: &str) -> CourseId {
    let row = course::Entity::find()
        .filter(course::Column::ContextId.eq(ctx))
        .one(app.store.connection())
        .await
        .unwrap()
        .expect("the course was launched");
    CourseId::new(row.id)
}

/// Rows of `table` that belong to `course`.
async fn rows_of(app: &TestApp, table: &str, course: CourseId) -> i64 {
    let db = app.store.connection();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT COUNT(*) AS n FROM {table} WHERE course_id = {}",
                course.get()
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn a_copied_course_opens_the_activity_with_its_configuration_and_nothing_else() {
    let app = spawn_app().await;
    // Last term: the designer adds the activity by deep linking in course "2"; the term runs
    // (roster read, pairs published, a hierarchical link, a session begun and a grade queued).
    let key = deep_link(&app, &[]).await;
    let staff_a = launch(&app, "2", "rl-autumn", &key, "3", true).await;
    let t = session_token(&staff_a);
    for path in ["/app/roster/refresh", "/app/pairs/propose"] {
        assert_eq!(app.post_form(path, &t, &[]).await.status().as_u16(), 303);
    }
    let groups = draft_groups(&app.page("/app", &t).await);
    assert_eq!(
        app.post_form("/app/pairs/publish", &t, &[])
            .await
            .status()
            .as_u16(),
        303
    );
    let csv = format!("{}, {}", groups[0][0], groups[1][0]);
    let r = app.post_form("/app/links", &t, &[("csv", &csv)]).await;
    assert_eq!(r.status().as_u16(), 200);
    let pair = groups.iter().find(|g| g.len() == 2).unwrap();
    let a = session_token(&launch(&app, "2", "rl-autumn", &key, &pair[0], false).await);
    let b = session_token(&launch(&app, "2", "rl-autumn", &key, &pair[1], false).await);
    app.page("/app/session", &a).await;
    ok(&app, &a, "accept_framework").await;
    ok(&app, &b, "accept_framework").await;
    ok(&app, &a, "mark_prepared").await;
    let autumn = course_of(&app, "2").await;
    for table in [
        "pair_sets",
        "links",
        "coaching_sessions",
        "grade_outbox",
        "roster_members",
    ] {
        assert!(
            rows_of(&app, table, autumn).await > 0,
            "last term's course has {table}"
        );
    }

    // This term: the course was copied (new context, new resource link, same custom key). A
    // learner opens the activity first: it is ready, as the designer set it up.
    let page = launch(&app, "2-spring", "rl-spring", &key, &pair[0], false).await;
    assert!(!page.contains("id=\"not-set-up\""), "{page}");
    assert!(page.contains("Module 2 — Conflicts"), "{page}");
    assert!(
        page.contains("Bring a real situation from your ward."),
        "{page}"
    );
    assert!(
        page.contains("id=\"status\"") && !page.contains("id=\"partner\""),
        "no partner from last term: {page}"
    );
    let spring = course_of(&app, "2-spring").await;
    assert_ne!(spring, autumn);
    let config = app
        .store
        .activity_config(spring, "rl-spring")
        .await
        .unwrap()
        .expect("configured");
    let original = app
        .store
        .activity_config(autumn, "rl-autumn")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(config, original, "the same configuration");
    assert_eq!(
        app.store
            .activity_points(spring, "rl-spring")
            .await
            .unwrap()
            .0,
        Some(20.0),
        "the points reach the new course's gradebook column"
    );
    assert_eq!(
        app.store.course_settings(spring).await.unwrap().tag_options,
        ["Nursing", "Surgery"],
        "the field contexts typed on the same form"
    );
    for table in [
        "pair_sets",
        "links",
        "coaching_sessions",
        "grade_outbox",
        "roster_members",
        "learner_profiles",
        "pairing_events",
    ] {
        assert_eq!(
            rows_of(&app, table, spring).await,
            0,
            "nothing of last term's {table} in the copy"
        );
    }
    // The teaching team finds the activity page, not the set-up form, and no pairs yet.
    let staff = launch(&app, "2-spring", "rl-spring", &key, "3", true).await;
    assert!(staff.contains("id=\"activity-settings\""), "{staff}");
    assert!(!staff.contains("id=\"cfg-title\""), "{staff}");
    assert!(draft_groups(&staff).is_empty(), "{staff}");
    assert!(!staff.contains("class=\"groups published\""), "{staff}");
}

/// A course of another registration (another LMS, or the same LMS registered twice) holding a
/// draft under `key`.
async fn foreign_draft(app: &TestApp, key: &str) {
    let other = app
        .store
        .add_platform(
            NewPlatform {
                issuer: "https://other-lms.example.org".into(),
                client_id: "other-client".into(),
                auth_url: "https://other-lms.example.org/auth".into(),
                token_url: "https://other-lms.example.org/token".into(),
                jwks_url: "https://other-lms.example.org/jwks".into(),
                accept_new_deployments: false,
                frame_origins: vec![],
                deployments: vec!["1".into()],
                status: binome::lti::PlatformStatus::Active,
                private_network: true,
                service_hosts: vec![],
                registered_via: binome::lti::RegisteredVia::Operator,
            },
            now(),
        )
        .await
        .unwrap();
    let course = app
        .store
        .upsert_course(&LaunchRecord {
            registration: other.id,
            deployment_id: "1",
            context_id: "2",
            context_label: None,
            context_title: None,
            memberships_url: None,
            resource_link: None,
            ags: None,
            user_id: None,
            name: None,
            given_name: None,
            family_name: None,
            email: None,
            picture: None,
            roles: &[],
            now: now(),
        })
        .await
        .unwrap();
    let tx = app.store.begin(course).await.unwrap();
    let config = ActivityConfig {
        title: "Foreign module".into(),
        instructions: "From another LMS.".into(),
        ..Default::default()
    };
    tx.save_activity_draft(key, &config, "designer", now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_key_made_under_another_registration_never_matches() {
    let app = spawn_app().await;
    let foreign = "foreignkeyforeignkeyforeignkey01";
    foreign_draft(&app, foreign).await;
    // A key of this registration's course "2" is found from the copied course…
    let ours = deep_link(&app, &[]).await;
    let page = launch(&app, "2-copy", "rl-ours", &ours, "5", false).await;
    assert!(page.contains("Module 2 — Conflicts"), "{page}");
    // …one made under another registration is not, even for the same context id.
    let page = launch(&app, "2-copy", "rl-theirs", foreign, "5", false).await;
    assert!(page.contains("id=\"not-set-up\""), "{page}");
    assert!(!page.contains("From another LMS."), "{page}");
    let page = launch(&app, "2", "rl-theirs", foreign, "5", false).await;
    assert!(page.contains("id=\"not-set-up\""), "{page}");
    let course = course_of(&app, "2-copy").await;
    assert!(
        app.store
            .activity_config(course, "rl-theirs")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn the_courses_own_draft_wins_and_else_the_original_one() {
    let app = spawn_app().await;
    let key = deep_link(&app, &[("instructions", "The original, from course 2.")]).await;
    // The same key in two more courses of the registration, made later: the spring course
    // holds its own draft under it; the summer course none.
    let mut courses = vec![];
    for (ctx, text) in [
        ("2-spring", "Spring's own draft."),
        ("2-later", "A later draft elsewhere."),
    ] {
        launch(
            &app,
            ctx,
            "rl-other",
            "unknownkeyunknownkeyunknown01",
            "3",
            true,
        )
        .await;
        let course = course_of(&app, ctx).await;
        let tx = app.store.begin(course).await.unwrap();
        let config = ActivityConfig {
            title: "Peer coaching".into(),
            instructions: text.into(),
            ..Default::default()
        };
        tx.save_activity_draft(&key, &config, "designer", now() + 10)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        courses.push(course);
    }
    let spring = launch(&app, "2-spring", "rl-spring", &key, "5", false).await;
    assert!(spring.contains("Spring&#x27;s own draft."), "{spring}");
    let summer = launch(&app, "2-summer", "rl-summer", &key, "5", false).await;
    assert!(
        summer.contains("The original, from course 2."),
        "the original draft, not a later one: {summer}"
    );
}
