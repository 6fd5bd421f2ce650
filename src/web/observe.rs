//! What every request leaves behind, in one middleware around the whole app: a request id
//! (answered in `X-Request-Id` — every answer of a handler, refusals and 404s included —
//! and on the request's log line), the time the request took
//! (on the log line, `startup::QuietRootSpan`), and its series in the metrics — by method,
//! route *pattern* and status, and for `/lti/login` and `/lti/launch` a launch counted by
//! outcome with the refusal's reason code (which `web::error` puts on the answer as
//! [`Reason`]).
//!
//! The request id is ours unless a trusted reverse proxy (`BINOME_TRUST_PROXY`) sent one: then
//! its `X-Request-Id` is kept, so the proxy's log line and ours share an id, when it is short
//! and plain ([`from_proxy`]); anything else is replaced by a fresh id, never copied in part.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};

use super::AppState;
use crate::metrics::{self, HttpLabels, LaunchStep, Outcome};

/// The header that carries the request id both ways.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request id taken from a proxy.
pub const MAX_REQUEST_ID: usize = 64;

/// The request's id, in its extensions (read by the log line's span).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// When the request arrived, in its extensions (read by the log line).
#[derive(Debug, Clone, Copy)]
pub struct Started(pub Instant);

/// The reason code of a refusal, in the answer's extensions (set by `web::error`).
#[derive(Debug, Clone, Copy)]
pub struct Reason(pub &'static str);

/// A proxy's request id, when it is one we may repeat: 1 to [`MAX_REQUEST_ID`] characters of
/// letters, digits and `-_.:=+/` (a UUID, nginx's `$request_id`, a cloud trace id, base64). Nothing else
/// reaches a log line or an answer header.
pub fn from_proxy(raw: &str) -> Option<&str> {
    let ok = !raw.is_empty()
        && raw.len() <= MAX_REQUEST_ID
        && raw.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'=' | b'+' | b'/')
        });
    ok.then_some(raw)
}

/// A fresh request id: 16 random bytes, as 22 URL-safe characters.
pub fn fresh_id() -> String {
    crate::lti::login::random_token()[..22].to_string()
}

/// The middleware (`actix_web::middleware::from_fn(observe)`).
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.flow.settings.trust_proxy);
    let id = trusted
        .then(|| req.headers().get(&X_REQUEST_ID))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(from_proxy)
        .map(str::to_string)
        .unwrap_or_else(fresh_id);
    let started = Instant::now();
    req.extensions_mut().insert(RequestId(id.clone()));
    req.extensions_mut().insert(Started(started));
    let method = metrics::method(req.method().as_str());
    let route = req.match_pattern();
    // (No clone of the request may be kept across the call: routing needs it alone.)
    let outcome = next.call(req).await;
    let status = match &outcome {
        Ok(res) => res.status().as_u16(),
        // A middleware's error (handlers and extractors answer with a response): actix
        // renders it further out, without our header, but it is counted.
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    let reason = match &outcome {
        Ok(res) => res.response().extensions().get::<Reason>().map(|r| r.0),
        Err(_) => None,
    };
    let global = metrics::global();
    let step = match route.as_deref() {
        Some("/lti/login") => Some(LaunchStep::Login),
        Some("/lti/launch") => Some(LaunchStep::Launch),
        _ => None,
    };
    if let Some(step) = step {
        let counted = Outcome::of_status(status);
        let reason = match counted {
            Outcome::Ok => "",
            _ => reason.unwrap_or("unknown"),
        };
        global.launch(step, counted, reason);
    }
    global.http_request(
        &HttpLabels {
            method,
            route: route.unwrap_or_else(|| "unmatched".into()),
            status,
        },
        started.elapsed().as_secs_f64(),
    );
    let mut res = outcome?.map_into_boxed_body();
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(X_REQUEST_ID, v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_taken_from_a_proxy() {
        for ok in [
            "0f8c1b5e-3a4d-4c2b-9e61-1d2f3a4b5c6d",
            "a",
            "Root=1-67891233-abcdef012345678912345678",
            &"x".repeat(MAX_REQUEST_ID),
        ] {
            assert_eq!(from_proxy(ok), Some(ok), "{ok}");
        }
        for bad in [
            "",
            &"x".repeat(MAX_REQUEST_ID + 1),
            "id with spaces",
            "id\nforged=line",
            "<script>",
            "é",
            "a;b",
        ] {
            assert_eq!(from_proxy(bad), None, "{bad:?}");
        }
        let id = fresh_id();
        assert_eq!(id.len(), 22);
        assert_eq!(from_proxy(&id), Some(id.as_str()));
    }
}
