//! The one place where errors become HTTP: each refusal is a 4xx page that says what went
//! wrong and what the LMS administrator should check, logged as one structured line with its
//! reason code; internal failures are logged with their cause and shown with an opaque id.

use std::sync::Arc;

use actix_web::http::ConnectionType;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::{HttpResponse, ResponseError};
use minijinja::context;

use super::pages::{Pages, RenderError};
use crate::coaching::CoachingError;
use crate::i18n::{Arg, Locale};
use crate::launch::FlowError;
use crate::launch::registration::RegisterError;
use crate::lti::LaunchError;
use crate::lti::registration::{Endpoint, RegistrationError};
use crate::realtime::live::LiveError;
use crate::store::StoreError;

/// Why a session may not do what it asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forbidden {
    /// Only the teaching team may do this.
    NotStaff,
    /// Staff who may only look (Mentors) asked to change something, or the LMS no longer lists
    /// the person with a role that may manage the course.
    NotManager,
    /// Only learners of the activity may do this.
    LearnerOnly,
    /// The page belongs to adding an activity (deep linking), not to an activity.
    DeepLinkOnly,
    /// The page belongs to an activity, not to adding one.
    ActivityOnly,
    /// The platform's deep-linking request takes no `ltiResourceLink` item.
    DeepLinkKind,
    /// The course already holds as many deep-linked configurations as it may.
    TooManyDrafts,
}

impl Forbidden {
    /// The reason code of the refusal page, which is also the id of its message.
    fn code(self) -> &'static str {
        match self {
            Forbidden::NotStaff => "forbidden_not_staff",
            Forbidden::NotManager => "forbidden_not_manager",
            Forbidden::LearnerOnly => "forbidden_learner_only",
            Forbidden::DeepLinkOnly => "forbidden_deep_link_only",
            Forbidden::ActivityOnly => "forbidden_activity_only",
            Forbidden::DeepLinkKind => "forbidden_deep_link_kind",
            Forbidden::TooManyDrafts => "forbidden_too_many_drafts",
        }
    }
}

/// A form a person filled in on one of our pages could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadForm {
    /// The body is not a form we can read.
    Unreadable,
    /// A value holds a NUL character (PostgreSQL text refuses it).
    Nul,
    /// A required field is empty; the value is the message key of the field's label.
    Missing(&'static str),
    /// The action named is not one this page offers.
    UnknownAction,
}

/// Why a request's body or query could not be read (before any of its fields is used).
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The body is larger than [`super::MAX_BODY`].
    #[error("request too large")]
    TooLarge,
    /// The body broke off or could not be received.
    #[error("unreadable request body")]
    Payload(#[source] actix_web::error::PayloadError),
    /// The body or the query is not URL-encoded form data.
    #[error("the {0} is not a form")]
    NotAForm(&'static str, #[source] serde_urlencoded::de::Error),
}

/// A bound on what one person, one address or the whole instance may use was reached: the
/// request may come again later (the answer says when, in `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// This member sent more live-session writes than a person makes (seconds to wait).
    Writes { retry_after: u64 },
    /// This client address holds as many event streams as one address may.
    ClientStreams,
    /// This instance holds as many event streams as it may.
    ServerStreams,
}

/// How long a screen refused an event stream waits before it tries again (the page's script
/// backs off to this too).
const STREAM_RETRY_SECS: u64 = 10;

impl Busy {
    /// The seconds of the `Retry-After` header.
    pub fn retry_after(self) -> u64 {
        match self {
            Busy::Writes { retry_after } => retry_after,
            Busy::ClientStreams | Busy::ServerStreams => STREAM_RETRY_SECS,
        }
    }
}

impl From<crate::realtime::streams::StreamRefused> for Busy {
    fn from(r: crate::realtime::streams::StreamRefused) -> Busy {
        match r {
            crate::realtime::streams::StreamRefused::Client => Busy::ClientStreams,
            crate::realtime::streams::StreamRefused::Server => Busy::ServerStreams,
        }
    }
}

/// An error of the web layer.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// An LTI login or launch was refused.
    #[error(transparent)]
    Refused(#[from] LaunchError),
    /// A request's body or query could not be read.
    #[error(transparent)]
    Body(#[from] BodyError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The session token is missing, forged or expired.
    #[error("no valid session")]
    NoSession,
    /// The session does not allow this action.
    #[error("forbidden: {0:?}")]
    Forbidden(Forbidden),
    /// No such page.
    #[error("not found")]
    NotFound,
    /// A form on one of our pages could not be used (not an LMS problem).
    #[error("bad form: {0:?}")]
    BadForm(BadForm),
    /// A live-session action was refused or failed.
    #[error(transparent)]
    Live(#[from] LiveError),
    /// Too much at once from this member or address, or for this instance; try again later.
    #[error("busy: {0:?}")]
    Busy(Busy),
    /// A Dynamic Registration could not go on (never a store failure: that is `Store`).
    #[error(transparent)]
    Registration(RegisterError),
    /// A page could not be rendered (a bug on our side).
    #[error(transparent)]
    Render(#[from] RenderError),
    /// A bug or an unavailable dependency on our side.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl WebError {
    /// The HTTP status of the answer: the one place a status is chosen for an error.
    pub fn status(&self) -> StatusCode {
        use LaunchError as L;
        match self {
            WebError::Refused(L::TooLarge) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Refused(
                L::LoginRateLimited { .. }
                | L::PlatformRateLimited { .. }
                | L::TooManyPendingLogins,
            ) => StatusCode::TOO_MANY_REQUESTS,
            WebError::Refused(
                L::UnknownPlatform { .. }
                | L::UnknownDeployment { .. }
                | L::ForeignLaunchOrigin(_)
                | L::PlatformPending(_),
            ) => StatusCode::FORBIDDEN,
            WebError::Refused(L::Replayed) => StatusCode::CONFLICT,
            WebError::Refused(
                L::MissingParam(_)
                | L::AmbiguousClient(_)
                | L::ForeignTargetLink(_)
                | L::Malformed(_)
                | L::WrongVersion(_)
                | L::UnknownMessageType(_)
                | L::MissingClaim(_)
                | L::InvalidClaims(_),
            ) => StatusCode::BAD_REQUEST,
            WebError::Refused(
                L::PlatformError { .. }
                | L::AlgNotAllowed(_)
                | L::UnknownKid(_)
                | L::BadSignature
                | L::JwksUnavailable(_)
                | L::Expired
                | L::IssuedInFuture
                | L::WrongIssuer
                | L::WrongAudience
                | L::WrongAzp
                | L::NonceMismatch
                | L::StateUnknown
                | L::StateExpired
                | L::StateMismatch
                | L::BrowserCheckFailed,
            ) => StatusCode::UNAUTHORIZED,
            WebError::Body(BodyError::TooLarge) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Body(BodyError::Payload(_) | BodyError::NotAForm(..)) => {
                StatusCode::BAD_REQUEST
            }
            WebError::NoSession => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::BadForm(_) => StatusCode::BAD_REQUEST,
            WebError::Live(LiveError::Refused(_)) => StatusCode::CONFLICT,
            WebError::Live(LiveError::NotAMember) => StatusCode::FORBIDDEN,
            WebError::Live(
                LiveError::LogFull | LiveError::TooManySessions | LiveError::GroupFull,
            ) => StatusCode::TOO_MANY_REQUESTS,
            WebError::Live(LiveError::UnknownField(_)) => StatusCode::BAD_REQUEST,
            WebError::Busy(Busy::Writes { .. } | Busy::ClientStreams) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            WebError::Busy(Busy::ServerStreams) => StatusCode::SERVICE_UNAVAILABLE,
            // A request we cannot use is the asker's; a platform that failed or refused is
            // a bad gateway.
            WebError::Registration(RegisterError::Refused(
                RegistrationError::MissingConfigurationUrl
                | RegistrationError::BadConfigurationUrl(_)
                | RegistrationError::TokenTooLong,
            )) => StatusCode::BAD_REQUEST,
            WebError::Registration(RegisterError::Refused(_) | RegisterError::Failed { .. }) => {
                StatusCode::BAD_GATEWAY
            }
            WebError::Registration(RegisterError::ProofInvalid) => StatusCode::BAD_REQUEST,
            WebError::Registration(RegisterError::RateLimited { .. } | RegisterError::Busy) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            WebError::Registration(
                RegisterError::InvitationRequired
                | RegisterError::InvitationInvalid
                | RegisterError::Closed,
            ) => StatusCode::FORBIDDEN,
            WebError::Registration(RegisterError::AlreadyRegistered) => StatusCode::CONFLICT,
            // The database is unavailable: the request may succeed later.
            WebError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_)
            | WebError::Render(_)
            | WebError::Registration(RegisterError::Store(_))
            | WebError::Live(LiveError::Store(_) | LiveError::Corrupt { .. }) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl From<Forbidden> for WebError {
    fn from(f: Forbidden) -> WebError {
        WebError::Forbidden(f)
    }
}

impl From<BadForm> for WebError {
    fn from(f: BadForm) -> WebError {
        WebError::BadForm(f)
    }
}

impl From<Busy> for WebError {
    fn from(b: Busy) -> WebError {
        WebError::Busy(b)
    }
}

impl From<RegisterError> for WebError {
    fn from(e: RegisterError) -> WebError {
        match e {
            RegisterError::Store(s) => WebError::Store(s),
            other => WebError::Registration(other),
        }
    }
}

impl From<crate::read::ReadError> for WebError {
    fn from(e: crate::read::ReadError) -> WebError {
        match e {
            crate::read::ReadError::Store(s) => WebError::Store(s),
            crate::read::ReadError::Live(l) => WebError::Live(l),
        }
    }
}

impl From<FlowError> for WebError {
    fn from(e: FlowError) -> WebError {
        match e {
            FlowError::Refused(r) => WebError::Refused(r),
            FlowError::Store(s) => WebError::Store(s),
        }
    }
}

/// Who a refusal is answered to: the reader's language and the origins that may frame the
/// page, with the pages to render it. A session's handlers get theirs from the extractors
/// (`extract::Authed::to`), a request without a session from `body::audience`.
#[derive(Clone)]
pub struct Audience {
    pages: Arc<Pages>,
    pub locale: Locale,
    pub frames: Vec<String>,
}

impl Audience {
    pub fn new(pages: Arc<Pages>, locale: Locale, frames: Vec<String>) -> Audience {
        Audience {
            pages,
            locale,
            frames,
        }
    }

    /// A page to this audience, framed by its origins.
    pub fn page(&self, status: StatusCode, html: String) -> HttpResponse {
        self.pages.respond(status, html, &self.frames)
    }

    /// `err`, answered with its page.
    pub fn refuse(&self, err: impl Into<WebError>) -> Refusal {
        Refusal {
            error: err.into(),
            to: self.clone(),
            json: false,
            reopen: false,
            close: false,
        }
    }

    /// `err`, answered with the JSON a page's script reads (`{"code", "message"}`).
    pub fn refuse_json(&self, err: impl Into<WebError>) -> Refusal {
        Refusal {
            json: true,
            ..self.refuse(err)
        }
    }
}

/// An error on its way to becoming the answer: the error, and what the answer needs (the
/// reader's language and the origins that may frame the page). Handlers return
/// `Result<HttpResponse, Refusal>`; actix renders it through [`ResponseError`], which takes
/// the status from [`WebError::status`] and logs the refusal (see [`describe`]).
pub struct Refusal {
    error: WebError,
    to: Audience,
    /// Answered as JSON for a page's script, not as a page.
    json: bool,
    /// A page of a session was asked without one: the page's script may reopen it from the
    /// token it keeps for this tab (a reload inside the LMS frame).
    reopen: bool,
    /// The connection closes with the answer (a refused event stream tries again later on a
    /// new one).
    close: bool,
}

impl Refusal {
    /// The error refused.
    pub fn error(&self) -> &WebError {
        &self.error
    }

    /// Offers the page's script to reopen the page from the tab's token.
    pub fn reopening(mut self, reopen: bool) -> Refusal {
        self.reopen = reopen;
        self
    }

    /// Closes the connection with the answer.
    pub fn closing(mut self) -> Refusal {
        self.close = true;
        self
    }
}

impl std::fmt::Debug for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refusal")
            .field("error", &self.error)
            .field("locale", &self.to.locale)
            .field("json", &self.json)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for Refusal {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        self.error.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut resp = if self.json {
            respond_json(&self.error, self.to.locale)
        } else {
            respond(&self.to.pages, &self.error, &self.to, self.reopen)
        };
        if self.close {
            resp.head_mut().set_connection_type(ConnectionType::Close);
        }
        resp
    }
}

/// Turns the error of a result into a [`Refusal`] to `to`, so handlers can use `?`.
pub trait OrRefuse<T> {
    /// The error answered with its page.
    fn or_refuse(self, to: &Audience) -> Result<T, Refusal>;
    /// The error answered with JSON for a page's script.
    fn or_refuse_json(self, to: &Audience) -> Result<T, Refusal>;
}

impl<T, E: Into<WebError>> OrRefuse<T> for Result<T, E> {
    fn or_refuse(self, to: &Audience) -> Result<T, Refusal> {
        self.map_err(|e| to.refuse(e))
    }

    fn or_refuse_json(self, to: &Audience) -> Result<T, Refusal> {
        self.map_err(|e| to.refuse_json(e))
    }
}

/// A fresh opaque id for an internal error: shown to the person, logged with the cause.
fn error_id_now() -> String {
    crate::lti::login::random_token()[..12].to_string()
}

/// The error's cause chain, for the log.
fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(c) = cur {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cur = c.source();
    }
    out
}

/// What an error says: its status, reason code, what happened, what to check, and for an
/// internal error the opaque id it is logged under.
struct Described {
    status: StatusCode,
    code: &'static str,
    what: String,
    check: String,
    /// The command that fixes it, to run on the Binôme server (shown as code after `check`).
    command: Option<String>,
    error_id: Option<String>,
    /// Seconds after which the request may come again (`Retry-After`).
    retry_after: Option<u64>,
}

/// A refusal whose message id is its code, with nothing to check.
fn plain(l: Locale, code: &'static str) -> (&'static str, String, String, Option<String>) {
    (code, l.t(code), String::new(), None)
}

/// A refusal whose message id is its code, and `<code>_check` says what to check.
fn checked(l: Locale, code: &'static str) -> (&'static str, String, String, Option<String>) {
    (code, l.t(code), l.t(&format!("{code}_check")), None)
}

/// Describes an error in the page's language and logs it: every refusal as one
/// `binome::refusal` line with its reason code, every internal error with its cause chain
/// and an opaque id.
fn describe(err: &WebError, l: Locale) -> Described {
    let command = match err {
        WebError::Refused(e) => fix_command(e),
        _ => None,
    };
    let status = err.status();
    let (code, what, check, error_id) = match err {
        WebError::Refused(e) => {
            let (what, check) = explain(e, l);
            (e.code(), what, check, None)
        }
        // Worded as the launch refusals were, which these once were.
        WebError::Body(b) => {
            let (code, case) = match b {
                BodyError::TooLarge => ("request_too_large", "refused_too_large"),
                BodyError::Payload(_) | BodyError::NotAForm(..) => {
                    ("bad_request", "refused_malformed")
                }
            };
            (code, l.t(case), l.t(&format!("{case}_check")), None)
        }
        WebError::NoSession => (
            "session_invalid",
            l.t("session_expired"),
            String::new(),
            None,
        ),
        WebError::Forbidden(f) => (f.code(), l.t(f.code()), String::new(), None),
        WebError::NotFound => plain(l, "not_found"),
        WebError::BadForm(f) => (
            "bad_form",
            match f {
                BadForm::Unreadable => l.t("form_unreadable"),
                BadForm::Nul => l.t("form_nul"),
                BadForm::UnknownAction => l.t("form_unknown_action"),
                BadForm::Missing(field) => l.tr("form_missing", &[("field", l.t(field).into())]),
            },
            String::new(),
            None,
        ),
        WebError::Live(LiveError::Refused(e)) => (
            "coaching_refused",
            coaching_refusal(e, l),
            String::new(),
            None,
        ),
        WebError::Live(LiveError::NotAMember) => plain(l, "coaching_not_member"),
        WebError::Live(LiveError::LogFull) => plain(l, "coaching_log_full"),
        WebError::Live(LiveError::TooManySessions) => plain(l, "coaching_too_many_sessions"),
        WebError::Live(LiveError::GroupFull) => plain(l, "coaching_group_full"),
        WebError::Busy(b) => match b {
            Busy::Writes { retry_after } => (
                "session_too_fast",
                l.tr(
                    "session_too_fast",
                    &[("retry_after", (*retry_after).into())],
                ),
                String::new(),
                None,
            ),
            Busy::ClientStreams => plain(l, "stream_limit_client"),
            Busy::ServerStreams => plain(l, "stream_limit_server"),
        },
        WebError::Live(LiveError::UnknownField(_)) => {
            ("bad_form", l.t("form_unknown_action"), String::new(), None)
        }
        WebError::Registration(RegisterError::Refused(e)) => {
            let (what, check) = explain_registration(e, l);
            (e.code(), what, check, None)
        }
        WebError::Registration(RegisterError::ProofInvalid) => checked(l, "register_proof_invalid"),
        WebError::Registration(RegisterError::RateLimited { retry_after }) => (
            "register_rate_limited",
            l.tr(
                "register_rate_limited",
                &[("retry_after", (*retry_after).into())],
            ),
            l.t("register_busy_check"),
            None,
        ),
        WebError::Registration(RegisterError::Busy) => checked(l, "register_busy"),
        // One page for every failure that involves another system, to anyone without an
        // invitation: same status, same words, nothing the other system said.
        WebError::Registration(RegisterError::Failed { .. }) => checked(l, "register_failed"),
        WebError::Registration(RegisterError::InvitationRequired) => {
            checked(l, "register_invitation_required")
        }
        WebError::Registration(RegisterError::InvitationInvalid) => {
            checked(l, "register_invitation_invalid")
        }
        WebError::Registration(RegisterError::Closed) => checked(l, "register_closed"),
        WebError::Registration(RegisterError::AlreadyRegistered) => {
            checked(l, "register_already_registered")
        }
        WebError::Store(_)
        | WebError::Internal(_)
        | WebError::Render(_)
        | WebError::Registration(RegisterError::Store(_))
        | WebError::Live(LiveError::Store(_) | LiveError::Corrupt { .. }) => {
            let id = error_id_now();
            (
                "internal_error",
                l.t("internal_error"),
                String::new(),
                Some(id),
            )
        }
    };
    match &error_id {
        Some(id) => tracing::error!(error_id = %id, error = %chain(err), "internal error"),
        None => {
            tracing::warn!(target: "binome::refusal", status = status.as_u16(), reason = code, detail = %err, "request refused")
        }
    }
    let retry_after = match err {
        WebError::Busy(b) => Some(b.retry_after()),
        WebError::Refused(e) => e.retry_after(),
        _ => None,
    };
    Described {
        status,
        code,
        what,
        check,
        command,
        error_id,
        retry_after,
    }
}

/// Whether opening the activity again from the course may get past a refused launch: a
/// sign-in that expired, was replayed or lost its browser, a busy moment, a key set that could
/// not be read. Refusals that come from how the LMS and Binôme are set up (an unknown
/// platform or deployment, a registration waiting for approval, a wrong signature or
/// audience, a launch Binôme cannot read) come back at every try: a learner is not told to
/// try again, only whom to tell.
fn reopening_helps(e: &LaunchError) -> bool {
    match e {
        LaunchError::PlatformError { .. }
        | LaunchError::JwksUnavailable(_)
        | LaunchError::Expired
        | LaunchError::IssuedInFuture
        | LaunchError::NonceMismatch
        | LaunchError::StateUnknown
        | LaunchError::StateExpired
        | LaunchError::StateMismatch
        | LaunchError::Replayed
        | LaunchError::BrowserCheckFailed
        | LaunchError::LoginRateLimited { .. }
        | LaunchError::PlatformRateLimited { .. }
        | LaunchError::TooManyPendingLogins
        | LaunchError::ForeignLaunchOrigin(_) => true,
        LaunchError::MissingParam(_)
        | LaunchError::UnknownPlatform { .. }
        | LaunchError::AmbiguousClient(_)
        | LaunchError::ForeignTargetLink(_)
        | LaunchError::Malformed(_)
        | LaunchError::AlgNotAllowed(_)
        | LaunchError::UnknownKid(_)
        | LaunchError::BadSignature
        | LaunchError::WrongIssuer
        | LaunchError::WrongAudience
        | LaunchError::WrongAzp
        | LaunchError::InvalidClaims(_)
        | LaunchError::UnknownDeployment { .. }
        | LaunchError::WrongVersion(_)
        | LaunchError::UnknownMessageType(_)
        | LaunchError::MissingClaim(_)
        | LaunchError::TooLarge
        | LaunchError::PlatformPending(_) => false,
    }
}

/// A word of a shell command as typed: as is when it holds nothing the shell reads
/// specially, else in single quotes.
fn shell_word(w: &str) -> String {
    let plain = !w.is_empty()
        && w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/@%+=,".contains(&b));
    if plain {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

/// The command an operator runs on the Binôme server to get past a refusal, whole (the
/// registration named as `binome platform list` shows it), when one does.
fn fix_command(e: &LaunchError) -> Option<String> {
    match e {
        LaunchError::UnknownDeployment {
            deployment,
            issuer,
            client_id,
        } => Some(format!(
            "binome platform approve-deployment --issuer {} --client-id {} --deployment-id {}",
            shell_word(issuer),
            shell_word(client_id),
            shell_word(deployment)
        )),
        LaunchError::PlatformPending(id) => Some(format!("binome platform approve {id}")),
        _ => None,
    }
}

/// Renders an error as a page, logged (see [`describe`]).
fn respond(pages: &Pages, err: &WebError, to: &Audience, reopen: bool) -> HttpResponse {
    let l = to.locale;
    let registering = matches!(err, WebError::Registration(_));
    let title = l.t(if registering {
        "register_error_title"
    } else {
        "error_title"
    });
    let d = describe(err, l);
    let status = d.status;
    let reopen_helps = match err {
        WebError::Refused(e) => reopening_helps(e),
        // Sending the same body again meets the same refusal.
        WebError::Body(_) => false,
        _ => true,
    };
    let rendered = pages.render(
        "error.html",
        l,
        context! {
            heading => title, what => d.what, check => d.check, command => d.command, code => d.code, error_id => d.error_id,
            show_help => status.is_client_error() && status != StatusCode::NOT_FOUND && !registering && !matches!(err, WebError::Forbidden(_) | WebError::BadForm(_) | WebError::Busy(_)),
            reopen_helps => reopen_helps,
            relaunch => Vec::<(String, String)>::new(), reopen => reopen,
        },
    );
    let (status, html, code) = match rendered {
        Ok(html) => (status, html, d.code),
        // The error page itself failed: a bare apology with the id the failure is logged
        // under, never the error's own page half made.
        Err(e) => {
            let id = error_id_now();
            tracing::error!(error_id = %id, error = %chain(&e), "internal error");
            let html = format!(
                "<!doctype html><title>Binôme</title><p>{} ({id})</p>",
                l.t("internal_error")
            );
            (StatusCode::INTERNAL_SERVER_ERROR, html, "internal_error")
        }
    };
    let mut resp = pages.respond(status, html, &to.frames);
    with_retry_after(&mut resp, d.retry_after);
    // The reason code travels with the answer to the metrics (`web::observe`).
    resp.extensions_mut().insert(super::observe::Reason(code));
    resp
}

/// Adds `Retry-After` to a refusal that may be tried again later.
fn with_retry_after(resp: &mut HttpResponse, seconds: Option<u64>) {
    if let Some(v) = seconds.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        resp.headers_mut().insert(RETRY_AFTER, v);
    }
}

/// An error as the JSON a page's script reads (`{"code", "message"}`), logged like a page.
fn respond_json(err: &WebError, l: Locale) -> HttpResponse {
    let d = describe(err, l);
    let message = match d.error_id {
        Some(id) => format!("{} ({id})", d.what),
        None => d.what,
    };
    let mut resp = HttpResponse::build(d.status)
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({ "code": d.code, "message": message }));
    with_retry_after(&mut resp, d.retry_after);
    // The reason code travels with the answer to the metrics (`web::observe`).
    resp.extensions_mut().insert(super::observe::Reason(d.code));
    resp
}

/// Why the method refused a live-session action, in words a member understands.
fn coaching_refusal(e: &CoachingError, l: Locale) -> String {
    let id = match e {
        CoachingError::SessionOver => "live_refused_over",
        CoachingError::FrameworkNotAccepted => "live_refused_framework",
        CoachingError::NotEveryonePrepared => "live_refused_not_prepared",
        CoachingError::NotTheCoach { .. } => "live_refused_not_coach",
        CoachingError::EndRoundFirst | CoachingError::RoundNotFinished { .. } => {
            "live_refused_round"
        }
        CoachingError::CloseTooEarly => "live_refused_close",
        CoachingError::AlreadyPaused | CoachingError::NotPaused | CoachingError::NoTimer => {
            "live_refused_timer"
        }
        CoachingError::ExtensionOutOfRange { .. } | CoachingError::ExtensionCapReached { .. } => {
            "live_refused_extension"
        }
        CoachingError::NotYourField => "live_refused_not_your_field",
        CoachingError::FieldNotOpenYet => "live_refused_field_not_open",
        CoachingError::FieldTooLong { max, .. } => {
            return l.tr("live_refused_too_long", &[("max", (*max as i64).into())]);
        }
        CoachingError::FieldMalformed { .. } => "live_refused_malformed",
        CoachingError::NotALink => "live_refused_not_a_link",
        CoachingError::NotAMoment => "live_refused_not_a_moment",
        CoachingError::AbandonAlreadyRequested => "live_refused_abandon_asked",
        CoachingError::NoAbandonRequest => "live_refused_no_abandon_request",
        CoachingError::InvalidGroupSize { .. }
        | CoachingError::NotAMember { .. }
        | CoachingError::WrongPhase
        | CoachingError::AlreadyAccepted
        | CoachingError::AlreadyPrepared
        | CoachingError::NoPreviousStep
        | CoachingError::InvalidTiming { .. }
        | CoachingError::NoSuchRound { .. }
        | CoachingError::FieldScopeMismatch { .. }
        | CoachingError::NoObserver
        | CoachingError::EventDoesNotFit { .. } => "live_refused_now",
    };
    l.t(id)
}

/// (what happened, what the LMS administrator should check) of a Dynamic Registration that
/// could not go on: the messages `<code>` and `<code>_check` of `registration.ftl`. What the
/// platform said is quoted as received (bounded; the page escapes it).
fn explain_registration(e: &RegistrationError, l: Locale) -> (String, String) {
    let status;
    let (id, args): (&str, Vec<(&str, Arg<'_>)>) = match e {
        RegistrationError::MissingConfigurationUrl | RegistrationError::TokenTooLong => {
            (e.code(), vec![])
        }
        RegistrationError::BadConfigurationUrl(u) => (e.code(), vec![("url", u.into())]),
        RegistrationError::Unreachable { what, detail } => (
            match what {
                Endpoint::Configuration => "register_unreachable_configuration",
                Endpoint::Registration => "register_unreachable_registration",
            },
            vec![("detail", detail.into())],
        ),
        RegistrationError::ConfigurationStatus {
            status: s,
            token_sent,
        } => {
            status = i64::from(*s);
            let what = l.tr(e.code(), &[("status", status.into())]);
            let check = if *token_sent {
                "register_configuration_status_check"
            } else {
                "register_configuration_status_no_token_check"
            };
            return (what, l.t(check));
        }
        RegistrationError::ConfigurationInvalid(d) | RegistrationError::AnswerInvalid(d) => {
            (e.code(), vec![("detail", d.into())])
        }
        RegistrationError::WrongIssuer {
            issuer,
            configuration,
        } => (
            e.code(),
            vec![
                ("issuer", issuer.into()),
                ("configuration", configuration.into()),
            ],
        ),
        RegistrationError::InsecureEndpoint { field, url } => (
            e.code(),
            vec![("field", (*field).into()), ("url", url.into())],
        ),
        RegistrationError::MissingEndpoint(field) => (e.code(), vec![("field", (*field).into())]),
        RegistrationError::Refused { status: s, message } => {
            status = i64::from(*s);
            (
                e.code(),
                vec![("status", status.into()), ("message", message.into())],
            )
        }
    };
    (l.tr(id, &args), l.tr(&format!("{id}_check"), &args))
}

/// (what happened, what the LMS administrator should check), in the page's language: the
/// messages `refused_<case>` and `refused_<case>_check` of `refusals.ftl`.
fn explain(e: &LaunchError, l: Locale) -> (String, String) {
    let detail = e.to_string();
    let client_id;
    let (case, args): (&str, Vec<(&str, Arg<'_>)>) = match e {
        LaunchError::MissingParam(p) => ("refused_missing_param", vec![("param", (*p).into())]),
        LaunchError::UnknownPlatform {
            issuer,
            client_id: c,
        } => {
            client_id = c.clone().unwrap_or_else(|| l.t("refused_no_client_id"));
            (
                "refused_unknown_platform",
                vec![
                    ("issuer", issuer.into()),
                    ("client_id", (&client_id).into()),
                ],
            )
        }
        LaunchError::AmbiguousClient(iss) => {
            ("refused_ambiguous_client", vec![("issuer", iss.into())])
        }
        LaunchError::ForeignTargetLink(u) => ("refused_foreign_target", vec![("target", u.into())]),
        LaunchError::PlatformError { error, description } => {
            let what = match description {
                Some(d) => l.tr(
                    "refused_platform_error_described",
                    &[("error", error.into()), ("description", d.into())],
                ),
                None => l.tr("refused_platform_error", &[("error", error.into())]),
            };
            return (what, l.t("refused_platform_error_check"));
        }
        LaunchError::Malformed(_) => ("refused_malformed", vec![]),
        LaunchError::AlgNotAllowed(a) => ("refused_alg", vec![("alg", a.into())]),
        LaunchError::UnknownKid(_) | LaunchError::BadSignature => ("refused_signature", vec![]),
        LaunchError::JwksUnavailable(m) => ("refused_jwks", vec![("detail", m.into())]),
        LaunchError::Expired | LaunchError::IssuedInFuture => ("refused_time", vec![]),
        LaunchError::WrongIssuer | LaunchError::WrongAudience | LaunchError::WrongAzp => {
            ("refused_wrong_party", vec![])
        }
        LaunchError::InvalidClaims(_)
        | LaunchError::MissingClaim(_)
        | LaunchError::WrongVersion(_)
        | LaunchError::UnknownMessageType(_) => {
            ("refused_invalid", vec![("detail", (&detail).into())])
        }
        LaunchError::NonceMismatch
        | LaunchError::StateUnknown
        | LaunchError::StateMismatch
        | LaunchError::BrowserCheckFailed => ("refused_state", vec![]),
        LaunchError::StateExpired => ("refused_state_expired", vec![]),
        LaunchError::Replayed => ("refused_replayed", vec![]),
        LaunchError::UnknownDeployment { deployment, .. } => (
            "refused_unknown_deployment",
            vec![("deployment", deployment.into())],
        ),
        LaunchError::TooLarge => ("refused_too_large", vec![]),
        LaunchError::LoginRateLimited { retry_after } => (
            "refused_login_rate_limited",
            vec![("retry_after", (*retry_after).into())],
        ),
        LaunchError::PlatformRateLimited { retry_after } => (
            "refused_platform_login_rate_limited",
            vec![("retry_after", (*retry_after).into())],
        ),
        LaunchError::TooManyPendingLogins => ("refused_too_many_pending_logins", vec![]),
        LaunchError::ForeignLaunchOrigin(from) => (
            "refused_launch_origin_mismatch",
            vec![("from", from.into())],
        ),
        LaunchError::PlatformPending(id) => (
            "refused_platform_pending",
            vec![("id", i64::from(*id).into())],
        ),
    };
    (l.tr(case, &args), l.tr(&format!("{case}_check"), &args))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VARIANTS: usize = 32;

    /// The variant of a refusal, as a number: exhaustive on purpose.
    fn variant(e: &LaunchError) -> usize {
        match e {
            LaunchError::MissingParam(_) => 0,
            LaunchError::UnknownPlatform { .. } => 1,
            LaunchError::AmbiguousClient(_) => 2,
            LaunchError::ForeignTargetLink(_) => 3,
            LaunchError::PlatformError { .. } => 4,
            LaunchError::Malformed(_) => 5,
            LaunchError::AlgNotAllowed(_) => 6,
            LaunchError::UnknownKid(_) => 7,
            LaunchError::BadSignature => 8,
            LaunchError::JwksUnavailable(_) => 9,
            LaunchError::Expired => 10,
            LaunchError::IssuedInFuture => 11,
            LaunchError::WrongIssuer => 12,
            LaunchError::WrongAudience => 13,
            LaunchError::WrongAzp => 14,
            LaunchError::InvalidClaims(_) => 15,
            LaunchError::NonceMismatch => 16,
            LaunchError::StateUnknown => 17,
            LaunchError::StateExpired => 18,
            LaunchError::StateMismatch => 19,
            LaunchError::Replayed => 20,
            LaunchError::UnknownDeployment { .. } => 21,
            LaunchError::WrongVersion(_) => 22,
            LaunchError::UnknownMessageType(_) => 23,
            LaunchError::MissingClaim(_) => 24,
            LaunchError::TooLarge => 25,
            LaunchError::BrowserCheckFailed => 26,
            LaunchError::LoginRateLimited { .. } => 27,
            LaunchError::PlatformRateLimited { .. } => 28,
            LaunchError::ForeignLaunchOrigin(_) => 29,
            LaunchError::TooManyPendingLogins => 30,
            LaunchError::PlatformPending(_) => 31,
        }
    }

    #[test]
    fn every_web_refusal_is_a_4xx_page_with_its_own_reason() {
        let pages = Arc::new(Pages::new("http://tool.example").unwrap());
        let all = [
            WebError::NoSession,
            WebError::NotFound,
            WebError::Forbidden(Forbidden::NotStaff),
            WebError::Forbidden(Forbidden::NotManager),
            WebError::Forbidden(Forbidden::LearnerOnly),
            WebError::Forbidden(Forbidden::DeepLinkOnly),
            WebError::Forbidden(Forbidden::ActivityOnly),
            WebError::Forbidden(Forbidden::DeepLinkKind),
            WebError::Forbidden(Forbidden::TooManyDrafts),
            WebError::BadForm(BadForm::Unreadable),
            WebError::BadForm(BadForm::Nul),
            WebError::BadForm(BadForm::UnknownAction),
            WebError::BadForm(BadForm::Missing("cfg_field_title")),
            WebError::Refused(LaunchError::Replayed),
            WebError::Body(BodyError::TooLarge),
            WebError::Body(BodyError::NotAForm(
                "body",
                serde_urlencoded::from_str::<Vec<(String, u8)>>("a=b").unwrap_err(),
            )),
            WebError::Live(LiveError::NotAMember),
            WebError::Live(LiveError::LogFull),
            WebError::Live(LiveError::TooManySessions),
            WebError::Live(LiveError::GroupFull),
            WebError::Live(LiveError::UnknownField("x".into())),
            WebError::Busy(Busy::Writes { retry_after: 3 }),
            WebError::Busy(Busy::ClientStreams),
            WebError::Live(LiveError::Refused(CoachingError::SessionOver)),
            WebError::Live(LiveError::Refused(CoachingError::FieldTooLong {
                chars: 9,
                max: 8,
            })),
        ];
        for e in &all {
            for l in Locale::ALL {
                let r = respond(&pages, e, &Audience::new(pages.clone(), l, vec![]), false);
                assert!(r.status().is_client_error(), "{e:?}");
            }
        }
        // Each "not allowed" says what was refused, in words of its own.
        let texts: std::collections::BTreeSet<String> = [
            Forbidden::NotStaff,
            Forbidden::NotManager,
            Forbidden::LearnerOnly,
            Forbidden::DeepLinkOnly,
            Forbidden::ActivityOnly,
            Forbidden::DeepLinkKind,
            Forbidden::TooManyDrafts,
        ]
        .iter()
        .map(|f| Locale::En.t(f.code()))
        .collect();
        assert_eq!(texts.len(), 7);
    }

    /// The error id a page shows (the last `<dd><code>id</code></dd>`, after the reason
    /// code), if any.
    /// The text of an answer whose body is already in memory.
    fn body_text(answer: HttpResponse) -> String {
        let body = actix_web::body::to_bytes(answer.into_body());
        let body = futures_util::FutureExt::now_or_never(body)
            .expect("a body in memory")
            .unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    fn shown_id(html: &str) -> Option<&str> {
        let start = html.rfind("<dd><code>")? + "<dd><code>".len();
        Some(&html[start..start + html[start..].find('<')?])
    }

    #[test]
    fn a_template_that_fails_is_a_500_with_an_error_id_never_a_200() {
        // Strict mode: a value the template needs and the context lacks fails the render.
        let broken =
            Pages::with_templates("http://tool.example", &[("broken.html", "{{ missing }}")])
                .unwrap();
        let err = broken
            .render("broken.html", Locale::En, context! {})
            .unwrap_err();
        let err = WebError::from(err);
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let pages = Arc::new(Pages::new("http://tool.example").unwrap());
        for l in Locale::ALL {
            let to = Audience::new(pages.clone(), l, vec![]);
            let page = respond(&pages, &err, &to, false);
            assert_eq!(page.status(), StatusCode::INTERNAL_SERVER_ERROR);
            let html = body_text(page);
            let id = shown_id(&html).expect("the page shows an error id");
            assert_eq!(id.len(), 12, "{html}");
            let json = respond_json(&err, l);
            assert_eq!(json.status(), StatusCode::INTERNAL_SERVER_ERROR);
        }
        // When the error page itself fails, the answer is still a 500 with an id.
        let pages = Arc::new(
            Pages::with_templates("http://tool.example", &[("error.html", "{{ missing }}")])
                .unwrap(),
        );
        let to = Audience::new(pages.clone(), Locale::Fr, vec![]);
        let page = respond(&pages, &WebError::NotFound, &to, false);
        assert_eq!(page.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let html = body_text(page);
        assert!(html.contains(&Locale::Fr.t("internal_error")), "{html}");
    }

    #[test]
    fn a_busy_refusal_says_when_to_come_back() {
        for (busy, status, secs) in [
            (Busy::Writes { retry_after: 7 }, 429, "7"),
            (Busy::ClientStreams, 429, "10"),
            (Busy::ServerStreams, 503, "10"),
        ] {
            for l in Locale::ALL {
                let r = respond_json(&WebError::Busy(busy), l);
                assert_eq!(r.status().as_u16(), status, "{busy:?}");
                assert_eq!(r.headers().get(RETRY_AFTER).unwrap(), secs, "{busy:?}");
            }
        }
        let pages = Arc::new(Pages::new("http://tool.example").unwrap());
        let page = respond(
            &pages,
            &WebError::Busy(Busy::Writes { retry_after: 2 }),
            &Audience::new(pages.clone(), Locale::Fr, vec![]),
            false,
        );
        assert_eq!(page.headers().get(RETRY_AFTER).unwrap(), "2");
    }

    #[test]
    fn every_registration_failure_is_explained_in_both_languages() {
        let all = [
            RegistrationError::MissingConfigurationUrl,
            RegistrationError::BadConfigurationUrl("x".into()),
            RegistrationError::TokenTooLong,
            RegistrationError::Unreachable {
                what: Endpoint::Configuration,
                detail: "timed out".into(),
            },
            RegistrationError::Unreachable {
                what: Endpoint::Registration,
                detail: "timed out".into(),
            },
            RegistrationError::ConfigurationStatus {
                status: 401,
                token_sent: true,
            },
            RegistrationError::ConfigurationStatus {
                status: 401,
                token_sent: false,
            },
            RegistrationError::ConfigurationInvalid("x".into()),
            RegistrationError::WrongIssuer {
                issuer: "i".into(),
                configuration: "c".into(),
            },
            RegistrationError::InsecureEndpoint {
                field: "token_endpoint",
                url: "http://x".into(),
            },
            RegistrationError::MissingEndpoint("registration_endpoint"),
            RegistrationError::Refused {
                status: 400,
                message: "no".into(),
            },
            RegistrationError::AnswerInvalid("x".into()),
        ];
        let pages = Arc::new(Pages::new("http://tool.example").unwrap());
        for e in &all {
            for l in Locale::ALL {
                let (what, check) = explain_registration(e, l);
                for text in [&what, &check] {
                    assert!(
                        !text.is_empty() && !text.starts_with("register_") && !text.contains('{'),
                        "{e:?}: {text}"
                    );
                }
            }
        }
        for e in all.into_iter().map(RegisterError::Refused).chain([
            RegisterError::ProofInvalid,
            RegisterError::Busy,
            RegisterError::RateLimited { retry_after: 3 },
            RegisterError::Failed {
                reason: "register_unreachable",
                host: "lms.example".into(),
            },
            RegisterError::InvitationRequired,
            RegisterError::InvitationInvalid,
            RegisterError::Closed,
            RegisterError::AlreadyRegistered,
        ]) {
            let err = WebError::from(e);
            let r = respond(
                &pages,
                &err,
                &Audience::new(pages.clone(), Locale::Fr, vec![]),
                false,
            );
            assert!(
                r.status().is_client_error() || r.status() == StatusCode::BAD_GATEWAY,
                "{err:?}"
            );
        }
    }

    #[test]
    fn every_refusal_is_4xx_and_explained_in_both_languages() {
        let all = vec![
            LaunchError::MissingParam("x"),
            LaunchError::UnknownPlatform {
                issuer: "i".into(),
                client_id: None,
            },
            LaunchError::UnknownPlatform {
                issuer: "i".into(),
                client_id: Some("c-42".into()),
            },
            LaunchError::AmbiguousClient("i".into()),
            LaunchError::ForeignTargetLink("https://elsewhere.example".into()),
            LaunchError::PlatformError {
                error: "access_denied".into(),
                description: Some("no".into()),
            },
            LaunchError::PlatformError {
                error: "access_denied".into(),
                description: None,
            },
            LaunchError::AlgNotAllowed("HS256".into()),
            LaunchError::BadSignature,
            LaunchError::Expired,
            LaunchError::WrongAudience,
            LaunchError::StateUnknown,
            LaunchError::StateExpired,
            LaunchError::Replayed,
            LaunchError::TooLarge,
            LaunchError::JwksUnavailable("x".into()),
            LaunchError::UnknownDeployment {
                deployment: "dep-7".into(),
                issuer: "https://lms.example".into(),
                client_id: "c-42".into(),
            },
            LaunchError::BrowserCheckFailed,
            LaunchError::LoginRateLimited { retry_after: 3 },
            LaunchError::PlatformRateLimited { retry_after: 3 },
            LaunchError::TooManyPendingLogins,
            LaunchError::ForeignLaunchOrigin("(none)".into()),
            LaunchError::PlatformPending(3),
            LaunchError::Malformed("x".into()),
            LaunchError::UnknownKid("k".into()),
            LaunchError::IssuedInFuture,
            LaunchError::WrongIssuer,
            LaunchError::WrongAzp,
            LaunchError::InvalidClaims("x".into()),
            LaunchError::NonceMismatch,
            LaunchError::StateMismatch,
            LaunchError::WrongVersion("1.1".into()),
            LaunchError::UnknownMessageType("x".into()),
            LaunchError::MissingClaim("sub"),
        ];
        // Every variant is sampled: `variant` has no catch-all arm, so a new variant does not
        // compile until it is listed there, and the count below fails until it is sampled.
        let seen: std::collections::BTreeSet<usize> = all.iter().map(variant).collect();
        assert_eq!(seen.len(), VARIANTS, "every LaunchError variant is sampled");
        for e in all {
            let status = WebError::Refused(e.clone()).status();
            assert!(status.is_client_error(), "{e:?}");
            for l in Locale::ALL {
                let (what, check) = explain(&e, l);
                for text in [&what, &check] {
                    assert!(
                        !text.is_empty() && !text.starts_with("refused_") && !text.contains('{'),
                        "{e:?}: {text}"
                    );
                }
            }
        }
        let deployment = LaunchError::UnknownDeployment {
            deployment: "dep 7".into(),
            issuer: "https://lms.example".into(),
            client_id: "c-42".into(),
        };
        let (what, check) = explain(&deployment, Locale::Fr);
        assert!(what.contains("(déploiement dep 7)") && check.contains("exploitant"));
        assert_eq!(
            fix_command(&deployment).unwrap(),
            "binome platform approve-deployment --issuer https://lms.example --client-id c-42 --deployment-id 'dep 7'",
            "the whole command, each word as the shell reads it"
        );
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        let (what, _) = explain(
            &LaunchError::UnknownPlatform {
                issuer: "https://lms.example".into(),
                client_id: None,
            },
            Locale::Fr,
        );
        assert_eq!(
            what,
            "Cette plateforme (https://lms.example) n'est pas enregistrée dans Binôme pour l'identifiant client (aucun)."
        );
    }
}
