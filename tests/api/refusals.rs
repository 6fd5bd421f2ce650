//! One test per refusal: each is a 4xx page with the right reason code, never a 5xx.

use base64::Engine;
use binome::lti::keys::ToolKey;
use serde_json::{Value, json};

use crate::helpers::{TestApp, reason, spawn_app};
use crate::platform::{CLIENT_ID, now, spare_pem};

fn b64(v: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v)
}

async fn expect_refusal(
    app: &TestApp,
    name: &str,
    token: &str,
    state: &str,
    cookie: Option<&str>,
    code: &str,
) {
    let resp = app.post_launch(token, state, cookie).await;
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap();
    assert!((400..500).contains(&status), "{name}: status {status}");
    assert_eq!(reason(&body), code, "{name}");
    assert!(
        body.contains("For the LMS administrator") || code == "token_replayed",
        "{name}: the page says what to check"
    );
}

/// Logs in, builds claims with `edit`, signs them with `sign`, and expects the refusal.
async fn refused(
    app: &TestApp,
    name: &str,
    edit: impl FnOnce(&mut Value),
    sign: impl FnOnce(&Value) -> String,
    code: &str,
) {
    let login = app.login().await;
    let mut c = app.platform.claims(&login.nonce);
    edit(&mut c);
    let token = sign(&c);
    expect_refusal(
        app,
        name,
        &token,
        &login.state,
        login.cookie.as_deref(),
        code,
    )
    .await;
}

/// How a row's id_token is made from the login's claims.
type Edit = Box<dyn Fn(&mut Value)>;
type Sign = Box<dyn Fn(&Value) -> String>;

/// One refused launch: its name, how the claims are changed, how they are signed (the
/// platform's key unless said), the status and the reason code of the page.
struct Row {
    name: &'static str,
    edit: Edit,
    sign: Option<Sign>,
    status: u16,
    code: &'static str,
}

fn row(
    name: &'static str,
    edit: impl Fn(&mut Value) + 'static,
    status: u16,
    code: &'static str,
) -> Row {
    Row {
        name,
        edit: Box::new(edit),
        sign: None,
        status,
        code,
    }
}

fn signed(
    name: &'static str,
    sign: impl Fn(&Value) -> String + 'static,
    status: u16,
    code: &'static str,
) -> Row {
    Row {
        name,
        edit: Box::new(|_| {}),
        sign: Some(Box::new(sign)),
        status,
        code,
    }
}

/// Drops a claim.
fn without(claim: &'static str) -> impl Fn(&mut Value) {
    move |c| {
        c.as_object_mut().unwrap().remove(claim);
    }
}

const CLAIM: &str = "https://purl.imsglobal.org/spec/lti/claim/";

#[tokio::test]
async fn forged_tokens_are_refused() {
    let app = spawn_app().await;
    let p = app.platform.clone();
    // The classic confusion attack: HS256 with the platform's public key as the secret.
    let public = serde_json::to_string(p.key().public_jwk()).unwrap();
    let platform = p.clone();
    let rows = vec![
        signed(
            "alg none",
            |c| {
                format!(
                    "{}.{}.",
                    b64(br#"{"alg":"none","typ":"JWT"}"#),
                    b64(c.to_string().as_bytes())
                )
            },
            401,
            "algorithm_not_allowed",
        ),
        signed(
            "HS256 with the public key",
            move |c| {
                let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
                h.kid = Some("platform-key-1".into());
                jsonwebtoken::encode(
                    &h,
                    c,
                    &jsonwebtoken::EncodingKey::from_secret(public.as_bytes()),
                )
                .unwrap()
            },
            401,
            "algorithm_not_allowed",
        ),
        signed(
            "foreign key under a known kid",
            |c| {
                ToolKey::from_pem("platform-key-1", &spare_pem(2))
                    .unwrap()
                    .sign(c)
                    .unwrap()
            },
            401,
            "bad_signature",
        ),
        signed(
            "unknown kid",
            |c| {
                ToolKey::from_pem("no-such-kid", &spare_pem(2))
                    .unwrap()
                    .sign(c)
                    .unwrap()
            },
            401,
            "unknown_kid",
        ),
        signed(
            "tampered payload",
            move |c| {
                let t = platform.sign(c);
                let parts: Vec<&str> = t.split('.').collect();
                let mut claims = c.clone();
                claims["sub"] = "1".into();
                format!(
                    "{}.{}.{}",
                    parts[0],
                    b64(claims.to_string().as_bytes()),
                    parts[2]
                )
            },
            401,
            "bad_signature",
        ),
        row(
            "expired",
            |c| {
                c["iat"] = (now() - 600).into();
                c["exp"] = (now() - 300).into();
            },
            401,
            "token_expired",
        ),
        row(
            "iat in the future",
            |c| {
                c["iat"] = (now() + 600).into();
                c["exp"] = (now() + 660).into();
            },
            401,
            "issued_in_future",
        ),
        row("missing exp", without("exp"), 400, "invalid_claims"),
        row(
            "wrong audience",
            |c| c["aud"] = "another-tool".into(),
            401,
            "wrong_audience",
        ),
        row(
            "aud array with a wrong azp",
            |c| {
                c["aud"] = json!([CLIENT_ID, "another-tool"]);
                c["azp"] = "another-tool".into();
            },
            401,
            "wrong_azp",
        ),
        row(
            "aud array without azp",
            |c| c["aud"] = json!([CLIENT_ID, "another-tool"]),
            401,
            "wrong_azp",
        ),
        row(
            "wrong issuer",
            |c| c["iss"] = "https://evil.example".into(),
            401,
            "wrong_issuer",
        ),
        row(
            "nonce mismatch",
            |c| c["nonce"] = "not-the-login-nonce".into(),
            401,
            "nonce_mismatch",
        ),
        row(
            "wrong version",
            |c| c[format!("{CLAIM}version")] = "1.1.0".into(),
            400,
            "wrong_version",
        ),
        row(
            "unknown message type",
            |c| c[format!("{CLAIM}message_type")] = "LtiSubmissionReviewRequestX".into(),
            400,
            "unknown_message_type",
        ),
        row(
            "missing resource link",
            without("https://purl.imsglobal.org/spec/lti/claim/resource_link"),
            400,
            "missing_claim",
        ),
        row(
            "resource link without id",
            |c| c[format!("{CLAIM}resource_link")] = json!({"title": "x"}),
            400,
            "missing_claim",
        ),
        row(
            "missing roles claim",
            without("https://purl.imsglobal.org/spec/lti/claim/roles"),
            400,
            "missing_claim",
        ),
        row(
            "deep linking without settings",
            |c| c[format!("{CLAIM}message_type")] = "LtiDeepLinkingRequest".into(),
            400,
            "missing_claim",
        ),
        row(
            "missing deployment id",
            without("https://purl.imsglobal.org/spec/lti/claim/deployment_id"),
            400,
            "missing_claim",
        ),
    ];
    for r in rows {
        let login = app.login().await;
        let mut claims = p.claims(&login.nonce);
        (r.edit)(&mut claims);
        let token = match &r.sign {
            Some(sign) => sign(&claims),
            None => p.sign(&claims),
        };
        let resp = app
            .post_launch(&token, &login.state, login.cookie.as_deref())
            .await;
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap();
        assert_eq!(status, r.status, "{}", r.name);
        assert_eq!(reason(&body), r.code, "{}", r.name);
        assert!(
            body.contains("For the LMS administrator"),
            "{}: the page says what to check",
            r.name
        );
    }
}

#[tokio::test]
async fn replayed_token_is_refused() {
    let app = spawn_app().await;
    let login = app.login().await;
    let token = app.platform.sign(&app.platform.claims(&login.nonce));
    assert_eq!(
        app.post_launch(&token, &login.state, login.cookie.as_deref())
            .await
            .status()
            .as_u16(),
        303
    );
    expect_refusal(
        &app,
        "replay",
        &token,
        &login.state,
        login.cookie.as_deref(),
        "token_replayed",
    )
    .await;
    expect_refusal(
        &app,
        "replay without cookie",
        &token,
        &login.state,
        None,
        "token_replayed",
    )
    .await;
}

#[tokio::test]
async fn state_mismatches_are_refused() {
    let app = spawn_app().await;
    // A state this tool never issued.
    let login = app.login().await;
    let token = app.platform.sign(&app.platform.claims(&login.nonce));
    expect_refusal(
        &app,
        "unknown state",
        &token,
        "never-issued-state",
        login.cookie.as_deref(),
        "state_unknown",
    )
    .await;
    // The state of another login: its nonce does not match the token's.
    let other = app.login().await;
    expect_refusal(
        &app,
        "another login's state",
        &token,
        &other.state,
        other.cookie.as_deref(),
        "nonce_mismatch",
    )
    .await;
    // The browser's state cookie belongs to a different login than the posted state.
    let name = login
        .cookie
        .as_deref()
        .unwrap()
        .split('=')
        .next()
        .unwrap()
        .to_string();
    let forged_cookie = format!("{name}=some-other-browser-secret");
    expect_refusal(
        &app,
        "cookie of another login",
        &token,
        &login.state,
        Some(&forged_cookie),
        "state_mismatch",
    )
    .await;
    // The real launch still works afterwards: refusals did not consume the login.
    assert_eq!(
        app.post_launch(&token, &login.state, login.cookie.as_deref())
            .await
            .status()
            .as_u16(),
        303
    );
}

#[tokio::test]
async fn garbage_and_oversized_requests_get_4xx_pages() {
    let app = spawn_app().await;
    let login = app.login().await;
    expect_refusal(
        &app,
        "garbage token",
        "garbage",
        &login.state,
        None,
        "malformed_token",
    )
    .await;
    expect_refusal(
        &app,
        "three garbage parts",
        "a.b.c",
        &login.state,
        None,
        "malformed_token",
    )
    .await;
    expect_refusal(
        &app,
        "empty token",
        "",
        &login.state,
        None,
        "missing_parameter",
    )
    .await;

    let big = "x".repeat(200 * 1024);
    let r = app.post_launch_from(&big, "s", None, &[]).await;
    assert_eq!(r.status().as_u16(), 413);
    assert_eq!(reason(&r.text().await.unwrap()), "request_too_large");

    let r = app
        .http
        .post(format!("{}/lti/login", app.base))
        .body(big.clone())
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);

    // Whatever arrives, never a 5xx.
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"%%%".to_vec(),
        b"id_token=%FF%FE&state=%00".to_vec(),
        vec![0xff, 0x00, 0x13, 0x37],
        b"state=x&state=y&id_token=a.b".to_vec(),
        format!(
            "id_token={}.e30.e30&state={}",
            b64(br#"{"alg":"RS256","kid":"platform-key-1"}"#),
            login.state
        )
        .into_bytes(),
        format!(
            "id_token={}.e30.e30&state={}",
            b64(br#"["not an object"]"#),
            login.state
        )
        .into_bytes(),
        b"error=login_required&error_description=The+user+is+not+logged+in".to_vec(),
    ];
    for b in bodies {
        for path in ["/lti/launch", "/lti/login"] {
            let r = app
                .http
                .post(format!("{}{path}", app.base))
                .body(b.clone())
                .header("content-type", "application/x-www-form-urlencoded")
                .send()
                .await
                .unwrap();
            let s = r.status().as_u16();
            assert!((300..500).contains(&s), "{path} {b:?}: {s}");
        }
    }
}

#[tokio::test]
async fn platform_error_responses_are_explained() {
    let app = spawn_app().await;
    let r = app
        .http
        .post(format!("{}/lti/launch", app.base))
        .form(&[
            ("error", "login_required"),
            ("error_description", "not signed in"),
            ("state", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let body = r.text().await.unwrap();
    assert_eq!(reason(&body), "platform_error");
    assert!(body.contains("login_required"));
}

#[tokio::test]
async fn unknown_kids_cannot_make_the_tool_hammer_the_platform() {
    let app = spawn_app().await;
    let (status, _) = app.launch_with(|_| {}).await;
    assert_eq!(status, 200);
    assert_eq!(app.platform.jwks_hits(), 1);
    // The same forged kid again and again (a flood of distinct kids waits for the next
    // allowed refetch instead: tests/api/jwks_rotation.rs).
    for _ in 0..5 {
        refused(
            &app,
            "unknown kid flood",
            |_| {},
            |c| {
                ToolKey::from_pem("flood", &spare_pem(2))
                    .unwrap()
                    .sign(c)
                    .unwrap()
            },
            "unknown_kid",
        )
        .await;
    }
    assert_eq!(
        app.platform.jwks_hits(),
        2,
        "one refetch for the unknown kid, then none: a refetch did not contain it"
    );
}

/// The text of the element with this id, unescaped.
fn text_of(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let start = at + html[at..].find('>')? + 1;
    let end = start + html[start..].find("</")?;
    Some(crate::registration::unescape(&html[start..end]))
}

#[tokio::test]
async fn an_unknown_deployment_names_the_whole_command_and_no_useless_retry() {
    let app = spawn_app().await;
    let dep = "https://purl.imsglobal.org/spec/lti/claim/deployment_id";
    let (status, body) = app.launch_with(|c| c[dep] = "dep-9".into()).await;
    assert_eq!(status, 403);
    assert_eq!(reason(&body), "unknown_deployment");
    // The command, whole, in a code element: what the operator runs on the server.
    let command = text_of(&body, "fix-command").expect("the command is shown as code");
    assert_eq!(
        command,
        format!(
            "binome platform approve-deployment --issuer {} --client-id {CLIENT_ID} --deployment-id dep-9",
            app.platform.issuer
        )
    );
    assert!(!body.contains('`'), "no Markdown left on the page: {body}");
    assert!(
        body.contains("For the LMS administrator and the operator of Binôme"),
        "{body}"
    );
    // Opening the activity again cannot help: the learner is told whom to tell instead.
    assert!(!body.contains("open the activity again"), "{body}");
    assert!(body.contains("will not help"), "{body}");
    // A refusal that reopening does mend still says so.
    let login = app.login().await;
    let claims = app.platform.claims(&login.nonce);
    let token = app.platform.sign(&claims);
    app.post_launch(&token, &login.state, login.cookie.as_deref())
        .await;
    let replayed = app
        .post_launch(&token, &login.state, login.cookie.as_deref())
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(reason(&replayed), "token_replayed");
    assert!(replayed.contains("open the activity again"), "{replayed}");

    // The command works as printed.
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_binome"));
    cmd.env_clear();
    for (k, v) in &app.env {
        cmd.env(k, v);
    }
    let out = cmd.env("RUST_LOG", "warn").args(&args).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    tokio::time::sleep(std::time::Duration::from_millis(3300)).await;
    let (status, body) = app.launch_with(|c| c[dep] = "dep-9".into()).await;
    assert_eq!(status, 200, "{body}");
}
