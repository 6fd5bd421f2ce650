//! The launch flow: glue between the LTI protocol (`lti/`) and the store. Takes a login or a
//! launch request as plain values, decides, records, and says what the web layer must show.
//!
//! Architecture Invariant: no actix types here; the web layer translates HTTP to and from
//! these functions.

pub mod keyring;
pub mod limits;
pub mod registration;
pub mod registry;
pub mod session;

use std::collections::HashMap;
use std::sync::Arc;

use moka::future::Cache;
use serde_json::Value;
use url::Url;

use crate::config::Settings;
use crate::lti::jwks::JwksCache;
use crate::lti::login::{self, LoginRequest, LoginState};
use crate::lti::validate::verify_id_token;
use crate::lti::{Launch, LaunchError, MessageType, Registration};
use crate::store::{CourseId, DeploymentStatus, LaunchRecord, Login, Store, StoreError};
use keyring::KeyRing;
use registry::Registry;
use session::{DeepLinkContext, Session, SessionKeys, SessionPage};

/// Largest deep-linking return URL plus `data` a session carries.
pub const MAX_DEEP_LINK_CONTEXT: usize = 2048;

/// How long a login waits for its launch.
pub const LOGIN_TTL_SECS: i64 = 600;
/// Largest login parameters (as JSON) kept with a login, to restart it in a new window. A
/// login whose parameters are longer still works; it just cannot offer that restart. This
/// keeps every stored login row near 1 KiB whatever an anonymous request sends.
pub const MAX_STORED_LOGIN_PARAMS: usize = 1024;

/// A login or launch failed: refused (the request's fault) or broken (ours).
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// The request is refused; the page says why.
    #[error(transparent)]
    Refused(#[from] LaunchError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the web layer does after a login request.
#[derive(Debug)]
pub struct LoginOutcome {
    /// The platform's authentication URL with our parameters.
    pub redirect: String,
    pub state: LoginState,
    /// Goes into the state cookie and, when offered, the platform storage.
    pub browser_secret: String,
    pub storage: Option<StorageTarget>,
    pub frame_ancestors: Vec<String>,
}

/// Where and how to reach the platform's storage frame (Canvas's `lti_storage_target`).
#[derive(Debug, Clone)]
pub struct StorageTarget {
    pub target: String,
    pub origin: String,
    pub key: String,
}

/// The form a platform posts to the redirect URI.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct LaunchForm {
    pub id_token: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// Sent back by our own check page with the value read from platform storage.
    pub storage_secret: Option<String>,
}

/// Where the launch POST says it comes from: its `Origin` and `Referer` headers, as sent.
#[derive(Debug, Default, Clone)]
pub struct PostedFrom {
    pub origin: Option<String>,
    pub referer: Option<String>,
}

impl PostedFrom {
    /// The origin of the page that posted: `Origin`, else the origin of `Referer`. `Origin:
    /// null` (an opaque origin) proves nothing — any site can produce it with a sandboxed
    /// frame — so it counts as absent, and only a `Referer` can then vouch.
    pub fn origin(&self) -> Option<String> {
        self.origin
            .as_deref()
            .map(str::trim)
            .filter(|o| !o.eq_ignore_ascii_case("null"))
            .and_then(crate::lti::origin_of)
            .or_else(|| self.referer.as_deref().and_then(crate::lti::origin_of))
    }
}

/// What the web layer does after a launch.
#[derive(Debug)]
pub enum LaunchOutcome {
    /// The launch is valid: open the page of this session.
    Ready {
        launch: Box<Launch>,
        session: Box<Session>,
    },
    /// No state cookie came back and the login used platform storage: the page must read
    /// the secret from the platform's frame and post the launch again with it.
    CheckBrowser {
        storage: StorageTarget,
        id_token: String,
        state: String,
        relaunch: Vec<(String, String)>,
        frame_ancestors: Vec<String>,
    },
}

/// Everything the flow needs, shared by all requests.
pub struct LaunchFlow {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub registry: Registry,
    pub jwks: JwksCache,
    pub keys: KeyRing,
    pub sessions: SessionKeys,
    pub recent: RecentLaunches,
    pub limits: limits::LoginLimits,
    /// Course data every page reads (here: activity configurations, for a forced language).
    pub courses: Arc<crate::course::cache::CourseCache>,
    /// Dynamic Registration: the proof key and the confirmations in progress.
    pub registrations: registration::Registrations,
}

/// Launches recorded in the last few minutes, so that people opening the activity again do
/// not rewrite the same course, activity and member rows each time (a member's
/// `last_launch_at` is then up to [`RECENT_SECS`] old). Keyed by a hash of what a launch
/// writes; a class opening the activity at once shares one write per key.
pub struct RecentLaunches {
    courses: Cache<u64, CourseId>,
    members: Cache<u64, ()>,
}

/// How long a recorded launch is not written again.
pub const RECENT_SECS: i64 = 300;
const RECENT_MAX: u64 = 100_000;

impl Default for RecentLaunches {
    fn default() -> Self {
        fn recent<V: Clone + Send + Sync + 'static>() -> Cache<u64, V> {
            Cache::builder()
                .max_capacity(RECENT_MAX)
                .time_to_live(std::time::Duration::from_secs(RECENT_SECS as u64))
                .build()
        }
        RecentLaunches {
            courses: recent(),
            members: recent(),
        }
    }
}

fn hash_of(v: impl std::hash::Hash) -> u64 {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

/// The memberships URL a launch gives the course: the NRPS claim's (the platform's own word,
/// checked against its service hosts where it is used), else Moodle's custom parameter
/// `context_memberships_url` only when it is on one of the platform's service hosts — course
/// staff can type custom parameters, and the platform's NRPS token must not follow them
/// elsewhere. A custom one elsewhere is dropped; its host comes back so staff can be told.
fn memberships_of<'a>(reg: &Registration, launch: &'a Launch) -> (Option<&'a str>, Option<String>) {
    if let Some(claim) = launch.memberships_url.as_deref() {
        return (Some(claim), None);
    }
    let Some(custom) = launch.custom_memberships_url.as_deref() else {
        return (None, None);
    };
    match reg.service_url(custom) {
        Ok(_) => (Some(custom), None),
        Err(crate::lti::NotService::Foreign(host)) => (None, Some(host)),
        Err(_) => (None, None),
    }
}

impl RecentLaunches {
    async fn record(&self, store: &Store, r: &LaunchRecord<'_>) -> Result<CourseId, StoreError> {
        let course_key = hash_of((
            r.registration,
            r.deployment_id,
            r.context_id,
            r.context_label,
            r.context_title,
            r.memberships_url,
            r.resource_link,
            &r.ags,
        ));
        let course = self
            .courses
            .try_get_with(course_key, store.upsert_course(r))
            .await
            .map_err(StoreError::shared)?;
        let member_key = hash_of((
            course,
            r.user_id,
            r.name,
            r.given_name,
            r.family_name,
            r.email,
            r.picture,
            r.roles,
        ));
        self.members
            .try_get_with(member_key, store.upsert_member(course, r))
            .await
            .map_err(StoreError::shared)?;
        Ok(course)
    }
}

/// Whether a value could be one of our random tokens (base64url, bounded).
fn is_token_like(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The current Unix time in milliseconds (the live session's clock: its timers count to the
/// second and screens correct for their own clock's offset).
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl LaunchFlow {
    /// Handles an OIDC login initiation from `client` (the request's client address).
    ///
    /// A login is anonymous and makes us store a row, so it is limited before anything is
    /// looked up: per person at the client address and per address, then per registration,
    /// then by the registration's pending logins.
    pub async fn login(
        &self,
        params: &HashMap<String, String>,
        client: Option<std::net::IpAddr>,
    ) -> Result<LoginOutcome, FlowError> {
        let at = std::time::Instant::now();
        if let Some(ip) = client {
            let hint = params.get("login_hint").map(String::as_str);
            self.limits
                .check_client(ip, hint, at)
                .map_err(|retry_after| LaunchError::LoginRateLimited { retry_after })?;
        }
        let req = LoginRequest::from_params(params)?;
        login::check_target_link_uri(&req.target_link_uri, &self.settings.base_url)?;
        let reg = self
            .find_registration(&req.iss, req.client_id.as_deref())
            .await?;
        self.limits
            .per_registration
            .check(reg.id.get(), at)
            .map_err(|retry_after| LaunchError::PlatformRateLimited { retry_after })?;
        let now = now();
        if self.limits.max_pending > 0 {
            let pending = match self.limits.pending.cached(reg.id.get(), at) {
                Some(n) => n,
                None => {
                    let n = self.store.pending_logins(reg.id, now).await?;
                    self.limits.pending.set(reg.id.get(), n, at);
                    n
                }
            };
            if pending >= self.limits.max_pending {
                return Err(LaunchError::TooManyPendingLogins.into());
            }
        }
        let storage_origin = reg
            .storage_origin()
            .filter(|_| req.storage_target.is_some());
        let state = LoginState::new(reg.id, storage_origin.is_some());
        let nonce = login::random_token();
        let browser_secret = login::random_token();
        let storage = match (&req.storage_target, storage_origin) {
            (Some(target), Some(origin)) => Some(StorageTarget {
                target: target.clone(),
                origin,
                key: state.storage_key(),
            }),
            _ => None,
        };
        let login_params = serde_json::to_string(&req)
            .ok()
            .filter(|p| p.len() <= MAX_STORED_LOGIN_PARAMS)
            .unwrap_or_default();
        self.store
            .insert_login(Login {
                state: state.clone(),
                expires_at: now + LOGIN_TTL_SECS,
                nonce: nonce.clone(),
                browser_secret: browser_secret.clone(),
                storage_target: storage.as_ref().map(|s| s.target.clone()),
                login_params,
                created_at: now,
            })
            .await?;
        self.limits.pending.add_one(reg.id.get());
        let redirect =
            login::auth_request_url(&reg, &req, &self.redirect_uri(), state.as_str(), &nonce);
        Ok(LoginOutcome {
            redirect,
            state,
            browser_secret,
            storage,
            frame_ancestors: reg.frame_ancestors(),
        })
    }

    /// The one redirect URI registered with every platform.
    pub fn redirect_uri(&self) -> String {
        self.settings.url("/lti/launch")
    }

    /// The registration a login names. Registrations waiting for an operator's approval are
    /// looked at only when no active one matches (so a pending registration under a known
    /// issuer cannot make its logins ambiguous), and then refuse the login with a page
    /// saying it waits for approval.
    async fn find_registration(
        &self,
        issuer: &str,
        client_id: Option<&str>,
    ) -> Result<Registration, FlowError> {
        let find = |regs: &[Registration]| -> Result<Registration, LaunchError> {
            let active = regs
                .iter()
                .filter(|r| r.status == crate::lti::PlatformStatus::Active);
            match login::find_registration(active, issuer, client_id) {
                Err(LaunchError::UnknownPlatform { .. }) => {
                    let pending = regs
                        .iter()
                        .filter(|r| r.status != crate::lti::PlatformStatus::Active);
                    match login::find_registration(pending, issuer, client_id) {
                        Ok(r) => Err(LaunchError::PlatformPending(r.id.get())),
                        Err(LaunchError::AmbiguousClient(i)) => {
                            Err(LaunchError::AmbiguousClient(i))
                        }
                        Err(_) => Err(LaunchError::UnknownPlatform {
                            issuer: issuer.chars().take(200).collect(),
                            client_id: client_id.map(str::to_string),
                        }),
                    }
                }
                other => other.cloned(),
            }
        };
        let snap = self.registry.snapshot().await?;
        match find(&snap.registrations) {
            Ok(r) => Ok(r),
            // A miss (or a registration approved a moment ago) reads the store again.
            Err(LaunchError::UnknownPlatform { .. } | LaunchError::PlatformPending(_)) => {
                let snap = self.registry.snapshot_after_miss().await?;
                Ok(find(&snap.registrations)?)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Handles the id_token the platform posts to the redirect URI. `cookie_secret` is the
    /// state cookie of this login, if the browser sent it back; `from` says which page posted.
    pub async fn launch(
        &self,
        form: &LaunchForm,
        cookie_secret: Option<&str>,
        from: &PostedFrom,
    ) -> Result<LaunchOutcome, FlowError> {
        if let Some(error) = form.error.as_deref().filter(|e| !e.is_empty()) {
            return Err(LaunchError::PlatformError {
                error: error.chars().take(100).collect(),
                description: form
                    .error_description
                    .as_ref()
                    .map(|d| d.chars().take(300).collect()),
            }
            .into());
        }
        let id_token = form
            .id_token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(LaunchError::MissingParam("id_token"))?;
        let raw_state = form
            .state
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(LaunchError::MissingParam("state"))?;
        // A state we could not have issued never reaches the database (PostgreSQL would also
        // refuse some bytes in it).
        let state = LoginState::parse(raw_state).ok_or(LaunchError::StateUnknown)?;
        let now = now();
        let snap = self.registry.snapshot().await?;
        let reg = match snap.registration(state.registration()) {
            Some(r) => r.clone(),
            None => self
                .registry
                .snapshot_after_miss()
                .await?
                .registration(state.registration())
                .cloned()
                .ok_or(LaunchError::StateUnknown)?,
        };
        // Its login was refused while it waited; this keeps a state from before any change
        // of status harmless too.
        if reg.status != crate::lti::PlatformStatus::Active {
            return Err(LaunchError::PlatformPending(reg.id.get()).into());
        }
        let claims = verify_id_token(id_token, &reg, &self.jwks, now as u64).await?;
        // Our nonces are base64url; anything else cannot match (and is kept out of the query).
        let nonce = claims
            .get("nonce")
            .and_then(Value::as_str)
            .filter(|n| is_token_like(n))
            .ok_or(LaunchError::NonceMismatch)?;
        let launch = Launch::from_claims(&claims, &reg.client_id)?;
        self.check_deployment(&reg, &launch.deployment_id, now)
            .await?;

        // Browser binding: the state cookie when it came back; otherwise platform storage when
        // the login used it; otherwise (Moodle in a cross-site iframe) the server-side binding
        // of state and nonce, single-use and short-lived, is what protects the launch.
        let browser_secret = match (cookie_secret, form.storage_secret.as_deref()) {
            (Some(c), _) if !is_token_like(c) => return Err(LaunchError::StateMismatch.into()),
            (Some(c), _) => Some(c),
            (None, Some("")) => return Err(LaunchError::BrowserCheckFailed.into()),
            (None, Some(s)) if !is_token_like(s) => return Err(LaunchError::StateMismatch.into()),
            (None, Some(s)) => Some(s),
            (None, None) if state.uses_storage() => {
                return self.check_browser(&state, nonce, id_token, &reg, now).await;
            }
            (None, None) => {
                // Nothing ties this browser to the login: the server-side state alone would
                // accept a launch an attacker started and then made the victim's browser post
                // (login CSRF). The platform posts the id_token from its own authentication
                // page (Moodle's auth.php, an auto-submitted form), so the POST must come
                // from that origin.
                let posted = from.origin();
                if posted.is_none() || posted != reg.storage_origin() {
                    return Err(LaunchError::ForeignLaunchOrigin(
                        posted
                            .unwrap_or_else(|| "(no Origin or Referer)".into())
                            .chars()
                            .take(200)
                            .collect(),
                    )
                    .into());
                }
                tracing::debug!(
                    reason = "state_cookie_missing",
                    "launch checked by server-side state and the platform's origin"
                );
                None
            }
        };
        let consumed = self
            .store
            .consume_login(state.as_str(), nonce, reg.id, browser_secret, now)
            .await?;
        if consumed.is_none() {
            return Err(self
                .why_not_consumed(&state, nonce, browser_secret, now)
                .await?
                .into());
        }
        let session = self.open_session(&reg, &launch, now).await?;
        Ok(LaunchOutcome::Ready {
            launch: Box::new(launch),
            session: Box::new(session),
        })
    }

    /// Why a login could not be consumed: asked only on the failure path.
    async fn why_not_consumed(
        &self,
        state: &LoginState,
        nonce: &str,
        browser_secret: Option<&str>,
        now: i64,
    ) -> Result<LaunchError, FlowError> {
        let Some(record) = self.store.login(state.as_str()).await? else {
            return Ok(LaunchError::StateUnknown);
        };
        // The row was found by the state itself, and the store checks that its registration
        // is the one the state names.
        let login = &record.login;
        Ok(if record.consumed_at.is_some() {
            LaunchError::Replayed
        } else if login.expires_at < now {
            LaunchError::StateExpired
        } else if login.nonce != nonce {
            LaunchError::NonceMismatch
        } else if browser_secret.is_some_and(|b| b != login.browser_secret) {
            LaunchError::StateMismatch
        } else {
            // Consumed by a concurrent post of the same token between the two statements.
            LaunchError::Replayed
        })
    }

    /// The login used platform storage and no cookie came back: the page must read the
    /// browser secret from the platform's frame and post again. Nothing is consumed yet.
    async fn check_browser(
        &self,
        state: &LoginState,
        nonce: &str,
        id_token: &str,
        reg: &Registration,
        now: i64,
    ) -> Result<LaunchOutcome, FlowError> {
        let login = self.store.login(state.as_str()).await?;
        let Some(login) = login
            .filter(|r| r.consumed_at.is_none())
            .map(|r| r.login)
            .filter(|l| l.expires_at >= now && l.nonce == nonce)
        else {
            return Err(self.why_not_consumed(state, nonce, None, now).await?.into());
        };
        let relaunch = serde_json::from_str::<LoginRequest>(&login.login_params)
            .map(|r| {
                r.relaunch_params()
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect()
            })
            .unwrap_or_default();
        Ok(LaunchOutcome::CheckBrowser {
            storage: StorageTarget {
                target: login.storage_target.unwrap_or_default(),
                origin: reg.storage_origin().unwrap_or_default(),
                key: state.storage_key(),
            },
            id_token: id_token.to_string(),
            state: state.as_str().to_string(),
            relaunch,
            frame_ancestors: reg.frame_ancestors(),
        })
    }

    async fn check_deployment(
        &self,
        reg: &Registration,
        deployment_id: &str,
        now: i64,
    ) -> Result<(), FlowError> {
        let mut status = self
            .registry
            .snapshot()
            .await?
            .deployment(reg.id, deployment_id);
        if status != Some(DeploymentStatus::Active) {
            status = self
                .registry
                .snapshot_after_miss()
                .await?
                .deployment(reg.id, deployment_id);
        }
        match status {
            Some(DeploymentStatus::Active) => Ok(()),
            Some(DeploymentStatus::Pending) => Err(unknown_deployment(reg, deployment_id).into()),
            None if reg.accept_new_deployments => {
                self.store
                    .set_deployment(reg.id, deployment_id, DeploymentStatus::Active, now)
                    .await?;
                tracing::info!(issuer = %reg.issuer, client_id = %reg.client_id, deployment_id, "new deployment accepted");
                Ok(())
            }
            None => {
                self.store
                    .record_pending_deployment(reg.id, deployment_id, now)
                    .await?;
                Err(unknown_deployment(reg, deployment_id).into())
            }
        }
    }

    async fn open_session(
        &self,
        reg: &Registration,
        launch: &Launch,
        now: i64,
    ) -> Result<Session, FlowError> {
        let context_id = launch.context.as_ref().map(|c| c.id.as_str());
        // A launch without a context still needs a scope; the resource link stands in for it.
        let fallback = format!(
            "link:{}",
            launch
                .resource_link
                .as_ref()
                .map(|r| r.id.as_str())
                .unwrap_or("none")
        );
        let raw_roles = launch.roles.raw();
        let (memberships_url, refused_custom) = memberships_of(reg, launch);
        let record = LaunchRecord {
            registration: reg.id,
            deployment_id: &launch.deployment_id,
            context_id: context_id.unwrap_or(&fallback),
            context_label: launch.context.as_ref().and_then(|c| c.label.as_deref()),
            context_title: launch.context.as_ref().and_then(|c| c.title.as_deref()),
            memberships_url,
            resource_link: launch
                .resource_link
                .as_ref()
                .map(|r| (r.id.as_str(), r.title.as_deref())),
            ags: launch.ags.as_ref().map(|a| crate::store::AgsRecord {
                lineitem: a.lineitem.as_deref(),
                lineitems: a.lineitems.as_deref(),
                scopes: a.scope.join(" "),
            }),
            user_id: launch.person.id.as_deref(),
            name: launch.person.name.as_deref(),
            given_name: launch.person.given_name.as_deref(),
            family_name: launch.person.family_name.as_deref(),
            email: launch.person.email.as_deref(),
            picture: launch.person.picture.as_deref(),
            roles: &raw_roles,
            now,
        };
        let course = self.recent.record(&self.store, &record).await?;
        // Staff learn why the roster service is missing: their launch records the refusal
        // (with its fix) as the course's roster failure.
        if let Some(host) = refused_custom
            && launch.roles.is_staff()
        {
            let failure = crate::lti::Failure::ForeignHost {
                service: crate::lti::Service::Roster,
                host,
            };
            self.store
                .record_sync_error(course, &failure.to_stored(), now)
                .await?;
        }
        // The deep-linking context travels in the session token: keep it bounded.
        if let Some(d) = &launch.deep_linking
            && d.return_url.len() + d.data.as_deref().map_or(0, str::len) > MAX_DEEP_LINK_CONTEXT
        {
            return Err(LaunchError::InvalidClaims(format!(
                "the deep-linking return URL and data are longer than {MAX_DEEP_LINK_CONTEXT} bytes"
            ))
            .into());
        }
        let page = match (&launch.message_type, &launch.deep_linking) {
            (MessageType::DeepLinking, Some(d)) => SessionPage::DeepLinking(DeepLinkContext {
                return_url: d.return_url.clone(),
                data: d.data.clone(),
                accept_multiple: d.accept_multiple,
                accept_lineitem: d.accept_lineitem != Some(false)
                    && launch
                        .ags
                        .as_ref()
                        .is_some_and(|a| a.scope.iter().any(|s| s.ends_with("/lineitem"))),
                accept_resource_link: d.accept_types.is_empty()
                    || d.accept_types.iter().any(|t| t == "ltiResourceLink"),
                presentation: presentation_of(&d.accept_presentation_document_targets),
            }),
            _ => SessionPage::Activity {
                resource_link: launch.resource_link.as_ref().map(|r| r.id.clone()),
            },
        };
        let locale = self
            .activity_locale(course, launch, now)
            .await?
            .unwrap_or_else(|| crate::i18n::Locale::from_tag(launch.locale.as_deref()));
        let now_secs = now as u64;
        let s = Session {
            registration: reg.id,
            deployment_id: crate::lti::DeploymentId::new(launch.deployment_id.clone()),
            course,
            subject: launch.person.id.clone().map(crate::lti::Subject::new),
            staff: launch.roles.is_staff(),
            may_manage: crate::course::rules::may_manage(&launch.roles),
            locale,
            page,
            // The LMS page's own origin, from the signed return URL (Canvas schools have their
            // own domain under one issuer).
            lms_origin: launch
                .return_url
                .as_deref()
                .or(launch.deep_linking.as_ref().map(|d| d.return_url.as_str()))
                .and_then(crate::lti::origin_of),
            roster_service: memberships_url.is_some(),
            grade_service: launch.ags.is_some(),
            launched_at: now_secs,
            expires_at: now_secs + self.settings.session_ttl.as_secs(),
        };
        // Not sealed here: the page it hands over to seals it once (`web::extract`).
        Ok(s)
    }

    /// The language an activity's configuration forces, if any. A resource link the LMS
    /// created from a deep-linked item names that item's configuration in its custom
    /// parameters: the first launch gives it to the activity — from its own course's drafts
    /// first, else (a course copied from another: Moodle's backup and restore or Import,
    /// Canvas's course copy, which keep custom parameters) from the original draft in another
    /// course of the same registration.
    async fn activity_locale(
        &self,
        course: CourseId,
        launch: &Launch,
        now: i64,
    ) -> Result<Option<crate::i18n::Locale>, FlowError> {
        let Some(rl) = launch
            .resource_link
            .as_ref()
            .filter(|_| launch.message_type == MessageType::ResourceLink)
        else {
            return Ok(None);
        };
        let mut config = self.courses.config(&self.store, course, &rl.id).await?;
        if config.is_none()
            && let Some(key) = config_key(&launch.custom)
            && self.adopt_configuration(course, &rl.id, key, now).await?
        {
            self.courses.invalidate(course).await;
            config = self.courses.config(&self.store, course, &rl.id).await?;
            if let Some(c) = &config {
                // The deep-linked line item was made with these points; the worker checks.
                self.store
                    .set_activity_points(course, &rl.id, f64::from(c.grading.points()), now)
                    .await?;
            }
        }
        Ok(config.and_then(|c| c.language))
    }

    /// Gives an activity the configuration its key names: its own course's draft, else a
    /// copy of the original draft of another course of the registration. Whether it has one
    /// now.
    async fn adopt_configuration(
        &self,
        course: CourseId,
        resource_link: &str,
        key: &str,
        now: i64,
    ) -> Result<bool, FlowError> {
        if self
            .store
            .adopt_activity_draft(course, resource_link, key)
            .await?
        {
            return Ok(true);
        }
        match self
            .store
            .copy_activity_draft(course, resource_link, key, now)
            .await?
        {
            Some(from) => {
                tracing::info!(
                    course = course.get(),
                    from_course = from.get(),
                    "activity configuration copied from another course of the registration"
                );
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Whether a URL is on this tool's origin.
    pub fn is_own_url(&self, raw: &str) -> bool {
        Url::parse(raw).is_ok_and(|u| u.origin() == self.settings.base_url.origin())
    }
}

/// The refusal of a deployment the operator has not approved, with what names it.
fn unknown_deployment(reg: &Registration, deployment_id: &str) -> LaunchError {
    LaunchError::UnknownDeployment {
        deployment: deployment_id.chars().take(200).collect(),
        issuer: reg.issuer.to_string(),
        client_id: reg.client_id.to_string(),
    }
}

/// The custom parameter a deep-linked item carries: the key of its configuration.
pub const CONFIG_PARAM: &str = "binome_activity";

/// The configuration key of a launch's custom parameters, if it is one we could have made.
pub fn config_key(custom: &serde_json::Map<String, Value>) -> Option<&str> {
    custom
        .get(CONFIG_PARAM)
        .and_then(Value::as_str)
        .filter(|k| {
            (16..=64).contains(&k.len())
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// How a deep-linked item asks to open: in the LMS frame when the platform accepts it.
fn presentation_of(targets: &[String]) -> Option<session::Presentation> {
    let has = |t: &str| targets.iter().any(|x| x == t);
    if has("iframe") || has("frame") {
        Some(session::Presentation::Iframe)
    } else if has("window") {
        Some(session::Presentation::Window)
    } else {
        None
    }
}

impl LaunchFlow {
    /// The session a token opens: sealed by this tool, unexpired, and of a platform that is
    /// still registered. A removed platform's courses are gone with it, so its tokens open
    /// nothing; they are refused like an expired one. The check reads the cached registry
    /// (no query in the common case): an instance sees a removal made elsewhere (the CLI,
    /// another instance) when its snapshot next reloads, within [`registry::MAX_AGE`].
    pub async fn session_of(&self, token: &str, now: u64) -> Result<Option<Session>, StoreError> {
        let Some(s) = self.sessions.verify(token, now) else {
            return Ok(None);
        };
        let snap = self.registry.snapshot().await?;
        Ok(snap.registration(s.registration).is_some().then_some(s))
    }
}
