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
        });
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/jwks", web::get().to(jwks))
                .route("/auth", web::get().to(auth))
                .route("/auth", web::post().to(auth))
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
