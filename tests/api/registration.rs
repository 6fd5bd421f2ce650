//! LTI Dynamic Registration: an LMS administrator pastes the registration URL into Moodle or
//! Canvas; Binôme reads the platform's configuration, asks for confirmation, registers with
//! the platform and records the registration, after which the platform launches the tool.
//!
//! By default (`registration = "invite"`) only an LMS holding an operator's invitation
//! registers; in `open` mode a registration without one waits for `binome platform approve`;
//! in `off` mode nothing registers. A registration never changes another, and without an
//! invitation every failure that involves another system is the same page. Every failure is
//! a clear page, and stores nothing.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use binome::launch::registration::{invitation_hash, invite};
use binome::lti::registration::{SCOPES, TOOL_CONFIGURATION};
use binome::lti::{PlatformStatus, RegisteredVia};
use binome::store::{DeploymentStatus, NewPlatform};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{Options, TestApp, reason, spawn_with};
use crate::platform::{CLIENT_ID, DEPLOYMENT_ID, DR_TOKEN, DrShape, now};

/// The app with these settings (as environment variables).
async fn spawn_reg(env: Vec<(&'static str, String)>) -> TestApp {
    spawn_with(Options {
        env,
        ..Default::default()
    })
    .await
}

/// The app with its default settings (registration by invitation) and an invitation: the
/// test platform listens on loopback, which an invited registration may reach.
pub async fn spawn_dr() -> (TestApp, String) {
    let app = spawn_reg(vec![]).await;
    let token = invitation(&app).await;
    (app, token)
}

/// `registration = "open"` with the development setting, so that a registration without
/// an invitation reaches the test platform on loopback.
async fn spawn_open_dev() -> TestApp {
    spawn_reg(vec![
        ("BINOME_REGISTRATION", "open".into()),
        ("BINOME_ALLOW_PRIVATE_NETWORK", "true".into()),
    ])
    .await
}

/// A fresh invitation's token, as `binome registration invite` makes it.
pub async fn invitation(app: &TestApp) -> String {
    let (new, _) = invite(&app.store, Some("test"), 86_400, now())
        .await
        .unwrap();
    new.token
}

/// Text as the page escapes it, read back.
pub fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of a hidden field of a page, unescaped.
pub fn field(html: &str, name: &str) -> Option<String> {
    let mark = format!("name=\"{name}\" value=\"");
    let at = html.find(&mark)? + mark.len();
    let raw: String = html[at..].chars().take_while(|c| *c != '"').collect();
    Some(unescape(&raw))
}

/// GET the registration URL as the LMS opens it: the operator's URL (with its invitation,
/// if any) plus the LMS's own parameters.
pub async fn open(
    app: &TestApp,
    configuration: &str,
    token: Option<&str>,
    invite: Option<&str>,
) -> reqwest::Response {
    let mut q = vec![];
    if let Some(i) = invite {
        q.push(("invite", i));
    }
    q.push(("openid_configuration", configuration));
    if let Some(t) = token {
        q.push(("registration_token", t));
    }
    app.http
        .get(format!("{}/lti/register", app.base))
        .query(&q)
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap()
}

/// The confirmation form's fields.
pub fn form_of(page: &str) -> Vec<(String, String)> {
    [
        "openid_configuration",
        "registration_token",
        "invite",
        "proof",
    ]
    .iter()
    .filter_map(|n| field(page, n).map(|v| (n.to_string(), v)))
    .collect()
}

pub async fn confirm(app: &TestApp, form: &[(String, String)]) -> reqwest::Response {
    app.http
        .post(format!("{}/lti/register", app.base))
        .header("Accept-Language", "en")
        .form(form)
        .send()
        .await
        .unwrap()
}

/// What a page answered: status and body.
async fn page(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// Registers from the test platform (Moodle-shaped) with this invitation; the done page.
async fn register_moodle(app: &TestApp, invite: Option<&str>) -> (u16, String) {
    let (status, body) = page(
        open(
            app,
            &app.platform.dr_configuration_url(DrShape::Moodle),
            Some(DR_TOKEN),
            invite,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    page(confirm(app, &form_of(&body)).await).await
}

/// The login of a launch from the test platform under this client id and deployment.
async fn login_as(app: &TestApp, client_id: &str, deployment: &str) -> reqwest::Response {
    let mut params = app.login_params();
    for (k, v) in params.iter_mut() {
        match k.as_str() {
            "client_id" => *v = client_id.into(),
            "lti_deployment_id" => *v = deployment.into(),
            _ => {}
        }
    }
    app.post_login(&params).await
}

/// The database the app runs on (for the command line).
fn database_url(app: &TestApp) -> String {
    app.env
        .iter()
        .find(|(k, _)| k == "DATABASE_URL")
        .map(|(_, v)| v.clone())
        .unwrap()
}

/// The registrations and deployments, to compare before and after.
async fn stored(app: &TestApp) -> (Vec<binome::lti::Registration>, Vec<String>) {
    let regs = app.store.registrations().await.unwrap();
    let deps = app
        .store
        .deployments()
        .await
        .unwrap()
        .into_iter()
        .map(|d| format!("{:?}", d))
        .collect();
    (regs, deps)
}

/// A tiny HTTP server on loopback standing for another system (an internal service, an
/// attacker's LMS): it counts the connections it accepts and answers each request with what
/// `answer(method, path, port)` says.
struct FakeServer {
    port: u16,
    hits: Arc<AtomicUsize>,
    posts: Arc<AtomicUsize>,
}

type Answer = (u16, Vec<(&'static str, String)>, String);

impl FakeServer {
    async fn start(
        answer: impl Fn(&str, &str, u16) -> Answer + Send + Sync + 'static,
    ) -> FakeServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let posts = Arc::new(AtomicUsize::new(0));
        let answer = Arc::new(answer);
        let (h, ps) = (hits.clone(), posts.clone());
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                h.fetch_add(1, Ordering::SeqCst);
                let (answer, ps) = (answer.clone(), ps.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let head_end = loop {
                        let n = match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break at + 4;
                        }
                        if buf.len() > 65_536 {
                            return;
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
                    let mut words = head.split_whitespace();
                    let method = words.next().unwrap_or("").to_string();
                    let path = words.next().unwrap_or("").to_string();
                    let length: usize = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse().ok())?
                        })
                        .unwrap_or(0);
                    while buf.len() < head_end + length {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    if method == "POST" {
                        ps.fetch_add(1, Ordering::SeqCst);
                    }
                    let (status, headers, body) = answer(&method, &path, port);
                    let mut resp = format!(
                        "HTTP/1.1 {status} Answer\r\nContent-Length: {}\r\nConnection: close\r\n",
                        body.len()
                    );
                    for (k, v) in headers {
                        resp.push_str(&format!("{k}: {v}\r\n"));
                    }
                    resp.push_str("\r\n");
                    resp.push_str(&body);
                    let _ = sock.write_all(resp.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        FakeServer { port, hits, posts }
    }

    /// A server answering every request with this status and body.
    async fn answering(status: u16, content_type: &'static str, body: &str) -> FakeServer {
        let body = body.to_string();
        FakeServer::start(move |_, _, _| {
            (
                status,
                vec![("Content-Type", content_type.into())],
                body.clone(),
            )
        })
        .await
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Connections accepted so far.
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// POST requests received so far.
    fn posts(&self) -> usize {
        self.posts.load(Ordering::SeqCst)
    }
}

/// A Moodle-shaped configuration naming `issuer`, whose endpoints are all on `base`, and a
/// registration answer with `client_id` (an existing registration's, for a takeover).
fn impostor(issuer: String, client_id: &'static str) -> impl Fn(&str, &str, u16) -> Answer {
    move |method, _path, port| {
        let base = format!("http://127.0.0.1:{port}");
        let json = "application/json";
        if method == "POST" {
            let answer = serde_json::json!({
                "client_id": client_id,
                TOOL_CONFIGURATION: {"deployment_id": DEPLOYMENT_ID},
            });
            return (200, vec![("Content-Type", json.into())], answer.to_string());
        }
        let doc = serde_json::json!({
            "issuer": issuer,
            "token_endpoint": format!("{base}/token"),
            "jwks_uri": format!("{base}/jwks"),
            "authorization_endpoint": format!("{base}/auth"),
            "registration_endpoint": format!("{base}/register"),
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "moodle",
                "messages_supported": [{"type": "LtiResourceLinkRequest"}],
            },
        });
        (200, vec![("Content-Type", json.into())], doc.to_string())
    }
}

/// A learner launch from the test platform under another client id and deployment.
async fn launch_as(app: &TestApp, client_id: &str, deployment: &str) -> (u16, String) {
    let resp = login_as(app, client_id, deployment).await;
    assert_eq!(resp.status().as_u16(), 302, "login should redirect");
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("binome_st_"))
        .map(|c| c.split(';').next().unwrap().to_string());
    let q: HashMap<_, _> = url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(q["client_id"], client_id);
    let mut claims = app.platform.claims(&q["nonce"]);
    claims["aud"] = client_id.into();
    claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] = deployment.into();
    let token = app.platform.sign(&claims);
    let resp = app
        .post_launch(&token, &q["state"], cookie.as_deref())
        .await;
    let resp = app.follow(resp).await;
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn moodle_registers_the_tool_which_then_launches() {
    let (app, invite) = spawn_dr().await;
    let home = app
        .http
        .get(format!("{}/", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains(&format!(
            "Registration URL:              {}/lti/register?invite=<invitation>",
            app.base
        )) && home.contains("binome registration invite"),
        "the URLs to paste include the registration URL and how to get one: {home}"
    );
    assert!(!home.contains(&invite), "the home page is public");
    let resp = open(
        &app,
        &app.platform.dr_configuration_url(DrShape::Moodle),
        Some(DR_TOKEN),
        Some(&invite),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 200);
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains(&format!("frame-ancestors 'self' {}", app.platform.issuer)),
        "the LMS may frame the page: {csp}"
    );
    let page = resp.text().await.unwrap();
    let text = unescape(&page);
    for scope in SCOPES {
        assert!(text.contains(scope), "the page lists {scope}");
    }
    assert!(page.contains("LtiDeepLinkingRequest") && page.contains("moodle 4.5.1"));
    assert!(page.contains("<code>email</code>"), "claims are listed");
    assert!(
        !page.contains("not list it"),
        "Moodle offers every scope and message: {page}"
    );
    let form = form_of(&page);
    assert_eq!(
        form.len(),
        4,
        "configuration, token, invitation and proof: {form:?}"
    );
    assert!(form.contains(&("invite".to_string(), invite.clone())));

    let done = confirm(&app, &form).await;
    assert_eq!(done.status().as_u16(), 200);
    let done = done.text().await.unwrap();
    assert!(done.contains("Binôme is registered"), "{done}");
    assert!(
        done.contains("/static/register.js"),
        "the close script runs"
    );
    assert!(done.contains("moodle-dr-1") && done.contains("<code>11</code>"));
    let script = app
        .http
        .get(format!("{}/static/register.js", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(script.contains(r#"postMessage({ subject: "org.imsglobal.lti.close" }, "*")"#));
    assert!(script.contains("window.opener || window.parent"));

    // What the platform received.
    let sent = app.platform.dr_requests();
    assert_eq!(sent.len(), 1);
    let r = &sent[0];
    assert_eq!(r["initiate_login_uri"], format!("{}/lti/login", app.base));
    assert_eq!(
        r["redirect_uris"],
        serde_json::json!([format!("{}/lti/launch", app.base)])
    );
    assert_eq!(r["jwks_uri"], format!("{}/.well-known/jwks.json", app.base));
    assert_eq!(r["scope"], SCOPES.join(" "));
    assert_eq!(
        r[TOOL_CONFIGURATION]["domain"],
        app.base.trim_start_matches("http://")
    );
    assert_eq!(
        r[TOOL_CONFIGURATION]["claims"],
        serde_json::json!(["iss", "sub", "name", "given_name", "family_name", "email"])
    );

    // Stored: one more registration, with Moodle's deployment approved, and nothing else.
    let regs = app.store.registrations().await.unwrap();
    assert_eq!(regs.len(), 2);
    let reg = regs
        .iter()
        .find(|r| r.client_id.as_str() == "moodle-dr-1")
        .unwrap();
    assert_eq!(reg.issuer.as_str(), app.platform.issuer);
    assert_eq!(reg.token_url, app.platform.token_url());
    assert!(!reg.accept_new_deployments);
    assert_eq!(
        (reg.status, reg.registered_via, reg.private_network),
        (PlatformStatus::Active, RegisteredVia::Invitation, true),
        "an invited registration is active and may reach the LMS's private network"
    );
    let used = app.store.invitations().await.unwrap();
    assert_eq!(used.len(), 1);
    assert!(used[0].used_at.is_some() && used[0].platform == Some(reg.id));
    let deps: Vec<_> = app
        .store
        .deployments()
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.registration == reg.id)
        .collect();
    assert_eq!(deps.len(), 1);
    assert_eq!(
        (deps[0].deployment_id.as_str(), deps[0].status),
        ("11", DeploymentStatus::Active)
    );

    // The platform launches the tool with its new client id and deployment.
    let (status, body) = launch_as(&app, "moodle-dr-1", "11").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("binome-session"), "{body}");
    // Another deployment of that registration is not let in.
    let (status, body) = launch_as(&app, "moodle-dr-1", "12").await;
    assert_eq!(status, 403, "{body}");
}

#[tokio::test]
async fn canvas_registers_and_its_deployments_are_let_in_as_they_launch() {
    let (app, invite) = spawn_dr().await;
    let resp = open(
        &app,
        &app.platform.dr_configuration_url(DrShape::Canvas),
        Some(DR_TOKEN),
        Some(&invite),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 200);
    let page = resp.text().await.unwrap();
    assert!(page.contains("Test School") && page.contains("canvas OpenSource"));
    assert!(
        page.contains("already has a registration for this issuer"),
        "one issuer, several registrations: {page}"
    );
    let done = confirm(&app, &form_of(&page)).await;
    assert_eq!(done.status().as_u16(), 200);
    let done = done.text().await.unwrap();
    assert!(done.contains("10000000000001") && done.contains("register.js"));
    let sent = app.platform.dr_requests();
    assert_eq!(
        sent[0][TOOL_CONFIGURATION]["https://canvas.instructure.com/lti/privacy_level"],
        "public"
    );
    assert_eq!(
        sent[0][TOOL_CONFIGURATION]["messages"][1]["placements"],
        serde_json::json!(["link_selection", "assignment_selection"])
    );
    let regs = app.store.registrations().await.unwrap();
    let reg = regs
        .iter()
        .find(|r| r.client_id.as_str() == "10000000000001")
        .unwrap();
    assert!(reg.accept_new_deployments, "Canvas deploys at install");
    let (status, body) = launch_as(&app, "10000000000001", "canvas-install-7").await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn with_an_invitation_every_failure_is_a_clear_page_and_stores_nothing() {
    let (app, invite_token) = spawn_dr().await;
    let inv = Some(invite_token.as_str());
    let before = app.store.registrations().await.unwrap();
    let moodle = app.platform.dr_configuration_url(DrShape::Moodle);

    // Unreachable configuration (nothing listens on that port).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!(
        "http://127.0.0.1:{}/mod/lti/openid-configuration.php",
        closed.local_addr().unwrap().port()
    );
    drop(closed);
    let resp = open(&app, &dead, Some(DR_TOKEN), inv).await;
    assert_eq!(resp.status().as_u16(), 502);
    let body = resp.text().await.unwrap();
    assert_eq!(reason(&body), "register_unreachable");
    assert!(body.contains("Binôme could not be registered"), "{body}");
    assert!(body.contains("could not read the platform"), "{body}");

    // No registration token: the platform refuses its configuration, and the page says why.
    let resp = open(&app, &moodle, None, inv).await;
    assert_eq!(resp.status().as_u16(), 502);
    let body = resp.text().await.unwrap();
    assert_eq!(reason(&body), "register_configuration_status");
    assert!(body.contains("HTTP 401") && body.contains("without a registration token"));

    // No configuration at all, or not a web address.
    let resp = app
        .http
        .get(format!("{}/lti/register", app.base))
        .query(&[("invite", invite_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(
        reason(&resp.text().await.unwrap()),
        "register_missing_configuration"
    );
    let resp = open(&app, "file:///etc/passwd", Some(DR_TOKEN), inv).await;
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(
        reason(&resp.text().await.unwrap()),
        "register_bad_configuration_url"
    );

    // A configuration that is not an LTI platform's (the JWKS is JSON, but not that).
    let resp = open(&app, &app.platform.jwks_url(), Some(DR_TOKEN), inv).await;
    assert_eq!(resp.status().as_u16(), 502);
    assert_eq!(
        reason(&resp.text().await.unwrap()),
        "register_configuration_invalid"
    );

    // Wrong issuer.
    app.platform.dr_set_wrong_issuer(true);
    let resp = open(&app, &moodle, Some(DR_TOKEN), inv).await;
    assert_eq!(resp.status().as_u16(), 502);
    let body = resp.text().await.unwrap();
    assert_eq!(reason(&body), "register_wrong_issuer");
    assert!(body.contains("lms.elsewhere.example"));
    app.platform.dr_set_wrong_issuer(false);

    // The platform refuses the registration: its own message, as text only and bounded.
    let page = open(&app, &moodle, Some(DR_TOKEN), inv)
        .await
        .text()
        .await
        .unwrap();
    let form = form_of(&page);
    let long = "x".repeat(500);
    app.platform.dr_refuse(Some((
        400,
        &format!("A tool with <b>this domain</b>\u{7} exists <script>alert(1)</script>{long}"),
    )));
    let resp = confirm(&app, &form).await;
    assert_eq!(resp.status().as_u16(), 502);
    let body = resp.text().await.unwrap();
    assert_eq!(reason(&body), "register_refused");
    assert!(
        body.contains("HTTP 400") && body.contains("A tool with this domain exists alert(1)"),
        "{body}"
    );
    assert!(
        !body.contains("&lt;b&gt;")
            && !body.contains("<script>alert")
            && !body.contains("&lt;script")
            && !body.contains(&long[..200]),
        "no markup, and bounded: {body}"
    );
    app.platform.dr_refuse(None);

    // An answer without a client id.
    app.platform.dr_set_no_client_id(true);
    let resp = confirm(&app, &form).await;
    assert_eq!(resp.status().as_u16(), 502);
    assert_eq!(
        reason(&resp.text().await.unwrap()),
        "register_answer_invalid"
    );
    app.platform.dr_set_no_client_id(false);

    // A forged or altered form.
    let mut forged = form.clone();
    for (k, v) in forged.iter_mut() {
        if k == "openid_configuration" {
            *v = app.platform.dr_configuration_url(DrShape::Canvas);
        }
    }
    let resp = confirm(&app, &forged).await;
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(
        reason(&resp.text().await.unwrap()),
        "register_proof_invalid"
    );
    let unsigned: Vec<_> = form.iter().filter(|(k, _)| k != "proof").cloned().collect();
    let resp = confirm(&app, &unsigned).await;
    assert_eq!(
        reason(&resp.text().await.unwrap()),
        "register_proof_invalid"
    );

    assert_eq!(app.store.registrations().await.unwrap(), before);
    assert_eq!(app.store.deployments().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_repeated_confirmation_registers_once() {
    let (app, invite) = spawn_dr().await;
    let page = open(
        &app,
        &app.platform.dr_configuration_url(DrShape::Moodle),
        Some(DR_TOKEN),
        Some(&invite),
    )
    .await
    .text()
    .await
    .unwrap();
    let form = form_of(&page);
    // A double click: two posts of one form at once, then a third later.
    let (a, b) = tokio::join!(confirm(&app, &form), confirm(&app, &form));
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    let again = confirm(&app, &form).await.text().await.unwrap();
    assert!(again.contains("moodle-dr-1"), "the same outcome: {again}");
    assert_eq!(
        app.platform.dr_requests().len(),
        1,
        "one registration request"
    );
    assert_eq!(app.store.registrations().await.unwrap().len(), 2);

    // A registration that the platform answers with an existing client id changes nothing.
    let regs = app.store.registrations().await.unwrap();
    let new = regs
        .iter()
        .find(|r| r.client_id.as_str() == "moodle-dr-1")
        .unwrap();
    let taken = app
        .store
        .insert_registered_platform(
            NewPlatform {
                issuer: new.issuer.clone(),
                client_id: new.client_id.clone(),
                auth_url: new.auth_url.clone(),
                token_url: format!("{}/token2", app.platform.issuer),
                jwks_url: new.jwks_url.clone(),
                accept_new_deployments: false,
                frame_origins: vec!["https://frame.example".into()],
                deployments: vec!["11".into(), "12".into()],
                status: binome::lti::PlatformStatus::Active,
                private_network: true,
                service_hosts: vec![],
                registered_via: binome::lti::RegisteredVia::Open,
            },
            None,
            now(),
        )
        .await;
    assert!(
        matches!(taken, Err(binome::store::StoreError::Conflict(_))),
        "{taken:?}"
    );
    assert_eq!(app.store.registrations().await.unwrap(), regs);
    let deps = app.store.deployments().await.unwrap();
    assert_eq!(
        deps.iter().filter(|d| d.registration == new.id).count(),
        1,
        "no deployment added"
    );
}

#[tokio::test]
async fn without_an_invitation_registration_is_refused_and_says_how_to_get_one() {
    let app = spawn_reg(vec![]).await;
    let before = stored(&app).await;
    let moodle = app.platform.dr_configuration_url(DrShape::Moodle);
    let (status, body) = page(open(&app, &moodle, Some(DR_TOKEN), None).await).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(reason(&body), "register_invitation_required");
    assert!(
        body.contains("binome registration invite"),
        "the page names the command: {body}"
    );
    // Nothing was asked of the platform, and nothing stored.
    assert_eq!(app.platform.dr_configuration_hits(), 0);
    // A confirmation posted without an invitation (a form made by hand) is refused too.
    let (status, _) = page(
        confirm(
            &app,
            &[
                ("openid_configuration".into(), moodle.clone()),
                ("proof".into(), "1.2.3".into()),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(app.platform.dr_requests().len(), 0);
    assert_eq!(stored(&app).await, before);
}

#[tokio::test]
async fn an_invitation_registers_one_lms_once_then_never_again() {
    let (app, invite_token) = spawn_dr().await;
    let moodle = app.platform.dr_configuration_url(DrShape::Moodle);
    let (status, body) = register_moodle(&app, Some(&invite_token)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("moodle-dr-1"), "{body}");
    let (status, body) = launch_as(&app, "moodle-dr-1", "11").await;
    assert_eq!(
        status, 200,
        "the invited registration launches at once: {body}"
    );

    // The same invitation a second time: refused before anything is asked of the platform.
    let hits = app.platform.dr_configuration_hits();
    let (status, body) = page(open(&app, &moodle, Some(DR_TOKEN), Some(&invite_token)).await).await;
    assert_eq!(
        (status, reason(&body).as_str()),
        (403, "register_invitation_invalid"),
        "{body}"
    );
    assert!(body.contains("binome registration invite"), "{body}");
    assert_eq!(app.platform.dr_configuration_hits(), hits);

    // An expired invitation, a revoked one, one never issued.
    let expired = binome::launch::registration::NewInvitation::generate();
    app.store
        .create_invitation(&expired.hash, None, now() - 100, now() - 1)
        .await
        .unwrap();
    let revoked = invitation(&app).await;
    let id = app
        .store
        .invitations()
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.used_at.is_none() && i.expires_at > now())
        .unwrap()
        .id;
    app.store.revoke_invitation(id).await.unwrap();
    let unknown = binome::launch::registration::NewInvitation::generate().token;
    for token in [expired.token.as_str(), &revoked, &unknown, "not'a token"] {
        let (status, body) = page(open(&app, &moodle, Some(DR_TOKEN), Some(token)).await).await;
        assert_eq!(
            (status, reason(&body).as_str()),
            (403, "register_invitation_invalid"),
            "{token}: {body}"
        );
    }
    assert_eq!(app.platform.dr_configuration_hits(), hits);
    assert_eq!(app.platform.dr_requests().len(), 1);

    // A confirmation form whose invitation was swapped for another is not ours.
    let fresh = invitation(&app).await;
    let page_html = open(&app, &moodle, Some(DR_TOKEN), Some(&fresh))
        .await
        .text()
        .await
        .unwrap();
    let mut swapped = form_of(&page_html);
    let other = invitation(&app).await;
    for (k, v) in swapped.iter_mut() {
        if k == "invite" {
            *v = other.clone();
        }
    }
    let (status, body) = page(confirm(&app, &swapped).await).await;
    assert_eq!(
        (status, reason(&body).as_str()),
        (400, "register_proof_invalid")
    );
}

#[tokio::test]
async fn two_confirmations_racing_for_one_invitation_register_once() {
    let (app, invite_token) = spawn_dr().await;
    let moodle = app.platform.dr_configuration_url(DrShape::Moodle);
    // Two windows opened with the same invitation: two forms, two proofs.
    let a = open(&app, &moodle, Some(DR_TOKEN), Some(&invite_token))
        .await
        .text()
        .await
        .unwrap();
    let b = open(&app, &moodle, Some(DR_TOKEN), Some(&invite_token))
        .await
        .text()
        .await
        .unwrap();
    let (fa, fb) = (form_of(&a), form_of(&b));
    assert_ne!(fa, fb);
    let (ra, rb) = tokio::join!(confirm(&app, &fa), confirm(&app, &fb));
    let mut outcomes = [page(ra).await, page(rb).await];
    outcomes.sort_by_key(|(s, _)| *s);
    assert_eq!(outcomes[0].0, 200, "{}", outcomes[0].1);
    assert_eq!(
        (outcomes[1].0, reason(&outcomes[1].1).as_str()),
        (403, "register_invitation_invalid"),
        "{}",
        outcomes[1].1
    );
    let regs = app.store.registrations().await.unwrap();
    assert_eq!(regs.len(), 2, "one registration made with the invitation");
    let used = app.store.invitations().await.unwrap();
    assert_eq!(used[0].platform, Some(regs[1].id));
}

#[tokio::test]
async fn registration_off_refuses_even_with_an_invitation() {
    let app = spawn_reg(vec![("BINOME_REGISTRATION", "off".into())]).await;
    let invite_token = invitation(&app).await;
    let moodle = app.platform.dr_configuration_url(DrShape::Moodle);
    for inv in [Some(invite_token.as_str()), None] {
        let (status, body) = page(open(&app, &moodle, Some(DR_TOKEN), inv).await).await;
        assert_eq!(
            (status, reason(&body).as_str()),
            (403, "register_closed"),
            "{body}"
        );
        assert!(body.contains("binome platform add"), "{body}");
    }
    let (status, body) = page(
        confirm(
            &app,
            &[
                ("openid_configuration".into(), moodle.clone()),
                ("invite".into(), invite_token.clone()),
                ("proof".into(), "1.2.3".into()),
            ],
        )
        .await,
    )
    .await;
    assert_eq!((status, reason(&body).as_str()), (403, "register_closed"));
    assert_eq!(app.platform.dr_configuration_hits(), 0);
    assert!(app.store.invitations().await.unwrap()[0].used_at.is_none());
}

#[tokio::test]
async fn an_open_registration_waits_for_the_operators_approval() {
    let app = spawn_open_dev().await;
    let (status, confirmation) = page(
        open(
            &app,
            &app.platform.dr_configuration_url(DrShape::Moodle),
            Some(DR_TOKEN),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{confirmation}");
    assert!(
        confirmation.contains("data-pending=\"1\"") && confirmation.contains("approval"),
        "the page says the registration will wait: {confirmation}"
    );
    assert!(
        !confirmation.contains("4.5.1"),
        "nothing the platform said is relayed to an anonymous page: {confirmation}"
    );
    let (status, done) = page(confirm(&app, &form_of(&confirmation)).await).await;
    assert_eq!(status, 200, "{done}");
    assert!(
        done.contains("pending approval") && done.contains("binome platform approve"),
        "{done}"
    );
    assert!(!done.contains("moodle-dr-1"), "{done}");
    let reg = app
        .store
        .registrations()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.client_id.as_str() == "moodle-dr-1")
        .unwrap();
    assert_eq!(
        (reg.status, reg.registered_via, reg.private_network),
        (PlatformStatus::Pending, RegisteredVia::Open, false)
    );

    // The LMS cannot launch yet: the page says it waits for approval and how to give it.
    let resp = login_as(&app, "moodle-dr-1", "11").await;
    let (status, body) = page(resp).await;
    assert_eq!(
        (status, reason(&body).as_str()),
        (403, "platform_pending"),
        "{body}"
    );
    assert!(
        body.contains(&format!("binome platform approve {}", reg.id.get())),
        "{body}"
    );
    // A pending registration frames nothing.
    let csp = app
        .http
        .get(format!("{}/lti/register", app.base))
        .send()
        .await
        .unwrap()
        .headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(!csp.contains("127.0.0.1:"), "{csp}");

    // The operator approves it with the command line; the LMS launches.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_binome"))
        .args(["platform", "approve", &reg.id.get().to_string()])
        .env("DATABASE_URL", database_url(&app))
        .env("BINOME_BASE_URL", &app.base)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("approved"));
    // The registry reads registrations again on a refused login at most four times a
    // second: the approval counts from the next read.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (status, body) = launch_as(&app, "moodle-dr-1", "11").await;
    assert_eq!(status, 200, "{body}");
    let reg = app
        .store
        .registrations()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.id == reg.id)
        .unwrap();
    assert_eq!(
        (reg.status, reg.private_network),
        (PlatformStatus::Active, true)
    );
}

/// The takeover the attacker's probe found: a configuration served from another port of the
/// issuer's host names the real platform's issuer, and its registration endpoint answers
/// with the existing registration's (public) client id.
#[tokio::test]
async fn a_configuration_from_another_port_of_the_issuers_host_is_refused() {
    for mode in ["invite", "open"] {
        let app = spawn_reg(vec![
            ("BINOME_REGISTRATION", mode.into()),
            // So that, in open mode too, the request does reach the impostor.
            ("BINOME_ALLOW_PRIVATE_NETWORK", "true".into()),
        ])
        .await;
        let invite_token = invitation(&app).await;
        let before = stored(&app).await;
        let evil = FakeServer::start(impostor(app.platform.issuer.clone(), CLIENT_ID)).await;
        let conf = evil.url("/mod/lti/openid-configuration.php");
        let inv = (mode == "invite").then_some(invite_token.as_str());
        let (status, body) = page(open(&app, &conf, Some(DR_TOKEN), inv).await).await;
        assert_eq!(status, 502, "{mode}: {body}");
        let expected = if mode == "invite" {
            "register_wrong_issuer"
        } else {
            "register_failed"
        };
        assert_eq!(reason(&body), expected, "{mode}: {body}");
        assert!(evil.hits() >= 1, "the configuration was read");
        assert_eq!(
            evil.posts(),
            0,
            "{mode}: nothing was registered with the impostor"
        );
        assert_eq!(
            stored(&app).await,
            before,
            "{mode}: the registration is untouched"
        );
        assert!(
            app.store.invitations().await.unwrap()[0].used_at.is_none(),
            "the invitation is not spent"
        );
        // The real platform still launches as it did.
        let (status, body) = launch_as(&app, CLIENT_ID, DEPLOYMENT_ID).await;
        assert_eq!(status, 200, "{mode}: {body}");
    }
}

#[tokio::test]
async fn an_answer_naming_a_known_client_id_is_refused_and_changes_nothing() {
    for mode in ["invite", "open"] {
        let app = spawn_reg(vec![
            ("BINOME_REGISTRATION", mode.into()),
            ("BINOME_ALLOW_PRIVATE_NETWORK", "true".into()),
        ])
        .await;
        // The existing registration has a framing origin and deployments of its own.
        app.store
            .update_platform(
                app.reg.id,
                Some(vec!["https://frame.example".into()]),
                Some(false),
                None,
            )
            .await
            .unwrap();
        let invite_token = invitation(&app).await;
        let before = stored(&app).await;
        app.platform.dr_answer_client_id(Some(CLIENT_ID));
        let inv = (mode == "invite").then_some(invite_token.as_str());
        let (status, body) = register_moodle(&app, inv).await;
        assert_eq!(
            (status, reason(&body).as_str()),
            (409, "register_already_registered"),
            "{mode}: {body}"
        );
        assert!(
            body.contains("binome platform update") && body.contains("binome platform remove"),
            "{body}"
        );
        assert_eq!(app.platform.dr_requests().len(), 1);
        assert_eq!(
            stored(&app).await,
            before,
            "{mode}: URLs, frame origins and deployments byte for byte"
        );
        assert!(
            app.store
                .usable_invitation(&invitation_hash(&invite_token), now())
                .await
                .unwrap()
                .is_some(),
            "a refused registration does not spend the invitation"
        );
    }
}

/// The name of this machine's hosts file that points at loopback without being
/// `localhost` (a public-looking name a DNS answer could give), if there is one.
fn loopback_alias() -> Option<String> {
    let hosts = std::fs::read_to_string("/etc/hosts").ok()?;
    hosts.lines().find_map(|l| {
        let mut words = l.split_whitespace();
        let ip: std::net::IpAddr = words.next()?.parse().ok()?;
        if !ip.is_loopback() {
            return None;
        }
        words
            .find(|n| !n.starts_with('#') && !n.contains("localhost") && !n.contains(':'))
            .map(str::to_string)
    })
}

#[tokio::test]
async fn an_anonymous_registration_reaches_no_private_address() {
    // Default settings but open registration: no development setting, no invitation.
    let app = spawn_reg(vec![("BINOME_REGISTRATION", "open".into())]).await;
    let marker = "internal-secret-9Fq2";
    let internal =
        FakeServer::answering(200, "application/json", &format!("{{\"{marker}\":1}}")).await;
    let target = internal.url("/mod/lti/openid-configuration.php");
    let redirector = FakeServer::start({
        let target = target.clone();
        move |_, _, _| (302, vec![("Location", target.clone())], String::new())
    })
    .await;
    let p = internal.port;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut urls = vec![
        target.clone(),
        format!("http://127.1:{p}/"),
        format!("http://0.0.0.0:{p}/"),
        format!("http://2130706433:{p}/"),
        format!("http://0x7f000001:{p}/"),
        format!("http://[::ffff:127.0.0.1]:{p}/"),
        format!("http://localhost:{p}/"),
        format!("http://127.0.0.1:{closed}/"),
        redirector.url("/mod/lti/openid-configuration.php"),
        app.platform.dr_configuration_url(DrShape::Moodle),
    ];
    match loopback_alias() {
        Some(name) => urls.push(format!(
            "http://{name}:{p}/mod/lti/openid-configuration.php"
        )),
        None => eprintln!("no loopback alias in /etc/hosts: the resolver case is not exercised"),
    }
    let mut pages = Vec::new();
    for u in &urls {
        let (status, body) = page(open(&app, u, Some(DR_TOKEN), None).await).await;
        assert_eq!(
            (status, reason(&body).as_str()),
            (502, "register_failed"),
            "{u}: {body}"
        );
        assert!(!body.contains(marker), "{u}");
        pages.push(body);
    }
    assert!(
        pages.iter().all(|b| *b == pages[0]),
        "every refusal is the same page, byte for byte"
    );
    assert_eq!(internal.hits(), 0, "no request reached the internal server");
    assert_eq!(redirector.hits(), 0);
    assert_eq!(app.platform.dr_configuration_hits(), 0);
    assert_eq!(app.store.registrations().await.unwrap().len(), 1);
}

#[tokio::test]
async fn without_an_invitation_every_failure_is_the_same_page() {
    // The development setting lets requests out, so that each outcome really happens.
    let app = spawn_open_dev().await;
    let marker = "remote-body-Zr81";
    let html = FakeServer::answering(200, "text/html", &format!("<h1>{marker}</h1>")).await;
    let error = FakeServer::answering(500, "text/plain", marker).await;
    let missing = FakeServer::answering(404, "text/plain", marker).await;
    let not_lti = FakeServer::answering(
        200,
        "application/json",
        &format!("{{\"issuer\":\"{marker}\"}}"),
    )
    .await;
    let wrong_issuer = FakeServer::start(impostor(format!("https://{marker}.example"), "x")).await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}/", l.local_addr().unwrap().port())
    };
    let moodle = app.platform.dr_configuration_url(DrShape::Moodle);
    let mut outcomes = Vec::new();
    for (what, url, token) in [
        ("closed port", closed, Some(DR_TOKEN)),
        ("open port, HTML", html.url("/"), Some(DR_TOKEN)),
        ("HTTP 500", error.url("/"), Some(DR_TOKEN)),
        ("HTTP 404", missing.url("/"), Some(DR_TOKEN)),
        ("JSON, not LTI", not_lti.url("/"), Some(DR_TOKEN)),
        ("wrong issuer", wrong_issuer.url("/c"), Some(DR_TOKEN)),
        ("platform refusing the configuration", moodle.clone(), None),
    ] {
        let (status, body) = page(open(&app, &url, token, None).await).await;
        outcomes.push((what, status, body));
    }
    // The registration step itself: the platform refuses it with its own words.
    let form_page = open(&app, &moodle, Some(DR_TOKEN), None)
        .await
        .text()
        .await
        .unwrap();
    app.platform.dr_refuse(Some((400, marker)));
    let (status, body) = page(confirm(&app, &form_of(&form_page)).await).await;
    outcomes.push(("registration refused", status, body));
    let first = &outcomes[0].2;
    for (what, status, body) in &outcomes {
        assert_eq!(*status, 502, "{what}: {body}");
        assert_eq!(reason(body), "register_failed", "{what}");
        assert!(!body.contains(marker), "{what}: nothing of the remote body");
        assert_eq!(body, first, "{what}: the same page, byte for byte");
    }
    assert_eq!(app.store.registrations().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_invited_registration_follows_no_redirect_to_another_origin() {
    let (app, invite_token) = spawn_dr().await;
    let elsewhere = FakeServer::answering(200, "application/json", "{}").await;
    let target = elsewhere.url("/mod/lti/openid-configuration.php");
    let redirector =
        FakeServer::start(move |_, _, _| (302, vec![("Location", target.clone())], String::new()))
            .await;
    let (status, body) = page(
        open(
            &app,
            &redirector.url("/mod/lti/openid-configuration.php"),
            Some(DR_TOKEN),
            Some(&invite_token),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, reason(&body).as_str()),
        (502, "register_unreachable"),
        "{body}"
    );
    assert_eq!(redirector.hits(), 1);
    assert_eq!(elsewhere.hits(), 0, "the redirect was not followed");
}

#[tokio::test]
async fn the_start_up_invitation_is_fresh_each_start_until_an_lms_is_registered() {
    use binome::config::RegistrationMode;
    use binome::launch::registration::startup_invitation;
    let store = binome::store::Store::connect(&crate::helpers::fresh_database().await, 2)
        .await
        .unwrap();
    let register = "https://binome.example.org/lti/register";
    let token = |url: Option<String>| url.unwrap().rsplit('=').next().unwrap().to_string();
    let first = token(
        startup_invitation(&store, RegistrationMode::Invite, register, now())
            .await
            .unwrap(),
    );
    let second = token(
        startup_invitation(&store, RegistrationMode::Invite, register, now())
            .await
            .unwrap(),
    );
    let usable = |t: String| {
        let store = store.clone();
        async move {
            store
                .usable_invitation(&invitation_hash(&t), now())
                .await
                .unwrap()
                .is_some()
        }
    };
    assert!(
        !usable(first).await,
        "a new start replaces the printed invitation"
    );
    assert!(usable(second.clone()).await);
    for mode in [RegistrationMode::Open, RegistrationMode::Off] {
        assert!(
            startup_invitation(&store, mode, register, now())
                .await
                .unwrap()
                .is_none()
        );
    }
    // An invitation the operator made is left alone.
    let (mine, _) = invite(&store, Some("mine"), 3600, now()).await.unwrap();
    store
        .add_platform(
            NewPlatform::by_operator(
                "https://lms.example.org".into(),
                "c".into(),
                "https://lms.example.org/a".into(),
                "https://lms.example.org/t".into(),
                "https://lms.example.org/j".into(),
            ),
            now(),
        )
        .await
        .unwrap();
    assert!(
        startup_invitation(&store, RegistrationMode::Invite, register, now())
            .await
            .unwrap()
            .is_none(),
        "nothing is printed once an LMS is registered"
    );
    assert!(usable(second).await && usable(mine.token).await);
}

#[tokio::test]
async fn moodle_is_told_the_two_steps_before_teachers_see_the_tool() {
    let (app, invite) = spawn_dr().await;
    let (status, done) = register_moodle(&app, Some(&invite)).await;
    assert_eq!(status, 200, "{done}");
    let text = unescape(&done);
    assert!(text.contains("id=\"moodle-steps\""), "{done}");
    for words in [
        "Manage tools, Binôme is shown as \"Pending\": activate it",
        "\"Tool configuration usage\" to \"Show in activity chooser and as a preconfigured tool\"",
        "More → LTI External tools, turn on \"Show in activity chooser\"",
    ] {
        assert!(text.contains(words), "{words}: {done}");
    }
    // Moodle closes the window on the close message: it waits for the administrator.
    assert!(done.contains("data-close-when-read"), "{done}");
    let script = app
        .http
        .get(format!("{}/static/register.js", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(script.contains("[data-close-when-read]"), "{script}");

    // Canvas has no such steps: its page closes at once.
    let invite = invitation(&app).await;
    let (status, body) = page(
        open(
            &app,
            &app.platform.dr_configuration_url(DrShape::Canvas),
            Some(DR_TOKEN),
            Some(&invite),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, done) = page(confirm(&app, &form_of(&body)).await).await;
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("Binôme is registered"), "{done}");
    assert!(!done.contains("moodle-steps") && !done.contains("data-close-when-read"));
}
