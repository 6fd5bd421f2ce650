//! The process's Prometheus series, served as OpenMetrics text on `/metrics`
//! (`web/metrics.rs`): what happens (counters and histograms, in [`global`], counted where it
//! happens) and what an instance holds (gauges, in [`Instance`], read when scraped or
//! refreshed by a cheap periodic query).
//!
//! **No personal data, bounded labels.** `/metrics` may be public (it is on the main port by
//! default), so a label value is never a person, course, platform, address, token or
//! free text: it is one of the enums below, a refusal's reason code (a fixed `&'static str` of
//! `web::error`), an HTTP method out of a short list, a status code, or a route *pattern*
//! (`/app/pairs/{id}`) — the handful the router knows, or `unmatched`. So the number of
//! series is fixed by the code, whatever the traffic.
//!
//! Written over `prometheus-client` (the Prometheus project's own Rust client: a registry,
//! typed label sets, the text encoder) rather than the `metrics` facade with its Prometheus
//! exporter: the exporter's `metrics-util` turns on features of crates already in the tree
//! (crossbeam-utils, rand), which rebuilds the whole sqlx and sea-orm stack, and brings a
//! dozen crates; this one brings three.
//!
//! This module is on the bottom floor: every layer may count, and it imports nothing of the
//! crate.

use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// The content type of what [`render`] writes.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Buckets of request durations (seconds): a page is a few milliseconds, a roster refresh or
/// a gradebook check up to tens of seconds.
const HTTP_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Buckets of grade delivery latency (seconds): from the score to the LMS's acknowledgement,
/// seconds when all is well, hours when an LMS was down.
const GRADE_BUCKETS: [f64; 12] = [
    1.0,
    2.0,
    5.0,
    10.0,
    30.0,
    60.0,
    300.0,
    900.0,
    3600.0,
    4.0 * 3600.0,
    86_400.0,
    7.0 * 86_400.0,
];

/// Writes a label value from a fixed word.
macro_rules! label_words {
    ($ty:ty) => {
        impl EncodeLabelValue for $ty {
            fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
                std::fmt::Write::write_str(encoder, self.as_str())
            }
        }
    };
}

/// The two requests of an LTI launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LaunchStep {
    /// The OIDC login initiation (`/lti/login`).
    Login,
    /// The id_token post (`/lti/launch`), deep-linking launches included.
    Launch,
}

impl LaunchStep {
    pub fn as_str(self) -> &'static str {
        match self {
            LaunchStep::Login => "login",
            LaunchStep::Launch => "launch",
        }
    }
}
label_words!(LaunchStep);

/// How a request ended, as an operator counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Answered (2xx or a redirect).
    Ok,
    /// Refused with a reason (4xx).
    Refused,
    /// Failed on our side (5xx).
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
            Outcome::Error => "error",
        }
    }

    /// The outcome of an HTTP status.
    pub fn of_status(status: u16) -> Outcome {
        match status {
            500.. => Outcome::Error,
            400.. => Outcome::Refused,
            _ => Outcome::Ok,
        }
    }
}
label_words!(Outcome);

/// How a roster sync ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RosterOutcome {
    /// The whole roster was read and replaced.
    Full,
    /// Only the changes were read (the platform's `differences` link) and merged.
    Differences,
    /// The platform refused, failed or was too slow; the stored roster was kept.
    Failed,
    /// The course offers no roster service.
    NoService,
    /// Our database failed.
    StoreFailed,
}

impl RosterOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RosterOutcome::Full => "full",
            RosterOutcome::Differences => "differences",
            RosterOutcome::Failed => "failed",
            RosterOutcome::NoService => "no_service",
            RosterOutcome::StoreFailed => "store_failed",
        }
    }
}
label_words!(RosterOutcome);

/// A rate limit of `launch::limits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// Logins per person (login hint) at one client address.
    LoginPerClient,
    /// Logins per client address, everyone behind it together.
    LoginPerAddress,
    /// Logins per platform registration.
    LoginPerPlatform,
    /// Live-session writes per member.
    SessionWrites,
}

impl Limit {
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::LoginPerClient => "login_per_client",
            Limit::LoginPerAddress => "login_per_address",
            Limit::LoginPerPlatform => "login_per_platform",
            Limit::SessionWrites => "session_writes",
        }
    }
}
label_words!(Limit);

/// What an HTTP request is counted under.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct HttpLabels {
    /// One of [`method`]'s words.
    pub method: &'static str,
    /// The route pattern, or `unmatched`.
    pub route: String,
    pub status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct LaunchLabels {
    step: LaunchStep,
    outcome: Outcome,
    /// The refusal's reason code; empty when the request was answered.
    reason: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RosterLabels {
    outcome: RosterOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct LimitLabels {
    limit: Limit,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn http_histogram() -> Histogram {
    Histogram::new(HTTP_BUCKETS)
}

/// The counters and histograms of the process, counted wherever it happens.
pub struct Global {
    registry: Registry,
    http: HistogramFamily<HttpLabels>,
    launches: Family<LaunchLabels, Counter>,
    session_events: Counter,
    grade_latency: Histogram,
    roster_syncs: Family<RosterLabels, Counter>,
    rate_limited: Family<LimitLabels, Counter>,
}

/// The process's counters.
pub fn global() -> &'static Global {
    static GLOBAL: LazyLock<Global> = LazyLock::new(Global::new);
    &GLOBAL
}

impl Global {
    fn new() -> Global {
        let mut registry = Registry::default();
        let http: HistogramFamily<HttpLabels> = Family::new_with_constructor(http_histogram);
        registry.register_with_unit(
            "binome_http_request_duration",
            "HTTP requests by method, route pattern and status: time until the answer starts (a streamed body, such as an event stream, is not included)",
            Unit::Seconds,
            http.clone(),
        );
        let launches = Family::<LaunchLabels, Counter>::default();
        registry.register(
            "binome_launches",
            "LTI logins and launches by outcome, with the refusal's reason code",
            launches.clone(),
        );
        let session_events = Counter::default();
        registry.register(
            "binome_session_events",
            "Live-session events committed to the log (commands, notes of field saves, presence)",
            session_events.clone(),
        );
        let grade_latency = Histogram::new(GRADE_BUCKETS);
        registry.register_with_unit(
            "binome_grade_delivery_latency",
            "Scores acknowledged by the LMS, by time from the score's timestamp to the acknowledgement",
            Unit::Seconds,
            grade_latency.clone(),
        );
        let roster_syncs = Family::<RosterLabels, Counter>::default();
        registry.register(
            "binome_roster_syncs",
            "Roster syncs (Names and Role Provisioning) by outcome",
            roster_syncs.clone(),
        );
        let rate_limited = Family::<LimitLabels, Counter>::default();
        registry.register(
            "binome_rate_limited",
            "Requests refused by a rate limit (logins per client address or per platform, live-session writes per member)",
            rate_limited.clone(),
        );
        let build = Family::<BuildLabels, Gauge>::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register("binome_build_info", "The running version", build);
        Global {
            registry,
            http,
            launches,
            session_events,
            grade_latency,
            roster_syncs,
            rate_limited,
        }
    }

    /// One HTTP request, answered after `seconds`.
    pub fn http_request(&self, labels: &HttpLabels, seconds: f64) {
        self.http.get_or_create(labels).observe(seconds);
    }

    /// One login or launch and how it ended (`reason`: the refusal's code, else empty).
    pub fn launch(&self, step: LaunchStep, outcome: Outcome, reason: &'static str) {
        self.launches
            .get_or_create(&LaunchLabels {
                step,
                outcome,
                reason,
            })
            .inc();
    }

    /// `n` live-session events committed.
    pub fn session_events(&self, n: u64) {
        if n > 0 {
            self.session_events.inc_by(n);
        }
    }

    /// A score the LMS acknowledged, whose own timestamp is `timestamp_millis`.
    pub fn grade_delivered(&self, timestamp_millis: i64) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(timestamp_millis);
        self.grade_latency
            .observe((now - timestamp_millis).max(0) as f64 / 1000.0);
    }

    /// A roster sync ended.
    pub fn roster_sync(&self, outcome: RosterOutcome) {
        self.roster_syncs
            .get_or_create(&RosterLabels { outcome })
            .inc();
    }

    /// A request refused by a rate limit.
    pub fn rate_limited(&self, limit: Limit) {
        self.rate_limited
            .get_or_create(&LimitLabels { limit })
            .inc();
    }
}

/// An HTTP method as a label: the methods the tool serves, the others as `other`, so a
/// client cannot make a series per made-up method.
pub fn method(m: &str) -> &'static str {
    match m {
        "GET" => "GET",
        "POST" => "POST",
        "HEAD" => "HEAD",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "PATCH" => "PATCH",
        _ => "other",
    }
}

/// What one instance holds, as gauges: set when `/metrics` is scraped (cheap reads of the
/// instance's own state) or by a periodic query (the grade outbox).
pub struct Instance {
    registry: Registry,
    /// Event streams open on this instance.
    pub streams_open: Gauge,
    /// Event streams this instance may hold.
    pub streams_max: Gauge,
    db_pool: Family<StateLabels, Gauge>,
    /// The database pool's largest size.
    pub db_pool_max: Gauge,
    grade_outbox: Family<StateLabels, Gauge>,
}

impl Default for Instance {
    fn default() -> Self {
        Self::new()
    }
}

impl Instance {
    pub fn new() -> Instance {
        let mut registry = Registry::default();
        let streams_open = Gauge::default();
        registry.register(
            "binome_event_streams_open",
            "Live-session event streams open on this instance",
            streams_open.clone(),
        );
        let streams_max = Gauge::default();
        registry.register(
            "binome_event_streams_max",
            "Event streams this instance may hold (BINOME_MAX_EVENT_STREAMS, lowered to the open-file limit)",
            streams_max.clone(),
        );
        let db_pool = Family::<StateLabels, Gauge>::default();
        registry.register(
            "binome_db_pool_connections",
            "Database connections of this instance's pool: in_use, idle (sqlx does not tell how many requests wait; in_use at the maximum means they do)",
            db_pool.clone(),
        );
        let db_pool_max = Gauge::default();
        registry.register(
            "binome_db_pool_max_connections",
            "The pool's largest size (BINOME_DB_MAX_CONNECTIONS)",
            db_pool_max.clone(),
        );
        let grade_outbox = Family::<StateLabels, Gauge>::default();
        registry.register(
            "binome_grade_outbox_scores",
            "Scores in the grade outbox not delivered yet, by state (pending, failed), in the whole database; refreshed every 15 s",
            grade_outbox.clone(),
        );
        let start: Gauge = Gauge::default();
        start.set(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
        );
        registry.register(
            "binome_start_time_seconds",
            "When this instance started (Unix time)",
            start,
        );
        Instance {
            registry,
            streams_open,
            streams_max,
            db_pool,
            db_pool_max,
            grade_outbox,
        }
    }

    /// The pool's connections in use and idle.
    pub fn set_db_pool(&self, in_use: i64, idle: i64) {
        self.db_pool
            .get_or_create(&StateLabels { state: "in_use" })
            .set(in_use);
        self.db_pool
            .get_or_create(&StateLabels { state: "idle" })
            .set(idle);
    }

    /// The outbox's scores waiting (`pending`) and parked (`failed`).
    pub fn set_grade_outbox(&self, pending: u64, failed: u64) {
        for (state, n) in [("pending", pending), ("failed", failed)] {
            self.grade_outbox
                .get_or_create(&StateLabels { state })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
    }
}

/// The exposition: the process's counters, then the instance's gauges.
pub fn render(instance: &Instance) -> String {
    use prometheus_client::encoding::text::{encode_eof, encode_registry};
    let mut out = String::with_capacity(16 * 1024);
    // Writing to a String cannot fail.
    let _ = encode_registry(&mut out, &global().registry);
    let _ = encode_registry(&mut out, &instance.registry);
    let _ = encode_eof(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exposition_names_every_series_once_and_ends_with_eof() {
        let g = global();
        g.http_request(
            &HttpLabels {
                method: method("BREW"),
                route: "/lti/launch".into(),
                status: 303,
            },
            0.004,
        );
        g.launch(LaunchStep::Launch, Outcome::Refused, "token_replayed");
        g.rate_limited(Limit::LoginPerClient);
        let i = Instance::new();
        i.set_db_pool(2, 3);
        i.set_grade_outbox(4, 1);
        let text = render(&i);
        assert!(text.ends_with("# EOF\n"), "{text}");
        assert_eq!(text.matches("# EOF").count(), 1);
        for series in [
            "binome_http_request_duration_seconds_bucket{",
            "method=\"other\"",
            "binome_launches_total{step=\"launch\",outcome=\"refused\",reason=\"token_replayed\"}",
            "binome_rate_limited_total{limit=\"login_per_client\"}",
            "binome_db_pool_connections{state=\"in_use\"} 2",
            "binome_grade_outbox_scores{state=\"failed\"} 1",
            "binome_build_info{version=",
            "# TYPE binome_session_events counter",
        ] {
            assert!(text.contains(series), "{series} missing: {text}");
        }
    }

    #[test]
    fn statuses_are_outcomes() {
        assert_eq!(Outcome::of_status(200), Outcome::Ok);
        assert_eq!(Outcome::of_status(303), Outcome::Ok);
        assert_eq!(Outcome::of_status(429), Outcome::Refused);
        assert_eq!(Outcome::of_status(503), Outcome::Error);
    }
}
