//! Health checks, static files (styles, scripts, the tool's icon), the home page for administrators, and the session API the
//! page's script uses (who am I, renew my token).

use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use super::AppState;
use super::body::refuse;
use super::error::{Audience, Refusal, WebError};
use super::extract::verify;
use crate::launch::now;

pub async fn home(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(state.flow.settings.admin_summary())
}

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.flow.store.ping().await {
        HttpResponse::Ok().content_type("text/plain").body("ready")
    } else {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("database unreachable")
    }
}

pub async fn static_file(path: web::Path<String>) -> HttpResponse {
    let (body, ct) = match path.as_str() {
        "app.css" => (include_str!("static/app.css"), "text/css; charset=utf-8"),
        "app.js" => (
            include_str!("static/app.js"),
            "text/javascript; charset=utf-8",
        ),
        "storage.js" => (
            include_str!("static/storage.js"),
            "text/javascript; charset=utf-8",
        ),
        "autopost.js" => (
            include_str!("static/autopost.js"),
            "text/javascript; charset=utf-8",
        ),
        "session.js" => (
            include_str!("static/session.js"),
            "text/javascript; charset=utf-8",
        ),
        "register.js" => (
            include_str!("static/register.js"),
            "text/javascript; charset=utf-8",
        ),
        // The tool's icon, for the LMS's tool lists and pickers (Canvas's `icon_url`).
        "icon.svg" => (include_str!("static/icon.svg"), "image/svg+xml"),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .content_type(ct)
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(body)
}

/// Anything else: a page that says so (a refusal, as every 404).
pub async fn not_found(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, Refusal> {
    Err(refuse(&state, &req, WebError::NotFound).await)
}

/// The session of an API call: `Authorization: Bearer` only; JSON answers, no pages.
async fn api_session(
    state: &AppState,
    req: &HttpRequest,
) -> Result<crate::launch::session::Session, Box<HttpResponse>> {
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let refused = || {
        Box::new(
            HttpResponse::Unauthorized()
                .insert_header(("Cache-Control", "no-store"))
                .json(serde_json::json!({"error": "session_invalid"})),
        )
    };
    let Some(token) = token else {
        return Err(refused());
    };
    match verify(state, token).await {
        Ok(s) => Ok(s),
        Err(WebError::NoSession) => Err(refused()),
        // Answered here, as the session API answers: JSON, in English, never framed.
        Err(e) => {
            let to = Audience::new(state.pages.clone(), crate::i18n::Locale::En, vec![]);
            Err(Box::new(to.refuse_json(e).error_response()))
        }
    }
}

/// Who the session is, as JSON, for the page's scripts: ids and rights, no personal data.
pub async fn session_info(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    match api_session(&state, &req).await {
        Ok(s) => HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(serde_json::json!({
                "user_id": s.subject,
                "role": if s.staff { "staff" } else { "learner" },
                "may_manage": s.may_manage,
                "locale": s.locale.code(),
                "expires_at": s.expires_at,
            })),
        Err(resp) => *resp,
    }
}

/// A fresh token for a page still in use, until the session's maximum life.
pub async fn renew(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let s = match api_session(&state, &req).await {
        Ok(s) => s,
        Err(resp) => return *resp,
    };
    match s.renewed(now() as u64, state.flow.settings.session_ttl.as_secs()) {
        Some(r) => HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(serde_json::json!({
                "token": state.flow.sessions.sign(&r),
                "expires_at": r.expires_at,
            })),
        None => HttpResponse::Unauthorized()
            .insert_header(("Cache-Control", "no-store"))
            .json(serde_json::json!({"error": "session_ended"})),
    }
}
