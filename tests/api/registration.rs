//! LTI Dynamic Registration: an LMS administrator pastes `/lti/register` into Moodle or
//! Canvas; Binôme reads the platform's configuration, asks for confirmation, registers with
//! the platform and records the registration, after which the platform launches the tool.
//! Every failure is a clear page, and stores nothing.

use std::collections::HashMap;

use binome::lti::registration::{SCOPES, TOOL_CONFIGURATION};
use binome::store::{DeploymentStatus, NewPlatform};

use crate::helpers::{Options, TestApp, reason, spawn_with};

/// The test platform listens on loopback: Dynamic Registration reaches it with the
/// development setting.
pub async fn spawn_dr() -> TestApp {
    spawn_with(Options {
        env: vec![("BINOME_ALLOW_PRIVATE_NETWORK", "true".into())],
        ..Default::default()
    })
    .await
}
use crate::platform::{DR_TOKEN, DrShape, now};

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

/// GET the registration URL as the LMS opens it.
pub async fn open(app: &TestApp, configuration: &str, token: Option<&str>) -> reqwest::Response {
    let mut q = vec![("openid_configuration", configuration)];
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
    ["openid_configuration", "registration_token", "proof"]
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

/// A learner launch from the test platform under another client id and deployment.
async fn launch_as(app: &TestApp, client_id: &str, deployment: &str) -> (u16, String) {
    let mut params = app.login_params();
    for (k, v) in params.iter_mut() {
        match k.as_str() {
            "client_id" => *v = client_id.into(),
            "lti_deployment_id" => *v = deployment.into(),
            _ => {}
        }
    }
    let resp = app.post_login(&params).await;
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
    let app = spawn_dr().await;
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
            "Registration URL:              {}/lti/register",
            app.base
        )),
        "the URLs to paste include the registration URL: {home}"
    );
    let resp = open(
        &app,
        &app.platform.dr_configuration_url(DrShape::Moodle),
        Some(DR_TOKEN),
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
    assert_eq!(form.len(), 3, "configuration, token and proof: {form:?}");

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
    let app = spawn_dr().await;
    let resp = open(
        &app,
        &app.platform.dr_configuration_url(DrShape::Canvas),
        Some(DR_TOKEN),
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
async fn every_failure_is_a_clear_page_and_stores_nothing() {
    let app = spawn_dr().await;
    let before = app.store.registrations().await.unwrap();
    let moodle = app.platform.dr_configuration_url(DrShape::Moodle);

    // Unreachable configuration (nothing listens on that port).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!(
        "http://127.0.0.1:{}/mod/lti/openid-configuration.php",
        closed.local_addr().unwrap().port()
    );
    drop(closed);
    let resp = open(&app, &dead, Some(DR_TOKEN)).await;
    assert_eq!(resp.status().as_u16(), 502);
    let body = resp.text().await.unwrap();
    assert_eq!(reason(&body), "register_unreachable");
    assert!(body.contains("Binôme could not be registered"), "{body}");
    assert!(body.contains("could not read the platform"), "{body}");

    // No registration token: the platform refuses its configuration, and the page says why.
    let resp = open(&app, &moodle, None).await;
    assert_eq!(resp.status().as_u16(), 502);
    let body = resp.text().await.unwrap();
    assert_eq!(reason(&body), "register_configuration_status");
    assert!(body.contains("HTTP 401") && body.contains("without a registration token"));

    // No configuration at all, or not a web address.
    let resp = app
        .http
        .get(format!("{}/lti/register", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(
        reason(&resp.text().await.unwrap()),
        "register_missing_configuration"
    );
    let resp = open(&app, "file:///etc/passwd", Some(DR_TOKEN)).await;
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(
        reason(&resp.text().await.unwrap()),
        "register_bad_configuration_url"
    );

    // A configuration that is not an LTI platform's (the JWKS is JSON, but not that).
    let resp = open(&app, &app.platform.jwks_url(), Some(DR_TOKEN)).await;
    assert_eq!(resp.status().as_u16(), 502);
    assert_eq!(
        reason(&resp.text().await.unwrap()),
        "register_configuration_invalid"
    );

    // Wrong issuer.
    app.platform.dr_set_wrong_issuer(true);
    let resp = open(&app, &moodle, Some(DR_TOKEN)).await;
    assert_eq!(resp.status().as_u16(), 502);
    let body = resp.text().await.unwrap();
    assert_eq!(reason(&body), "register_wrong_issuer");
    assert!(body.contains("lms.elsewhere.example"));
    app.platform.dr_set_wrong_issuer(false);

    // The platform refuses the registration: its own message, escaped.
    let page = open(&app, &moodle, Some(DR_TOKEN))
        .await
        .text()
        .await
        .unwrap();
    let form = form_of(&page);
    app.platform
        .dr_refuse(Some((400, "A tool with <b>this domain</b> exists")));
    let resp = confirm(&app, &form).await;
    assert_eq!(resp.status().as_u16(), 502);
    let body = resp.text().await.unwrap();
    assert_eq!(reason(&body), "register_refused");
    assert!(
        body.contains("HTTP 400")
            && body.contains("A tool with &lt;b&gt;this domain&lt;&#x2f;b&gt; exists"),
        "{body}"
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
    let app = spawn_dr().await;
    let page = open(
        &app,
        &app.platform.dr_configuration_url(DrShape::Moodle),
        Some(DR_TOKEN),
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
