//! Pages of a session (the learner's and the staff's views, about, deep linking), health
//! checks and static files.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::context;
use serde::Deserialize;

use super::AppState;
use super::error::WebError;
use super::lti_routes::{read_body, refuse};
use crate::i18n::Locale;
use crate::launch::now;
use crate::launch::session::{Session, SessionKind};

/// The language of a request that has no session yet: the browser's preference.
pub fn request_locale(req: &HttpRequest) -> Locale {
    Locale::from_accept_language(
        req.headers()
            .get("accept-language")
            .and_then(|v| v.to_str().ok()),
    )
}

fn locale_of(s: &Session) -> Locale {
    Locale::from_tag(Some(&s.loc))
}

/// The session of a request: `Authorization: Bearer …` or the `t` query parameter.
pub(super) fn session_of(
    state: &AppState,
    req: &HttpRequest,
) -> Result<(Session, String), WebError> {
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let token = bearer.or_else(|| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
            .ok()?
            .into_iter()
            .find(|(k, _)| k == "t")
            .map(|(_, v)| v)
    });
    let token = token.ok_or(WebError::NoSession)?;
    let session = state
        .flow
        .sessions
        .verify(&token)
        .ok_or(WebError::NoSession)?;
    Ok((session, token))
}

/// The page a session opens on: deep-linking form, staff view or learner view.
pub async fn render_session_page(state: &AppState, s: &Session, token: &str) -> HttpResponse {
    render_session_page_with(state, s, token, None, None).await
}

/// Same, with a CSV upload report or a notice to show.
pub async fn render_session_page_with(
    state: &AppState,
    s: &Session,
    token: &str,
    upload: Option<minijinja::Value>,
    notice: Option<&'static str>,
) -> HttpResponse {
    let l = locale_of(s);
    let common = context! {
        token => token, name => &s.name, course => &s.course_title, activity => &s.rl_title,
        anonymous => s.sub.is_none(), nrps => s.nrps, ags => s.ags,
        notice => notice.map(|n| l.t(n)), upload => upload,
    };
    let html = match s.kind {
        SessionKind::DeepLinking => state.pages.render(
            "deep_link.html",
            l,
            context! { staff => s.staff, default_title => l.t("dl_default_title"), accept_lineitem => s.dl.as_ref().is_some_and(|d| d.accept_lineitem), ..common },
        ),
        SessionKind::Activity if s.staff => match super::roster_routes::staff_context(state, s).await {
            Ok(extra) => state.pages.render("staff.html", l, context! { ..common, ..extra }),
            Err(e) => return error_page(state, s, e),
        },
        SessionKind::Activity => match super::roster_routes::learner_context(state, s).await {
            Ok(extra) => state.pages.render("learner.html", l, context! { ..common, ..extra }),
            Err(e) => return error_page(state, s, e),
        },
    };
    state.pages.respond(StatusCode::OK, html, &s.frame)
}

pub(super) fn error_page(state: &AppState, s: &Session, err: WebError) -> HttpResponse {
    super::error::respond(
        &state.pages,
        &err,
        super::error::ErrorContext {
            locale: locale_of(s),
            frame_ancestors: &s.frame,
            relaunch: vec![],
        },
    )
}

pub async fn app_page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    match session_of(&state, &req) {
        Ok((s, token)) => {
            let notice = super::roster_routes::notice_of(&req);
            render_session_page_with(&state, &s, &token, None, notice).await
        }
        Err(e) => refuse(&state, &req, e, vec![]).await,
    }
}

pub async fn about_page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    match session_of(&state, &req) {
        Ok((s, token)) => {
            let html = state
                .pages
                .render("about.html", locale_of(&s), context! { token => token });
            state.pages.respond(StatusCode::OK, html, &s.frame)
        }
        Err(e) => refuse(&state, &req, e, vec![]).await,
    }
}

#[derive(Deserialize)]
struct DeepLinkForm {
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    graded: Option<String>,
}

/// The course designer's choice, sent back to the platform as a signed deep-linking response
/// (Deep Linking 2.0 §4.5), auto-posted to the platform's return URL.
pub async fn deep_link_submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let (s, _) = match session_of(&state, &req) {
        Ok(v) => v,
        Err(e) => return refuse(&state, &req, e, vec![]).await,
    };
    let Some(dl) = s.dl.clone().filter(|_| s.kind == SessionKind::DeepLinking) else {
        return error_page(
            &state,
            &s,
            WebError::BadRequest("this session is not a deep-linking request".into()),
        );
    };
    if !s.staff {
        return error_page(&state, &s, WebError::Forbidden);
    }
    let form: DeepLinkForm = match read_body(&req, payload).await.and_then(|b| {
        serde_urlencoded::from_bytes(&b)
            .map_err(|_| crate::lti::LaunchError::BadRequest("unreadable form".into()))
    }) {
        Ok(f) => f,
        Err(e) => return error_page(&state, &s, WebError::Refused(e)),
    };
    let title: String = form.title.trim().chars().take(200).collect();
    if title.is_empty() {
        return error_page(
            &state,
            &s,
            WebError::BadRequest(locale_of(&s).t("dl_field_title").to_string()),
        );
    }
    let snap = match state.flow.registry.snapshot().await {
        Ok(v) => v,
        Err(e) => return error_page(&state, &s, WebError::Store(e)),
    };
    let Some(reg) = snap.registration(s.reg) else {
        return error_page(&state, &s, WebError::NoSession);
    };
    let now = now();
    let mut item = serde_json::json!({
        "type": "ltiResourceLink",
        "title": title,
        "url": state.flow.redirect_uri(),
    });
    let text: String = form.text.trim().chars().take(2000).collect();
    if !text.is_empty() {
        item["text"] = text.into();
    }
    if form.graded.is_some() && dl.accept_lineitem {
        item["lineItem"] = serde_json::json!({ "scoreMaximum": 100, "label": title, "resourceId": "binome-peer-coaching", "tag": "binome-completion" });
    }
    let mut claims = serde_json::json!({
        "iss": reg.client_id,
        "aud": reg.issuer,
        "iat": now,
        "exp": now + 300,
        "nonce": crate::lti::login::random_token(),
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id": s.dep,
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingResponse",
        "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
        "https://purl.imsglobal.org/spec/lti-dl/claim/content_items": [item],
    });
    if let Some(data) = &dl.data {
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] = data.clone().into();
    }
    let key = state.flow.keys.current(now).await;
    let jwt = match key.sign(&claims) {
        Ok(j) => j,
        Err(e) => return error_page(&state, &s, WebError::Internal(e.to_string())),
    };
    let l = locale_of(&s);
    let html = state.pages.render(
        "autopost.html",
        l,
        context! { message => l.t("dl_returning"), action => dl.return_url, fields => vec![("JWT".to_string(), jwt)] },
    );
    state.pages.respond(StatusCode::OK, html, &s.frame)
}

/// Who the session is, as JSON, for the page's scripts.
pub async fn session_info(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    match session_of(&state, &req) {
        Ok((s, _)) => HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(serde_json::json!({
            "user_id": s.sub, "name": s.name, "role": if s.staff { "staff" } else { "learner" },
            "locale": s.loc, "course": s.course_title, "activity": s.rl_title, "expires_at": s.exp,
        })),
        Err(_) => HttpResponse::Unauthorized().json(serde_json::json!({"error": "session_invalid"})),
    }
}

pub async fn home(state: web::Data<AppState>) -> HttpResponse {
    let f = &state.flow;
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(crate::startup::admin_summary(&f.settings))
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
        "storage.js" => (
            include_str!("static/storage.js"),
            "text/javascript; charset=utf-8",
        ),
        "autopost.js" => (
            include_str!("static/autopost.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .content_type(ct)
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(body)
}

pub async fn not_found(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    refuse(&state, &req, WebError::NotFound, vec![]).await
}
