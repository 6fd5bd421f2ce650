//! Request bodies and the language of a request: bounded reads, form decoding, and the
//! refusal page of a request that has no session (yet).

use actix_web::{HttpRequest, web};
use futures_util::StreamExt;

use super::error::{Audience, BadForm, BodyError, Refusal, WebError};
use super::{AppState, MAX_BODY};
use crate::i18n::Locale;

/// Reads a request body up to [`MAX_BODY`], refusing larger ones before reading them whole.
pub async fn read_body<S>(req: &HttpRequest, mut payload: S) -> Result<web::Bytes, BodyError>
where
    S: futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>> + Unpin,
{
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return Err(BodyError::TooLarge);
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(BodyError::Payload)?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The fields of a form body, in order (repeated names kept). A NUL anywhere is refused:
/// form values end up in the database, where PostgreSQL refuses NUL in text.
pub fn form_pairs(body: &[u8]) -> Result<Vec<(String, String)>, WebError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| WebError::BadForm(BadForm::Unreadable))?;
    if pairs
        .iter()
        .any(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(WebError::BadForm(BadForm::Nul));
    }
    Ok(pairs)
}

/// The address a request comes from, as the limits see it: the TCP peer, or the last
/// `X-Forwarded-For` entry behind a trusted proxy (`trust_proxy`).
pub fn client_address(state: &super::AppState, req: &HttpRequest) -> Option<std::net::IpAddr> {
    crate::launch::limits::client_address(
        req.peer_addr().map(|a| a.ip()),
        req.headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok()),
        state.flow.settings.trust_proxy,
    )
}

/// The language of a request that has no session yet: the browser's preference.
pub fn request_locale(req: &HttpRequest) -> Locale {
    Locale::from_accept_language(
        req.headers()
            .get("accept-language")
            .and_then(|v| v.to_str().ok()),
    )
}

/// Who a request without a session (yet) is answered to: its browser's language, framed by
/// any registered platform.
pub async fn audience(state: &AppState, req: &HttpRequest) -> Audience {
    let frames = state
        .flow
        .registry
        .snapshot()
        .await
        .map(|s| s.frame_ancestors.clone())
        .unwrap_or_default();
    Audience::new(state.pages.clone(), request_locale(req), frames)
}

/// The refusal of a request without a session.
pub async fn refuse(state: &AppState, req: &HttpRequest, err: impl Into<WebError>) -> Refusal {
    let err = err.into();
    // A page of the tool asked without a session: offer the tab's script to reopen it.
    let reopen = matches!(err, WebError::NoSession) && req.method() == actix_web::http::Method::GET;
    audience(state, req).await.refuse(err).reopening(reopen)
}
