//! The course designer's choice, sent back to the platform as a signed deep-linking response
//! (`lti::deep_linking`), auto-posted to the platform's return URL.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::context;
use serde::Deserialize;

use super::AppState;
use super::error::{BadForm, WebError};
use super::extract::{AuthedForm, Designer, frames_of, session_refusal};
use crate::launch::now;
use crate::lti::deep_linking::{LineItem, ResourceLink, Responder, sign_response};

#[derive(Debug, Deserialize)]
pub struct DeepLinkForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    graded: Option<String>,
}

/// POST /app/deep-link.
pub async fn submit(
    state: web::Data<AppState>,
    f: AuthedForm<DeepLinkForm, Designer>,
) -> HttpResponse {
    let s = &f.session;
    match response_page(&state, s, &f.form).await {
        Ok(html) => {
            let mut frames = frames_of(&state, s).await;
            frames.extend(
                s.deep_linking()
                    .and_then(|d| crate::lti::origin_of(&d.return_url)),
            );
            state.pages.respond(StatusCode::OK, html, &frames)
        }
        Err(e) => session_refusal(&state, s, e).await,
    }
}

async fn response_page(
    state: &AppState,
    s: &crate::launch::session::Session,
    form: &DeepLinkForm,
) -> Result<String, WebError> {
    let dl = s.deep_linking().ok_or(WebError::NoSession)?;
    let title: String = form.title.trim().chars().take(200).collect();
    if title.is_empty() {
        return Err(WebError::BadForm(BadForm::Missing("dl_field_title")));
    }
    let snap = state.flow.registry.snapshot().await?;
    let reg = snap
        .registration(s.registration)
        .ok_or(WebError::NoSession)?;
    let text: String = form.text.trim().chars().take(2000).collect();
    let item = ResourceLink {
        line_item: (form.graded.is_some() && dl.accept_lineitem).then(|| LineItem {
            score_maximum: 100,
            label: title.clone(),
            resource_id: "binome-peer-coaching".into(),
            tag: "binome-completion".into(),
        }),
        title,
        url: state.flow.redirect_uri(),
        text: (!text.is_empty()).then_some(text),
        custom: Default::default(),
    };
    let now = now();
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
    ))
}
