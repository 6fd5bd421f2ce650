//! Building the application: store, keys, registry, HTTP server. `Application::build` binds
//! (port 0 in tests) and `run_until_stopped` serves, beside the maintenance loop, the grade
//! worker and the metrics' periodic refresh, until SIGTERM or SIGINT.
//!
//! **Stopping takes less than 10 s** (what `docker stop` and most orchestrators wait before
//! killing): on the signal the server stops accepting connections, every live-session event
//! stream gets a retry hint and ends (`realtime::streams`: the page reconnects, through the
//! load balancer, to an instance still running), requests under way finish (at most
//! [`HTTP_SHUTDOWN`]), the grade worker finishes the step it is in (so no score stays
//! claimed for a lease; at most [`STOP_BUDGET`] from the signal), then the process exits.
//!
//! **A worker that ends stops the instance.** The HTTP server, the grade worker, the event
//! relay, the maintenance tick, the gauges' refresh and the metrics server run until told to
//! stop; none ends on its own. If one ends or panics anyway, [`Workers::first_end`] says which,
//! the failure is logged at error level, the instance stops the way it does on SIGTERM, and
//! `run_until` returns [`RunError::Worker`], so the binary exits non-zero and the orchestrator
//! (Docker's `restart:`, systemd, Kubernetes) starts a fresh process. We stop rather than
//! restart the task in place: a panic may have left shared state (a cache, a channel, a
//! listener) half-changed, a fresh process starts from a known state, and a crash loop shows
//! in the orchestrator's restart count where a task quietly restarting in a loop would not.

use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{App, HttpServer, web};
use tokio::sync::watch;

use crate::config::Settings;
use crate::launch::keyring::{KeyRing, KeyRingError};
use crate::launch::registry::Registry;
use crate::launch::session::SessionKeys;
use crate::launch::{LaunchFlow, now};
use crate::lti::jwks::JwksCache;
use crate::lti::outbound::Outbound;
use crate::store::{Store, StoreError};
use crate::web::metrics::Scrape;
use crate::web::observe::{RequestId, Started};
use crate::web::pages::Pages;
use crate::web::{AppState, routes};

/// The longest a stopping server waits for requests under way (seconds).
pub const HTTP_SHUTDOWN: Duration = Duration::from_secs(5);
/// The longest a stop takes from the signal to the end of the grade worker's last step;
/// beyond it the step is abandoned (its claims are taken again when their lease ends).
pub const STOP_BUDGET: Duration = Duration::from_secs(8);
/// How often the grade outbox's depth is counted for the metrics.
const GAUGE_REFRESH: Duration = Duration::from_secs(15);

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// The tool keys could not be loaded or generated.
    #[error("keys: {0}")]
    Keys(#[from] KeyRingError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(String),
    /// A template or a text catalogue is broken.
    #[error("pages: {0}")]
    Pages(#[from] crate::web::pages::PagesError),
}

/// Why a running application stopped other than on its signal.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The HTTP server failed.
    #[error("HTTP server: {0}")]
    Server(#[from] std::io::Error),
    /// A worker ended or panicked, which none does on its own.
    #[error(transparent)]
    Worker(#[from] WorkerFailure),
}

/// A supervised task that ended: which one, and how.
#[derive(Debug, thiserror::Error)]
#[error("the {name} {how}")]
pub struct WorkerFailure {
    /// The task's name, as the log and the exit message say it.
    pub name: &'static str,
    /// How it ended.
    pub how: WorkerEnd,
}

/// How a supervised task ended.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum WorkerEnd {
    /// It returned, which a worker loop never does.
    #[error("ended")]
    Returned,
    /// It panicked, with this message.
    #[error("panicked: {0}")]
    Panicked(String),
    /// It was cancelled from outside the supervisor (the runtime shutting down).
    #[error("was cancelled")]
    Cancelled,
}

impl WorkerEnd {
    fn of(result: Result<(), tokio::task::JoinError>) -> WorkerEnd {
        match result {
            Ok(()) => WorkerEnd::Returned,
            Err(e) if e.is_panic() => {
                let payload = e.into_panic();
                // `panic!` with a literal carries a `&str`, with a format a `String`.
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".into());
                WorkerEnd::Panicked(message)
            }
            Err(_) => WorkerEnd::Cancelled,
        }
    }
}

/// The background tasks of a running instance, each with its name, watched together: the
/// first to end is reported ([`first_end`](Self::first_end)); the rest are aborted when this
/// is dropped.
#[derive(Default)]
pub struct Workers {
    tasks: Vec<(&'static str, tokio::task::JoinHandle<()>)>,
}

impl Workers {
    /// Watches an already spawned task under `name`.
    pub fn watch(&mut self, name: &'static str, task: tokio::task::JoinHandle<()>) {
        self.tasks.push((name, task));
    }

    /// Spawns `work` and watches it under `name`.
    pub fn spawn(&mut self, name: &'static str, work: impl Future<Output = ()> + Send + 'static) {
        self.watch(name, tokio::spawn(work));
    }

    /// Takes a task out of the watch (to wait for it apart), if it is still watched.
    pub fn take(&mut self, name: &'static str) -> Option<tokio::task::JoinHandle<()>> {
        let at = self.tasks.iter().position(|(n, _)| *n == name)?;
        Some(self.tasks.remove(at).1)
    }

    /// Resolves when a watched task ends, with which one and how, and stops watching it;
    /// never resolves while none is watched. Cancel-safe: dropping the future loses nothing.
    pub async fn first_end(&mut self) -> WorkerFailure {
        let (at, result) = std::future::poll_fn(|cx| {
            for (at, (_, task)) in self.tasks.iter_mut().enumerate() {
                if let std::task::Poll::Ready(result) = std::pin::Pin::new(task).poll(cx) {
                    return std::task::Poll::Ready((at, result));
                }
            }
            std::task::Poll::Pending
        })
        .await;
        let (name, _) = self.tasks.remove(at);
        WorkerFailure {
            name,
            how: WorkerEnd::of(result),
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for (_, task) in &self.tasks {
            task.abort();
        }
    }
}

/// The names the supervised tasks are logged with.
const HTTP_SERVER: &str = "HTTP server";
const GRADE_WORKER: &str = "grade worker";

/// A built, bound application.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    state: web::Data<AppState>,
    /// This instance's PostgreSQL listener relaying live-session events (none on SQLite).
    relay: Option<tokio::task::JoinHandle<()>>,
    /// The clients the grade worker posts scores with.
    http: Outbound,
    /// The gauges `/metrics` shows, shared with the metrics server.
    scrape: web::Data<Scrape>,
    /// The server of `/metrics` on its own address (`BINOME_METRICS_BIND`), and its port.
    metrics: Option<(actix_web::dev::Server, u16)>,
}

/// The outbound clients for calls to platforms: identified (Canvas requires a User-Agent),
/// with timeouts so a slow LMS cannot hold a launch forever, and the destination policy of
/// `lti::outbound`.
pub fn http_client(settings: &Settings) -> Result<Outbound, StartupError> {
    Outbound::new(
        &format!(
            "Binome/{} (+{})",
            env!("CARGO_PKG_VERSION"),
            settings.base()
        ),
        settings.base_url.scheme() == "https",
        settings.allow_private_network,
    )
    .map_err(|e| StartupError::Http(e.to_string()))
}

impl Application {
    /// Opens the store, loads keys and registrations, and binds the server.
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        let store = Store::connect(&settings.database_url, settings.db_max_connections).await?;
        Self::build_with_store(settings, store).await
    }

    /// Same as [`build`](Self::build) with an already connected store.
    pub async fn build_with_store(
        settings: Settings,
        store: Store,
    ) -> Result<Application, StartupError> {
        let listener = TcpListener::bind(settings.bind).map_err(|source| StartupError::Bind {
            addr: settings.bind.to_string(),
            source,
        })?;
        Self::build_on(settings, store, listener).await
    }

    /// Same as [`build_with_store`](Self::build_with_store) on a listener bound by the caller
    /// (tests bind port 0 first to know the base URL).
    pub async fn build_on(
        settings: Settings,
        store: Store,
        listener: TcpListener,
    ) -> Result<Application, StartupError> {
        let now = now();
        let keys = KeyRing::load(store.clone(), settings.key_grace, now).await?;
        let secret = store
            .secret_or_create("session_hmac", crate::lti::login::random_token, now)
            .await?;
        let registry = Registry::load(store.clone()).await?;
        let http = http_client(&settings)?;
        let jwks = JwksCache::new(http.clone(), settings.jwks_min_refetch);
        let pages = Arc::new(Pages::new(settings.base())?);
        let hub = crate::realtime::Hub::new(store.clone());
        let relay = hub.start().await?;
        let live = crate::realtime::live::Live::new(store.clone(), hub);
        let limits = crate::launch::limits::LoginLimits::new(&settings);
        let settings = Arc::new(settings);
        let courses = Arc::new(crate::course::cache::CourseCache::default());
        let flow = LaunchFlow {
            courses: courses.clone(),
            settings: settings.clone(),
            store,
            registry,
            jwks,
            keys,
            sessions: SessionKeys::new(secret.as_bytes()),
            recent: Default::default(),
            limits,
            registrations: crate::launch::registration::Registrations::new(
                http.clone(),
                secret.as_bytes(),
            ),
        };
        let state = web::Data::new(AppState {
            flow,
            pages,
            roster: crate::roster::RosterSync::new(http.clone(), settings.roster_sync_deadline),
            courses,
            live,
            gradebook: crate::grades::Gradebook::new(http.clone()),
            streams: crate::realtime::streams::Streams::new(
                crate::realtime::streams::StreamLimits::of(&settings),
            ),
            writes: crate::launch::limits::PersonRate::new(settings.session_writes_per_minute),
        });

        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let scrape = web::Data::new(Scrape {
            instance: crate::metrics::Instance::new(),
            streams: state.streams.clone(),
            store: state.flow.store.clone(),
        });
        let metrics = match (settings.metrics, settings.metrics_bind) {
            (true, Some(addr)) => Some(metrics_server(addr, scrape.clone())?),
            _ => None,
        };
        let data = state.clone();
        let gauges = scrape.clone();
        let hsts = settings.base_url.scheme() == "https";
        let server = HttpServer::new(move || {
            App::new()
                .wrap(default_headers(hsts))
                .wrap(tracing_actix_web::TracingLogger::<QuietRootSpan>::new())
                // Outermost: the request id and the start time exist before the log line's
                // span, and every answer gets its `X-Request-Id` and its count.
                .wrap(actix_web::middleware::from_fn(crate::web::observe::observe))
                .app_data(data.clone())
                .app_data(gauges.clone())
                .configure(routes)
        })
        // We catch SIGTERM and SIGINT ourselves (`run_until_stopped`): the event streams must
        // be told before the server waits for them.
        .disable_signals()
        .shutdown_timeout(HTTP_SHUTDOWN.as_secs())
        .workers(settings.workers)
        .backlog(2048)
        // A client that closes its side is gone: end its connection at once, so that an
        // event stream of a closed tab gives back its file descriptor and its slot
        // (`realtime::streams`) now, not at the stream's next keep-alive write or the one
        // after. Browsers and LMSs never half-close a request to wait for the answer.
        .h1_allow_half_closed(false)
        .listen(listener)
        .map_err(|source| StartupError::Bind {
            addr: settings.bind.to_string(),
            source,
        })?
        .run();
        Ok(Application {
            port,
            server,
            state,
            relay,
            http,
            scrape,
            metrics,
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port `/metrics` is served on apart (`BINOME_METRICS_BIND`), if it is.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, port)| *port)
    }

    /// Serves until SIGTERM or SIGINT, then stops gracefully (see the module's doc).
    pub async fn run_until_stopped(self) -> Result<(), RunError> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` resolves, then stops gracefully: the server stops accepting, event
    /// streams are told to reconnect elsewhere and end, requests under way finish, the grade
    /// worker finishes its step. A worker or the server ending first stops the same way and
    /// is returned as the error (see the module's doc).
    pub async fn run_until(self, stop: impl Future<Output = ()>) -> Result<(), RunError> {
        let state = self.state.clone();
        let mut workers = Workers::default();
        workers.spawn("maintenance tick", maintenance_loop(state.clone()));
        workers.spawn("gauges refresh", refresh_gauges(self.scrape.clone()));
        if let Some(relay) = self.relay {
            workers.watch("event relay", relay);
        }
        let (stopping, stop_rx) = watch::channel(false);
        if state.flow.settings.grade_worker {
            workers.spawn(
                GRADE_WORKER,
                grades_loop(state.clone(), self.http.clone(), stop_rx),
            );
        }
        let metrics = self.metrics.map(|(server, _)| {
            let handle = server.handle();
            workers.spawn("metrics server", async move {
                if let Err(e) = server.await {
                    tracing::error!(error = %e, "the metrics server failed");
                }
            });
            handle
        });
        let handle = self.server.handle();
        let mut server = std::pin::pin!(self.server);
        let stopped_by = tokio::select! {
            res = &mut server => Err(match res {
                Err(e) => RunError::Server(e),
                Ok(()) => RunError::Worker(WorkerFailure {
                    name: HTTP_SERVER,
                    how: WorkerEnd::Returned,
                }),
            }),
            failure = workers.first_end() => Ok(Some(failure)),
            () = stop => Ok(None),
        };
        let t = Instant::now();
        let res = match stopped_by {
            // The server is gone: nothing to drain, nothing to wait for.
            Err(e) => {
                tracing::error!(
                    error = &e as &dyn std::error::Error,
                    "the HTTP server ended; stopping"
                );
                Err(e)
            }
            Ok(failure) => {
                match &failure {
                    None => tracing::info!(
                        "stopping: no new connections; event streams told to reconnect elsewhere; \
                         finishing the requests and the grade delivery under way"
                    ),
                    Some(f) => tracing::error!(
                        worker = f.name,
                        error = %f,
                        "a worker ended; stopping so that the process is restarted"
                    ),
                }
                state.streams.drain();
                stopping.send_replace(true);
                // `stop` sends its command at once; the server's own future ends the stop.
                drop(handle.stop(true));
                let served = server.await;
                if let Some(mut task) = workers.take(GRADE_WORKER) {
                    let left = STOP_BUDGET.saturating_sub(t.elapsed());
                    if tokio::time::timeout(left, &mut task).await.is_err() {
                        tracing::warn!(
                            "the grade worker's step did not finish in time; its scores are sent again once their lease ends"
                        );
                        task.abort();
                    }
                }
                match failure {
                    Some(f) => Err(f.into()),
                    None => served.map_err(RunError::Server),
                }
            }
        };
        stopping.send_replace(true);
        if let Some(handle) = metrics {
            handle.stop(false).await;
        }
        // The maintenance tick, the gauges, the relay (and the grade worker if the server
        // failed) are aborted.
        drop(workers);
        tracing::info!(seconds = t.elapsed().as_secs_f64(), "stopped");
        res
    }
}

/// Resolves on SIGTERM (`docker stop`, systemd, Kubernetes) or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                    _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the server");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The server of `/metrics` on an address of its own: one worker, one route.
fn metrics_server(
    addr: SocketAddr,
    scrape: web::Data<Scrape>,
) -> Result<(actix_web::dev::Server, u16), StartupError> {
    let bind_error = |source| StartupError::Bind {
        addr: addr.to_string(),
        source,
    };
    let listener = TcpListener::bind(addr).map_err(bind_error)?;
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(scrape.clone())
            .route("/metrics", web::get().to(crate::web::metrics::scrape_apart))
            .default_service(web::to(|| async {
                actix_web::HttpResponse::NotFound().finish()
            }))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)
    .map_err(bind_error)?
    .run();
    Ok((server, port))
}

/// Refreshes the gauges that cost a query (the grade outbox's depth) every
/// [`GAUGE_REFRESH`], so a scrape never waits on the database.
async fn refresh_gauges(scrape: web::Data<Scrape>) {
    let mut tick = tokio::time::interval(GAUGE_REFRESH);
    loop {
        tick.tick().await;
        match scrape.store.outbox_depth().await {
            Ok(d) => scrape.instance.set_grade_outbox(d.pending, d.failed),
            Err(e) => tracing::debug!(error = %e, "grade outbox depth not read"),
        }
    }
}

/// Headers every response carries, pages, static files, the JWKS and redirects alike: no
/// content sniffing, and HSTS when the tool is served over https.
fn default_headers(hsts: bool) -> actix_web::middleware::DefaultHeaders {
    let h = actix_web::middleware::DefaultHeaders::new().add(("X-Content-Type-Options", "nosniff"));
    if hsts {
        h.add(("Strict-Transport-Security", "max-age=31536000"))
    } else {
        h
    }
}

/// One maintenance step: forget logins and page hand-offs as soon as they expired. Anyone can
/// make us store a login, so none is kept longer than it can serve; a replay after expiry is
/// refused anyway (the id_token has expired long before the login). Returns how many went.
pub async fn maintenance_step(store: &Store, now: i64) -> Result<u64, StoreError> {
    let handoffs = store.purge_handoffs(now).await?;
    Ok(store.purge_logins(now).await? + handoffs)
}

/// How often expired logins are purged.
const LOGIN_PURGE_EVERY: Duration = Duration::from_secs(60);
/// How often the rosters due for a sync are looked for.
const ROSTER_TICK_EVERY: Duration = Duration::from_secs(300);

async fn maintenance_loop(state: web::Data<AppState>) {
    // Every minute forget expired logins; every five minutes sync the rosters that are due.
    let mut tick = tokio::time::interval(LOGIN_PURGE_EVERY);
    let mut last_roster: Option<std::time::Instant> = None;
    loop {
        tick.tick().await;
        let flow = &state.flow;
        match maintenance_step(&flow.store, now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "purged expired logins"),
            Err(e) => tracing::warn!(error = %e, "maintenance failed"),
        }
        if last_roster.is_some_and(|t| t.elapsed() < ROSTER_TICK_EVERY) {
            continue;
        }
        last_roster = Some(std::time::Instant::now());
        let Ok(snap) = flow.registry.snapshot().await else {
            continue;
        };
        let key = flow.keys.current(now()).await;
        match crate::roster::sync_due(&state.roster, &flow.store, &snap.registrations, &key, now())
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(courses = n, "scheduled roster sync"),
            Err(e) => tracing::warn!(error = %e, "scheduled roster sync failed"),
        }
    }
}

/// Delivers the grade outbox until `stop` turns true (the step under way finishes first),
/// with the registrations and key of the moment.
async fn grades_loop(state: web::Data<AppState>, http: Outbound, mut stop: watch::Receiver<bool>) {
    let store = state.flow.store.clone();
    let source = || async {
        let snap = state.flow.registry.snapshot().await.ok()?;
        let key = state.flow.keys.current(now()).await;
        Some((snap.registrations.clone(), key))
    };
    let lease = state.flow.settings.grade_lease.as_secs() as i64;
    let worker = crate::grades::GradeWorker::new(http).with_lease(lease);
    let stop = async move {
        // A dropped sender (the application gone) stops the worker too.
        let _ = stop.wait_for(|s| *s).await;
    };
    crate::grades::run_until(store, worker, source, stop).await;
}

/// The span of each request, and its one log line at the end: the request id (the one
/// answered in `X-Request-Id`, `web::observe`), the method, the route *pattern*
/// (`/app/pairs/{id}`, never the path with its values, never the query: a query can hold a
/// session token, a path an LMS user id), the status and the time taken (`duration_ms`, until
/// the answer starts). Neither addresses nor user agents: they are personal data, and the
/// default span of tracing-actix-web records both along with the full target.
pub struct QuietRootSpan;

impl tracing_actix_web::RootSpanBuilder for QuietRootSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_default();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "(no route)".into());
        tracing::info_span!(
            "request",
            request_id = %request_id,
            method = %request.method(),
            route = %route,
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        use actix_web::HttpMessage;
        match outcome {
            Ok(resp) => {
                let status = resp.status().as_u16();
                span.record("status", status);
                let started = resp.request().extensions().get::<Started>().map(|s| s.0);
                // Milliseconds, to the microsecond.
                let duration_ms = started.map_or(0.0, |t| {
                    (t.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0
                });
                tracing::info!(parent: &span, status, duration_ms, "request done");
            }
            // A middleware's error, answered further out (`web::observe`): no request here to
            // read the start from.
            Err(e) => {
                let status = e.as_response_error().status_code().as_u16();
                span.record("status", status);
                tracing::info!(parent: &span, status, "request done");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A task that runs until aborted, as every worker loop does.
    fn forever() -> impl Future<Output = ()> + Send + 'static {
        std::future::pending()
    }

    #[tokio::test]
    async fn a_panicking_worker_is_reported_by_name_with_its_message() {
        let mut workers = Workers::default();
        workers.spawn("maintenance tick", forever());
        workers.spawn("grade worker", async { panic!("claimed twice: {}", 7) });
        let failure = workers.first_end().await;
        assert_eq!(failure.name, "grade worker");
        assert_eq!(failure.how, WorkerEnd::Panicked("claimed twice: 7".into()));
        assert_eq!(
            failure.to_string(),
            "the grade worker panicked: claimed twice: 7"
        );
        let run = RunError::from(failure);
        assert_eq!(
            run.to_string(),
            "the grade worker panicked: claimed twice: 7"
        );
    }

    #[tokio::test]
    async fn a_worker_that_returns_is_reported_too() {
        let mut workers = Workers::default();
        workers.spawn("gauges refresh", forever());
        workers.spawn("event relay", async {});
        let failure = workers.first_end().await;
        assert_eq!(failure.name, "event relay");
        assert_eq!(failure.how, WorkerEnd::Returned);
        assert_eq!(failure.to_string(), "the event relay ended");
    }

    #[tokio::test]
    async fn a_literal_panic_message_is_kept() {
        let mut workers = Workers::default();
        workers.spawn("relay", async { panic!("lost the listener") });
        let failure = workers.first_end().await;
        assert_eq!(failure.how, WorkerEnd::Panicked("lost the listener".into()));
    }

    #[tokio::test]
    async fn no_worker_ending_means_no_end() {
        let mut workers = Workers::default();
        assert!(
            tokio::time::timeout(Duration::from_millis(50), workers.first_end())
                .await
                .is_err(),
            "nothing watched"
        );
        workers.spawn("maintenance tick", forever());
        assert!(
            tokio::time::timeout(Duration::from_millis(50), workers.first_end())
                .await
                .is_err(),
            "a worker that runs"
        );
    }

    #[tokio::test]
    async fn a_taken_worker_is_no_longer_watched_and_the_rest_are_aborted_on_drop() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let mut workers = Workers::default();
        // The sender lives as long as the task: dropped when the task is aborted.
        workers.spawn("gauges refresh", async move {
            let _tx = tx;
            std::future::pending::<()>().await
        });
        workers.spawn("grade worker", async {});
        let grades = workers.take("grade worker").expect("watched");
        grades.await.unwrap();
        assert!(workers.take("grade worker").is_none());
        drop(workers);
        assert!(rx.await.is_err(), "the remaining task was aborted");
    }
}
