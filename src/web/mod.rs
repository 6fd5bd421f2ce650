//! The HTTP surface: thin actix handlers that read requests, call the launch flow or the
//! roster layer, and render pages. No protocol or domain decision is made here.
//!
//! Inside `web/` imports point one way: handlers (`lti_routes`, `register_routes`, `app_pages`,
//! `staff_routes`, `learner_routes`, `session_routes`, `activity_routes`, `dashboard_routes`,
//! `system`, `metrics`) use the views (`staff_view`, `learner_view`, `session_view`, `activity_view`,
//! `gradebook_view`) and the read models of `crate::read`, and render them with `pages` (or
//! `csv`); views use `extract`, `body`, `error` and `pages`; nothing imports a
//! handler module but `startup` (and `metrics`, which answers 404 as `system` does). `observe`,
//! the middleware around every request, imports no other module of `web/` but the state.

mod activity_routes;
mod activity_view;
mod app_pages;
mod body;
mod csv;
mod dashboard_routes;
pub mod error;
mod extract;
mod gradebook_view;
mod learner_routes;
mod learner_view;
mod lti_routes;
pub mod metrics;
pub mod observe;
#[cfg(test)]
mod page_snapshots;
pub mod pages;
mod register_routes;
mod services;
mod session_routes;
mod session_view;
mod staff_routes;
mod staff_view;
mod system;

use actix_web::web;

use crate::launch::LaunchFlow;
use pages::Pages;

/// Shared state of every handler.
pub struct AppState {
    pub flow: LaunchFlow,
    pub pages: std::sync::Arc<Pages>,
    pub roster: crate::roster::RosterSync,
    /// The same cache as the launch flow's, so a writer's invalidation reaches launches.
    pub courses: std::sync::Arc<crate::course::cache::CourseCache>,
    /// The live coaching sessions.
    pub live: crate::realtime::live::Live,
    /// Reads what the LMS gradebook holds, when staff ask.
    pub gradebook: crate::grades::Gradebook,
    /// The event streams open on this instance, within their caps.
    pub streams: std::sync::Arc<crate::realtime::streams::Streams>,
    /// Each member's allowance of live-session writes.
    pub writes: crate::launch::limits::PersonRate,
}

impl AppState {
    /// What the read models (`crate::read`) may read.
    pub fn sources(&self) -> crate::read::Sources<'_> {
        crate::read::Sources {
            store: &self.flow.store,
            courses: &self.courses,
            live: &self.live,
        }
    }
}

/// Largest form body accepted (an id_token with generous custom claims fits easily).
pub const MAX_BODY: usize = 64 * 1024;

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(system::home))
        .route("/healthz", web::get().to(system::healthz))
        .route("/readyz", web::get().to(system::readyz))
        .route("/metrics", web::get().to(metrics::scrape))
        .route("/.well-known/jwks.json", web::get().to(lti_routes::jwks))
        .route("/lti/login", web::get().to(lti_routes::login_get))
        .route("/lti/login", web::post().to(lti_routes::login_post))
        .route("/lti/launch", web::post().to(lti_routes::launch))
        .route("/lti/register", web::get().to(register_routes::start))
        .route("/lti/register", web::post().to(register_routes::confirm))
        .route("/app", web::get().to(app_pages::app_page))
        .route("/app/about", web::get().to(app_pages::about_page))
        .route("/app/declare", web::get().to(app_pages::declare_page))
        .route("/app/go", web::post().to(app_pages::go))
        .route("/app/deep-link", web::post().to(activity_routes::add))
        .route(
            "/app/activity/settings",
            web::get().to(activity_routes::settings_page),
        )
        .route(
            "/app/activity/settings",
            web::post().to(activity_routes::save),
        )
        .route("/app/roster/refresh", web::post().to(staff_routes::refresh))
        .route("/app/settings", web::post().to(staff_routes::save_settings))
        .route("/app/links", web::post().to(staff_routes::upload_links))
        .route("/app/pairs/propose", web::post().to(staff_routes::propose))
        .route("/app/pairs/edit", web::post().to(staff_routes::edit))
        .route("/app/pairs/publish", web::post().to(staff_routes::publish))
        .route(
            "/app/grades/retry",
            web::post().to(staff_routes::retry_grades),
        )
        .route(
            "/app/overview",
            web::get().to(dashboard_routes::overview_page),
        )
        .route(
            "/app/overview/export",
            web::post().to(dashboard_routes::export),
        )
        .route(
            "/app/grades/check",
            web::post().to(staff_routes::check_gradebook),
        )
        .route("/app/profile", web::post().to(learner_routes::profile))
        .route("/app/session", web::get().to(session_routes::page))
        .route(
            "/app/session/panel",
            web::get().to(session_routes::panel_fragment),
        )
        .route(
            "/app/session/command",
            web::post().to(session_routes::command),
        )
        .route("/app/session/field", web::post().to(session_routes::field))
        .route(
            "/app/session/export",
            web::post().to(session_routes::export),
        )
        .route(
            "/app/session/delete",
            web::post().to(session_routes::delete_notes),
        )
        .route(
            "/app/session/calendar",
            web::post().to(session_routes::calendar_file),
        )
        .route(
            "/api/coaching/presence",
            web::post().to(session_routes::presence),
        )
        .route(
            "/api/coaching/events",
            web::get().to(session_routes::events),
        )
        .route("/api/session", web::get().to(system::session_info))
        .route("/api/session/renew", web::post().to(system::renew))
        .route("/static/{file}", web::get().to(system::static_file))
        .default_service(web::to(system::not_found));
}
