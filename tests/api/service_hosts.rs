//! Where the platform's service tokens go, and what of another system's answer the tool
//! shows: a roster or gradebook address on a host that is not the platform's gets no token
//! and no request (a fake service on loopback, under another host name, counts what reaches
//! it), staff who may manage read why with the operator's fix, and `binome platform update
//! --service-host` lets the same address work; a platform not trusted with private networks
//! reaches none; a gradebook's failing HTML page is shown as a status and a short text, to
//! staff who may manage only, and logged at WARN without its body.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use binome::grades::{Deps, GradeWorker, StepReport, deliver_step};
use binome::launch::keyring::KeyRing;
use binome::lti::keys::ToolKey;
use binome::store::{GradeStatus, OutboxRow};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{INSTRUCTOR, Options, ROLES_CLAIM, TestApp, session_token, spawn_with};
use crate::live::{ok, pair_and_other};
use crate::platform::{AGS_CLAIM, NRPS_CLAIM};

const CUSTOM_CLAIM: &str = "https://purl.imsglobal.org/spec/lti/claim/custom";

/// One request a fake service received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    authorization: Option<String>,
}

/// A tiny HTTP service on loopback that records every request and answers each with the
/// same status and JSON body.
struct FakeService {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeService {
    async fn start(status: u16, content_type: &'static str, body: String) -> FakeService {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut conn, _)) = listener.accept().await else {
                    return;
                };
                let log = log.clone();
                let body = body.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    // The head, then as much body as it announces.
                    let head_end = loop {
                        let Ok(n) = conn.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break at + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let header = |name: &str| {
                        head.lines().find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.trim()
                                .eq_ignore_ascii_case(name)
                                .then(|| v.trim().to_string())
                        })
                    };
                    let length: usize = header("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    while buf.len() < head_end + length {
                        match conn.read(&mut chunk).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let mut first = head.lines().next().unwrap_or("").split(' ');
                    log.lock().unwrap().push(Seen {
                        method: first.next().unwrap_or("").to_string(),
                        path: first.next().unwrap_or("").to_string(),
                        authorization: header("authorization"),
                    });
                    let answer = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    conn.write_all(answer.as_bytes()).await.ok();
                    conn.shutdown().await.ok();
                });
            }
        });
        FakeService { port, seen }
    }

    /// Its base URL under another host name than the test platform's `127.0.0.1`.
    fn foreign_base(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// An app whose own grade worker is off: the test runs every step.
async fn app() -> TestApp {
    spawn_with(Options {
        env: vec![("BINOME_GRADE_WORKER", "false".into())],
        ..Default::default()
    })
    .await
}

/// `binome <args>` as an operator runs it, on the test app's database and settings.
fn binome(app: &TestApp, args: &[&str]) -> String {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_binome"));
    cmd.env_clear();
    for (k, v) in &app.env {
        cmd.env(k, v);
    }
    let out = cmd.env("RUST_LOG", "warn").args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "binome {args:?}: {text}");
    text
}

/// Long enough for every instance's registry to read the registrations again.
async fn registry_reloaded() {
    tokio::time::sleep(Duration::from_millis(3300)).await;
}

/// A staff launch (the instructor `3`) with the test platform's services, changed by `edit`;
/// returns the session token and the page.
async fn staff_launch_with(app: &TestApp, edit: impl FnOnce(&mut Value)) -> (String, String) {
    app.platform
        .set_tool_jwks(&format!("{}/.well-known/jwks.json", app.base));
    let p = app.platform.clone();
    let (status, body) = app
        .launch_with(move |c| {
            c["sub"] = "3".into();
            c["name"] = "Tina Teacher".into();
            c[ROLES_CLAIM] = json!([INSTRUCTOR]);
            p.use_test_services(c);
            edit(c);
        })
        .await;
    assert_eq!(status, 200, "{body}");
    (session_token(&body), body)
}

/// A launch by a Mentor (staff who may not manage) with the test platform's services.
async fn mentor_launch(app: &TestApp, edit: impl FnOnce(&mut Value)) -> String {
    let p = app.platform.clone();
    let (status, body) = app
        .launch_with(move |c| {
            c["sub"] = "200".into();
            c[ROLES_CLAIM] = json!(["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"]);
            p.use_test_services(c);
            edit(c);
        })
        .await;
    assert_eq!(status, 200, "{body}");
    session_token(&body)
}

/// The text of the element with this id (up to its closing tag).
fn element(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let start = at + html[at..].find('>')? + 1;
    let end = start + html[start..].find("</")?;
    Some(html[start..end].to_string())
}

/// A membership container of the instructor and one learner, as NRPS answers (the
/// instructor must stay on the roster to go on managing the course).
fn one_member() -> String {
    json!({
        "id": "x",
        "context": {"id": "2"},
        "members": [
            {"user_id": "3", "roles": ["Instructor"], "name": "Tina Teacher", "status": "Active"},
            {"user_id": "900", "roles": ["Learner"], "name": "Fay Foreignhost", "status": "Active"}
        ]
    })
    .to_string()
}

/// A roster service on another host than the platform's, and its memberships URL.
async fn foreign_roster() -> (FakeService, String) {
    let fake = FakeService::start(
        200,
        "application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
        one_member(),
    )
    .await;
    let url = format!("{}/nrps/2", fake.foreign_base());
    (fake, url)
}

#[tokio::test]
async fn a_custom_memberships_url_on_another_host_gets_no_token_until_the_operator_allows_it() {
    let app = app().await;
    let (fake, foreign) = foreign_roster().await;
    // Course staff typed a custom parameter; the platform's NRPS claim is absent.
    let custom = foreign.clone();
    let edit = move |c: &mut Value| {
        c.as_object_mut().unwrap().remove(NRPS_CLAIM);
        c[CUSTOM_CLAIM]["context_memberships_url"] = custom.clone().into();
    };
    let tokens = app.platform.token_hits();
    let (t, _) = staff_launch_with(&app, edit.clone()).await;
    app.post_form("/app/roster/refresh", &t, &[]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        fake.seen().is_empty(),
        "nothing reaches another host: {:?}",
        fake.seen()
    );
    assert_eq!(
        app.platform.token_hits(),
        tokens,
        "no token asked for it either"
    );
    // Staff who manage read why, with the operator's fix.
    let page = app.page("/app", &t).await;
    let error = element(&page, "sync-error").expect("the refusal is shown");
    let id = app.reg.id.get().to_string();
    for words in [
        "host localhost, which is not one of this platform",
        &format!("binome platform update --id {id} --service-host localhost"),
    ] {
        assert!(error.contains(words), "{words}: {error}");
    }
    // A mentor sees that the roster could not be read, not the LMS's addresses.
    let mt = mentor_launch(&app, edit.clone()).await;
    let mentor_page = app.page("/app", &mt).await;
    assert!(mentor_page.contains("id=\"sync-error\""), "{mentor_page}");
    assert!(!mentor_page.contains("localhost"), "{mentor_page}");

    // The operator allows the host (bare, lower-cased, listed); the same address works.
    binome(
        &app,
        &[
            "platform",
            "update",
            "--id",
            &id,
            "--service-host",
            "LOCALHOST",
        ],
    );
    let list = binome(&app, &["platform", "list"]);
    assert!(list.contains("service_hosts=localhost"), "{list}");
    registry_reloaded().await;
    let (t, _) = staff_launch_with(&app, edit).await;
    let r = app.post_form("/app/roster/refresh", &t, &[]).await;
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .contains("notice_synced"),
        "{:?}",
        r.headers()
    );
    let seen = fake.seen();
    assert!(!seen.is_empty(), "the allowed host is read");
    assert!(
        seen.iter().all(|s| s.method == "GET"
            && s.path.starts_with("/nrps/2")
            && s.authorization
                .as_deref()
                .is_some_and(|a| a.starts_with("Bearer "))),
        "{seen:?}"
    );
    let page = app.page("/app", &t).await;
    assert!(page.contains("Fay Foreignhost"), "{page}");
    assert!(!page.contains("id=\"sync-error\""), "{page}");
    // And forgotten again.
    binome(
        &app,
        &["platform", "update", "--id", &id, "--clear-service-hosts"],
    );
    assert!(!binome(&app, &["platform", "list"]).contains("service_hosts="));
}

#[tokio::test]
async fn a_roster_claim_on_another_host_is_refused_at_each_sync() {
    let app = app().await;
    let (fake, foreign) = foreign_roster().await;
    let (t, _) = staff_launch_with(&app, move |c| {
        c[NRPS_CLAIM]["context_memberships_url"] = foreign.into();
    })
    .await;
    let r = app.post_form("/app/roster/refresh", &t, &[]).await;
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .contains("notice_sync_failed")
    );
    assert!(fake.seen().is_empty(), "{:?}", fake.seen());
    let page = app.page("/app", &t).await;
    let error = element(&page, "sync-error").expect("the refusal is shown");
    assert!(error.contains("--service-host localhost"), "{error}");
}

async fn worker(app: &TestApp) -> (GradeWorker, ToolKey) {
    let now = crate::platform::now();
    let keys = KeyRing::load(app.store.clone(), Duration::from_secs(3600), now)
        .await
        .unwrap();
    (
        GradeWorker::new(
            binome::lti::outbound::Outbound::new("binome-test", false, false).unwrap(),
        ),
        keys.current(now).await,
    )
}

/// One delivery step with the registrations as they are stored now (an operator may have
/// changed them).
async fn step(app: &TestApp, w: &(GradeWorker, ToolKey), now: i64) -> StepReport {
    let regs = app.store.registrations().await.unwrap();
    let deps = Deps {
        store: &app.store,
        worker: &w.0,
        registrations: &regs,
        key: &w.1,
    };
    deliver_step(&deps, now).await.unwrap()
}

async fn outbox(app: &TestApp) -> Vec<OutboxRow> {
    let c = app.first_course().await;
    app.store.scores_of_activity(c, "1").await.unwrap()
}

#[tokio::test]
async fn a_line_item_on_another_host_gets_no_score_and_no_token_and_the_score_waits() {
    let app = app().await;
    let w = worker(&app).await;
    let fake = FakeService::start(200, "application/json", "{}".into()).await;
    let ([a, b], _, _, _) = pair_and_other(&app).await;
    // A launch whose AGS claim names line items on another host.
    let base = fake.foreign_base();
    let foreign_ags = move |c: &mut Value| {
        c[AGS_CLAIM]["lineitem"] = format!("{base}/ags/2/lineitems/1/lineitem?type_id=1").into();
        c[AGS_CLAIM]["lineitems"] = format!("{base}/ags/2/lineitems?type_id=1").into();
    };
    let (staff, _) = staff_launch_with(&app, foreign_ags.clone()).await;
    for t in [&a, &b] {
        ok(&app, t, "accept_framework").await;
    }
    ok(&app, &a, "mark_prepared").await;
    assert_eq!(outbox(&app).await.len(), 1);
    let tokens = app.platform.token_hits();
    let mut t = crate::platform::now();
    // Looked at again and again, it is never sent, never parked, and costs no attempt.
    for _ in 0..(binome::grades::outbox::MAX_ATTEMPTS + 2) {
        let r = step(&app, &w, t).await;
        assert_eq!((r.claimed, r.delivered, r.failed), (1, 0, 0), "{r:?}");
        let row = &outbox(&app).await[0];
        assert_eq!((row.status, row.attempts), (GradeStatus::Pending, 0));
        assert!(row.next_attempt_at > t);
        t = row.next_attempt_at;
    }
    assert!(fake.seen().is_empty(), "{:?}", fake.seen());
    assert_eq!(app.platform.token_hits(), tokens, "no token asked for");
    assert!(app.platform.scores().is_empty());
    // Staff who manage see why it waits, with the fix; the gradebook check says the same
    // and reads nothing elsewhere.
    app.post_ok("/app/grades/check", &staff).await;
    assert!(fake.seen().is_empty(), "{:?}", fake.seen());
    let page = app.page("/app", &staff).await;
    let fix = format!(
        "binome platform update --id {} --service-host localhost",
        app.reg.id.get()
    );
    assert!(page.contains("data-grade=\"pending\""), "{page}");
    assert!(
        page.matches(&fix).count() >= 2,
        "delivery and check: {page}"
    );
    let check = element(&page, "gradebook-error").expect("the check's failure");
    assert!(check.contains("host localhost"), "{check}");
    // A mentor sees that it waits, not where.
    let mt = mentor_launch(&app, foreign_ags).await;
    let mentor_page = app.page("/app", &mt).await;
    assert!(!mentor_page.contains("localhost"), "{mentor_page}");
    assert!(
        !mentor_page.contains("id=\"gradebook-error\""),
        "{mentor_page}"
    );

    // The operator allows the host: the waiting score is delivered there, with its token.
    let id = app.reg.id.get().to_string();
    binome(
        &app,
        &[
            "platform",
            "update",
            "--id",
            &id,
            "--service-host",
            "localhost",
        ],
    );
    let r = step(&app, &w, t).await;
    assert_eq!(r.delivered, 1, "{r:?}");
    let seen = fake.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("POST", "/ags/2/lineitems/1/lineitem/scores?type_id=1")
    );
    assert!(
        seen[0]
            .authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Bearer ")),
        "{seen:?}"
    );
    assert_eq!(outbox(&app).await[0].status, GradeStatus::Delivered);
}

#[tokio::test]
async fn a_line_item_the_platform_creates_on_another_host_is_not_used() {
    let app = app().await;
    let w = worker(&app).await;
    let fake = FakeService::start(200, "application/json", "{}".into()).await;
    let ([a, b], _, _, _) = pair_and_other(&app).await;
    // No line item in the claim: it is found or created in the (platform's own) container,
    // and the platform answers with a line item on another host.
    staff_launch_with(&app, |c| {
        c[AGS_CLAIM].as_object_mut().unwrap().remove("lineitem");
    })
    .await;
    *app.platform.state.ags_lineitem_id_base.lock().unwrap() = Some(fake.foreign_base());
    for t in [&a, &b] {
        ok(&app, t, "accept_framework").await;
    }
    ok(&app, &a, "mark_prepared").await;
    let t = crate::platform::now();
    let r = step(&app, &w, t).await;
    assert_eq!((r.delivered, r.failed), (0, 0), "{r:?}");
    assert!(fake.seen().is_empty(), "{:?}", fake.seen());
    let row = &outbox(&app).await[0];
    assert_eq!((row.status, row.attempts), (GradeStatus::Pending, 0));
    assert_eq!(row.lineitem, None, "the foreign line item is not kept");
}

/// Turns off the platform's trust with private networks (as an open Dynamic Registration
/// leaves it).
async fn untrusted(app: &TestApp) {
    let db = app.store.connection();
    db.execute_unprepared("UPDATE platforms SET private_network = false")
        .await
        .unwrap();
}

async fn loopback_roster_with(env: Vec<(&'static str, String)>) -> (bool, usize, String) {
    let app = spawn_with(Options {
        env,
        ..Default::default()
    })
    .await;
    let (t, _) = staff_launch_with(&app, |_| {}).await;
    app.post_ok("/app/roster/refresh", &t).await;
    untrusted(&app).await;
    registry_reloaded().await;
    let (nrps, tokens) = (app.platform.nrps_hits(), app.platform.token_hits());
    let r = app.post_form("/app/roster/refresh", &t, &[]).await;
    let synced = r.headers()["location"]
        .to_str()
        .unwrap()
        .contains("notice_synced");
    let reached = app.platform.nrps_hits() - nrps + app.platform.token_hits() - tokens;
    (synced, reached, app.page("/app", &t).await)
}

#[tokio::test]
async fn a_platform_not_trusted_with_private_networks_reaches_no_loopback_service() {
    // Default settings: refused by the policy before any connection.
    let (synced, reached, page) = loopback_roster_with(vec![]).await;
    assert!(!synced);
    assert_eq!(
        reached, 0,
        "neither the token endpoint nor NRPS was reached"
    );
    let error = element(&page, "sync-error").expect("the failure is shown");
    assert!(error.contains("outbound policy"), "{error}");
    // The development setting lets every platform reach loopback.
    let (synced, reached, _) =
        loopback_roster_with(vec![("BINOME_ALLOW_PRIVATE_NETWORK", "true".into())]).await;
    assert!(synced);
    assert!(reached > 0);
}

#[tokio::test]
async fn a_failed_gradebook_check_shows_a_status_and_a_short_text_to_managers_only() {
    crate::logging::capture_logs();
    let app = app().await;
    let w = worker(&app).await;
    let ([a, b], _, staff, _) = pair_and_other(&app).await;
    for t in [&a, &b] {
        ok(&app, t, "accept_framework").await;
    }
    ok(&app, &a, "mark_prepared").await;
    assert_eq!(step(&app, &w, crate::platform::now()).await.delivered, 1);
    // The LMS fails with its own HTML page: a title, a script, and text far into the page.
    let filler = "Lorem ipsum dolor sit amet. ".repeat(3);
    let html = format!(
        "<!DOCTYPE html><html><head><title>Moodle   exploded</title>\
         <script>alert('relayed')</script></head><body><h1>Error</h1><p>{filler}\
         QZX-DISTINCTIVE-REMOTE-TEXT</p><a href=\"https://evil.example/\">click</a></body></html>"
    );
    assert!(html.find("QZX").unwrap() > 200 && html.find("QZX").unwrap() < 300);
    *app.platform.state.ags_results_fail.lock().unwrap() = Some((500, html));
    app.post_ok("/app/grades/check", &staff).await;
    let page = app.page("/app", &staff).await;
    let error = element(&page, "gradebook-error").expect("the failure is shown");
    assert!(error.contains("HTTP 500: Moodle exploded"), "{error}");
    assert!(
        !error.contains('<') && !error.contains("&lt;") && !error.contains("&gt;"),
        "no markup: {error}"
    );
    for remote in [
        "QZX-DISTINCTIVE-REMOTE-TEXT",
        "relayed",
        "evil.example",
        "Lorem ipsum",
    ] {
        assert!(!page.contains(remote), "{remote} relayed");
    }
    // Mentors and learners see nothing of it.
    let mt = mentor_launch(&app, |_| {}).await;
    for (who, t) in [("mentor", &mt), ("learner", &a)] {
        let p = app.page("/app", t).await;
        for remote in ["Moodle exploded", "HTTP 500", "gradebook-error", "QZX"] {
            assert!(!p.contains(remote), "{who} sees {remote}: {p}");
        }
    }
    // Logged at WARN, with the status and a reason code, never the page.
    let logs = crate::logging::logs();
    let course = app.first_course().await.get();
    assert!(
        logs.lines().any(|l| l.contains(" WARN ")
            && l.contains("gradebook check failed")
            && l.contains(&format!("course={course}"))
            && l.contains("status=500")),
        "{logs}"
    );
    for remote in ["Moodle exploded", "QZX-DISTINCTIVE-REMOTE-TEXT", "relayed"] {
        assert!(!logs.contains(remote), "{remote} logged");
    }
}
