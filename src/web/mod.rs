//! The HTTP surface: thin actix handlers that read requests, call the launch flow or the
//! store, and render pages. No protocol or domain decision is made here.

pub mod error;
mod handlers;
mod lti_routes;
pub mod pages;
mod roster_routes;

use actix_web::web;

use crate::launch::LaunchFlow;
use pages::Pages;

/// Shared state of every handler.
pub struct AppState {
    pub flow: LaunchFlow,
    pub pages: Pages,
    pub roster: crate::roster::RosterSync,
    pub courses: crate::roster::cache::CourseCache,
}

/// Largest form body accepted (an id_token with generous custom claims fits easily).
pub const MAX_BODY: usize = 64 * 1024;

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(handlers::home))
        .route("/healthz", web::get().to(handlers::healthz))
        .route("/readyz", web::get().to(handlers::readyz))
        .route("/.well-known/jwks.json", web::get().to(lti_routes::jwks))
        .route("/lti/login", web::get().to(lti_routes::login_get))
        .route("/lti/login", web::post().to(lti_routes::login_post))
        .route("/lti/launch", web::post().to(lti_routes::launch))
        .route("/app", web::get().to(handlers::app_page))
        .route("/app/about", web::get().to(handlers::about_page))
        .route("/app/deep-link", web::post().to(handlers::deep_link_submit))
        .route(
            "/app/roster/refresh",
            web::post().to(roster_routes::refresh),
        )
        .route(
            "/app/settings",
            web::post().to(roster_routes::save_settings),
        )
        .route("/app/links", web::post().to(roster_routes::upload_links))
        .route("/app/pairs/propose", web::post().to(roster_routes::propose))
        .route("/app/pairs/edit", web::post().to(roster_routes::edit))
        .route("/app/pairs/publish", web::post().to(roster_routes::publish))
        .route("/app/profile", web::post().to(roster_routes::profile))
        .route("/app/declare", web::get().to(roster_routes::declare_page))
        .route("/api/session", web::get().to(handlers::session_info))
        .route("/static/{file}", web::get().to(handlers::static_file))
        .default_service(web::to(handlers::not_found));
}
