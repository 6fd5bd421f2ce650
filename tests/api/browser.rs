//! Real browser tests: headless Chromium, driven through chromedriver over the W3C WebDriver
//! HTTP protocol with the project's own reqwest client, opens a course page of the test
//! platform that frames the tool, as an LMS does, and the whole launch runs inside the iframe:
//! auto-posted login initiation, redirect to the platform's auth endpoint, auto-posted
//! id_token, learner page.
//!
//! Chromium and chromedriver are required (`apt-get install chromium chromium-driver`; CI
//! installs them): without them these tests fail, they do not pass silently. Only 127.0.0.1
//! and localhost are ever loaded.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use binome::config::Settings;
use binome::startup::Application;
use binome::store::{NewPlatform, Store};
use serde_json::{Value, json};

use crate::helpers::{TestApp, fresh_database, spawn_app};
use crate::platform::{self, CLIENT_ID, DEPLOYMENT_ID, TestPlatform};

/// How long any condition in the browser is waited for.
pub(crate) const WAIT: Duration = Duration::from_secs(15);
/// The W3C WebDriver key of an element reference.
pub(crate) const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The path of a browser binary. Missing binaries fail the test in CI (`CI` set: `.ci/run`
/// installs them); on a developer machine without them the browser tests say so and skip.
pub(crate) fn executable(var: &str, default: &str) -> Option<String> {
    let path = std::env::var(var).unwrap_or_else(|_| default.to_string());
    if Path::new(&path).is_file() {
        return Some(path);
    }
    let message = format!(
        "{path} not found: the browser tests need Chromium and chromedriver \
         (Debian: `apt-get install -y chromium chromium-driver`; or set {var})"
    );
    assert!(std::env::var_os("CI").is_none(), "{message}");
    skipped("browser", &message);
    None
}

/// Says that a kind of check was skipped, where a person running `cargo test` sees it: once
/// per kind and run, on the terminal itself (libtest captures `eprintln!` of passing tests and
/// shows nothing of it), and in the test's own captured output. In CI (`CI` set) the callers
/// fail instead of skipping.
pub(crate) fn skipped(kind: &'static str, message: &str) {
    use std::io::Write;
    static TOLD: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    eprintln!("SKIPPED: {message}");
    let mut told = TOLD.lock().unwrap_or_else(|e| e.into_inner());
    if !told.contains(&kind) {
        told.push(kind);
        // Written to the process's standard error directly, past libtest's capture.
        let _ = writeln!(
            std::io::stderr().lock(),
            "\nSKIPPED {kind} checks (they did not run; CI fails instead): {message}"
        );
    }
}

/// The cookie settings of a browser. Measured with Chromium 156: the preference
/// `profile.cookie_controls_mode` 1 ("Block third-party cookies") and the switch
/// `--test-third-party-cookie-phaseout` each block unpartitioned third-party cookies (a fresh
/// headless profile already does; `cookie_controls_mode` 0 lets them through, unless the switch
/// is given), but none of them touches partitioned (CHIPS) cookies, which the tool's state
/// cookie is. Only a cookie content-settings exception for the framed site refuses those too.
/// (`profile.block_third_party_cookies` no longer exists.)
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cookies<'a> {
    /// Chromium's defaults.
    Default,
    /// Third-party cookies blocked, the user setting and the phase-out flag both.
    ThirdPartyBlocked,
    /// Third-party cookies blocked, and no cookie at all, partitioned or not, for `site` in a
    /// page of `top` (both origins): what a browser without CHIPS, or an embed refused
    /// storage, does to the tool's state cookie.
    AllBlockedFor { site: &'a str, top: &'a str },
}

/// A headless Chromium session through chromedriver. Dropping it ends the session (which
/// closes Chromium), stops chromedriver and removes the profile.
pub(crate) struct Browser {
    http: reqwest::Client,
    driver: Child,
    port: u16,
    session: Option<String>,
    dir: PathBuf,
}

impl Browser {
    pub(crate) async fn start(cookies: Cookies<'_>) -> Option<Browser> {
        let (extra, prefs) = match cookies {
            Cookies::Default => (vec![], json!({})),
            Cookies::ThirdPartyBlocked => (
                vec!["--test-third-party-cookie-phaseout".to_string()],
                json!({ "profile.cookie_controls_mode": 1 }),
            ),
            Cookies::AllBlockedFor { site, top } => (
                vec!["--test-third-party-cookie-phaseout".to_string()],
                json!({
                    "profile.cookie_controls_mode": 1,
                    "profile.content_settings.exceptions.cookies": {
                        format!("{site},{top}"): { "setting": 2 },
                    },
                }),
            ),
        };
        let chromium = executable("CHROMIUM", "/usr/bin/chromium")?;
        let chromedriver = executable("CHROMEDRIVER", "/usr/bin/chromedriver")?;
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!(
            "binome-chromium-{}",
            binome::lti::login::random_token()[..12].replace(['-', '_'], "x")
        ));
        std::fs::create_dir_all(dir.join("profile")).unwrap();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!(
                "--log-path={}",
                dir.join("chromedriver.log").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {chromedriver}: {e}"));
        let mut b = Browser {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            driver,
            port,
            session: None,
            dir,
        };
        b.wait_for_driver().await;

        let profile = b.dir.join("profile").display().to_string();
        let mut args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--disable-quic".into(),
            "--lang=en-US".into(),
            "--window-size=1100,800".into(),
            format!("--user-data-dir={profile}"),
        ];
        args.extend(extra);
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args, "prefs": prefs },
        }}});
        let created = b
            .call(reqwest::Method::POST, "/session", Some(caps))
            .await
            .unwrap_or_else(|e| panic!("chromedriver could not start Chromium: {e}"));
        b.session = Some(created["sessionId"].as_str().unwrap().to_string());
        Some(b)
    }

    async fn wait_for_driver(&self) {
        let deadline = Instant::now() + WAIT;
        loop {
            let ready = self
                .http
                .get(format!("http://127.0.0.1:{}/status", self.port))
                .send()
                .await;
            if let Ok(r) = ready
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == true
            {
                return;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// One WebDriver command; its `value`, or the WebDriver error.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let url = format!("http://127.0.0.1:{}{path}", self.port);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.map_err(|e| e.to_string())?;
        let ok = resp.status().is_success();
        let v: Value = resp.json().await.map_err(|e| e.to_string())?;
        if ok {
            Ok(v["value"].clone())
        } else {
            Err(format!("{} {}", v["value"]["error"], v["value"]["message"]))
        }
    }

    pub(crate) async fn session_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let id = self.session.as_deref().unwrap();
        self.call(method, &format!("/session/{id}{path}"), body)
            .await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Result<Value, String> {
        self.session_call(reqwest::Method::POST, path, Some(body))
            .await
    }

    pub(crate) async fn goto(&self, url: &str) {
        assert!(
            url.starts_with("http://127.0.0.1:") || url.starts_with("http://localhost:"),
            "browser tests stay on this machine: {url}"
        );
        self.post("/url", json!({ "url": url })).await.unwrap();
    }

    pub(crate) async fn script(&self, js: &str) -> Result<Value, String> {
        self.post("/execute/sync", json!({ "script": js, "args": [] }))
            .await
    }

    pub(crate) async fn find(&self, using: &str, value: &str) -> Result<Value, String> {
        let found = self
            .post("/element", json!({ "using": using, "value": value }))
            .await?;
        Ok(json!({ ELEMENT: found[ELEMENT].clone() }))
    }

    /// Back to the course page.
    pub(crate) async fn to_top(&self) -> Result<(), String> {
        self.post("/frame", json!({ "id": null })).await.map(drop)
    }

    /// Into the course page's iframe, whatever document it shows now.
    pub(crate) async fn enter_iframe(&self) -> Result<(), String> {
        self.to_top().await?;
        let frame = self.find("css selector", "iframe").await?;
        self.post("/frame", json!({ "id": frame })).await.map(drop)
    }

    /// Waits until the iframe's text contains `needle`; returns that text and the iframe's URL,
    /// and leaves the session inside the iframe.
    pub(crate) async fn wait_in_iframe(&self, needle: &str) -> (String, String) {
        let deadline = Instant::now() + WAIT;
        loop {
            let seen = async {
                self.enter_iframe().await?;
                self.script("return [document.body ? document.body.innerText : '', location.href];")
                    .await
            }
            .await;
            let last = match seen {
                Ok(v) => {
                    let text = v[0].as_str().unwrap_or_default().to_string();
                    let url = v[1].as_str().unwrap_or_default().to_string();
                    if text.contains(needle) {
                        return (text, url);
                    }
                    format!("{url}\n{text}")
                }
                Err(e) => e,
            };
            assert!(
                Instant::now() < deadline,
                "{needle:?} never appeared in the iframe; last seen: {last}"
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// A PNG of the window.
    pub(crate) async fn screenshot(&self, path: &Path) {
        let b64 = self
            .session_call(reqwest::Method::GET, "/screenshot", None)
            .await
            .unwrap();
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap())
            .unwrap();
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Plain blocking HTTP: no runtime is needed in drop, and this also runs on panics.
        if let Some(id) = self.session.take()
            && let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port))
        {
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = write!(
                s,
                "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                self.port
            );
            // chromedriver answers once Chromium has quit; it may keep the connection open,
            // so read the answer's head only.
            let mut answer = Vec::new();
            let mut buf = [0u8; 1024];
            while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(n) if n > 0 => answer.extend_from_slice(&buf[..n]),
                    _ => break,
                }
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The tool with its test platform registered under another host name for the auth URL:
/// issuer `http://127.0.0.1:P`, auth URL `http://{auth_host}:P/auth`, like Canvas whose
/// issuer and authentication host differ. Platform-storage messages go to the auth URL's
/// origin, so that is where the course page must be served from.
async fn spawn_app_with_auth_host(auth_host: &str) -> TestApp {
    let platform = TestPlatform::start().await;
    let auth_url = platform.auth_url().replace("127.0.0.1", auth_host);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let db_url = fresh_database().await;
    let env = vec![
        ("BINOME_BASE_URL".to_string(), base.clone()),
        ("BINOME_BIND".to_string(), format!("127.0.0.1:{port}")),
        ("DATABASE_URL".to_string(), db_url.clone()),
        ("BINOME_WORKERS".to_string(), "2".to_string()),
    ];
    let settings = Settings::from_sources(&env, Some("")).unwrap();
    let store = Store::connect(&db_url, 5).await.unwrap();
    let reg = store
        .add_platform(
            NewPlatform {
                issuer: platform.issuer.as_str().into(),
                client_id: CLIENT_ID.into(),
                auth_url,
                token_url: platform.token_url(),
                jwks_url: platform.jwks_url(),
                accept_new_deployments: false,
                frame_origins: vec![],
                deployments: vec![DEPLOYMENT_ID.into()],
                status: binome::lti::PlatformStatus::Active,
                private_network: true,
                service_hosts: vec![],
                registered_via: binome::lti::RegisteredVia::Operator,
            },
            platform::now(),
        )
        .await
        .unwrap();
    let app = Application::build_on(settings, store.clone(), listener)
        .await
        .unwrap();
    tokio::spawn(app.run_until_stopped());
    let app = TestApp {
        base,
        public_path: String::new(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        platform,
        store,
        reg,
        env,
        auto_setup: true,
        configured: Default::default(),
    };
    app.set_up_default_activity().await;
    app
}

/// The course page of `app`'s platform, served from `host`, framing `app`.
pub(crate) fn course_url(app: &TestApp, host: &str, storage: Option<&str>) -> String {
    let origin = app.platform.issuer.replace("127.0.0.1", host);
    let path = TestPlatform::course_path(
        &format!("{}/lti/login", app.base),
        &format!("{}/lti/launch", app.base),
        storage,
    );
    format!("{origin}{path}")
}

#[tokio::test]
async fn moodle_style_launch_inside_an_iframe() {
    let app = spawn_app().await;
    app.set_up_default_activity().await;
    let Some(browser) = Browser::start(Cookies::Default).await else {
        return;
    };
    let course = course_url(&app, "127.0.0.1", None);
    browser.goto(&course).await;

    let (text, url) = browser.wait_in_iframe("Hello Ada Student1").await;
    // Post/redirect/get: the frame shows the page, at an address without any code or token.
    assert_eq!(
        url,
        format!("{}/app", app.base),
        "the learner page follows the launch"
    );
    assert!(text.contains("LTI Harness Course"), "{text}");
    assert_eq!(app.platform.auth_hits(), 1, "one OIDC authentication");
    browser.to_top().await.unwrap();
    let top = browser.script("return location.href;").await.unwrap();
    assert_eq!(top, course.as_str(), "the launch stayed inside the iframe");
    browser
        .screenshot(Path::new("/tmp/binome-launch.png"))
        .await;

    // Reloading the frame shows the page again (the used id_token is not posted again).
    browser.enter_iframe().await.unwrap();
    browser
        .script("window.beforeReload = 1; setTimeout(function () { location.reload(); }, 10); return 1;")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    browser.to_top().await.unwrap();
    let (text, url) = browser.wait_in_iframe("Hello Ada Student1").await;
    assert_eq!(url, format!("{}/app", app.base), "{text}");
    let fresh = browser
        .script("return window.beforeReload === undefined;")
        .await
        .unwrap();
    assert_eq!(fresh, json!(true), "the frame did reload");
    assert!(!text.contains("already been used"), "{text}");

    // The session travels in forms, not in URLs nor cookies: a link inside the iframe works.
    browser.enter_iframe().await.unwrap();
    let link = browser
        .find("css selector", "nav button.link")
        .await
        .unwrap();
    let id = link[ELEMENT].as_str().unwrap().to_string();
    browser
        .post(&format!("/element/{id}/click"), json!({}))
        .await
        .unwrap();
    browser.to_top().await.unwrap();
    let (_, url) = browser.wait_in_iframe("CC BY 4.0").await;
    assert_eq!(url, format!("{}/app/about", app.base));
}

/// A launch from a course page on `localhost` framing the tool on 127.0.0.1 (two sites: the
/// tool's state cookie is a third-party cookie there) that offers platform storage; returns
/// the subjects of the postMessages the course page received, in order.
async fn launch_with_platform_storage(app: &TestApp, browser: &Browser) -> Vec<String> {
    browser
        .goto(&course_url(app, "localhost", Some("_parent")))
        .await;
    let (text, url) = browser.wait_in_iframe("Hello Ada Student1").await;
    assert_eq!(url, format!("{}/app", app.base));
    assert!(text.contains("LTI Harness Course"), "{text}");
    assert_eq!(app.platform.auth_hits(), 1, "one OIDC authentication");
    browser.to_top().await.unwrap();
    let log = browser.script("return window.ltiLog;").await.unwrap();
    let subjects: Vec<String> = log
        .as_array()
        .expect("the course page's message log")
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    // Every page tells the LMS its height; the storage conversation is the rest.
    assert!(
        subjects.iter().any(|s| s == "lti.frameResize"),
        "the page sends lti.frameResize: {subjects:?}"
    );
    subjects
        .into_iter()
        .filter(|s| s != "lti.frameResize")
        .collect()
}

#[tokio::test]
async fn third_party_cookies_blocked_with_platform_storage() {
    let app = spawn_app_with_auth_host("localhost").await;
    let course_origin = app.platform.issuer.replace("127.0.0.1", "localhost");
    let Some(browser) = Browser::start(Cookies::AllBlockedFor {
        site: &app.base,
        top: &course_origin,
    })
    .await
    else {
        return;
    };
    let subjects = launch_with_platform_storage(&app, &browser).await;
    // The login stored its secret in the platform; the launch came without the state cookie,
    // so the tool answered with its check page (data-mode="get"), which read the secret back
    // from the platform and posted the launch again with it.
    assert_eq!(
        subjects,
        [
            "lti.capabilities",
            "lti.put_data",
            "lti.capabilities",
            "lti.get_data"
        ],
        "platform storage written at login and read at launch"
    );
}

#[tokio::test]
async fn partitioned_state_cookie_survives_blocked_third_party_cookies() {
    // Chromium's "Block third-party cookies" leaves partitioned (CHIPS) cookies alone: the
    // state cookie comes back and the launch opens without reading platform storage.
    let app = spawn_app_with_auth_host("localhost").await;
    let Some(browser) = Browser::start(Cookies::ThirdPartyBlocked).await else {
        return;
    };
    let subjects = launch_with_platform_storage(&app, &browser).await;
    assert_eq!(
        subjects,
        ["lti.capabilities", "lti.put_data"],
        "secret stored at login, never needed at launch: the cookie came back"
    );
}
