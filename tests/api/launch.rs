use serde_json::{Value, json};

use crate::helpers::{Options, reason, session_token, spawn_app, spawn_with};

const ROLES: &str = "https://purl.imsglobal.org/spec/lti/claim/roles";

#[tokio::test]
async fn learner_launch_end_to_end() {
    let app = spawn_app().await;
    app.set_up_default_activity().await;
    let login = app.login().await;
    let token = app.platform.sign(&app.platform.claims(&login.nonce));
    let resp = app
        .post_launch(&token, &login.state, login.cookie.as_deref())
        .await;
    // Post/redirect/get, with a single-use code in the address and no session token.
    assert_eq!(resp.status().as_u16(), 303);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/app?open="), "{location}");
    let resp = app.follow(resp).await;
    assert_eq!(resp.status().as_u16(), 200);
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains(&format!("frame-ancestors 'self' {}", app.platform.issuer)),
        "{csp}"
    );
    assert!(resp.headers().get("x-frame-options").is_none());
    let body = resp.text().await.unwrap();
    assert!(body.contains("Hello Ada Student1"), "{body}");
    assert!(body.contains("LTI Harness Course"));
    assert!(
        body.contains("Sharing") && body.contains("Commitments"),
        "the method's steps are shown"
    );

    // The page carries a session token that works without any cookie.
    let t = session_token(&body);
    let me: Value = app
        .http
        .get(format!("{}/api/session", app.base))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "learner");
    assert_eq!(me["user_id"], "4");
    let page = app
        .http
        .get(format!("{}/app/about", app.base))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains("CC BY 4.0"));
    // A tampered token is refused.
    let bad = format!("{}x", t);
    let r = app
        .http
        .get(format!("{}/api/session", app.base))
        .bearer_auth(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

#[tokio::test]
async fn staff_launch_lands_on_the_staff_page_and_counts_learners() {
    let app = spawn_app().await;
    let (status, _) = app.launch_with(|_| {}).await;
    assert_eq!(status, 200);
    let (status, body) = app
        .launch_with(|c| {
            c["sub"] = "3".into();
            c["name"] = "Tina Teacher".into();
            c[ROLES] = json!(["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]);
        })
        .await;
    assert_eq!(status, 200);
    assert!(body.contains("teaching team"), "{body}");
    assert!(
        body.contains(r#"<dd id="learners-launched">1</dd>"#),
        "{body}"
    );
    assert!(body.contains("roster service (Names and Role Provisioning) is available"));
}

#[tokio::test]
async fn every_staff_role_gets_the_staff_page() {
    let app = spawn_app().await;
    for role in [
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
        "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
        "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper",
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator",
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor",
        "TeachingAssistant",
    ] {
        let (status, body) = app.launch_with(|c| c[ROLES] = json!([role])).await;
        assert_eq!(status, 200, "{role}");
        assert!(
            body.contains("staff-launched"),
            "{role} should see the staff page"
        );
    }
}

#[tokio::test]
async fn french_locale_gives_a_french_page() {
    let app = spawn_app().await;
    let (status, body) = app
        .launch_with(|c| {
            c["https://purl.imsglobal.org/spec/lti/claim/launch_presentation"]["locale"] =
                "fr-FR".into()
        })
        .await;
    assert_eq!(status, 200);
    assert!(body.contains("lang=\"fr\""));
    assert!(body.contains("Bonjour Ada Student1"), "{body}");
}

/// The 1EdTech certification categories of valid launches.
#[tokio::test]
async fn certification_valid_launches() {
    let app = spawn_app().await;
    type Edit = Box<dyn Fn(&mut Value)>;
    let strip = |c: &mut Value, keys: &[&str]| {
        for k in keys {
            c.as_object_mut().unwrap().remove(*k);
        }
    };
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "no PII",
            Box::new(move |c| strip(c, &["name", "given_name", "family_name", "email"])),
            "Welcome",
        ),
        (
            "email only",
            Box::new(move |c| strip(c, &["name", "given_name", "family_name"])),
            "Welcome",
        ),
        (
            "names only",
            Box::new(move |c| strip(c, &["email"])),
            "Hello Ada Student1",
        ),
        (
            "given and family names only",
            Box::new(move |c| strip(c, &["name", "email"])),
            "Hello Ada Student1",
        ),
        (
            "several roles",
            Box::new(|c| {
                c[ROLES] = json!([
                    "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
                    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student",
                    "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"
                ])
            }),
            "staff-launched",
        ),
        (
            "short role",
            Box::new(|c| c[ROLES] = json!(["Learner"])),
            "Hello Ada",
        ),
        (
            "unknown role",
            Box::new(|c| c[ROLES] = json!(["http://example.com/vocab#Wizard"])),
            "Hello Ada",
        ),
        (
            "empty roles",
            Box::new(|c| c[ROLES] = json!([])),
            "Hello Ada",
        ),
        (
            "anonymous (no sub)",
            Box::new(move |c| strip(c, &["sub", "name", "email"])),
            "cannot place you in a pair",
        ),
        (
            "aud array with azp",
            Box::new(|c| {
                c["aud"] = json!([crate::platform::CLIENT_ID, "other"]);
                c["azp"] = crate::platform::CLIENT_ID.into();
            }),
            "Hello Ada",
        ),
        (
            "context type short form",
            Box::new(|c| {
                c["https://purl.imsglobal.org/spec/lti/claim/context"]["type"] =
                    json!("CourseSection")
            }),
            "Hello Ada",
        ),
        (
            "no context",
            Box::new(move |c| strip(c, &["https://purl.imsglobal.org/spec/lti/claim/context"])),
            "Hello Ada",
        ),
    ];
    for (name, edit, expect) in cases {
        let (status, body) = app.launch_with(|c| edit(c)).await;
        assert_eq!(status, 200, "{name}: {body}");
        assert!(body.contains(expect), "{name}: expected {expect:?}");
    }
}

#[tokio::test]
async fn launch_without_the_state_cookie_is_checked_server_side() {
    // Moodle in a cross-site iframe: the browser may not send the tool's cookie back.
    let app = spawn_app().await;
    let login = app.login().await;
    let token = app.platform.sign(&app.platform.claims(&login.nonce));
    let resp = app.post_launch(&token, &login.state, None).await;
    assert_eq!(resp.status().as_u16(), 303);
    // ... and it is still single-use.
    let again = app.post_launch(&token, &login.state, None).await;
    assert_eq!(again.status().as_u16(), 409);
    assert_eq!(reason(&again.text().await.unwrap()), "token_replayed");
}

#[tokio::test]
async fn rotated_platform_key_is_accepted_after_one_refetch() {
    let app = spawn_app().await;
    let (status, _) = app.launch_with(|_| {}).await;
    assert_eq!(status, 200);
    let hits = app.platform.jwks_hits();
    assert_eq!(hits, 1, "the key set is cached (max-age=3600)");
    app.platform.rotate_key("platform-key-2");
    let (status, body) = app.launch_with(|_| {}).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.platform.jwks_hits(), 2, "one refetch for the new kid");
    let (status, _) = app.launch_with(|_| {}).await;
    assert_eq!(status, 200);
    assert_eq!(app.platform.jwks_hits(), 2, "then cached again");
}

#[tokio::test]
async fn unknown_deployment_is_recorded_pending_then_approved() {
    let app = spawn_app().await;
    let dep = "https://purl.imsglobal.org/spec/lti/claim/deployment_id";
    let (status, body) = app.launch_with(|c| c[dep] = "dep-new".into()).await;
    assert_eq!(status, 403);
    assert_eq!(reason(&body), "unknown_deployment");
    assert!(
        body.contains("approve-deployment"),
        "the page says what to do"
    );
    let deps = app.store.deployments().await.unwrap();
    let pending = deps
        .iter()
        .find(|d| d.deployment_id == "dep-new")
        .expect("recorded");
    assert_eq!(pending.status, binome::store::DeploymentStatus::Pending);
    // Still refused while pending.
    let (status, _) = app.launch_with(|c| c[dep] = "dep-new".into()).await;
    assert_eq!(status, 403);
    app.store
        .approve_deployment(app.reg.id, "dep-new", 0)
        .await
        .unwrap();
    // Running servers see the approval within a fraction of a second.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (status, body) = app.launch_with(|c| c[dep] = "dep-new".into()).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn registration_accepting_new_deployments_lets_them_in() {
    let app = spawn_with(Options {
        accept_new_deployments: true,
        ..Default::default()
    })
    .await;
    let (status, _) = app
        .launch_with(|c| {
            c["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] = "canvas-install-2".into()
        })
        .await;
    assert_eq!(status, 200);
    let deps = app.store.deployments().await.unwrap();
    assert!(deps.iter().any(|d| d.deployment_id == "canvas-install-2"
        && d.status == binome::store::DeploymentStatus::Active));
}

#[tokio::test]
async fn the_launch_records_course_activity_and_person_scoped_to_the_deployment() {
    let app = spawn_app().await;
    let (status, _) = app.launch_with(|_| {}).await;
    assert_eq!(status, 200);
    use sea_orm::EntityTrait;
    let courses = binome::store::entities::course::Entity::find()
        .all(app.store.connection())
        .await
        .unwrap();
    assert_eq!(courses.len(), 1);
    assert_eq!(
        (
            courses[0].platform_id,
            courses[0].deployment_id.as_str(),
            courses[0].context_id.as_str()
        ),
        (app.reg.id.get(), "dep-1", "2")
    );
    let members = binome::store::entities::member::Entity::find()
        .all(app.store.connection())
        .await
        .unwrap();
    assert_eq!(members[0].user_id, "4");
    assert_eq!(members[0].email.as_deref(), Some("student1@example.com"));
}

#[tokio::test]
async fn behind_a_proxy_path_every_link_redirect_and_cookie_keeps_the_prefix() {
    let app = spawn_with(Options {
        public_path: Some("/binome"),
        ..Default::default()
    })
    .await;
    let resp = app.post_login(&app.login_params()).await;
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let q: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(q["redirect_uri"], format!("{}/binome/lti/launch", app.base));
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("Path=/binome/lti/launch"), "{cookie}");
    let (status, body) = app.launch_with(|c| c[ROLES] = json!(["Instructor"])).await;
    assert_eq!(status, 200);
    let html = body.replace("&#x2f;", "/");
    assert!(html.contains("href=\"/binome/static/app.css\""), "{html}");
    assert!(html.contains("action=\"/binome/app/go\""), "{html}");
    assert!(!html.contains("?t="), "no token in any link");
    let t = session_token(&body);
    let r = app
        .http
        .post(format!("{}/app/settings", app.base))
        .bearer_auth(&t)
        .form(&[("tags", "a"), ("policy", "keep")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/binome/app?open=")
    );
}

/// What one learner's launch (login, id_token post, the page it redirects to) costs the
/// database once the course is known: the statements it runs, counted by the store. The
/// first launch of a course sets the course up; the next learner's is the common case.
/// The count is the store's, so the instance's own timers (the grade worker's poll, the
/// PostgreSQL catch-up) may add to a launch that happens to overlap them: they only ever add,
/// so the fewest of several launches is a launch's own cost.
#[tokio::test]
async fn a_learner_launch_runs_a_handful_of_statements() {
    let app = spawn_app().await;
    app.learner_launch("first-learner").await;
    let mut counts = Vec::new();
    for n in 0..5 {
        let sub = format!("next-learner-{n}");
        let before = app.store.statements();
        let login = app.login().await;
        let mut claims = app.platform.claims(&login.nonce);
        claims["sub"] = sub.as_str().into();
        let token = app.platform.sign(&claims);
        let resp = app
            .post_launch(&token, &login.state, login.cookie.as_deref())
            .await;
        let page = app.follow(resp).await;
        assert_eq!(page.status().as_u16(), 200);
        counts.push(app.store.statements() - before);
    }
    eprintln!("statements per launch: {counts:?}");
    // SQLite: store the login, consume it, record the member, read the person's contact
    // (both people tables in one statement); PostgreSQL adds the page hand-off's row and its
    // taking.
    let most = if app.store.is_postgres() { 7 } else { 5 };
    let own = counts.iter().min().copied().unwrap_or_default();
    assert!(
        own <= most,
        "{counts:?} statements, at most {most} expected"
    );
}
