//! `GET /metrics`: the process's series in the OpenMetrics text format Prometheus scrapes
//! (`crate::metrics` says what each is and why no label can hold personal data). Served on the
//! main port unless `BINOME_METRICS_BIND` moves it to an address of its own, or
//! `BINOME_METRICS=false` turns it off (then the main port answers 404 here).

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};

use super::AppState;
use crate::metrics::{self, Instance};
use crate::realtime::streams::Streams;
use crate::store::Store;

/// What a scrape reads: the instance's gauges and where their values come from.
pub struct Scrape {
    pub instance: Instance,
    pub streams: Arc<Streams>,
    pub store: Store,
}

impl Scrape {
    /// The exposition, with the gauges read now (the grade outbox's is refreshed apart, by a
    /// periodic query: see `startup`).
    pub fn render(&self) -> String {
        let i = &self.instance;
        i.streams_open
            .set(i64::try_from(self.streams.open_count()).unwrap_or(i64::MAX));
        i.streams_max
            .set(i64::try_from(self.streams.limits().total).unwrap_or(i64::MAX));
        let pool = self.store.pool_stats();
        i.set_db_pool(
            i64::from(pool.size.saturating_sub(pool.idle)),
            i64::from(pool.idle),
        );
        i.db_pool_max.set(i64::from(pool.max));
        metrics::render(i)
    }
}

/// The answer to a scrape.
pub fn answer(scrape: &Scrape) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(metrics::CONTENT_TYPE)
        .insert_header(("Cache-Control", "no-store"))
        .body(scrape.render())
}

/// `GET /metrics` on the main port: the scrape, or a 404 page when metrics are off or served
/// on their own address.
pub async fn scrape(
    state: web::Data<AppState>,
    scrape: Option<web::Data<Scrape>>,
    req: HttpRequest,
) -> Result<HttpResponse, super::error::Refusal> {
    match scrape {
        Some(s) if state.flow.settings.metrics && state.flow.settings.metrics_bind.is_none() => {
            Ok(answer(&s))
        }
        _ => super::system::not_found(state, req).await,
    }
}

/// `GET /metrics` on the metrics address (`BINOME_METRICS_BIND`).
pub async fn scrape_apart(scrape: web::Data<Scrape>) -> HttpResponse {
    answer(&scrape)
}
