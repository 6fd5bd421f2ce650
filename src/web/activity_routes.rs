//! Configuring an activity: the course designer's form in a deep-linking request (answered
//! with a signed deep-linking response auto-posted to the platform), and the same form for
//! staff on an activity's first launch or later. A refused form comes back with its values
//! and every problem named; nothing is saved until it is whole.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde_json::Value;

use super::AppState;
use super::activity_view::{SetupMode, form_of};
use super::app_pages::{Notice, setup_page};
use super::error::{Audience, OrRefuse, Refusal, WebError};
use super::extract::{Authed, AuthedForm, Designer, Manager, redirect};
use crate::activity::form::{ActivityForm, FormProblem, Saved, Target, save_config};
use crate::launch::session::{Presentation, Session};
use crate::launch::{CONFIG_PARAM, now};
use crate::lti::deep_linking::{Iframe, LineItem, ResourceLink, Responder, Window, sign_response};
use crate::store::ActivityConfig;

/// The tag of the grade column a Binôme activity creates.
pub const LINEITEM_TAG: &str = "binome-completion";
/// How tall the activity asks its frame to be (the page also resizes it as it grows).
const IFRAME_HEIGHT: u32 = 800;

fn actor(s: &Session) -> String {
    s.user().unwrap_or("staff").to_string()
}

/// The form again, with what was typed and what is wrong with it.
async fn refused_form(
    state: &AppState,
    s: &Session,
    token: &str,
    to: &Audience,
    mode: SetupMode,
    form: &ActivityForm,
    problems: &[FormProblem],
) -> Result<HttpResponse, Refusal> {
    let html = setup_page(state, s, token, mode, form, problems)
        .await
        .or_refuse(to)?;
    Ok(to.page(StatusCode::UNPROCESSABLE_ENTITY, html))
}

/// POST /app/deep-link: the designer's configuration, kept for the resource link the LMS
/// creates, and the signed response that creates it.
pub async fn add(
    state: web::Data<AppState>,
    f: AuthedForm<ActivityForm, Designer>,
) -> Result<HttpResponse, Refusal> {
    let s = &f.session;
    let (config, tags) = match f.form.check() {
        Ok(c) => c,
        Err(problems) => {
            let mode = SetupMode::DeepLink;
            return refused_form(&state, s, &f.token, &f.to, mode, &f.form, &problems).await;
        }
    };
    let html = response_page(&state, s, &config, &tags)
        .await
        .or_refuse(&f.to)?;
    let mut frames = f.to.frames.clone();
    frames.extend(
        s.deep_linking()
            .and_then(|d| crate::lti::origin_of(&d.return_url)),
    );
    Ok(state.pages.respond(StatusCode::OK, html, &frames))
}

async fn response_page(
    state: &AppState,
    s: &Session,
    config: &ActivityConfig,
    tags: &[String],
) -> Result<String, WebError> {
    let dl = s.deep_linking().ok_or(WebError::NoSession)?;
    if !dl.accept_resource_link {
        return Err(WebError::Forbidden(super::error::Forbidden::DeepLinkKind));
    }
    let snap = state.flow.registry.snapshot().await?;
    let reg = snap
        .registration(s.registration)
        .ok_or(WebError::NoSession)?;
    let key = crate::lti::login::random_token();
    let now = now();
    match save_config(
        &state.flow.store,
        &state.courses,
        s.course,
        Target::Draft(&key),
        &actor(s),
        config,
        tags,
        now,
    )
    .await?
    {
        Saved::Saved => {}
        Saved::TooManyDrafts | Saved::NoActivity => {
            return Err(WebError::Forbidden(super::error::Forbidden::TooManyDrafts));
        }
    }
    let mut custom = serde_json::Map::new();
    custom.insert(CONFIG_PARAM.into(), Value::String(key.clone()));
    let text: String = config.instructions.chars().take(500).collect();
    let item = ResourceLink {
        line_item: dl.accept_lineitem.then(|| LineItem {
            score_maximum: config.grading.points(),
            label: config.title.clone(),
            resource_id: key.clone(),
            tag: LINEITEM_TAG.into(),
        }),
        iframe: (dl.presentation == Some(Presentation::Iframe)).then_some(Iframe {
            height: IFRAME_HEIGHT,
        }),
        window: (dl.presentation == Some(Presentation::Window)).then(|| Window {
            target_name: "binome".into(),
        }),
        title: config.title.clone(),
        url: state.flow.redirect_uri(),
        text: (!text.is_empty()).then_some(text),
        custom,
    };
    let key = state.flow.keys.current(now).await;
    let jwt = sign_response(
        &key,
        Responder {
            client_id: &reg.client_id,
            issuer: &reg.issuer,
            deployment_id: &s.deployment_id,
        },
        &[item],
        dl.data.as_deref(),
        now,
    )
    .map_err(|e| WebError::Internal(Box::new(e)))?;
    let l = s.locale;
    Ok(state.pages.render(
        "autopost.html",
        l,
        context! { message => l.t("dl_returning"), action => &dl.return_url, fields => vec![("JWT".to_string(), jwt)] },
    )?)
}

/// GET /app/activity/settings: the configuration of this activity, to change it.
pub async fn settings_page(
    state: web::Data<AppState>,
    a: Authed<Manager>,
) -> Result<HttpResponse, Refusal> {
    let s = &a.session;
    let form = async {
        let rl = s.resource_link().ok_or(WebError::NotFound)?;
        let config = state
            .courses
            .config(&state.flow.store, s.course, rl)
            .await?;
        let mode = if config.is_some() {
            SetupMode::Edit
        } else {
            SetupMode::First
        };
        let form = form_of(&state, s, config.as_ref()).await?;
        setup_page(&state, s, &a.token, mode, &form, &[]).await
    }
    .await
    .or_refuse(&a.to)?;
    Ok(a.to.page(StatusCode::OK, form))
}

/// POST /app/activity/settings: saves this activity's configuration.
pub async fn save(
    state: web::Data<AppState>,
    f: AuthedForm<ActivityForm, Manager>,
) -> Result<HttpResponse, Refusal> {
    let s = &f.session;
    let (config, tags) = match f.form.check() {
        Ok(c) => c,
        Err(problems) => {
            // The page it came from: the first set-up, or a later edit.
            let first = match s.resource_link() {
                Some(rl) => state
                    .courses
                    .config(&state.flow.store, s.course, rl)
                    .await
                    .map(|c| c.is_none()),
                None => Ok(false),
            };
            let mode = if first.unwrap_or(false) {
                SetupMode::First
            } else {
                SetupMode::Edit
            };
            return refused_form(&state, s, &f.token, &f.to, mode, &f.form, &problems).await;
        }
    };
    let rl = s
        .resource_link()
        .ok_or(WebError::NotFound)
        .or_refuse(&f.to)?;
    let saved = save_config(
        &state.flow.store,
        &state.courses,
        s.course,
        Target::Activity(rl),
        &actor(s),
        &config,
        &tags,
        now(),
    )
    .await
    .or_refuse(&f.to)?;
    if saved != Saved::Saved {
        return Err(f.to.refuse(WebError::NotFound));
    }
    let notice = Notice::CONFIG_SAVED;
    redirect(
        &state,
        s,
        "/app",
        &[("notice", notice.key), ("at", notice.at)],
        "notice",
    )
    .await
    .or_refuse(&f.to)
}
