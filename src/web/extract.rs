//! Session extractors: a handler names what it needs ("a valid session", "a staff session
//! that may manage", "a learner of the activity") as a type, and a request that does not
//! qualify gets its refusal page from here, in the session's language, logged like every
//! refusal.
//!
//! The session token never travels in a URL: pages send it in a hidden form field `t` or an
//! `Authorization: Bearer` header; a redirect carries a single-use hand-off code (`open`)
//! instead, which the page it opens trades for a fresh token once.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::de::DeserializeOwned;

use super::AppState;
use super::body::{form_pairs, read_body, refuse};
use super::error::{Audience, BadForm, Forbidden, OrRefuse, Refusal, WebError};
use crate::launch::now;
use crate::launch::session::Session;

/// How long a hand-off code waits for the page it opens.
pub const HANDOFF_SECS: i64 = 120;

/// The query parameter of a hand-off code.
pub const HANDOFF_PARAM: &str = "open";

/// What a handler requires of the session, beyond being valid.
pub trait Requirement {
    /// Ok when the session qualifies.
    fn check(state: &AppState, s: &Session) -> impl Future<Output = Result<(), WebError>>;
}

/// Any valid session.
pub struct Valid;
/// Anyone of the teaching team (mentors included) on an activity.
pub struct Staff;
/// Staff who may change the course's set-up, still listed so by the LMS roster.
pub struct Manager;
/// A learner (no staff role) of the activity, with an LMS identity.
pub struct Learner;
/// Staff who may manage, adding an activity (deep linking).
pub struct Designer;

impl Requirement for Valid {
    async fn check(_: &AppState, _: &Session) -> Result<(), WebError> {
        Ok(())
    }
}

impl Requirement for Staff {
    async fn check(_: &AppState, s: &Session) -> Result<(), WebError> {
        if !s.is_activity() {
            return Err(WebError::Forbidden(Forbidden::ActivityOnly));
        }
        if !s.staff {
            return Err(WebError::Forbidden(Forbidden::NotStaff));
        }
        Ok(())
    }
}

impl Requirement for Manager {
    async fn check(state: &AppState, s: &Session) -> Result<(), WebError> {
        Staff::check(state, s).await?;
        if !s.may_manage {
            return Err(WebError::Forbidden(Forbidden::NotManager));
        }
        // The token says what the LMS said at launch; a write also needs the LMS's roster, when
        // there is one, to still list the person with a role that may manage.
        if !crate::course::may_still_manage(&state.flow.store, s.course, s.person()).await? {
            return Err(WebError::Forbidden(Forbidden::NotManager));
        }
        Ok(())
    }
}

impl Requirement for Learner {
    async fn check(_: &AppState, s: &Session) -> Result<(), WebError> {
        if !s.is_activity() {
            return Err(WebError::Forbidden(Forbidden::ActivityOnly));
        }
        if s.staff || s.subject.is_none() {
            return Err(WebError::Forbidden(Forbidden::LearnerOnly));
        }
        Ok(())
    }
}

impl Requirement for Designer {
    async fn check(_: &AppState, s: &Session) -> Result<(), WebError> {
        if s.deep_linking().is_none() {
            return Err(WebError::Forbidden(Forbidden::DeepLinkOnly));
        }
        if !s.staff || !s.may_manage {
            return Err(WebError::Forbidden(Forbidden::NotManager));
        }
        Ok(())
    }
}

/// A request with a valid session that meets `R`.
pub struct Authed<R = Valid> {
    pub session: Session,
    /// The token the page carries from now on.
    pub token: String,
    /// Who the answer is for: the session's language and the origins that may frame it.
    pub to: Audience,
    _r: PhantomData<R>,
}

/// A form post with a valid session that meets `R`, and its fields read as `F`.
pub struct AuthedForm<F, R = Valid> {
    pub session: Session,
    pub token: String,
    /// Who the answer is for: the session's language and the origins that may frame it.
    pub to: Audience,
    pub form: F,
    /// Every field in order, for repeated names (checkbox lists).
    pub pairs: Vec<(String, String)>,
    _r: PhantomData<R>,
}

fn state_of(req: &HttpRequest) -> web::Data<AppState> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .unwrap_or_else(|| unreachable!("AppState is registered with every route"))
}

fn bearer(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| v.trim().to_string())
}

fn query_param(req: &HttpRequest, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The origins allowed to frame a session's pages: its platform's, and the LMS page's.
async fn frames_of(state: &AppState, s: &Session) -> Vec<String> {
    let mut frames = match state.flow.registry.snapshot().await {
        Ok(snap) => snap
            .registration(s.registration)
            .map(|r| r.frame_ancestors())
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    frames.extend(s.lms_origin.iter().cloned());
    frames.sort();
    frames.dedup();
    frames
}

/// The course of a session, found only within its registration and deployment.
pub async fn course_of(
    state: &AppState,
    s: &Session,
) -> Result<crate::store::CourseInfo, WebError> {
    state
        .flow
        .store
        .course_in_scope(s.course, s.registration, s.deployment_id.as_str())
        .await?
        .ok_or(WebError::NoSession)
}

/// Who a session's answers are for: its language, framed by its platform and LMS page.
pub async fn audience_of(state: &AppState, s: &Session) -> Audience {
    Audience::new(state.pages.clone(), s.locale, frames_of(state, s).await)
}

/// The session of a token, or `NoSession` when it is forged, expired, or of a platform no
/// longer registered.
pub async fn verify(state: &AppState, token: &str) -> Result<Session, WebError> {
    state
        .flow
        .session_of(token, now() as u64)
        .await?
        .ok_or(WebError::NoSession)
}

/// The session of `token` when it meets `R`, with who its answers are for.
async fn qualify<R: Requirement>(
    state: &AppState,
    req: &HttpRequest,
    token: Option<String>,
) -> Result<(Session, String, Audience), Refusal> {
    let Some(token) = token else {
        return Err(refuse(state, req, WebError::NoSession).await);
    };
    let session = match verify(state, &token).await {
        Ok(s) => s,
        Err(e) => return Err(refuse(state, req, e).await),
    };
    let to = audience_of(state, &session).await;
    R::check(state, &session).await.or_refuse(&to)?;
    Ok((session, token, to))
}

impl<R: Requirement + 'static> FromRequest for Authed<R> {
    type Error = Refusal;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state_of(&req);
            let token = match bearer(&req) {
                Some(t) => Some(t),
                None => match query_param(&req, HANDOFF_PARAM) {
                    Some(code) if is_code(&code) => {
                        match state.flow.store.take_handoff(&code, now()).await {
                            Ok(t) => t,
                            Err(e) => return Err(refuse(&state, &req, e).await),
                        }
                    }
                    _ => None,
                },
            };
            let (session, token, to) = qualify::<R>(&state, &req, token).await?;
            Ok(Authed {
                session,
                token,
                to,
                _r: PhantomData,
            })
        })
    }
}

impl<F: DeserializeOwned + 'static, R: Requirement + 'static> FromRequest for AuthedForm<F, R> {
    type Error = Refusal;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let state = state_of(&req);
            let pairs = match read_body(&req, payload).await {
                Ok(body) => form_pairs(&body),
                Err(e) => Err(WebError::Body(e)),
            };
            let pairs = match pairs {
                Ok(p) => p,
                Err(e) => return Err(refuse(&state, &req, e).await),
            };
            let token = bearer(&req)
                .or_else(|| pairs.iter().find(|(k, _)| k == "t").map(|(_, v)| v.clone()));
            let (session, token, to) = qualify::<R>(&state, &req, token).await?;
            // Serde reads the form from its fields again; unknown ones (such as `t`) are ignored.
            let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
            let form = serde_urlencoded::from_str::<F>(&encoded)
                .map_err(|_| WebError::BadForm(BadForm::Unreadable))
                .or_refuse(&to)?;
            Ok(AuthedForm {
                session,
                token,
                to,
                form,
                pairs,
                _r: PhantomData,
            })
        })
    }
}

/// Whether a value could be one of our hand-off codes (kept out of the query otherwise).
fn is_code(v: &str) -> bool {
    v.len() == 43
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A redirect to a page of the session (post/redirect/get), carrying a single-use hand-off
/// code with a renewed token, a notice to show, and the place on the page to show it.
pub async fn redirect(
    state: &AppState,
    s: &Session,
    page: &str,
    query: &[(&str, &str)],
    anchor: &str,
) -> Result<HttpResponse, WebError> {
    let code = handoff(state, s).await?;
    let mut q: Vec<(&str, &str)> = vec![(HANDOFF_PARAM, code.as_str())];
    q.extend_from_slice(query);
    let qs = serde_urlencoded::to_string(&q).unwrap_or_default();
    let base = state.pages.base_path();
    let fragment = if anchor.is_empty() {
        String::new()
    } else {
        format!("#{anchor}")
    };
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", format!("{base}{page}?{qs}{fragment}")))
        .insert_header(("Cache-Control", "no-store"))
        .finish())
}

/// Stores a hand-off of a renewed token for `s`; returns its code.
pub async fn handoff(state: &AppState, s: &Session) -> Result<String, WebError> {
    let now = now();
    let renewed = s
        .renewed(now as u64, state.flow.settings.session_ttl.as_secs())
        .ok_or(WebError::NoSession)?;
    let token = state.flow.sessions.sign(&renewed);
    let code = crate::lti::login::random_token();
    state
        .flow
        .store
        .put_handoff(&code, &token, now + HANDOFF_SECS)
        .await?;
    Ok(code)
}
