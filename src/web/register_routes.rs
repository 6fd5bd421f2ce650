//! LTI Dynamic Registration pages (`/lti/register`): the URL an LMS administrator pastes
//! (Moodle's "Register tool URL", Canvas's LTI Registration; with an operator's invitation,
//! `…/lti/register?invite=…`), the confirmation it shows, and the page that tells the LMS the
//! registration is over — and, for Moodle, the two steps its administrator still takes before
//! teachers see the tool. Framed by the platform that opened it (the configuration URL's
//! origin). Without an invitation the pages show nothing another system said.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::context;

use super::AppState;
use super::body::{read_body, request_locale};
use super::error::{Audience, Refusal, WebError};
use crate::i18n::Locale;
use crate::launch::now;
use crate::launch::registration::{Confirmation, Done, RegistrationParams};
use crate::lti::registration::{CLAIMS, Platform, SCOPE_RESULT_READONLY, SCOPES};

use super::body::client_address as client;

/// The registration URL: reads the platform's configuration and asks for confirmation.
pub async fn start(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, Refusal> {
    let locale = request_locale(&req);
    let params: RegistrationParams = match serde_urlencoded::from_str(req.query_string()) {
        Ok(p) => p,
        Err(_) => return Err(fail(&state, locale, &[], refused_missing())),
    };
    let frames = state.flow.registration_frames(&params);
    match state
        .flow
        .registration_start(&params, client(&state, &req), now())
        .await
    {
        Ok(c) => {
            let html = state
                .pages
                .render("register.html", locale, confirmation(&c, locale))
                .map_err(|e| fail(&state, locale, &frames, e.into()))?;
            Ok(state.pages.respond(StatusCode::OK, html, &frames))
        }
        Err(e) => Err(fail(&state, locale, &frames, e.into())),
    }
}

/// The confirmation: registers the tool with the platform and records the registration.
pub async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Refusal> {
    let locale = request_locale(&req);
    let params: RegistrationParams = match read_body(&req, payload)
        .await
        .ok()
        .and_then(|b| serde_urlencoded::from_bytes(&b).ok())
    {
        Some(p) => p,
        None => return Err(fail(&state, locale, &[], refused_missing())),
    };
    let frames = state.flow.registration_frames(&params);
    match state
        .flow
        .registration_confirm(&params, client(&state, &req), now())
        .await
    {
        Ok(done) => {
            let html = state
                .pages
                .render("registered.html", locale, registered(&done))
                .map_err(|e| fail(&state, locale, &frames, e.into()))?;
            Ok(state.pages.respond(StatusCode::OK, html, &frames))
        }
        Err(e) => Err(fail(&state, locale, &frames, e.into())),
    }
}

fn refused_missing() -> WebError {
    crate::launch::registration::RegisterError::Refused(
        crate::lti::registration::RegistrationError::MissingConfigurationUrl,
    )
    .into()
}

/// A registration refused, framed by the platform that opened it.
fn fail(state: &AppState, locale: Locale, frames: &[String], err: WebError) -> Refusal {
    Audience::new(state.pages.clone(), locale, frames.to_vec()).refuse(err)
}

/// Why Binôme asks for each scope, in the page's language.
fn scope_text(scope: &str, l: Locale) -> String {
    let id = match scope {
        crate::lti::nrps::SCOPE => "register_scope_nrps",
        crate::lti::ags::SCOPE_LINEITEM => "register_scope_lineitem",
        SCOPE_RESULT_READONLY => "register_scope_result",
        _ => "register_scope_score",
    };
    l.t(id)
}

/// Why Binôme asks for each claim.
fn claim_text(claim: &str, l: Locale) -> String {
    let id = match claim {
        "iss" => "register_claim_iss",
        "sub" => "register_claim_sub",
        "name" => "register_claim_name",
        "given_name" | "family_name" => "register_claim_given_family",
        _ => "register_claim_email",
    };
    l.t(id)
}

fn product(p: &Platform) -> String {
    match &p.lti.version {
        Some(v) => format!("{} {v}", p.lti.product_family_code),
        None => p.lti.product_family_code.clone(),
    }
}

fn confirmation(c: &Confirmation, l: Locale) -> minijinja::Value {
    let p = &c.platform;
    // What the platform says it offers is its own words: shown to an invited administrator
    // only. A platform that does not list what it offers may still offer it: only a list
    // that leaves something out marks it.
    let invited = c.invited();
    let scopes: Vec<_> = SCOPES
        .iter()
        .map(|s| {
            let offered = !invited
                || p.scopes_supported.is_empty()
                || p.scopes_supported.iter().any(|x| x == s);
            context! { scope => s, text => scope_text(s, l), offered => offered }
        })
        .collect();
    let claims: Vec<_> = CLAIMS
        .iter()
        .map(|c| context! { name => c, text => claim_text(c, l) })
        .collect();
    let messages: Vec<_> = [
        ("LtiResourceLinkRequest", "register_message_resource"),
        ("LtiDeepLinkingRequest", "register_message_deep_linking"),
    ]
    .iter()
    .map(|(m, id)| {
        let offered = !invited
            || p.lti.messages_supported.is_empty()
            || p.lti
                .messages_supported
                .iter()
                .any(|x| x.message_type == *m);
        context! { kind => m, text => l.t(id), offered => offered }
    })
    .collect();
    context! {
        invited => invited,
        product => invited.then(|| product(p)), issuer => &p.issuer,
        account => if invited { p.lti.account_name.clone() } else { None },
        existing => c.existing, scopes => scopes, claims => claims, messages => messages,
        configuration_url => &c.configuration_url, registration_token => &c.registration_token,
        invite => &c.invite, proof => &c.proof,
    }
}

fn registered(d: &Done) -> minijinja::Value {
    // A registration waiting for approval was made without an invitation: the page repeats
    // nothing the platform answered but its issuer, which the configuration URL starts with
    // (not even which product it said it is).
    let pending = d.pending();
    // Moodle keeps a tool registered this way "Pending" until its administrator activates it,
    // and always stores it as a preconfigured tool that the activity chooser does not show:
    // the page says so, and waits for the administrator to close it.
    let moodle = !pending
        && d.platform
            .lti
            .product_family_code
            .eq_ignore_ascii_case("moodle");
    context! {
        pending => pending, moodle => moodle,
        product => (!pending).then(|| product(&d.platform)), issuer => d.registration.issuer.as_str(),
        client_id => (!pending).then(|| d.registration.client_id.as_str()),
        deployment => if pending { None } else { d.deployment_id.clone() },
    }
}
