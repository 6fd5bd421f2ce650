//! Every request is logged with a request id, its method, route pattern and status; no log
//! line ever holds a token, a query string or the learner's personal data.

use std::io::Write;
use std::sync::{Mutex, Once};

use crate::helpers::{session_token, spawn_app};

static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends every log line of this test binary (the app runs in-process) to [`LOGS`], at debug
/// level for the tool's own targets.
pub(crate) fn capture_logs() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info,binome=debug"))
            .with_ansi(false)
            .with_writer(|| Capture)
            .try_init()
            .expect("no other subscriber in the test binary");
    });
}

pub(crate) fn logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned()
}

#[tokio::test]
async fn a_launch_is_logged_with_a_request_id_and_without_tokens_or_personal_data() {
    capture_logs();
    let app = spawn_app().await;
    let name = "Zéphyrine Lognom-Unique";
    let email = "zephyrine.lognom@example.org";
    let login = app.login().await;
    let mut claims = app.platform.claims(&login.nonce);
    claims["name"] = name.into();
    claims["given_name"] = "Zéphyrine".into();
    claims["family_name"] = "Lognom-Unique".into();
    claims["email"] = email.into();
    let id_token = app.platform.sign(&claims);
    // Without the cookie: the launch takes the server-side path, which logs at debug level.
    let resp = app.post_launch(&id_token, &login.state, None).await;
    assert_eq!(resp.status().as_u16(), 303);
    let handoff = resp.headers()["location"].to_str().unwrap().to_string();
    let resp = app.follow(resp).await;
    assert_eq!(resp.status().as_u16(), 200);
    let body = resp.text().await.unwrap();
    let session = session_token(&body);
    // A page opened with the session token, and a refused replay.
    let page = app
        .http
        .get(format!("{}/app", app.base))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let replay = app.post_launch(&id_token, &login.state, None).await;
    assert_eq!(replay.status().as_u16(), 409);

    let out = logs();
    let launch_lines: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("route=/lti/launch") && l.contains("request done"))
        .collect();
    assert!(!launch_lines.is_empty(), "the launch is logged: {out}");
    assert!(
        launch_lines
            .iter()
            .all(|l| l.contains("request_id=") && l.contains("method=POST")),
        "{launch_lines:?}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains("token_replayed") && l.contains("request_id=")),
        "a refusal line carries its request id"
    );
    assert!(out.contains("route=/app"), "{out}");
    for (what, secret) in [
        ("id_token", id_token.as_str()),
        ("id_token signature", id_token.rsplit('.').next().unwrap()),
        ("session token", session.as_str()),
        ("state", login.state.as_str()),
        ("nonce", login.nonce.as_str()),
        ("name", name),
        ("family name", "Lognom-Unique"),
        ("email", email),
        ("query string", "?t="),
        ("hand-off code", handoff.trim_start_matches("/app?open=")),
        ("client address", "client_ip"),
        ("user agent", "user_agent"),
    ] {
        assert!(!out.contains(secret), "the logs hold the {what}");
    }
}

#[tokio::test]
async fn a_dynamic_registration_never_logs_the_registration_token() {
    use crate::platform::{DR_TOKEN, DrShape};
    use crate::registration::{confirm, form_of, open};
    capture_logs();
    let (app, invite) = crate::registration::spawn_dr().await;
    let conf = app.platform.dr_configuration_url(DrShape::Moodle);
    let page = open(&app, &conf, Some(DR_TOKEN), Some(&invite))
        .await
        .text()
        .await
        .unwrap();
    let form = form_of(&page);
    let marker = "platform-body-Qx7Zk2";
    app.platform
        .dr_refuse(Some((400, &format!("refused for the test {marker}"))));
    assert_eq!(confirm(&app, &form).await.status().as_u16(), 502);
    app.platform.dr_refuse(None);
    assert_eq!(confirm(&app, &form).await.status().as_u16(), 200);
    let logs = logs();
    assert!(
        logs.contains("platform registered by dynamic registration")
            && logs.contains("register_refused"),
        "the registration and the refusal are logged"
    );
    assert!(
        !logs.contains(DR_TOKEN),
        "the registration token is never logged"
    );
    assert!(!logs.contains("reg-token"), "not even a part of it");
    assert!(!logs.contains(&invite), "the invitation is never logged");
    assert!(
        !logs.contains(marker),
        "what the platform answered is never logged"
    );
}
