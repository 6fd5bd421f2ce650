//! A test LMS platform standing in for Moodle or Canvas: its own RSA keys, a JWKS endpoint
//! on a random port (with a fetch counter and key rotation), an OIDC auth endpoint that
//! answers with an auto-posted id_token, a course page that frames the tool, an OAuth2 token
//! endpoint for LTI services (client credentials with a private_key_jwt assertion), a Names
//! and Role Provisioning Services 2.0 membership endpoint and Assignment and Grade Services
//! endpoints (scores, line items to list, create, read and update, results), with knobs to
//! make them misbehave; a deep-linking return URL that verifies responses; and LTI Dynamic
//! Registration endpoints shaped like Moodle 4.5's and Canvas's (a configuration document
//! and a registration endpoint each, both requiring the registration token), with knobs to
//! refuse, to name a wrong issuer, or to leave out the client id.

use std::collections::{HashMap, HashSet};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use binome::lti::keys::{ToolKey, generate_private_pem, jwk_set};
use serde_json::{Value, json};

pub const CLIENT_ID: &str = "binome-test-client";
pub const DEPLOYMENT_ID: &str = "dep-1";
/// The registration token the Dynamic Registration endpoints expect.
pub const DR_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.reg-token.sig";
/// Which LMS a Dynamic Registration document is shaped like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrShape {
    Moodle,
    Canvas,
}

/// The NRPS scope.
pub const NRPS_SCOPE: &str =
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
/// The four AGS scopes.
pub const AGS_SCOPES: [&str; 4] = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
];
/// The media type of an NRPS membership container.
pub const NRPS_MEDIA_TYPE: &str = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";
/// RFC 7523 client assertion type.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The NRPS claim of an id_token.
pub const NRPS_CLAIM: &str = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice";
/// The AGS endpoint claim of an id_token.
pub const AGS_CLAIM: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
/// The AGS score scope.
pub const SCORE_SCOPE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
/// The AGS results scope.
pub const RESULT_SCOPE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly";
/// The media type of an AGS result container.
pub const RESULTS_MEDIA_TYPE: &str = "application/vnd.ims.lis.v2.resultcontainer+json";
/// Context roles given by a short name are this prefix plus the name.
const CONTEXT_ROLE_PREFIX: &str = "http://purl.imsglobal.org/vocab/lis/v2/membership#";

/// How an NRPS page can be made to fail (`PlatformState::nrps_fail_page`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 500 for that page.
    ServerError,
    /// 200 with the membership container's JSON cut in half.
    InvalidJson,
    /// Answers normally, but only after 30 s.
    Timeout,
}

/// An access token issued by `/token`.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub scopes: Vec<String>,
    /// Unix seconds.
    pub expires_at: i64,
}

pub struct PlatformState {
    pub keys: Mutex<Vec<ToolKey>>,
    pub jwks_hits: AtomicUsize,
    pub cache_control: Mutex<Option<String>>,
    /// Claims merged into every id_token the auth endpoint issues.
    pub extra_claims: Mutex<Value>,
    pub issuer: String,
    /// Requests to the OIDC auth endpoint.
    pub auth_hits: AtomicUsize,

    /// The tool's JWKS URL, fetched by `/token` on every request to verify client assertions.
    pub tool_jwks_url: Mutex<Option<String>>,
    /// Requests to `/token`, good or bad.
    pub token_hits: AtomicUsize,
    /// Payload of the last client assertion received (decoded before any check).
    pub last_assertion: Mutex<Option<Value>>,
    /// `/token` errors come with a body that is not valid JSON (as Moodle's can).
    pub token_error_body_invalid_json: AtomicBool,
    /// `expires_in` of issued tokens (default 3600).
    pub token_expires_in: AtomicU64,
    /// `jti`s of accepted client assertions.
    pub seen_jtis: Mutex<HashSet<String>>,
    /// Access tokens issued by `/token`.
    pub tokens: Mutex<HashMap<String, IssuedToken>>,

    /// The course roster served by `/nrps/{context_id}`.
    pub members: Mutex<Vec<Value>>,
    /// Page size when the request has no `limit` (default 4).
    pub nrps_page_size: AtomicUsize,
    /// Makes one page (1-based) fail, on every request for it, until cleared.
    pub nrps_fail_page: Mutex<Option<(usize, Failure)>>,
    /// The next NRPS request gets 401 whatever its token.
    pub nrps_force_401_once: AtomicBool,
    /// Requests to `/nrps/{context_id}` and `/nrps/{context_id}/differences`.
    pub nrps_hits: AtomicUsize,
    /// Replaces the `Link` header of a page (1-based), to make links misbehave.
    pub nrps_links: Mutex<HashMap<usize, String>>,
    /// Every NRPS page answers after this many milliseconds.
    pub nrps_delay_ms: AtomicU64,

    /// Scores accepted by `POST …/lineitem/scores`: (line item path, the score).
    pub ags_scores: Mutex<Vec<(String, Value)>>,
    /// Every request to the scores endpoint, accepted or not.
    pub ags_score_hits: AtomicUsize,
    /// Answers the next score requests get instead of being handled, first first.
    pub ags_inject: Mutex<std::collections::VecDeque<AgsFailure>>,
    /// Line items created through `POST …/lineitems`, as the container lists them.
    pub ags_lineitems: Mutex<Vec<Value>>,
    /// Content items of the deep-linking responses accepted at the return URL.
    pub deep_links: Mutex<Vec<Value>>,
    /// Dynamic Registration: the registration token both endpoints require as Bearer.
    pub dr_token: Mutex<String>,
    /// What the registration endpoints received, in order.
    pub dr_requests: Mutex<Vec<Value>>,
    /// When set, registrations are refused with this status and message.
    pub dr_refuse: Mutex<Option<(u16, String)>>,
    /// The configuration documents name another issuer.
    pub dr_wrong_issuer: AtomicBool,
    /// The registration answer leaves out the client id.
    pub dr_no_client_id: AtomicBool,
    /// Client ids handed out so far.
    pub dr_clients: AtomicUsize,
    /// Requests the configuration endpoints received.
    pub dr_configuration_hits: AtomicUsize,
    /// When set, registrations are answered with this client id (one the tool may know).
    pub dr_client_id: Mutex<Option<String>>,
    /// Line items as `GET`/`PUT …/lineitem` hold them, by path (the launch's line item is
    /// made on first sight with one point).
    pub ags_lineitem_store: Mutex<HashMap<String, Value>>,
    /// Accepted `PUT …/lineitem` requests: (path, body).
    pub ags_lineitem_puts: Mutex<Vec<(String, Value)>>,
    /// Most results per page, whatever the request's `limit` (default 50).
    pub ags_results_page_size: AtomicUsize,
    /// Makes every results request fail with this status and body, until cleared.
    pub ags_results_fail: Mutex<Option<(u16, String)>>,
    /// Requests to the results endpoint.
    pub ags_results_hits: AtomicUsize,
    /// Every score request waits this many milliseconds first (a slow gradebook).
    pub ags_score_delay_ms: AtomicU64,
    /// The access token of each accepted score (which worker posted it).
    pub ags_score_tokens: Mutex<Vec<String>>,
    /// Line items created from now on get their `id` on this base URL instead of the
    /// platform's own (a platform pointing the tool at another host).
    pub ags_lineitem_id_base: Mutex<Option<String>>,
    /// Makes every score request fail with this status and body, until cleared (the LMS is
    /// down); an injected failure (`ags_inject`) comes first.
    pub ags_scores_fail: Mutex<Option<(u16, String)>>,
    /// Answers the next requests to the line item container (`GET` or `POST …/lineitems`) get
    /// instead of being handled, first first.
    pub ags_lineitems_inject: Mutex<std::collections::VecDeque<AgsFailure>>,
    /// Requests to list the line item container (`GET …/lineitems`).
    pub ags_lineitems_gets: AtomicUsize,
    /// Requests to create a line item (`POST …/lineitems`), accepted or not.
    pub ags_lineitems_posts: AtomicUsize,
    /// The container's list answers this many milliseconds after it was read.
    pub ags_lineitems_delay_ms: AtomicU64,
    /// The query string of every results request, in order.
    pub ags_results_queries: Mutex<Vec<String>>,
}

/// How the next score request fails (`TestPlatform::inject_ags`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgsFailure {
    /// 500 with this body.
    Server(String),
    /// 429 with `Retry-After: <seconds>`.
    TooMany(u64),
    /// 401 whatever the token.
    Unauthorized,
    /// 409 as Moodle answers a second score in one second.
    Conflict,
    /// No answer for this many seconds, then 503 (the score is not recorded): a platform
    /// that hangs while the tool is killed.
    Hang(u64),
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
            tool_jwks_url: Mutex::new(None),
            token_hits: AtomicUsize::new(0),
            last_assertion: Mutex::new(None),
            token_error_body_invalid_json: AtomicBool::new(false),
            token_expires_in: AtomicU64::new(3600),
            seen_jtis: Mutex::new(HashSet::new()),
            tokens: Mutex::new(HashMap::new()),
            members: Mutex::new(TestPlatform::default_members()),
            nrps_page_size: AtomicUsize::new(4),
            nrps_fail_page: Mutex::new(None),
            nrps_force_401_once: AtomicBool::new(false),
            nrps_hits: AtomicUsize::new(0),
            nrps_links: Mutex::new(HashMap::new()),
            nrps_delay_ms: AtomicU64::new(0),
            ags_scores: Mutex::new(Vec::new()),
            ags_score_hits: AtomicUsize::new(0),
            ags_inject: Mutex::new(Default::default()),
            ags_lineitems: Mutex::new(Vec::new()),
            deep_links: Mutex::new(Vec::new()),
            dr_token: Mutex::new(DR_TOKEN.into()),
            dr_requests: Mutex::new(Vec::new()),
            dr_refuse: Mutex::new(None),
            dr_wrong_issuer: AtomicBool::new(false),
            dr_no_client_id: AtomicBool::new(false),
            dr_clients: AtomicUsize::new(0),
            dr_configuration_hits: AtomicUsize::new(0),
            dr_client_id: Mutex::new(None),
            ags_lineitem_store: Mutex::new(HashMap::new()),
            ags_lineitem_puts: Mutex::new(Vec::new()),
            ags_results_page_size: AtomicUsize::new(50),
            ags_results_fail: Mutex::new(None),
            ags_results_hits: AtomicUsize::new(0),
            ags_score_delay_ms: AtomicU64::new(0),
            ags_score_tokens: Mutex::new(Vec::new()),
            ags_lineitem_id_base: Mutex::new(None),
            ags_scores_fail: Mutex::new(None),
            ags_lineitems_inject: Mutex::new(Default::default()),
            ags_lineitems_gets: AtomicUsize::new(0),
            ags_lineitems_posts: AtomicUsize::new(0),
            ags_lineitems_delay_ms: AtomicU64::new(0),
            ags_results_queries: Mutex::new(Vec::new()),
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
                .route("/token", web::post().to(token))
                .route(
                    "/mod/lti/contentitem_return.php",
                    web::post().to(deep_link_return),
                )
                .route("/nrps/{context_id}", web::get().to(memberships))
                .route("/nrps/{context_id}/differences", web::get().to(differences))
                .route(
                    "/ags/{context_id}/lineitems/{rl}/lineitem/scores",
                    web::post().to(post_score),
                )
                .route(
                    "/ags/{context_id}/lineitems/{rl}/lineitem/results",
                    web::get().to(results),
                )
                .route(
                    "/ags/{context_id}/lineitems/{rl}/lineitem",
                    web::get().to(get_lineitem),
                )
                .route(
                    "/ags/{context_id}/lineitems/{rl}/lineitem",
                    web::put().to(put_lineitem),
                )
                .route("/ags/{context_id}/lineitems", web::get().to(list_lineitems))
                .route(
                    "/ags/{context_id}/lineitems",
                    web::post().to(create_lineitem),
                )
                .route(
                    "/mod/lti/openid-configuration.php",
                    web::get().to(dr_moodle_configuration),
                )
                .route(
                    "/mod/lti/openid-registration.php",
                    web::post().to(dr_moodle_register),
                )
                .route(
                    "/api/lti/security/openid-configuration",
                    web::get().to(dr_canvas_configuration),
                )
                .route("/api/lti/registrations", web::post().to(dr_canvas_register))
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

    /// The NRPS membership container URL of a context: `{issuer}/nrps/{ctx}`.
    pub fn memberships_url(&self, ctx: &str) -> String {
        format!("{}/nrps/{ctx}", self.issuer)
    }

    /// Points the NRPS claim (and Moodle's `custom.context_memberships_url`) of launch claims
    /// at this platform's membership endpoint for the claims' context.
    pub fn use_test_services(&self, claims: &mut Value) {
        let ctx = claims["https://purl.imsglobal.org/spec/lti/claim/context"]["id"]
            .as_str()
            .unwrap_or("2")
            .to_string();
        let url = self.memberships_url(&ctx);
        claims[NRPS_CLAIM] = json!({
            "context_memberships_url": url,
            "service_versions": ["2.0"],
        });
        claims["https://purl.imsglobal.org/spec/lti/claim/custom"]["context_memberships_url"] =
            url.into();
        let rl = claims["https://purl.imsglobal.org/spec/lti/claim/resource_link"]["id"]
            .as_str()
            .unwrap_or("1")
            .to_string();
        claims[AGS_CLAIM] = json!({
            "scope": AGS_SCOPES,
            "lineitems": self.lineitems_url(&ctx),
            "lineitem": self.lineitem_url(&ctx, &rl),
        });
    }

    /// The line item container of a context (Moodle-shaped, with a query string).
    pub fn lineitems_url(&self, ctx: &str) -> String {
        format!("{}/ags/{ctx}/lineitems?type_id=1", self.issuer)
    }

    /// The line item of an activity (Moodle-shaped, with a query string).
    pub fn lineitem_url(&self, ctx: &str, rl: &str) -> String {
        format!(
            "{}/ags/{ctx}/lineitems/{rl}/lineitem?type_id=1",
            self.issuer
        )
    }

    /// Makes the next score requests fail, in this order.
    pub fn inject_ags(&self, failures: impl IntoIterator<Item = AgsFailure>) {
        self.state.ags_inject.lock().unwrap().extend(failures);
    }

    /// The line item at `path` as the platform holds it now, if it was seen.
    pub fn lineitem(&self, path: &str) -> Option<Value> {
        self.state
            .ags_lineitem_store
            .lock()
            .unwrap()
            .get(path)
            .cloned()
    }

    /// The scores accepted so far: (line item path, score).
    pub fn scores(&self) -> Vec<(String, Value)> {
        self.state.ags_scores.lock().unwrap().clone()
    }

    pub fn score_hits(&self) -> usize {
        self.state.ags_score_hits.load(Ordering::SeqCst)
    }

    /// Where `/token` fetches the tool's public keys.
    /// The deep-linking return URL, as Moodle's.
    pub fn deep_link_return_url(&self) -> String {
        format!(
            "{}/mod/lti/contentitem_return.php?course=2&id=1",
            self.issuer
        )
    }

    /// The content items of every deep-linking response the platform accepted.
    pub fn deep_links(&self) -> Vec<Value> {
        self.state.deep_links.lock().unwrap().clone()
    }

    pub fn set_tool_jwks(&self, url: &str) {
        *self.state.tool_jwks_url.lock().unwrap() = Some(url.to_string());
    }

    pub fn token_hits(&self) -> usize {
        self.state.token_hits.load(Ordering::SeqCst)
    }

    pub fn nrps_hits(&self) -> usize {
        self.state.nrps_hits.load(Ordering::SeqCst)
    }

    /// Payload of the last client assertion `/token` received.
    pub fn last_assertion(&self) -> Option<Value> {
        self.state.last_assertion.lock().unwrap().clone()
    }

    /// Whether `/token` error bodies are deliberately invalid JSON.
    pub fn set_token_error_body_invalid_json(&self, on: bool) {
        self.state
            .token_error_body_invalid_json
            .store(on, Ordering::SeqCst);
    }

    /// `expires_in` of the tokens issued from now on.
    pub fn set_token_expires_in(&self, secs: u64) {
        self.state.token_expires_in.store(secs, Ordering::SeqCst);
    }

    /// Every token issued so far (access token → scopes and expiry).
    pub fn issued_tokens(&self) -> HashMap<String, IssuedToken> {
        self.state.tokens.lock().unwrap().clone()
    }

    /// Makes every token issued so far expired (the services then answer 401).
    pub fn expire_tokens(&self) {
        for t in self.state.tokens.lock().unwrap().values_mut() {
            t.expires_at = now() - 1;
        }
    }

    /// Issues an access token directly, without a client assertion (known scopes only).
    pub fn issue_token(&self, scopes: &[&str]) -> String {
        let scopes: Vec<String> = scopes
            .iter()
            .filter(|s| known_scope(s))
            .map(|s| s.to_string())
            .collect();
        record_token(&self.state, scopes).0
    }

    /// The roster served by default: the real Moodle 4.5 members (seven Active learners and
    /// the teacher, with short role names) plus user ids 101–105: an Inactive learner, a
    /// Deleted learner, a learner with the full-URI role, a teaching assistant (full URI
    /// sub-role) and a learner whose name and email are not shared.
    pub fn default_members() -> Vec<Value> {
        let fixture: Value = serde_json::from_str(include_str!(
            "../fixtures/moodle-4.5/services_nrps_ags_responses.json"
        ))
        .unwrap();
        let mut members = fixture["nrps"]["members"].as_array().unwrap().clone();
        members.extend([
            json!({"user_id": "101", "name": "Hugo Inactive", "email": "inactive@example.com",
                "roles": ["Learner"], "status": "Inactive"}),
            json!({"user_id": "102", "name": "Iris Deleted", "email": "deleted@example.com",
                "roles": ["Learner"], "status": "Deleted"}),
            json!({"user_id": "103", "name": "Jonas Fulluri", "email": "fulluri@example.com",
                "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
                "status": "Active"}),
            json!({"user_id": "104", "name": "Kim Assistant", "email": "ta@example.com",
                "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"],
                "status": "Active"}),
            json!({"user_id": "105", "roles": ["Learner"], "status": "Active"}),
        ]);
        members
    }

    /// Replaces the roster.
    pub fn set_members(&self, members: Vec<Value>) {
        *self.state.members.lock().unwrap() = members;
    }

    pub fn members(&self) -> Vec<Value> {
        self.state.members.lock().unwrap().clone()
    }

    /// Page size when the NRPS request has no `limit`.
    pub fn set_nrps_page_size(&self, size: usize) {
        self.state.nrps_page_size.store(size, Ordering::SeqCst);
    }

    /// Makes NRPS page `page` (1-based) fail with `failure` until cleared with None.
    pub fn set_nrps_fail_page(&self, fail: Option<(usize, Failure)>) {
        *self.state.nrps_fail_page.lock().unwrap() = fail;
    }

    /// The next NRPS request answers 401 even with a valid token.
    /// Serves `link` as the whole `Link` header of NRPS page `page` (1-based).
    pub fn set_nrps_link(&self, page: usize, link: &str) {
        self.state
            .nrps_links
            .lock()
            .unwrap()
            .insert(page, link.to_string());
    }

    /// Makes every NRPS page answer after `ms` milliseconds.
    pub fn set_nrps_delay_ms(&self, ms: u64) {
        self.state.nrps_delay_ms.store(ms, Ordering::SeqCst);
    }

    pub fn force_nrps_401_once(&self) {
        self.state.nrps_force_401_once.store(true, Ordering::SeqCst);
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
    if claims["sub"].as_str() != Some(hint.as_str()) {
        // Another user than the fixture's: the name and email the roster gives them.
        let member = state
            .members
            .lock()
            .unwrap()
            .iter()
            .find(|m| m["user_id"].as_str() == Some(hint.as_str()))
            .cloned();
        if let (Some(m), Some(obj)) = (member, claims.as_object_mut()) {
            for k in ["name", "given_name", "family_name", "email"] {
                obj.remove(k);
            }
            if let Some(name) = m["name"].as_str() {
                let (given, family) = name.split_once(' ').unwrap_or((name, ""));
                obj.insert("name".into(), name.into());
                obj.insert("given_name".into(), given.into());
                obj.insert("family_name".into(), family.into());
            }
            if let Some(email) = m["email"].as_str() {
                obj.insert("email".into(), email.into());
            }
        }
    }
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
    /// The `login_hint` the launch form sends, which becomes the id_token's `sub` (default
    /// `4`, Ada Student1): lets each browser of a test launch as a different member.
    user: Option<String>,
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
        ("login_hint", q.user.as_deref().unwrap_or("4")),
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

fn known_scope(s: &str) -> bool {
    s == NRPS_SCOPE || AGS_SCOPES.contains(&s)
}

/// Records a new access token; returns it with its lifetime.
fn record_token(state: &PlatformState, scopes: Vec<String>) -> (String, u64) {
    let token = binome::lti::login::random_token();
    let expires_in = state.token_expires_in.load(Ordering::SeqCst);
    state.tokens.lock().unwrap().insert(
        token.clone(),
        IssuedToken {
            scopes,
            expires_at: now() + expires_in as i64,
        },
    );
    (token, expires_in)
}

/// A refusal of the token endpoint: status, OAuth2 error code, description.
type TokenRefusal = (StatusCode, &'static str, String);

fn bad_request(code: &'static str, description: &str) -> TokenRefusal {
    (StatusCode::BAD_REQUEST, code, description.to_string())
}

fn bad_client(description: &str) -> TokenRefusal {
    (
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        description.to_string(),
    )
}

/// OAuth2 token endpoint for LTI services (LTI Security Framework §4.1, RFC 7523): client
/// credentials grant authenticated by a private_key_jwt client assertion. Stricter than
/// Moodle's token.php: also checks `aud` exactly and refuses a replayed `jti`.
async fn token(
    state: web::Data<Arc<PlatformState>>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    state.token_hits.fetch_add(1, Ordering::SeqCst);
    match grant(&state, &req, &body).await {
        Ok(granted) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(granted),
        Err((status, code, description)) => {
            if state.token_error_body_invalid_json.load(Ordering::SeqCst) {
                // What Moodle prints when PHP notices leak into its JSON error.
                HttpResponse::build(status)
                    .content_type("application/json")
                    .body(format!(
                        "<br />\n<b>Notice</b>:  Undefined index: {code} in \
                         <b>/var/www/moodle/mod/lti/token.php</b> on line <b>62</b><br />\n\
                         {{\"error\":\"{code}\",\"error_description\":\"{description}"
                    ))
            } else {
                HttpResponse::build(status)
                    .json(json!({"error": code, "error_description": description}))
            }
        }
    }
}

async fn grant(
    state: &PlatformState,
    req: &HttpRequest,
    body: &[u8],
) -> Result<Value, TokenRefusal> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(bad_request(
            "invalid_request",
            "Content-Type must be application/x-www-form-urlencoded",
        ));
    }
    let agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if agent.trim().is_empty() {
        return Err(bad_request("invalid_request", "User-Agent header required"));
    }
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(body)
        .map_err(|_| bad_request("invalid_request", "unreadable form"))?;
    let field = |k: &str| form.get(k).map(String::as_str).filter(|v| !v.is_empty());
    if field("grant_type") != Some("client_credentials") {
        return Err(bad_request(
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        ));
    }
    if field("client_assertion_type") != Some(JWT_BEARER) {
        return Err(bad_request(
            "invalid_request",
            "client_assertion_type must be jwt-bearer",
        ));
    }
    let Some(assertion) = field("client_assertion") else {
        return Err(bad_request("invalid_request", "client_assertion required"));
    };
    let Some(scope) = field("scope") else {
        return Err(bad_request("invalid_request", "scope required"));
    };
    if field("client_id").is_some_and(|c| c != CLIENT_ID) {
        return Err(bad_client("unknown client_id"));
    }

    // Keep what was received, before any check, for the tests to look at.
    let payload = assertion
        .split('.')
        .nth(1)
        .and_then(|p| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p.trim_end_matches('='))
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
    *state.last_assertion.lock().unwrap() = payload;

    let head = jsonwebtoken::decode_header(assertion)
        .map_err(|_| bad_client("client_assertion is not a JWT"))?;
    if head.alg != jsonwebtoken::Algorithm::RS256 {
        return Err(bad_client("client_assertion must be signed with RS256"));
    }
    let Some(kid) = head.kid else {
        return Err(bad_client("client_assertion has no kid"));
    };
    let key = tool_key(state, &kid).await.map_err(|e| bad_client(&e))?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation.leeway = 0;
    let claims = jsonwebtoken::decode::<Value>(assertion, &key, &validation)
        .map_err(|e| bad_client(&format!("client_assertion signature: {e}")))?
        .claims;

    let now = now() as f64;
    if claims["iss"].as_str() != Some(CLIENT_ID) {
        return Err(bad_client("iss must be the client id"));
    }
    if claims["sub"].as_str() != Some(CLIENT_ID) {
        return Err(bad_client("sub must be the client id"));
    }
    let token_url = format!("{}/token", state.issuer);
    let aud_ok = match &claims["aud"] {
        Value::String(a) => *a == token_url,
        Value::Array(list) => list.iter().any(|a| a.as_str() == Some(token_url.as_str())),
        _ => false,
    };
    if !aud_ok {
        return Err(bad_client("aud must be the token endpoint URL"));
    }
    let Some(exp) = claims["exp"].as_f64() else {
        return Err(bad_client("exp required"));
    };
    if exp <= now {
        return Err(bad_client("client_assertion expired"));
    }
    if exp > now + 600.0 {
        return Err(bad_client("exp more than 10 minutes ahead"));
    }
    let Some(iat) = claims["iat"].as_f64() else {
        return Err(bad_client("iat required"));
    };
    if iat > now + 60.0 {
        return Err(bad_client("iat in the future"));
    }
    if claims["nbf"].as_f64().is_some_and(|nbf| nbf > now + 60.0) {
        return Err(bad_client("nbf in the future"));
    }
    let Some(jti) = claims["jti"].as_str().filter(|j| !j.is_empty()) else {
        return Err(bad_client("jti required"));
    };
    if !state.seen_jtis.lock().unwrap().insert(jti.to_string()) {
        return Err(bad_request("invalid_client", "jti already used"));
    }

    let mut granted: Vec<String> = Vec::new();
    for s in scope.split_whitespace() {
        if known_scope(s) && !granted.iter().any(|g| g == s) {
            granted.push(s.to_string());
        }
    }
    if granted.is_empty() {
        return Err(bad_request("invalid_scope", "no known scope requested"));
    }
    let scope = granted.join(" ");
    let (access_token, expires_in) = record_token(state, granted);
    Ok(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": scope,
    }))
}

#[derive(serde::Deserialize)]
struct DeepLinkReturn {
    #[serde(rename = "JWT")]
    jwt: String,
}

/// The deep-linking return URL: verifies the response as Moodle does (RS256 with the tool's
/// published key named by `kid`, iss = our client id, aud = our issuer, unexpired, a nonce,
/// the deployment) and keeps its content items.
async fn deep_link_return(
    state: web::Data<Arc<PlatformState>>,
    form: web::Form<DeepLinkReturn>,
) -> HttpResponse {
    let checked = async {
        let header = jsonwebtoken::decode_header(&form.jwt).map_err(|e| e.to_string())?;
        let kid = header.kid.ok_or("no kid in the response header")?;
        let key = tool_key(&state, &kid).await?;
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        v.set_audience(&[state.issuer.as_str()]);
        v.set_issuer(&[CLIENT_ID]);
        v.set_required_spec_claims(&["exp", "iat", "iss", "aud"]);
        let claims = jsonwebtoken::decode::<Value>(&form.jwt, &key, &v)
            .map_err(|e| e.to_string())?
            .claims;
        let lti = |k: &str| &claims[format!("https://purl.imsglobal.org/spec/lti/claim/{k}")];
        if lti("message_type") != "LtiDeepLinkingResponse" || lti("version") != "1.3.0" {
            return Err("not a deep-linking response".to_string());
        }
        if lti("deployment_id").as_str().is_none() || claims["nonce"].as_str().is_none() {
            return Err("no deployment or nonce".to_string());
        }
        let items = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        Ok::<_, String>(items)
    }
    .await;
    match checked {
        Ok(items) => {
            let n = items.len();
            state.deep_links.lock().unwrap().extend(items);
            HttpResponse::Ok().body(format!("{n} item(s) added"))
        }
        Err(e) => HttpResponse::BadRequest().body(e),
    }
}

/// The tool's public key `kid`, from its JWKS (fetched on every request).
async fn tool_key(state: &PlatformState, kid: &str) -> Result<jsonwebtoken::DecodingKey, String> {
    let url = state
        .tool_jwks_url
        .lock()
        .unwrap()
        .clone()
        .ok_or("no tool JWKS URL registered")?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| e.to_string())?;
    let set: jsonwebtoken::jwk::JwkSet = http
        .get(&url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("tool JWKS: {e}"))?
        .json()
        .await
        .map_err(|e| format!("tool JWKS: {e}"))?;
    let jwk = set.find(kid).ok_or_else(|| format!("unknown kid {kid}"))?;
    jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|e| format!("tool JWK: {e}"))
}

/// Checks the Bearer token of a service request (and the forced-401 knob); Some(401) if
/// refused.
fn nrps_refusal(state: &PlatformState, req: &HttpRequest) -> Option<HttpResponse> {
    let forced = state.nrps_force_401_once.swap(false, Ordering::SeqCst);
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_string());
    let valid = token.is_some_and(|t| {
        state
            .tokens
            .lock()
            .unwrap()
            .get(&t)
            .is_some_and(|i| i.expires_at > now() && i.scopes.iter().any(|s| s == NRPS_SCOPE))
    });
    if valid && !forced {
        return None;
    }
    Some(
        HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, r#"Bearer error="invalid_token""#))
            .json(json!({"status": 401, "reason": "Unauthorized", "request": "invalid_token"})),
    )
}

/// A context role in its full URI form (short names are context roles).
fn full_role(role: &str) -> String {
    if role.contains(':') {
        role.to_string()
    } else {
        format!("{CONTEXT_ROLE_PREFIX}{role}")
    }
}

fn has_role(member: &Value, wanted: &str) -> bool {
    let wanted = full_role(wanted);
    member["roles"].as_array().is_some_and(|roles| {
        roles
            .iter()
            .filter_map(Value::as_str)
            .any(|r| full_role(r) == wanted)
    })
}

fn container(ctx: &str, id: String, members: Vec<Value>) -> Value {
    json!({
        "id": id,
        "context": {"id": ctx, "label": "LTIH101", "title": "LTI Harness Course"},
        "members": members,
    })
}

/// NRPS 2.0 membership container, paged (`limit`, 1-based `page`, `Link` rel="next") and
/// filtered by `role` (short name or full URI).
async fn memberships(
    state: web::Data<Arc<PlatformState>>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    state.nrps_hits.fetch_add(1, Ordering::SeqCst);
    if let Some(refusal) = nrps_refusal(&state, &req) {
        return refusal;
    }
    let delay = state.nrps_delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let ctx = path.into_inner();
    let query: HashMap<String, String> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let positive = |k: &str| {
        query
            .get(k)
            .map(|v| v.parse::<usize>().ok().filter(|n| *n > 0))
    };
    let limit = match positive("limit") {
        // Like Canvas, the platform serves at most its own page size whatever `limit` asks.
        Some(Some(n)) => n.min(state.nrps_page_size.load(Ordering::SeqCst).max(1)),
        Some(None) => return HttpResponse::BadRequest().body("bad limit"),
        None => state.nrps_page_size.load(Ordering::SeqCst).max(1),
    };
    let page = match positive("page") {
        Some(Some(n)) => n,
        Some(None) => return HttpResponse::BadRequest().body("bad page"),
        None => 1,
    };
    let role = query.get("role").cloned();
    let failure = match *state.nrps_fail_page.lock().unwrap() {
        Some((p, f)) if p == page => Some(f),
        _ => None,
    };
    match failure {
        Some(Failure::ServerError) => {
            return HttpResponse::InternalServerError()
                .content_type("text/html")
                .body("<h1>Internal Server Error</h1>");
        }
        Some(Failure::Timeout) => tokio::time::sleep(Duration::from_secs(30)).await,
        _ => {}
    }

    let all: Vec<Value> = state
        .members
        .lock()
        .unwrap()
        .iter()
        .filter(|m| role.as_deref().is_none_or(|r| has_role(m, r)))
        .cloned()
        .collect();
    let start = (page - 1).saturating_mul(limit);
    let more = start.saturating_add(limit) < all.len();
    let members: Vec<Value> = all.into_iter().skip(start).take(limit).collect();

    let base = format!("{}/nrps/{ctx}", state.issuer);
    let mut links = Vec::new();
    if more {
        let mut q = vec![
            ("page", (page + 1).to_string()),
            ("limit", limit.to_string()),
        ];
        if let Some(r) = &role {
            q.push(("role", r.clone()));
        }
        links.push(format!(
            r#"<{base}?{}>; rel="next""#,
            serde_urlencoded::to_string(q).unwrap()
        ));
    }
    links.push(format!(
        r#"<{base}/differences?since={}>; rel="differences""#,
        now()
    ));
    let id = if req.query_string().is_empty() {
        base.clone()
    } else {
        format!("{base}?{}", req.query_string())
    };
    let mut body = serde_json::to_string(&container(&ctx, id, members)).unwrap();
    if failure == Some(Failure::InvalidJson) {
        let mut cut = body.len() / 2;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
    }
    let link = match state.nrps_links.lock().unwrap().get(&page) {
        Some(l) => l.clone(),
        None => links.join(", "),
    };
    HttpResponse::Ok()
        .content_type(NRPS_MEDIA_TYPE)
        .insert_header((header::LINK, link))
        .body(body)
}

/// NRPS differences: simply the whole current roster, with the same authorisation.
async fn differences(
    state: web::Data<Arc<PlatformState>>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    state.nrps_hits.fetch_add(1, Ordering::SeqCst);
    if let Some(refusal) = nrps_refusal(&state, &req) {
        return refusal;
    }
    let ctx = path.into_inner();
    let id = format!(
        "{}/nrps/{ctx}/differences?{}",
        state.issuer,
        req.query_string()
    );
    let members = state.members.lock().unwrap().clone();
    HttpResponse::Ok()
        .content_type(NRPS_MEDIA_TYPE)
        .body(container(&ctx, id, members).to_string())
}

/// Whether the request's Bearer token was issued, is unexpired and has `scope`.
fn has_token_with(state: &PlatformState, req: &HttpRequest, scope: &str) -> bool {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .is_some_and(|(_, t)| {
            state
                .tokens
                .lock()
                .unwrap()
                .get(t.trim())
                .is_some_and(|i| i.expires_at > now() && i.scopes.iter().any(|s| s == scope))
        })
}

fn content_type(req: &HttpRequest) -> &str {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// `POST /ags/{ctx}/lineitems/{rl}/lineitem/scores`: Moodle's checks (exact media type, a
/// token with the score scope, the fields a score needs, timestamps strictly increasing per
/// user and line item at one-second resolution), after any injected failure.
async fn post_score(
    state: web::Data<Arc<PlatformState>>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    state.ags_score_hits.fetch_add(1, Ordering::SeqCst);
    let delay = state.ags_score_delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let injected = state.ags_inject.lock().unwrap().pop_front();
    match injected {
        Some(AgsFailure::Server(msg)) => return HttpResponse::InternalServerError().body(msg),
        Some(AgsFailure::TooMany(secs)) => {
            return HttpResponse::TooManyRequests()
                .insert_header((header::RETRY_AFTER, secs.to_string()))
                .body("slow down");
        }
        Some(AgsFailure::Unauthorized) => return HttpResponse::Unauthorized().finish(),
        Some(AgsFailure::Conflict) => {
            return HttpResponse::Conflict().body("score timestamp not after the last one");
        }
        Some(AgsFailure::Hang(secs)) => {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            return HttpResponse::ServiceUnavailable().body("gradebook busy");
        }
        None => {}
    }
    if let Some((status, body)) = state.ags_scores_fail.lock().unwrap().clone() {
        return HttpResponse::build(StatusCode::from_u16(status).unwrap()).body(body);
    }
    if !has_token_with(&state, &req, SCORE_SCOPE) {
        return HttpResponse::Unauthorized().finish();
    }
    if content_type(&req) != "application/vnd.ims.lis.v1.score+json" {
        return HttpResponse::BadRequest().body("wrong content type");
    }
    let Ok(score) = serde_json::from_slice::<Value>(&body) else {
        return HttpResponse::BadRequest().body("invalid JSON");
    };
    // Moodle keeps whole seconds: `YYYY-MM-DDTHH:MM:SS` of a UTC timestamp compares as text.
    let Some(ts) = score["timestamp"]
        .as_str()
        .filter(|t| t.ends_with('Z') && t.len() >= 20)
        .and_then(|t| t.get(..19))
        .map(str::to_string)
    else {
        return HttpResponse::BadRequest().body("no timestamp");
    };
    if score["userId"].as_str().is_none()
        || score["activityProgress"].as_str().is_none()
        || score["gradingProgress"].as_str().is_none()
    {
        return HttpResponse::BadRequest().body("missing fields");
    }
    let path = req.path().trim_end_matches("/scores").to_string();
    let mut scores = state.ags_scores.lock().unwrap();
    let last = scores
        .iter()
        .filter(|(p, s)| *p == path && s["userId"] == score["userId"])
        .filter_map(|(_, s)| s["timestamp"].as_str().and_then(|t| t.get(..19)))
        .max()
        .map(str::to_string);
    if last.is_some_and(|l| ts <= l) {
        return HttpResponse::Conflict().body("score timestamp not after the last one");
    }
    scores.push((path, score));
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    state.ags_score_tokens.lock().unwrap().push(token);
    HttpResponse::Ok().finish()
}

/// The answer an injected failure gets (`None`: handle the request).
async fn injected(failure: Option<AgsFailure>) -> Option<HttpResponse> {
    Some(match failure? {
        AgsFailure::Server(msg) => HttpResponse::InternalServerError().body(msg),
        AgsFailure::TooMany(secs) => HttpResponse::TooManyRequests()
            .insert_header((header::RETRY_AFTER, secs.to_string()))
            .body("slow down"),
        AgsFailure::Unauthorized => HttpResponse::Unauthorized().finish(),
        AgsFailure::Conflict => HttpResponse::Conflict().body("conflict"),
        AgsFailure::Hang(secs) => {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            HttpResponse::ServiceUnavailable().body("gradebook busy")
        }
    })
}

#[derive(serde::Deserialize)]
struct LineItemQuery {
    resource_link_id: Option<String>,
    tag: Option<String>,
}

/// `GET /ags/{ctx}/lineitems`: the created line items, filtered.
async fn list_lineitems(
    state: web::Data<Arc<PlatformState>>,
    req: HttpRequest,
    q: web::Query<LineItemQuery>,
) -> HttpResponse {
    state.ags_lineitems_gets.fetch_add(1, Ordering::SeqCst);
    let failure = state.ags_lineitems_inject.lock().unwrap().pop_front();
    if let Some(resp) = injected(failure).await {
        return resp;
    }
    if !has_token_with(&state, &req, AGS_SCOPES[0]) {
        return HttpResponse::Unauthorized().finish();
    }
    let items: Vec<Value> = state
        .ags_lineitems
        .lock()
        .unwrap()
        .iter()
        .filter(|i| {
            q.resource_link_id
                .as_deref()
                .is_none_or(|r| i["resourceLinkId"] == r)
                && q.tag.as_deref().is_none_or(|t| i["tag"] == t)
        })
        .cloned()
        .collect();
    // A slow answer, read before the wait: a line item created meanwhile is not in it.
    let delay = state.ags_lineitems_delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    HttpResponse::Ok()
        .content_type("application/vnd.ims.lis.v2.lineitemcontainer+json")
        .json(items)
}

/// `POST /ags/{ctx}/lineitems`: creates a line item for its `resourceLinkId`.
async fn create_lineitem(
    state: web::Data<Arc<PlatformState>>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    state.ags_lineitems_posts.fetch_add(1, Ordering::SeqCst);
    let failure = state.ags_lineitems_inject.lock().unwrap().pop_front();
    if let Some(resp) = injected(failure).await {
        return resp;
    }
    if !has_token_with(&state, &req, AGS_SCOPES[0]) {
        return HttpResponse::Unauthorized().finish();
    }
    if content_type(&req) != "application/vnd.ims.lis.v2.lineitem+json" {
        return HttpResponse::BadRequest().body("wrong content type");
    }
    let Ok(mut item) = serde_json::from_slice::<Value>(&body) else {
        return HttpResponse::BadRequest().body("invalid JSON");
    };
    let rl = item["resourceLinkId"]
        .as_str()
        .unwrap_or("none")
        .to_string();
    let base = state
        .ags_lineitem_id_base
        .lock()
        .unwrap()
        .clone()
        .unwrap_or_else(|| state.issuer.clone());
    item["id"] = format!(
        "{base}/ags/{}/lineitems/{rl}/lineitem?type_id=1",
        path.into_inner()
    )
    .into();
    state.ags_lineitems.lock().unwrap().push(item.clone());
    HttpResponse::Ok()
        .content_type("application/vnd.ims.lis.v2.lineitem+json")
        .json(item)
}

impl TestPlatform {
    /// The configuration URL an LMS hands to the tool's registration URL.
    pub fn dr_configuration_url(&self, shape: DrShape) -> String {
        match shape {
            DrShape::Moodle => format!("{}/mod/lti/openid-configuration.php", self.issuer),
            DrShape::Canvas => format!(
                "{}/api/lti/security/openid-configuration?registration_uuid=6a1b",
                self.issuer
            ),
        }
    }

    /// The registration requests received so far.
    pub fn dr_requests(&self) -> Vec<Value> {
        self.state.dr_requests.lock().unwrap().clone()
    }

    /// Refuse registrations (Some) or accept them again (None).
    pub fn dr_refuse(&self, refusal: Option<(u16, &str)>) {
        *self.state.dr_refuse.lock().unwrap() = refusal.map(|(s, m)| (s, m.to_string()));
    }

    pub fn dr_set_wrong_issuer(&self, on: bool) {
        self.state.dr_wrong_issuer.store(on, Ordering::SeqCst);
    }

    pub fn dr_set_no_client_id(&self, on: bool) {
        self.state.dr_no_client_id.store(on, Ordering::SeqCst);
    }

    /// Answer registrations with this client id (Some) or with fresh ones again (None).
    pub fn dr_answer_client_id(&self, client_id: Option<&str>) {
        *self.state.dr_client_id.lock().unwrap() = client_id.map(str::to_string);
    }

    /// Requests the configuration endpoints received so far.
    pub fn dr_configuration_hits(&self) -> usize {
        self.state.dr_configuration_hits.load(Ordering::SeqCst)
    }
}

/// Whether the request carries the registration token as Bearer (Moodle refuses without).
fn dr_authorized(state: &PlatformState, req: &HttpRequest) -> bool {
    let expected = format!("Bearer {}", state.dr_token.lock().unwrap());
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        == Some(expected.as_str())
}

/// The OpenID configuration both shapes share (Moodle 4.5's `openid-configuration.php`).
fn dr_document(state: &PlatformState, registration_path: &str) -> Value {
    let iss = &state.issuer;
    let mut scopes: Vec<&str> = AGS_SCOPES.to_vec();
    scopes.extend([NRPS_SCOPE, "openid"]);
    json!({
        "issuer": if state.dr_wrong_issuer.load(Ordering::SeqCst) { "https://lms.elsewhere.example".to_string() } else { iss.clone() },
        "token_endpoint": format!("{iss}/token"),
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "jwks_uri": format!("{iss}/jwks"),
        "authorization_endpoint": format!("{iss}/auth"),
        "registration_endpoint": format!("{iss}{registration_path}"),
        "scopes_supported": scopes,
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
    })
}

async fn dr_moodle_configuration(
    state: web::Data<Arc<PlatformState>>,
    req: HttpRequest,
) -> HttpResponse {
    state.dr_configuration_hits.fetch_add(1, Ordering::SeqCst);
    if !dr_authorized(&state, &req) {
        return HttpResponse::Unauthorized().body("Unauthorized");
    }
    let mut doc = dr_document(&state, "/mod/lti/openid-registration.php");
    doc["https://purl.imsglobal.org/spec/lti-platform-configuration"] = json!({
        "product_family_code": "moodle",
        "version": "4.5.1 (Build: 20241209)",
        "messages_supported": [
            {"type": "LtiResourceLinkRequest"},
            {"type": "LtiDeepLinkingRequest"},
        ],
        "variables": [
            "basic-lti-launch-request", "ContentItemSelectionRequest",
            "ToolProxyRegistrationRequest", "Context.id", "Context.title", "Context.label",
            "ResourceLink.id", "ResourceLink.title", "User.id", "Person.name.full",
            "Person.email.primary", "Membership.role",
        ],
    });
    HttpResponse::Ok().json(doc)
}

async fn dr_canvas_configuration(
    state: web::Data<Arc<PlatformState>>,
    req: HttpRequest,
) -> HttpResponse {
    state.dr_configuration_hits.fetch_add(1, Ordering::SeqCst);
    if !dr_authorized(&state, &req) {
        return HttpResponse::Unauthorized()
            .json(json!({"errors": [{"message": "Invalid registration token"}]}));
    }
    let mut doc = dr_document(&state, "/api/lti/registrations");
    doc["https://purl.imsglobal.org/spec/lti-platform-configuration"] = json!({
        "product_family_code": "canvas",
        "version": "OpenSource",
        "messages_supported": [
            {"type": "LtiResourceLinkRequest", "placements": ["course_navigation", "https://canvas.instructure.com/lti/assignment_edit"]},
            {"type": "LtiDeepLinkingRequest", "placements": ["link_selection", "assignment_selection", "editor_button"]},
        ],
        "variables": ["Canvas.course.id", "Canvas.user.id", "Person.name.full"],
        "https://canvas.instructure.com/lti/account_name": "Test School",
        "https://canvas.instructure.com/lti/account_lti_guid": "794d72b707af6ea82cfe3d5d473f16888a8366c7:canvas-lms",
    });
    HttpResponse::Ok().json(doc)
}

/// Checks a registration request like Moodle's `openid-registration.php`: the Bearer token,
/// JSON, the fields it reads, and `domain` = the host of `target_link_uri`. Returns the
/// request, or the status and message of the refusal.
fn dr_check(state: &PlatformState, req: &HttpRequest, body: &[u8]) -> Result<Value, (u16, String)> {
    if !dr_authorized(state, req) {
        return Err((401, "Unauthorized".into()));
    }
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("application/json") {
        return Err((400, format!("Unsupported content type {ct}")));
    }
    let v: Value = serde_json::from_slice(body).map_err(|_| (400, "Invalid JSON".to_string()))?;
    state.dr_requests.lock().unwrap().push(v.clone());
    if let Some(refusal) = state.dr_refuse.lock().unwrap().clone() {
        return Err(refusal);
    }
    let has = |k: &str, want: &str| {
        v[k].as_array()
            .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(want)))
    };
    if v["application_type"] != "web" {
        return Err((400, "application_type must be web".into()));
    }
    if !has("response_types", "id_token") {
        return Err((400, "Must support id_token".into()));
    }
    if !has("grant_types", "implicit") || !has("grant_types", "client_credentials") {
        return Err((400, "Must support implicit and client_credentials".into()));
    }
    for k in ["initiate_login_uri", "jwks_uri", "client_name", "scope"] {
        if !v[k].is_string() {
            return Err((400, format!("Missing {k}")));
        }
    }
    if v["token_endpoint_auth_method"] != "private_key_jwt" {
        return Err((400, "Must use private_key_jwt".into()));
    }
    let redirects = v["redirect_uris"].as_array().cloned().unwrap_or_default();
    if redirects.is_empty() {
        return Err((400, "Missing redirect_uris".into()));
    }
    let lti = &v["https://purl.imsglobal.org/spec/lti-tool-configuration"];
    let target = lti["target_link_uri"].as_str().unwrap_or("");
    let domain = lti["domain"].as_str().unwrap_or("");
    let target_host = url::Url::parse(target)
        .ok()
        .map(|u| match u.port() {
            Some(p) => format!("{}:{p}", u.host_str().unwrap_or("")),
            None => u.host_str().unwrap_or("").to_string(),
        })
        .unwrap_or_default();
    if domain.is_empty() || domain != target_host {
        return Err((400, "domain does not match target_link_uri".into()));
    }
    for m in lti["messages"].as_array().cloned().unwrap_or_default() {
        if !m["type"].is_string() || !m["target_link_uri"].is_string() {
            return Err((400, "Invalid message".into()));
        }
    }
    Ok(v)
}

/// The answer: the request back with the client id (and, for Moodle, the deployment).
fn dr_answer(
    state: &PlatformState,
    mut v: Value,
    client_id: Value,
    deployment: Option<String>,
) -> Value {
    if !state.dr_no_client_id.load(Ordering::SeqCst) {
        v["client_id"] = match state.dr_client_id.lock().unwrap().clone() {
            Some(known) => known.into(),
            None => client_id,
        };
    }
    if let Some(d) = deployment {
        v["https://purl.imsglobal.org/spec/lti-tool-configuration"]["deployment_id"] = d.into();
    }
    v
}

async fn dr_moodle_register(
    state: web::Data<Arc<PlatformState>>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    match dr_check(&state, &req, &body) {
        // Moodle answers 200, with the tool type id as the deployment id.
        Ok(v) => {
            let n = state.dr_clients.fetch_add(1, Ordering::SeqCst) + 1;
            let answer = dr_answer(
                &state,
                v,
                format!("moodle-dr-{n}").into(),
                Some(format!("{}", 10 + n)),
            );
            HttpResponse::Ok().json(answer)
        }
        // Moodle's refusals are plain text.
        Err((status, message)) => HttpResponse::build(StatusCode::from_u16(status).unwrap())
            .content_type("text/plain; charset=utf-8")
            .body(message),
    }
}

async fn dr_canvas_register(
    state: web::Data<Arc<PlatformState>>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    match dr_check(&state, &req, &body) {
        // Canvas creates the deployment at install: no deployment id yet.
        Ok(v) => {
            let n = state.dr_clients.fetch_add(1, Ordering::SeqCst) + 1;
            let answer = dr_answer(&state, v, format!("1000000000000{n}").into(), None);
            HttpResponse::Ok().json(answer)
        }
        Err((status, message)) => HttpResponse::build(StatusCode::from_u16(status).unwrap())
            .json(json!({"error": "invalid_client_metadata", "error_description": message})),
    }
}

/// The line item stored at `path`; the launch's line item is made on first sight, with one
/// point, as Moodle holds it for a graded link.
fn stored_lineitem(state: &PlatformState, path: &str, rl: &str) -> Value {
    state
        .ags_lineitem_store
        .lock()
        .unwrap()
        .entry(path.to_string())
        .or_insert_with(|| {
            json!({
                "id": format!("{}{path}?type_id=1", state.issuer),
                "scoreMaximum": 1.0,
                "label": "Peer coaching (Moodle)",
                "resourceId": format!("res-{rl}"),
                "resourceLinkId": rl,
                "tag": "binome",
            })
        })
        .clone()
}

/// `GET /ags/{ctx}/lineitems/{rl}/lineitem`: the line item, exact media type and a token with
/// a line item scope.
async fn get_lineitem(
    state: web::Data<Arc<PlatformState>>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    if !has_token_with(&state, &req, AGS_SCOPES[0]) && !has_token_with(&state, &req, AGS_SCOPES[1])
    {
        return HttpResponse::Unauthorized().finish();
    }
    if accept(&req) != "application/vnd.ims.lis.v2.lineitem+json" {
        return HttpResponse::BadRequest().body("wrong accept");
    }
    let item = stored_lineitem(&state, req.path(), &path.1);
    HttpResponse::Ok()
        .content_type("application/vnd.ims.lis.v2.lineitem+json")
        .json(item)
}

/// `PUT /ags/{ctx}/lineitems/{rl}/lineitem`: replaces the line item (its id stays), as Moodle
/// does: a positive `scoreMaximum` and a label are required.
async fn put_lineitem(
    state: web::Data<Arc<PlatformState>>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    if !has_token_with(&state, &req, AGS_SCOPES[0]) {
        return HttpResponse::Unauthorized().finish();
    }
    if content_type(&req) != "application/vnd.ims.lis.v2.lineitem+json" {
        return HttpResponse::BadRequest().body("wrong content type");
    }
    let Ok(mut item) = serde_json::from_slice::<Value>(&body) else {
        return HttpResponse::BadRequest().body("invalid JSON");
    };
    if item["scoreMaximum"].as_f64().is_none_or(|m| m <= 0.0) || item["label"].as_str().is_none() {
        return HttpResponse::BadRequest().body("scoreMaximum and label are required");
    }
    let old = stored_lineitem(&state, req.path(), &path.1);
    item["id"] = old["id"].clone();
    state
        .ags_lineitem_puts
        .lock()
        .unwrap()
        .push((req.path().to_string(), item.clone()));
    state
        .ags_lineitem_store
        .lock()
        .unwrap()
        .insert(req.path().to_string(), item.clone());
    HttpResponse::Ok()
        .content_type("application/vnd.ims.lis.v2.lineitem+json")
        .json(item)
}

fn accept(req: &HttpRequest) -> &str {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[derive(serde::Deserialize)]
struct ResultsQuery {
    limit: Option<usize>,
    page: Option<usize>,
    type_id: Option<String>,
}

/// `GET /ags/{ctx}/lineitems/{rl}/lineitem/results`: the latest score of each user of the
/// line item as a result (`scoreGiven` → `resultScore`), paged with `Link: rel="next"`;
/// exact media type and a token with the results scope. As Moodle 4.5, a request with both
/// `limit` and `type_id` gets Moodle's error page (HTTP 404, HTML).
async fn results(
    state: web::Data<Arc<PlatformState>>,
    req: HttpRequest,
    q: web::Query<ResultsQuery>,
) -> HttpResponse {
    state.ags_results_hits.fetch_add(1, Ordering::SeqCst);
    state
        .ags_results_queries
        .lock()
        .unwrap()
        .push(req.query_string().to_string());
    if let Some((status, body)) = state.ags_results_fail.lock().unwrap().clone() {
        return HttpResponse::build(StatusCode::from_u16(status).unwrap()).body(body);
    }
    if q.limit.is_some() && q.type_id.is_some() {
        // Moodle's results.php pages through a URL it does not have: "Call to a member
        // function out() on null", answered as its error page.
        return HttpResponse::NotFound()
            .content_type("text/html; charset=utf-8")
            .body(
                "<!DOCTYPE html><html><head><title>Error | Moodle</title></head><body>\
                 <div class=\"errorbox\"><p class=\"errormessage\">Call to a member function \
                 out() on null</p></div></body></html>",
            );
    }
    if !has_token_with(&state, &req, RESULT_SCOPE) {
        return HttpResponse::Unauthorized().finish();
    }
    if accept(&req) != RESULTS_MEDIA_TYPE {
        return HttpResponse::BadRequest().body("wrong accept");
    }
    let lineitem = req.path().trim_end_matches("/results").to_string();
    let mut latest: Vec<(String, Value)> = Vec::new();
    for (p, s) in state.ags_scores.lock().unwrap().iter() {
        if *p != lineitem {
            continue;
        }
        let user = s["userId"].as_str().unwrap_or_default().to_string();
        match latest.iter_mut().find(|(u, _)| *u == user) {
            Some(slot) => slot.1 = s.clone(),
            None => latest.push((user, s.clone())),
        }
    }
    let all: Vec<Value> = latest
        .into_iter()
        .map(|(user, s)| {
            let mut r = json!({
                "id": format!("{}{lineitem}/results/{user}", state.issuer),
                "scoreOf": format!("{}{lineitem}", state.issuer),
                "userId": user,
            });
            if let Some(g) = s["scoreGiven"].as_f64() {
                r["resultScore"] = g.into();
                r["resultMaximum"] = s["scoreMaximum"].as_f64().unwrap_or(1.0).into();
            }
            r
        })
        .collect();
    // The platform's cap wins over the tool's `limit`, as Moodle's does.
    let cap = state.ags_results_page_size.load(Ordering::SeqCst).max(1);
    let size = q.limit.unwrap_or(cap).clamp(1, cap);
    let page = q.page.unwrap_or(1).max(1);
    let chunk: Vec<Value> = all
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .cloned()
        .collect();
    let mut resp = HttpResponse::Ok();
    resp.content_type(RESULTS_MEDIA_TYPE);
    if page * size < all.len() {
        // The next page keeps the request's own parameters (a `limit` only if it had one).
        let limit = q
            .limit
            .map(|_| format!("&limit={size}"))
            .unwrap_or_default();
        resp.insert_header((
            header::LINK,
            format!(
                "<{}{}?type_id=1{limit}&page={}>; rel=\"next\"",
                state.issuer,
                req.path(),
                page + 1
            ),
        ));
    }
    resp.json(chunk)
}
