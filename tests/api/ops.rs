//! What the people who run Binôme rely on: `/metrics` (scraped and parsed after real launches
//! and a live-session act), `X-Request-Id` on every answer, JSON logs without colour, `binome
//! health` against a running binary, and a graceful stop within 10 s with an event stream
//! open (the stream gets its retry hint, the process exits by itself).

use std::collections::HashMap;
use std::io::Read;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use binome::config::Settings;
use binome::startup::Application;
use binome::store::Store;

use crate::helpers::{Options, TestApp, fresh_database, spawn_app, spawn_with};
use crate::live::{ok, pair_and_other};

/// One sample of an exposition: its name, its labels, its value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: HashMap<String, String>,
    value: f64,
}

/// Parses an OpenMetrics text exposition, failing the test on any line that is not a
/// comment, a sample, or the final `# EOF`.
fn parse_exposition(text: &str) -> Vec<Sample> {
    assert!(text.ends_with("# EOF\n"), "no EOF marker: {text}");
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
        let (name, labels) = match series.split_once('{') {
            None => (series.to_string(), HashMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("{line}"));
                let labels = body
                    .split("\",")
                    .filter(|p| !p.is_empty())
                    .map(|pair| {
                        let (k, v) = pair.split_once("=\"").unwrap_or_else(|| panic!("{line}"));
                        (k.to_string(), v.trim_end_matches('"').to_string())
                    })
                    .collect();
                (name.to_string(), labels)
            }
        };
        assert!(
            name.starts_with("binome_"),
            "a series outside the tool's namespace: {line}"
        );
        out.push(Sample {
            name,
            labels,
            value,
        });
    }
    out
}

/// The value of the sample `name` whose labels include `labels`.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
}

async fn scrape(base: &str) -> (reqwest::StatusCode, String, String) {
    let r = reqwest::get(format!("{base}/metrics")).await.unwrap();
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, r.text().await.unwrap())
}

#[tokio::test]
async fn metrics_are_scraped_and_parsed_after_a_launch_and_a_session_act() {
    let app = spawn_app().await;
    let ([a, b], _, _, pair) = pair_and_other(&app).await;
    app.page("/app/session", &a).await;
    ok(&app, &a, "accept_framework").await;
    // A refused launch: the same id_token twice.
    let login = app.login().await;
    let id_token = app.platform.sign(&app.platform.claims(&login.nonce));
    assert_eq!(
        app.post_launch(&id_token, &login.state, login.cookie.as_deref())
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(
        app.post_launch(&id_token, &login.state, login.cookie.as_deref())
            .await
            .status()
            .as_u16(),
        409
    );
    // An event stream open while scraping.
    let stream = app
        .http
        .get(format!("{}/api/coaching/events", app.base))
        .bearer_auth(&b)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status().as_u16(), 200);

    let (status, ct, text) = scrape(&app.base).await;
    assert_eq!(status.as_u16(), 200);
    assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    let samples = parse_exposition(&text);
    let at_least_one = |name: &str, labels: &[(&str, &str)]| {
        let v = value(&samples, name, labels)
            .unwrap_or_else(|| panic!("{name} {labels:?} missing:\n{text}"));
        assert!(v >= 1.0, "{name} {labels:?} = {v}");
    };
    at_least_one(
        "binome_launches_total",
        &[("step", "launch"), ("outcome", "ok"), ("reason", "")],
    );
    at_least_one(
        "binome_launches_total",
        &[("step", "login"), ("outcome", "ok")],
    );
    at_least_one(
        "binome_launches_total",
        &[
            ("step", "launch"),
            ("outcome", "refused"),
            ("reason", "token_replayed"),
        ],
    );
    at_least_one(
        "binome_http_request_duration_seconds_count",
        &[
            ("method", "POST"),
            ("route", "/lti/launch"),
            ("status", "303"),
        ],
    );
    at_least_one(
        "binome_http_request_duration_seconds_bucket",
        &[
            ("method", "POST"),
            ("route", "/app/session/command"),
            ("status", "200"),
            ("le", "+Inf"),
        ],
    );
    at_least_one("binome_session_events_total", &[]);
    at_least_one("binome_roster_syncs_total", &[("outcome", "full")]);
    at_least_one("binome_event_streams_open", &[]);
    at_least_one("binome_event_streams_max", &[]);
    at_least_one("binome_db_pool_max_connections", &[]);
    at_least_one("binome_build_info", &[]);
    for (name, labels) in [
        ("binome_db_pool_connections", [("state", "in_use")]),
        ("binome_db_pool_connections", [("state", "idle")]),
        ("binome_grade_outbox_scores", [("state", "pending")]),
        ("binome_grade_outbox_scores", [("state", "failed")]),
    ] {
        assert!(
            value(&samples, name, &labels).is_some(),
            "{name} {labels:?} missing:\n{text}"
        );
    }
    // No person, token or path value in any label.
    for s in &samples {
        for v in s.labels.values() {
            for p in &pair {
                assert!(!v.contains(p.as_str()), "{} holds a person id: {v}", s.name);
            }
            assert!(!v.contains('?'), "{} holds a query: {v}", s.name);
        }
    }
    for secret in [&a, &b, &id_token, &login.state] {
        assert!(!text.contains(secret.as_str()), "a token in the metrics");
    }
    drop(stream);
}

#[tokio::test]
async fn metrics_can_be_turned_off_or_moved_to_their_own_address() {
    let off = spawn_with(Options {
        env: vec![("BINOME_METRICS", "false".into())],
        ..Default::default()
    })
    .await;
    let (status, _, _) = scrape(&off.base).await;
    assert_eq!(status.as_u16(), 404, "off");

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let db = fresh_database().await;
    let env: Vec<(String, String)> = [
        ("BINOME_BASE_URL", format!("http://127.0.0.1:{port}")),
        ("BINOME_BIND", format!("127.0.0.1:{port}")),
        ("DATABASE_URL", db.clone()),
        ("BINOME_WORKERS", "1".into()),
        ("BINOME_METRICS_BIND", "127.0.0.1:0".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let settings = Settings::from_sources(&env, Some("")).unwrap();
    let store = Store::connect(&db, 2).await.unwrap();
    let app = Application::build_on(settings, store, listener)
        .await
        .unwrap();
    let metrics_port = app.metrics_port().expect("a port of its own");
    tokio::spawn(app.run_until_stopped());
    let (status, _, _) = scrape(&format!("http://127.0.0.1:{port}")).await;
    assert_eq!(status.as_u16(), 404, "not on the main port");
    let (status, _, text) = scrape(&format!("http://127.0.0.1:{metrics_port}")).await;
    assert_eq!(status.as_u16(), 200);
    assert!(!parse_exposition(&text).is_empty());
}

#[tokio::test]
async fn every_answer_carries_a_request_id_a_trusted_proxy_may_give() {
    let app = spawn_app().await;
    let mut seen = Vec::new();
    for (path, status) in [("/healthz", 200), ("/nope", 404), ("/app", 401)] {
        let r = app
            .http
            .get(format!("{}{path}", app.base))
            .header("X-Request-Id", "from-the-client-1")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{path}");
        let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_eq!(
            id.len(),
            22,
            "{path}: our own id, the client's is ignored: {id}"
        );
        seen.push(id);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 3, "one id per request");

    let proxied = spawn_with(Options {
        env: vec![("BINOME_TRUST_PROXY", "true".into())],
        ..Default::default()
    })
    .await;
    for (sent, kept) in [
        ("0f8c1b5e-3a4d-4c2b-9e61-1d2f3a4b5c6d", true),
        ("<script>", false),
        (&"x".repeat(65), false),
    ] {
        let r = proxied
            .http
            .get(format!("{}/healthz", proxied.base))
            .header("X-Request-Id", sent)
            .send()
            .await
            .unwrap();
        let id = r.headers()["x-request-id"].to_str().unwrap();
        assert_eq!(id == sent, kept, "{sent} -> {id}");
    }
}

/// `binome serve` as its own process: `env` over nothing inherited but `PATH`, stdout dropped,
/// stderr piped. Waits until it is ready.
struct Served {
    child: Child,
    port: u16,
}

impl Served {
    fn start(env: &[(String, String)]) -> Served {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_binome"));
        cmd.env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.env("BINOME_BIND", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let child = cmd.spawn().unwrap();
        let served = Served { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while binome::health::check(&served.url("/readyz"), Duration::from_secs(1)).is_err() {
            assert!(Instant::now() < deadline, "the binary never got ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        served
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Sends SIGTERM.
    fn terminate(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -TERM");
    }

    /// Waits for the process to end by itself, at most `limit`; its exit status and stderr.
    fn wait(mut self, limit: Duration) -> (Option<std::process::ExitStatus>, String) {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break Some(s);
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        (status, err)
    }
}

/// Settings of a binary of its own: a fresh SQLite folder (or database), no grade worker.
fn own_env(db: &str) -> Vec<(String, String)> {
    vec![
        ("DATABASE_URL".into(), db.to_string()),
        (
            "BINOME_BASE_URL".into(),
            "https://binome.example.org".into(),
        ),
        ("BINOME_WORKERS".into(), "1".into()),
        ("BINOME_GRADE_WORKER".into(), "false".into()),
    ]
}

fn health(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_binome"));
    cmd.env_clear().arg("health").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test]
async fn binome_health_answers_0_when_ready_and_1_when_stopped() {
    let db = fresh_database().await;
    let served = Served::start(&own_env(&db));
    let url = served.url("/readyz");
    let bind = format!("127.0.0.1:{}", served.port);
    let (ready, said) = health(&["--url", &url], &[]);
    assert!(ready, "{said}");
    assert!(said.contains("ready"), "{said}");
    // Without --url, from BINOME_BIND; a tool's variable does not stop it.
    let (ready, said) = health(&[], &[("BINOME_BIND", &bind), ("BINOME_AXE", "/x")]);
    assert!(ready, "{said}");
    served.terminate();
    let (status, _) = served.wait(Duration::from_secs(10));
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    let (ready, said) = health(&["--url", &url], &[]);
    assert!(!ready, "stopped, yet ready: {said}");
    assert!(said.contains("cannot reach"), "{said}");
    let (ready, said) = health(&["--url", "https://127.0.0.1:1/readyz"], &[]);
    assert!(!ready && said.contains("plain http"), "{said}");
}

#[tokio::test]
async fn logs_are_json_lines_on_request_and_never_coloured_in_a_pipe() {
    let db = fresh_database().await;
    // JSON: one object per line, the request line with its id, route, status and duration.
    let mut env = own_env(&db);
    env.push(("BINOME_LOG_FORMAT".into(), "json".into()));
    env.push(("RUST_LOG".into(), "info".into()));
    let served = Served::start(&env);
    let r = reqwest::get(served.url("/healthz")).await.unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    served.terminate();
    let (status, err) = served.wait(Duration::from_secs(10));
    assert!(status.is_some_and(|s| s.success()), "{status:?}: {err}");
    assert!(!err.contains('\u{1b}'), "escape codes in a pipe: {err}");
    let lines: Vec<serde_json::Value> = err
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let request = lines
        .iter()
        .find(|l| l["message"] == "request done" && l["span"]["route"] == "/healthz")
        .unwrap_or_else(|| panic!("no request line: {err}"));
    assert_eq!(request["span"]["request_id"], id.as_str(), "{request}");
    assert_eq!(request["status"], 200, "{request}");
    assert_eq!(request["span"]["method"], "GET", "{request}");
    assert!(request["duration_ms"].as_f64().is_some(), "{request}");
    assert!(request["level"] == "INFO" && request["timestamp"].is_string());
    assert!(
        lines.iter().any(|l| l["message"] == "stopped"),
        "the stop is logged: {err}"
    );

    // Text, the default: no colour either when standard error is not a terminal.
    let mut env = own_env(&db);
    env.push(("RUST_LOG".into(), "info".into()));
    let served = Served::start(&env);
    reqwest::get(served.url("/healthz")).await.unwrap();
    served.terminate();
    let (_, err) = served.wait(Duration::from_secs(10));
    assert!(err.contains("request done"), "{err}");
    assert!(err.contains("duration_ms="), "{err}");
    assert!(!err.contains('\u{1b}'), "escape codes in a pipe: {err}");
}

/// Reads an event stream until it ends (or `limit` passes); what it said.
async fn read_to_end(resp: &mut reqwest::Response, limit: Duration) -> (String, bool) {
    let deadline = tokio::time::Instant::now() + limit;
    let mut seen = String::new();
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, resp.chunk()).await {
            Ok(Ok(Some(c))) => seen.push_str(&String::from_utf8_lossy(&c)),
            Ok(Ok(None)) => return (seen, true),
            Ok(Err(_)) => return (seen, true),
            Err(_) => return (seen, false),
        }
    }
}

#[tokio::test]
async fn sigterm_with_an_event_stream_open_ends_it_with_a_retry_hint_and_exits_within_10_s() {
    let app: TestApp = spawn_app().await;
    let ([a, _], _, _, _) = pair_and_other(&app).await;
    app.page("/app/session", &a).await;
    // A second instance of the same tool, as its own process: the session token, the pairs
    // and the registration are in the shared database.
    let served = Served::start(&app.env);
    let mut stream = app
        .http
        .get(served.url("/api/coaching/events"))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status().as_u16(), 200);
    let first = crate::live::read_until(&mut stream, "event: hello").await;
    assert!(first.contains("event: hello"), "{first}");

    let signalled = Instant::now();
    served.terminate();
    let (said, ended) = read_to_end(&mut stream, Duration::from_secs(10)).await;
    assert!(ended, "the stream is still open after SIGTERM: {said}");
    let retry: u64 = said
        .lines()
        .find_map(|l| l.strip_prefix("retry: "))
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("no retry hint: {said}"));
    assert!((1000..5000).contains(&retry), "{retry}");
    assert!(said.contains("event: reconnect"), "{said}");
    let (status, err) = served.wait(Duration::from_secs(10).saturating_sub(signalled.elapsed()));
    let took = signalled.elapsed();
    assert!(
        status.is_some_and(|s| s.success()),
        "not stopped by itself within 10 s ({took:?}): {status:?}\n{err}"
    );
    assert!(took < Duration::from_secs(10), "{took:?}");
}
