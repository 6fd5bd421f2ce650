//! `spawn_app()`: the real application on port 0 with a fresh database (SQLite, or PostgreSQL
//! when DATABASE_URL points at one) and a registered test platform.

use std::collections::HashMap;
use std::net::TcpListener;

use binome::config::Settings;
use binome::lti::Registration;
use binome::startup::Application;
use binome::store::{NewPlatform, Store};
use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;

use crate::platform::{CLIENT_ID, DEPLOYMENT_ID, TestPlatform};

/// The LTI roles claim.
pub const ROLES_CLAIM: &str = "https://purl.imsglobal.org/spec/lti/claim/roles";
/// The LIS Instructor role.
pub const INSTRUCTOR: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor";

pub struct TestApp {
    pub base: String,
    /// The path a reverse proxy publishes the tool under (and strips before the tool).
    pub public_path: String,
    pub http: reqwest::Client,
    pub platform: TestPlatform,
    pub store: Store,
    pub reg: Registration,
    /// The settings the instance was built from, as environment variables (a second
    /// instance is built from the same, on its own port).
    pub env: Vec<(String, String)>,
    /// Set up activities before their first launch (as a course designer would have), so
    /// tests about something else meet configured activities; tests of the set-up itself
    /// turn it off.
    pub auto_setup: bool,
    pub configured: std::sync::Mutex<std::collections::HashSet<(String, String)>>,
}

/// Another instance of the same tool: same database, same registered platform, same public
/// URL (as behind a load balancer), its own port.
pub struct Instance {
    /// Where this instance listens.
    pub base: String,
}

/// What a login left for the launch: state, nonce and the state cookie.
#[derive(Debug, Clone)]
pub struct Login {
    pub state: String,
    pub nonce: String,
    pub cookie: Option<String>,
}

#[derive(Default)]
pub struct Options {
    pub accept_new_deployments: bool,
    pub jwks_min_refetch_secs: Option<u64>,
    /// A path under which a reverse proxy publishes the tool (it strips it before the tool).
    pub public_path: Option<&'static str>,
    /// More settings, as environment variables (`BINOME_*`).
    pub env: Vec<(&'static str, String)>,
    /// Leave activities unconfigured until a test configures them (see `TestApp::auto_setup`).
    pub unconfigured: bool,
}

pub async fn spawn_app() -> TestApp {
    spawn_with(Options::default()).await
}

/// A fresh database URL: a new SQLite file, or a new PostgreSQL database next to DATABASE_URL.
pub async fn fresh_database() -> String {
    let n = binome::lti::login::random_token()[..10]
        .to_ascii_lowercase()
        .replace(['-', '_'], "x");
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            let admin = Database::connect(&url)
                .await
                .expect("PostgreSQL from DATABASE_URL");
            let name = format!("binome_t_{n}");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            admin.close().await.ok();
            let mut u = url::Url::parse(&url).unwrap();
            u.set_path(&format!("/{name}"));
            u.to_string()
        }
        _ => {
            let dir = std::env::temp_dir().join(format!("binome-test-{n}"));
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}?mode=rwc", dir.join("binome.db").display())
        }
    }
}

pub async fn spawn_with(opts: Options) -> TestApp {
    let platform = TestPlatform::start().await;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let db_url = fresh_database().await;
    let mut env = vec![
        (
            "BINOME_BASE_URL".to_string(),
            format!("{base}{}", opts.public_path.unwrap_or("")),
        ),
        ("BINOME_BIND".to_string(), format!("127.0.0.1:{port}")),
        ("DATABASE_URL".to_string(), db_url.clone()),
        ("BINOME_WORKERS".to_string(), "2".to_string()),
    ];
    if let Some(s) = opts.jwks_min_refetch_secs {
        env.push(("BINOME_JWKS_MIN_REFETCH_SECS".to_string(), s.to_string()));
    }
    // Settings read the first occurrence of a name: the test's own come first and win.
    let env: Vec<(String, String)> = opts
        .env
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .chain(env)
        .collect();
    let settings = Settings::from_sources(&env, Some("")).unwrap();
    let store = Store::connect(&db_url, 5).await.unwrap();
    let reg = store
        .add_platform(
            NewPlatform {
                issuer: platform.issuer.as_str().into(),
                client_id: CLIENT_ID.into(),
                auth_url: platform.auth_url(),
                token_url: platform.token_url(),
                jwks_url: platform.jwks_url(),
                accept_new_deployments: opts.accept_new_deployments,
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
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        base,
        public_path: opts.public_path.unwrap_or("").to_string(),
        http,
        platform,
        store,
        reg,
        env,
        auto_setup: !opts.unconfigured,
        configured: Default::default(),
    }
}

use crate::platform;

impl TestApp {
    /// Starts another instance on this one's database (PostgreSQL makes them one tool: the
    /// session secret, the keys and the registrations are in the database, and each
    /// instance's listener relays the others' live-session events).
    pub async fn spawn_instance(&self) -> Instance {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // Settings read the first occurrence of a name: the new bind address wins.
        let env: Vec<(String, String)> =
            std::iter::once(("BINOME_BIND".to_string(), format!("127.0.0.1:{port}")))
                .chain(self.env.iter().cloned())
                .collect();
        let settings = Settings::from_sources(&env, Some("")).unwrap();
        let store = Store::connect(&settings.database_url, 5).await.unwrap();
        let app = Application::build_on(settings, store, listener)
            .await
            .unwrap();
        tokio::spawn(app.run_until_stopped());
        Instance {
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// The login parameters Moodle sends.
    pub fn login_params(&self) -> Vec<(String, String)> {
        vec![
            ("iss".into(), self.platform.issuer.clone()),
            ("login_hint".into(), "4".into()),
            (
                "target_link_uri".into(),
                format!("{}/lti/launch", self.base),
            ),
            (
                "lti_message_hint".into(),
                r#"{"cmid":1,"launchid":"ltilaunch1_1"}"#.into(),
            ),
            ("client_id".into(), CLIENT_ID.into()),
            ("lti_deployment_id".into(), DEPLOYMENT_ID.into()),
        ]
    }

    pub async fn post_login(&self, params: &[(String, String)]) -> reqwest::Response {
        self.http
            .post(format!("{}/lti/login", self.base))
            .form(params)
            .send()
            .await
            .unwrap()
    }

    /// A successful login (form POST, as Moodle does it).
    pub async fn login(&self) -> Login {
        let resp = self.post_login(&self.login_params()).await;
        assert_eq!(resp.status().as_u16(), 302, "login should redirect");
        let cookie = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("binome_st_"))
            .map(|c| c.split(';').next().unwrap().to_string());
        let location = resp.headers()["location"].to_str().unwrap().to_string();
        let redirect = url::Url::parse(&location).unwrap();
        let q: HashMap<_, _> = redirect.query_pairs().into_owned().collect();
        Login {
            state: q["state"].clone(),
            nonce: q["nonce"].clone(),
            cookie,
        }
    }

    /// Posts an id_token and state to the launch URL, with the login's cookie if given, as the
    /// platform's auto-submitted form does: with the platform's `Origin`.
    pub async fn post_launch(
        &self,
        id_token: &str,
        state: &str,
        cookie: Option<&str>,
    ) -> reqwest::Response {
        let origin = self.platform.issuer.clone();
        self.post_launch_from(id_token, state, cookie, &[("Origin", &origin)])
            .await
    }

    /// Same as [`post_launch`](Self::post_launch) with exactly these extra headers (say
    /// `Origin`, `Referer` or neither).
    pub async fn post_launch_from(
        &self,
        id_token: &str,
        state: &str,
        cookie: Option<&str>,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self
            .http
            .post(format!("{}/lti/launch", self.base))
            .form(&[("id_token", id_token), ("state", state)]);
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.unwrap()
    }

    /// Login, then launch with claims adjusted by `edit`; returns status and body.
    pub async fn launch_with(&self, edit: impl FnOnce(&mut Value)) -> (u16, String) {
        let login = self.login().await;
        let mut claims = self.platform.claims(&login.nonce);
        edit(&mut claims);
        if self.auto_setup {
            self.set_up_activity_of(&claims).await;
        }
        let token = self.platform.sign(&claims);
        let resp = self
            .post_launch(&token, &login.state, login.cookie.as_deref())
            .await;
        let resp = self.follow(resp).await;
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    /// The first course of the test database (the test platform's default context).
    pub async fn first_course(&self) -> binome::store::CourseId {
        let db = self.store.connection();
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT id FROM courses ORDER BY id LIMIT 1",
            ))
            .await
            .unwrap()
            .unwrap();
        binome::store::CourseId::new(row.try_get_by_index::<i32>(0).unwrap())
    }

    /// Sets up the platform's default activity, which its own launches (browser tests) open.
    pub async fn set_up_default_activity(&self) {
        self.set_up_activity_of(&self.platform.claims("")).await;
    }

    /// Gives the activity of resource-link launch claims a configuration (the method's
    /// defaults) straight in the database, once, before its first launch.
    pub async fn set_up_activity_of(&self, claims: &Value) {
        let lti = |k: &str| &claims[format!("https://purl.imsglobal.org/spec/lti/claim/{k}")];
        if lti("message_type").as_str() != Some("LtiResourceLinkRequest") {
            return;
        }
        let Some(rl) = lti("resource_link")["id"].as_str() else {
            return;
        };
        // A link made from a deep-linked item brings its own configuration.
        if lti("custom").get("binome_activity").is_some() {
            return;
        }
        let fallback = format!("link:{rl}");
        let ctx = lti("context")["id"].as_str().unwrap_or(&fallback);
        let deployment = lti("deployment_id").as_str().unwrap_or_default();
        if !self
            .configured
            .lock()
            .unwrap()
            .insert((ctx.to_string(), rl.to_string()))
        {
            return;
        }
        let course = self
            .store
            .upsert_course(&binome::store::LaunchRecord {
                registration: self.reg.id,
                deployment_id: deployment,
                context_id: ctx,
                context_label: None,
                context_title: None,
                memberships_url: None,
                resource_link: Some((rl, lti("resource_link")["title"].as_str())),
                ags: None,
                user_id: None,
                name: None,
                given_name: None,
                family_name: None,
                email: None,
                picture: None,
                roles: &[],
                now: platform::now(),
            })
            .await
            .unwrap();
        let tx = self.store.begin(course).await.unwrap();
        let config = binome::store::ActivityConfig {
            title: "Peer coaching".into(),
            ..Default::default()
        };
        assert!(
            tx.set_activity_config(rl, &config, "test-designer", platform::now())
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
    }

    /// A launch by the instructor `3` ("Tina Teacher") with the test platform's services, in
    /// the default activity or in `resource_link` (titled "Module <id>"); returns the session
    /// token and the page.
    pub async fn staff_launch(&self, resource_link: Option<&str>) -> (String, String) {
        self.platform
            .set_tool_jwks(&format!("{}/.well-known/jwks.json", self.base));
        let p = self.platform.clone();
        let rl = resource_link.map(str::to_string);
        let (status, body) = self
            .launch_with(move |c| {
                c["sub"] = "3".into();
                c["name"] = "Tina Teacher".into();
                c[ROLES_CLAIM] = serde_json::json!([INSTRUCTOR]);
                if let Some(rl) = rl {
                    c["https://purl.imsglobal.org/spec/lti/claim/resource_link"] =
                        serde_json::json!({"id": rl, "title": format!("Module {rl}")});
                }
                p.use_test_services(c);
            })
            .await;
        assert_eq!(status, 200, "{body}");
        (session_token(&body), body)
    }

    /// A launch by the learner `sub` with the test platform's services; returns the session
    /// token and the page.
    pub async fn learner_launch(&self, sub: &str) -> (String, String) {
        self.learner_launch_in(sub, None).await
    }

    /// Same, in the activity `resource_link` (titled "Module <id>") when given.
    pub async fn learner_launch_in(
        &self,
        sub: &str,
        resource_link: Option<&str>,
    ) -> (String, String) {
        let p = self.platform.clone();
        let sub = sub.to_string();
        let rl = resource_link.map(str::to_string);
        let (status, body) = self
            .launch_with(move |c| {
                c["sub"] = sub.into();
                if let Some(rl) = rl {
                    c["https://purl.imsglobal.org/spec/lti/claim/resource_link"] =
                        serde_json::json!({"id": rl, "title": format!("Module {rl}")});
                }
                p.use_test_services(c);
            })
            .await;
        assert_eq!(status, 200, "{body}");
        (session_token(&body), body)
    }

    /// GET a page of the tool with the session token as a script sends it.
    pub async fn get_with(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// GET a page that must answer 200; returns its HTML.
    pub async fn page(&self, path: &str, token: &str) -> String {
        let r = self.get_with(path, token).await;
        assert_eq!(r.status().as_u16(), 200, "{path}");
        r.text().await.unwrap()
    }

    /// POST a staff action with no fields that must answer with its redirect (303).
    pub async fn post_ok(&self, path: &str, token: &str) {
        let r = self.post_form(path, token, &[]).await;
        assert_eq!(r.status().as_u16(), 303, "{path}");
    }

    /// POST a form with the session token in its `t` field, as the page's forms do.
    pub async fn post_form(
        &self,
        path: &str,
        token: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut fields: Vec<(&str, &str)> = vec![("t", token)];
        fields.extend_from_slice(form);
        self.http
            .post(format!("{}{path}", self.base))
            .form(&fields)
            .send()
            .await
            .unwrap()
    }

    /// Brings the test platform's roster in, proposes pairs and publishes them; returns the
    /// staff token and the published groups (a trio among the nine learners).
    pub async fn publish_pairs(&self) -> (String, Vec<Vec<String>>) {
        self.publish_pairs_in(None).await
    }

    /// Same, in the activity `resource_link` when given.
    pub async fn publish_pairs_in(
        &self,
        resource_link: Option<&str>,
    ) -> (String, Vec<Vec<String>>) {
        let (t, _) = self.staff_launch(resource_link).await;
        for path in ["/app/roster/refresh", "/app/pairs/propose"] {
            assert_eq!(
                self.post_form(path, &t, &[]).await.status().as_u16(),
                303,
                "{path}"
            );
        }
        let groups = draft_groups(&self.page("/app", &t).await);
        let r = self.post_form("/app/pairs/publish", &t, &[]).await;
        assert_eq!(r.status().as_u16(), 303);
        (t, groups)
    }

    /// Follows a redirect to a page of the tool (the launch's post/redirect/get).
    pub async fn follow(&self, resp: reqwest::Response) -> reqwest::Response {
        if resp.status().as_u16() != 303 {
            return resp;
        }
        let location = resp.headers()["location"].to_str().unwrap().to_string();
        assert!(
            location.starts_with(&format!("{}/", self.public_path)),
            "redirects stay on the tool: {location}"
        );
        // The proxy strips its path before the tool sees the request.
        let path = &location[self.public_path.len()..];
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }
}

/// The groups of the draft (or published set) a staff page shows, by member id.
pub fn draft_groups(html: &str) -> Vec<Vec<String>> {
    html.split("<li class=\"group\" data-members=\"")
        .skip(1)
        .map(|s| {
            s.chars()
                .take_while(|c| *c != '"')
                .collect::<String>()
                .split(',')
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// The session token a page carries (for its script and its forms, never in a URL).
pub fn session_token(body: &str) -> String {
    let mark = "name=\"binome-session\" content=\"";
    let at = body.find(mark).expect("a session token in the page");
    body[at + mark.len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
        .collect()
}

/// The reason code of a refusal page.
pub fn reason(body: &str) -> String {
    let at = body.find("data-reason=\"").expect("a refusal page");
    body[at + 13..].chars().take_while(|c| *c != '"').collect()
}
