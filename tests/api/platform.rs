//! A test LMS platform standing in for Moodle or Canvas: its own RSA keys, a JWKS endpoint
//! on a random port (with a fetch counter and key rotation), an OIDC auth endpoint that
//! answers with an auto-posted id_token, and a course page that frames the tool.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use binome::lti::keys::{ToolKey, generate_private_pem, jwk_set};
use serde_json::{Value, json};

pub const CLIENT_ID: &str = "binome-test-client";
pub const DEPLOYMENT_ID: &str = "dep-1";

pub struct PlatformState {
    pub keys: Mutex<Vec<ToolKey>>,
    pub jwks_hits: AtomicUsize,
    pub cache_control: Mutex<Option<String>>,
    /// Claims merged into every id_token the auth endpoint issues.
    pub extra_claims: Mutex<Value>,
    pub issuer: String,
    /// Requests to the OIDC auth endpoint.
    pub auth_hits: AtomicUsize,
}

#[derive(Clone)]
pub struct TestPlatform {
    pub issuer: String,
    pub state: Arc<PlatformState>,
}

/// One RSA key made once per test binary: generating keys is slow in debug builds.
pub fn spare_pem(i: usize) -> String {
    static PEMS: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut pems = PEMS.lock().unwrap();
    while pems.len() <= i {
        pems.push(generate_private_pem().unwrap());
    }
    pems[i].clone()
}

impl TestPlatform {
    pub async fn start() -> TestPlatform {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let issuer = format!("http://127.0.0.1:{port}");
        let key = ToolKey::from_pem("platform-key-1", &spare_pem(0)).unwrap();
        let state = Arc::new(PlatformState {
            keys: Mutex::new(vec![key]),
            jwks_hits: AtomicUsize::new(0),
            cache_control: Mutex::new(Some("max-age=3600".into())),
            extra_claims: Mutex::new(json!({})),
            issuer: issuer.clone(),
            auth_hits: AtomicUsize::new(0),
        });
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/jwks", web::get().to(jwks))
                .route("/auth", web::get().to(auth))
                .route("/auth", web::post().to(auth))
                .route("/course", web::get().to(course))
                .route("/mod/lti/launch.php", web::get().to(launch_form))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        TestPlatform { issuer, state }
    }

    pub fn auth_url(&self) -> String {
        format!("{}/auth", self.issuer)
    }
    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.issuer)
    }
    pub fn token_url(&self) -> String {
        format!("{}/token", self.issuer)
    }

    /// The key that signs id_tokens now.
    pub fn key(&self) -> ToolKey {
        self.state.keys.lock().unwrap().last().unwrap().clone()
    }

    /// Adds a new signing key (published with the old one).
    pub fn rotate_key(&self, kid: &str) {
        let k = ToolKey::from_pem(kid, &spare_pem(1)).unwrap();
        self.state.keys.lock().unwrap().push(k);
    }

    pub fn jwks_hits(&self) -> usize {
        self.state.jwks_hits.load(Ordering::SeqCst)
    }

    pub fn auth_hits(&self) -> usize {
        self.state.auth_hits.load(Ordering::SeqCst)
    }

    /// The path and query of a course page that frames the tool whose login initiation URL is
    /// `login`, with `target_link_uri` `target`. `storage`: the `lti_storage_target` to offer
    /// (the page then answers the LTI platform-storage postMessages), or None (Moodle).
    pub fn course_path(login: &str, target: &str, storage: Option<&str>) -> String {
        let mut q = vec![("login", login), ("target", target)];
        if let Some(s) = storage {
            q.push(("storage", s));
        }
        format!("/course?{}", serde_urlencoded::to_string(q).unwrap())
    }

    /// A valid learner resource-link launch, shaped like Moodle 4.5's.
    pub fn claims(&self, nonce: &str) -> Value {
        let now = now();
        let mut c: Value = serde_json::from_str(include_str!(
            "../fixtures/moodle-4.5/id_token_LtiResourceLinkRequest.claims.json"
        ))
        .unwrap();
        c["iss"] = self.issuer.clone().into();
        c["aud"] = CLIENT_ID.into();
        c["nonce"] = nonce.into();
        c["iat"] = now.into();
        c["exp"] = (now + 60).into();
        c["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] = DEPLOYMENT_ID.into();
        c["https://purl.imsglobal.org/spec/lti/claim/launch_presentation"]["return_url"] =
            format!("{}/mod/lti/return.php?course=2", self.issuer).into();
        c
    }

    pub fn sign(&self, claims: &Value) -> String {
        self.key().sign(claims).unwrap()
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn jwks(state: web::Data<Arc<PlatformState>>) -> HttpResponse {
    state.jwks_hits.fetch_add(1, Ordering::SeqCst);
    let keys = state.keys.lock().unwrap().clone();
    let mut r = HttpResponse::Ok();
    if let Some(cc) = state.cache_control.lock().unwrap().clone() {
        r.insert_header(("Cache-Control", cc));
    }
    r.json(jwk_set(keys.iter()))
}

/// OIDC authorization endpoint: checks the request like Moodle's auth.php and answers with a
/// form that posts the id_token to the redirect URI.
async fn auth(
    state: web::Data<Arc<PlatformState>>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    state.auth_hits.fetch_add(1, Ordering::SeqCst);
    let mut params: std::collections::HashMap<String, String> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    if let Ok(more) =
        serde_urlencoded::from_bytes::<std::collections::HashMap<String, String>>(&body)
    {
        params.extend(more);
    }
    for (k, v) in [
        ("scope", "openid"),
        ("response_type", "id_token"),
        ("response_mode", "form_post"),
        ("prompt", "none"),
        ("client_id", CLIENT_ID),
    ] {
        if params.get(k).map(String::as_str) != Some(v) {
            return HttpResponse::BadRequest().body(format!("bad {k}"));
        }
    }
    let (Some(redirect), Some(nonce), Some(st), Some(hint)) = (
        params.get("redirect_uri"),
        params.get("nonce"),
        params.get("state"),
        params.get("login_hint"),
    ) else {
        return HttpResponse::BadRequest().body("missing parameter");
    };
    let platform = TestPlatform {
        issuer: state.issuer.clone(),
        state: state.get_ref().clone(),
    };
    let mut claims = platform.claims(nonce);
    claims["sub"] = hint.clone().into();
    if let (Some(extra), Some(obj)) = (
        state.extra_claims.lock().unwrap().as_object().cloned(),
        claims.as_object_mut(),
    ) {
        for (k, v) in extra {
            obj.insert(k, v);
        }
    }
    let token = platform.sign(&claims);
    let html = format!(
        r#"<!doctype html><html><body><form id="f" method="post" action="{}"><input type="hidden" name="id_token" value="{}"><input type="hidden" name="state" value="{}"></form><script>document.getElementById("f").submit();</script></body></html>"#,
        html_escape(redirect),
        token,
        html_escape(st)
    );
    HttpResponse::Ok().content_type("text/html").body(html)
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

/// Query of the course page and of the launch form it frames.
#[derive(serde::Deserialize)]
struct CourseQuery {
    login: String,
    target: String,
    storage: Option<String>,
}

/// A course page like Moodle's `mod/lti/view.php`: the tool in an iframe whose first document
/// is the platform's launch form. With `storage`, the page is also the platform's storage frame
/// (1EdTech "LTI client side postMessages": `lti.capabilities`, `lti.put_data`,
/// `lti.get_data`), keeping values per tool origin in memory and logging every subject it
/// receives in `window.ltiLog` so that tests can read which messages came.
async fn course(req: HttpRequest, q: web::Query<CourseQuery>) -> HttpResponse {
    let storage_script = if q.storage.is_some() {
        r#"<script>
window.ltiLog = [];
(function () {
  var store = {};
  window.addEventListener("message", function (event) {
    var d = event.data;
    if (typeof d === "string") { try { d = JSON.parse(d); } catch (e) { return; } }
    if (!d || typeof d.subject !== "string") { return; }
    window.ltiLog.push(d.subject);
    var reply = { message_id: d.message_id };
    if (d.subject === "lti.capabilities") {
      reply.subject = "lti.capabilities.response";
      reply.supported_messages = [{ subject: "lti.put_data" }, { subject: "lti.get_data" }];
    } else if (d.subject === "lti.put_data") {
      store[event.origin + " " + d.key] = d.value;
      reply.subject = "lti.put_data.response";
      reply.key = d.key;
      reply.value = d.value;
    } else if (d.subject === "lti.get_data") {
      reply.subject = "lti.get_data.response";
      reply.key = d.key;
      reply.value = store[event.origin + " " + d.key];
    } else {
      return;
    }
    event.source.postMessage(reply, event.origin);
  });
})();
</script>"#
    } else {
        ""
    };
    let html = format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>LTI Harness Course</title>{storage_script}</head><body style="margin:0;font-family:sans-serif"><div style="background:#f98012;color:#fff;padding:8px 16px"><b>Test LMS</b> · LTI Harness Course · Harness LTI Activity</div><iframe id="contentframe" name="contentframe" title="Binôme" src="/mod/lti/launch.php?{}" style="width:100%;height:640px;border:0" allow="clipboard-write"></iframe></body></html>"#,
        html_escape(req.query_string())
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html)
}

/// Moodle's `mod/lti/launch.php`: an auto-submitted form POST of the OIDC login initiation to
/// the tool.
async fn launch_form(
    state: web::Data<Arc<PlatformState>>,
    q: web::Query<CourseQuery>,
) -> HttpResponse {
    let mut fields = vec![
        ("iss", state.issuer.as_str()),
        ("login_hint", "4"),
        ("target_link_uri", q.target.as_str()),
        (
            "lti_message_hint",
            r#"{"cmid":1,"launchid":"ltilaunch1_1"}"#,
        ),
        ("client_id", CLIENT_ID),
        ("lti_deployment_id", DEPLOYMENT_ID),
    ];
    if let Some(s) = &q.storage {
        fields.push(("lti_storage_target", s.as_str()));
    }
    let inputs: String = fields
        .iter()
        .map(|(k, v)| {
            format!(
                r#"<input type="hidden" name="{k}" value="{}">"#,
                html_escape(v)
            )
        })
        .collect();
    let html = format!(
        r#"<!doctype html><html><body><form id="ltiInitiateLoginForm" method="post" action="{}">{inputs}</form><script>document.getElementById("ltiInitiateLoginForm").submit();</script></body></html>"#,
        html_escape(&q.login)
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html)
}
