//! The course overview (`GET /app/overview`, reached through `POST /app/go` with
//! `to=overview`) and its CSV export (`POST /app/overview/export`). Both need staff who may
//! manage, and show the session's own course only: the course is found within the
//! session's registration and deployment before anything else is read.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use minijinja::Value;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::{OrRefuse, Refusal, WebError};
use super::extract::{Authed, AuthedForm, Manager, course_of};
use super::pages::download;
use crate::read::overview::{Overview, OverviewPage, export_rows};
use crate::read::staff::{Reader, failure_words};

/// The overview's query: the page of the learners' matrix.
#[derive(Debug, Default, Deserialize)]
pub struct OverviewQuery {
    page: Option<usize>,
}

/// The values of the overview page: the course, its roster's last sync, and the overview.
#[derive(Serialize)]
struct OverviewValues<'a> {
    token: &'a str,
    course: Option<String>,
    last_sync: Option<String>,
    sync_error: Option<String>,
    sync_error_at: Option<String>,
    #[serde(flatten)]
    overview: OverviewPage,
}

/// GET /app/overview: every module of the course, who met whom, who has not started, and
/// a chart of progress per module.
pub async fn overview_page(
    state: web::Data<AppState>,
    a: Authed<Manager>,
    q: web::Query<OverviewQuery>,
) -> Result<HttpResponse, Refusal> {
    let s = &a.session;
    let l = s.locale;
    let html = async {
        let course = course_of(&state, s).await?;
        let overview = Overview::load(state.sources(), s).await?;
        let failure = crate::pairs::history::sync_failure(&course);
        let page = OverviewValues {
            token: &a.token,
            course: course.title,
            last_sync: course.last_sync_at.map(|t| l.format_time(t)),
            sync_error: failure
                .as_ref()
                .and_then(|(_, e)| failure_words(e, Reader::of(s), l)),
            sync_error_at: failure.as_ref().map(|(at, _)| l.format_time(*at)),
            overview: OverviewPage::of(&overview, q.page.unwrap_or(0), l),
        };
        Ok::<_, WebError>(
            state
                .pages
                .render("overview.html", l, Value::from_serialize(&page))?,
        )
    }
    .await
    .or_refuse(&a.to)?;
    Ok(a.to.page(StatusCode::OK, html))
}

/// A form with no fields of its own (the token only).
#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// POST /app/overview/export: the course's status as CSV, one row per learner and module.
/// The file name names no person and no course.
pub async fn export(
    state: web::Data<AppState>,
    f: AuthedForm<NoFields, Manager>,
) -> Result<HttpResponse, Refusal> {
    let s = &f.session;
    let csv = async {
        course_of(&state, s).await?;
        let overview = Overview::load(state.sources(), s).await?;
        Ok::<_, WebError>(super::csv::write(&export_rows(
            &overview,
            Reader::of(s),
            s.locale,
        )))
    }
    .await
    .or_refuse(&f.to)?;
    Ok(download(
        "binome-progress.csv",
        "text/csv; charset=utf-8",
        csv,
    ))
}
