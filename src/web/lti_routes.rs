//! LTI endpoints: OIDC login initiation, launch (redirect URI) and the tool's JWKS.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, SET_COOKIE};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use minijinja::context;

use super::AppState;
use super::body::{read_body, refuse, request_locale};
use super::error::BodyError;
use super::error::Refusal;
use crate::launch::{LaunchForm, LaunchOutcome, LoginOutcome, PostedFrom, now};
use crate::lti::login::{LoginRequest, LoginState};

const COOKIE_PREFIX: &str = "binome_st_";

fn parse_form<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    serde_urlencoded::from_bytes(bytes).map_err(|e| BodyError::NotAForm("body", e))
}

pub async fn login_get(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, Refusal> {
    match serde_urlencoded::from_str::<HashMap<String, String>>(req.query_string()) {
        Ok(params) => login(&state, &req, params).await,
        Err(e) => Err(refuse(&state, &req, BodyError::NotAForm("query", e)).await),
    }
}

pub async fn login_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Refusal> {
    let params = match read_body(&req, payload)
        .await
        .and_then(|b| parse_form::<HashMap<String, String>>(&b))
    {
        Ok(p) => p,
        Err(e) => return Err(refuse(&state, &req, e).await),
    };
    login(&state, &req, params).await
}

async fn login(
    state: &AppState,
    req: &HttpRequest,
    params: HashMap<String, String>,
) -> Result<HttpResponse, Refusal> {
    let client = super::body::client_address(state, req);
    // A refusal that is only about too many logins says when to come back (`Retry-After`).
    let out: LoginOutcome = match state.flow.login(&params, client).await {
        Ok(o) => o,
        Err(e) => return Err(refuse(state, req, e).await),
    };
    let cookie = state_cookie(
        state.pages.base_path(),
        out.state.short_id(),
        &out.browser_secret,
        600,
    );
    Ok(match &out.storage {
        None => HttpResponse::Found()
            .insert_header(("Location", out.redirect.as_str()))
            .insert_header(("Set-Cookie", cookie))
            .insert_header(("Cache-Control", "no-store"))
            .finish(),
        Some(storage) => {
            let locale = request_locale(req);
            let relaunch = LoginRequest::from_params(&params)
                .map(|r| r.relaunch_params())
                .unwrap_or_default();
            let html = state.pages.render(
                "storage.html",
                locale,
                context! {
                    message => locale.t("login_wait"), mode => "put", target => &storage.target, origin => &storage.origin,
                    key => &storage.key, value => &out.browser_secret, next => &out.redirect,
                    fields => Vec::<(String, String)>::new(), relaunch => relaunch,
                },
            );
            let html = match html {
                Ok(html) => html,
                Err(e) => return Err(refuse(state, req, e).await),
            };
            let mut resp = state
                .pages
                .respond(StatusCode::OK, html, &out.frame_ancestors);
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().append(SET_COOKIE, v);
            }
            resp
        }
    })
}

/// The state cookie: third-party inside the LMS iframe, hence `SameSite=None; Secure;
/// Partitioned` (CHIPS). Named after the state so that two launches in one page do not clash.
fn state_cookie(base_path: &str, short_id: &str, secret: &str, max_age: i64) -> String {
    format!(
        "{COOKIE_PREFIX}{short_id}={secret}; Path={base_path}/lti/launch; Max-Age={max_age}; HttpOnly; Secure; SameSite=None; Partitioned"
    )
}

pub async fn launch(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Refusal> {
    let form: LaunchForm = match read_body(&req, payload).await.and_then(|b| parse_form(&b)) {
        Ok(f) => f,
        Err(e) => return Err(refuse(&state, &req, e).await),
    };
    let login_state = form.state.as_deref().and_then(LoginState::parse);
    let cookie = login_state
        .as_ref()
        .and_then(|s| req.cookie(&format!("{COOKIE_PREFIX}{}", s.short_id())))
        .map(|c| c.value().to_string());
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(2048).collect::<String>())
    };
    let from = PostedFrom {
        origin: header("origin"),
        referer: header("referer"),
    };
    match state.flow.launch(&form, cookie.as_deref(), &from).await {
        Ok(LaunchOutcome::Ready { session, .. }) => {
            if session.staff && session.roster_service && session.is_activity() {
                // Staff launches refresh the roster in the background when it is stale.
                let state2 = state.clone();
                let s2 = (*session).clone();
                actix_web::rt::spawn(async move {
                    super::services::sync_now(
                        &state2,
                        &s2,
                        crate::roster::schedule::Trigger::StaffLaunch,
                    )
                    .await;
                });
            }
            // Post/redirect/get: the used id_token is not posted again when the frame reloads.
            // A refusal here still expires the login's cookie, so it is rendered now.
            let mut resp = match super::extract::redirect(&state, &session, "/app", &[], "").await {
                Ok(resp) => resp,
                Err(e) => {
                    let to = super::extract::audience_of(&state, &session).await;
                    to.refuse(e).error_response()
                }
            };
            // The login is used up: its cookie can go.
            let expired = login_state
                .as_ref()
                .filter(|_| cookie.is_some())
                .map(|s| state_cookie(state.pages.base_path(), s.short_id(), "", 0));
            if let Some(v) = expired.and_then(|c| HeaderValue::from_str(&c).ok()) {
                resp.headers_mut().append(SET_COOKIE, v);
            }
            Ok(resp)
        }
        Ok(LaunchOutcome::CheckBrowser {
            storage,
            id_token,
            state: st,
            relaunch,
            frame_ancestors,
        }) => {
            let locale = request_locale(&req);
            let html = state.pages.render(
                "storage.html",
                locale,
                context! {
                    message => locale.t("check_wait"), mode => "get", target => &storage.target, origin => &storage.origin,
                    key => &storage.key, value => "", next => "",
                    fields => vec![("id_token".to_string(), id_token), ("state".to_string(), st)], relaunch => relaunch,
                },
            );
            let html = match html {
                Ok(html) => html,
                Err(e) => return Err(refuse(&state, &req, e).await),
            };
            Ok(state.pages.respond(StatusCode::OK, html, &frame_ancestors))
        }
        Err(e) => Err(refuse(&state, &req, e).await),
    }
}

pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    let body = state.flow.keys.jwks_json(now()).await;
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "public, max-age=300"))
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .body(body.as_str().to_string())
}
