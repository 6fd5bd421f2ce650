//! Settings: built-in defaults, then an optional `binome.toml`, then environment variables.
//!
//! Anything unknown or malformed stops start-up with a message that names the setting, so a
//! typo in a deployment never silently falls back to a default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

/// A problem with the settings; start-up stops and prints it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A setting has a value that cannot be used.
    #[error("setting {name}: {message}")]
    Invalid { name: String, message: String },
    /// An environment variable starts with `BINOME_` but is not a setting we know.
    #[error("unknown setting {0} in the environment (known: {known})", known = known_env().join(", "))]
    UnknownEnv(String),
    /// The settings file could not be read or parsed.
    #[error("settings file {path}: {message}")]
    File { path: String, message: String },
}

/// One setting as `--help` and the README list it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingDoc {
    /// The environment variable.
    pub env: &'static str,
    /// The key in `binome.toml`, when the file may set it.
    pub key: Option<&'static str>,
    /// The default, as a person reads it.
    pub default: &'static str,
    /// What it is for, in a few words.
    pub meaning: &'static str,
}

const fn doc(
    env: &'static str,
    key: Option<&'static str>,
    default: &'static str,
    meaning: &'static str,
) -> SettingDoc {
    SettingDoc {
        env,
        key,
        default,
        meaning,
    }
}

/// Every setting, in the order the README's table lists them: the one list `--help`, the
/// unknown-setting check and the README test read.
pub const SETTINGS: &[SettingDoc] = &[
    doc(
        "BINOME_BASE_URL",
        Some("base_url"),
        "http://localhost:8080",
        "public URL the LMS and browsers see",
    ),
    doc(
        "BINOME_BIND",
        Some("bind"),
        "127.0.0.1:8080",
        "address and port to listen on",
    ),
    doc(
        "BINOME_DATA_DIR",
        Some("data_dir"),
        "./data",
        "folder of the default SQLite database",
    ),
    doc(
        "DATABASE_URL",
        Some("database_url"),
        "sqlite://$BINOME_DATA_DIR/binome.db?mode=rwc",
        "sqlite: or postgres:// URL",
    ),
    doc(
        "BINOME_WORKERS",
        Some("workers"),
        "number of cores",
        "HTTP worker threads",
    ),
    doc(
        "BINOME_DB_MAX_CONNECTIONS",
        Some("db_max_connections"),
        "10",
        "database pool size",
    ),
    doc(
        "BINOME_SESSION_TTL_SECS",
        Some("session_ttl_secs"),
        "1800",
        "lifetime of a page's session token (renewed while open, up to 12 h)",
    ),
    doc(
        "BINOME_KEY_GRACE_DAYS",
        Some("key_grace_days"),
        "7",
        "how long a rotated-out key stays published",
    ),
    doc(
        "BINOME_JWKS_MIN_REFETCH_SECS",
        Some("jwks_min_refetch_secs"),
        "5",
        "least interval between two key-set refetches of a platform on unknown kids",
    ),
    doc(
        "BINOME_TRUST_PROXY",
        Some("trust_proxy"),
        "false",
        "a trusted reverse proxy is in front (X-Forwarded-For, X-Request-Id)",
    ),
    doc(
        "BINOME_LOGIN_RATE_PER_CLIENT",
        Some("login_rate_per_client"),
        "120",
        "logins per person (login hint) at one client address and minute (0 = off)",
    ),
    doc(
        "BINOME_LOGIN_RATE_PER_ADDRESS",
        Some("login_rate_per_address"),
        "1200",
        "logins per client address and minute, everyone behind it together (0 = off)",
    ),
    doc(
        "BINOME_LOGIN_RATE_PER_PLATFORM",
        Some("login_rate_per_platform"),
        "3000",
        "logins per platform registration and minute (0 = off)",
    ),
    doc(
        "BINOME_MAX_PENDING_LOGINS",
        Some("max_pending_logins"),
        "20000",
        "unused logins kept per platform registration (0 = no cap)",
    ),
    doc(
        "BINOME_ROSTER_SYNC_DEADLINE_SECS",
        Some("roster_sync_deadline_secs"),
        "120",
        "longest time a whole roster sync may take",
    ),
    doc(
        "BINOME_GRADE_WORKER",
        Some("grade_worker"),
        "true",
        "run this instance's grade delivery worker",
    ),
    doc(
        "BINOME_GRADE_LEASE_SECS",
        Some("grade_lease_secs"),
        "300",
        "how long the grade worker's claim holds a score (1-86400)",
    ),
    doc(
        "BINOME_REGISTRATION",
        Some("registration"),
        "invite",
        "who may register an LMS: invite, open or off",
    ),
    doc(
        "BINOME_MAX_EVENT_STREAMS",
        Some("max_event_streams"),
        "10000",
        "event streams this instance holds at once",
    ),
    doc(
        "BINOME_EVENT_STREAMS_PER_CLIENT",
        Some("event_streams_per_client"),
        "500",
        "event streams from one client address",
    ),
    doc(
        "BINOME_EVENT_STREAMS_PER_PERSON",
        Some("event_streams_per_person"),
        "4",
        "event streams one person keeps on one session (1-64)",
    ),
    doc(
        "BINOME_SESSION_WRITES_PER_MINUTE",
        Some("session_writes_per_minute"),
        "120",
        "live-session writes per member and minute (0 = off)",
    ),
    doc(
        "BINOME_ALLOW_PRIVATE_NETWORK",
        Some("allow_private_network"),
        "false",
        "development only: every platform may reach private networks",
    ),
    doc(
        "BINOME_LOG_FORMAT",
        Some("log_format"),
        "text",
        "log lines as text or json (one object per line)",
    ),
    doc(
        "BINOME_METRICS",
        Some("metrics"),
        "true",
        "serve Prometheus metrics on /metrics",
    ),
    doc(
        "BINOME_METRICS_BIND",
        Some("metrics_bind"),
        "(the main port)",
        "serve /metrics on this address:port instead of the main port",
    ),
    doc(
        "BINOME_CONFIG",
        None,
        "binome.toml",
        "settings file to read",
    ),
    doc(
        "RUST_LOG",
        None,
        "info (serve), warn (other commands)",
        "log filter (tracing); refusals under binome::refusal",
    ),
];

/// Variables named `BINOME_*` that are not settings: the project documents them for its tests
/// and tools, so setting them never stops a command.
pub const TOOL_VARIABLES: &[&str] = &[
    // The axe-core script the accessibility tests read (tests/api/browser_live.rs).
    "BINOME_AXE",
    // Set by the live-session bench on the copy of itself it starts (benches/live.rs).
    "BINOME_BENCH_REEXEC",
];

/// Every environment variable of the form `BINOME_*` that is a setting.
pub fn known_env() -> Vec<&'static str> {
    SETTINGS
        .iter()
        .map(|d| d.env)
        .filter(|e| e.starts_with("BINOME_"))
        .collect()
}

/// The settings as `binome --help` lists them: each with its variable, its `binome.toml` key,
/// its default and what it is for.
pub fn settings_help() -> String {
    let mut out = String::from(
        "Settings: the defaults, then binome.toml (or the file named by BINOME_CONFIG), then the\n\
         environment. An unknown BINOME_* variable or file key stops the command, naming it.\n\
         (variable, binome.toml key, default: meaning)\n",
    );
    for d in SETTINGS {
        out.push_str(&format!(
            "  {}{}  [default: {}]\n      {}\n",
            d.env,
            d.key.map(|k| format!(", {k}")).unwrap_or_default(),
            d.default,
            d.meaning
        ));
    }
    out.push_str(&format!(
        "Not settings (read by the project's tests and tools, never refused): {}\n",
        TOOL_VARIABLES.join(", ")
    ));
    out
}

/// How log lines are written (`BINOME_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human text, coloured on a terminal only.
    #[default]
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

impl LogFormat {
    fn parse(raw: &str) -> Option<LogFormat> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

/// The resolved settings of one Binôme process.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Public URL the LMS and browsers see, without a trailing slash.
    pub base_url: Url,
    /// Address the HTTP server binds to.
    pub bind: SocketAddr,
    /// Folder for the default SQLite database.
    pub data_dir: PathBuf,
    /// Database connection URL (SQLite or PostgreSQL).
    pub database_url: String,
    /// HTTP worker threads (default: one per core).
    pub workers: usize,
    /// Largest database pool.
    pub db_max_connections: u32,
    /// Lifetime of the signed session token a launch hands to the page.
    pub session_ttl: Duration,
    /// How long a rotated-out tool key stays published in the JWKS.
    pub key_grace: Duration,
    /// Smallest interval between two JWKS refetches of one platform triggered by unknown kids.
    pub jwks_min_refetch: Duration,
    /// Whether a trusted reverse proxy is in front: then the client address of a request is
    /// the last `X-Forwarded-For` entry (the one the proxy appended), else the TCP peer.
    pub trust_proxy: bool,
    /// Logins allowed per person (the login's `login_hint`) at one client address and minute
    /// (as a burst, then 1/60 of it per second); 0 turns the limit off.
    pub login_rate_per_client: u32,
    /// Logins allowed per client address and minute, whoever they are for: what a lecture
    /// hall behind one NAT needs, and the bound on a flood that varies its hints; 0 = off.
    pub login_rate_per_address: u32,
    /// Logins allowed per platform registration and minute, all clients together; 0 = off.
    pub login_rate_per_platform: u32,
    /// Unexpired, unused logins kept per platform registration at most; 0 = no cap.
    pub max_pending_logins: u64,
    /// Longest time one roster sync (every page of it) may take.
    pub roster_sync_deadline: Duration,
    /// Whether this instance runs the grade delivery worker (several instances may).
    pub grade_worker: bool,
    /// How long the grade worker's claim holds a score: after a crash, the scores it had
    /// claimed are delivered by the next worker once this has passed.
    pub grade_lease: Duration,
    /// Development only: every outbound request may reach loopback and private networks,
    /// not only those to platforms an operator added, invited or approved (link-local and
    /// cloud metadata addresses stay refused).
    pub allow_private_network: bool,
    /// Who may register a platform by LTI Dynamic Registration.
    pub registration: RegistrationMode,
    /// Most event streams this instance keeps open at once, all people together. The
    /// instance lowers it further to stay below its open-file limit (see
    /// `realtime::streams`).
    pub max_event_streams: usize,
    /// Most event streams open at once from one client address (an IPv6 /64 counts as one).
    pub event_streams_per_client: u32,
    /// Most event streams one person keeps open on one session; a newer one closes the
    /// oldest rather than being refused.
    pub event_streams_per_person: u32,
    /// Writes (commands, field saves, presence, deleting notes) one member may make per
    /// minute in a live session, as a burst, then 1/60 of it per second; 0 = no limit.
    pub session_writes_per_minute: u32,
    /// How log lines are written.
    pub log_format: LogFormat,
    /// Whether `/metrics` is served.
    pub metrics: bool,
    /// Where `/metrics` is served instead of the main port, when set.
    pub metrics_bind: Option<SocketAddr>,
}

/// Who may register a platform by LTI Dynamic Registration (`registration`). Whatever the
/// mode, a registration made without an operator's invitation waits for the operator's
/// approval (`binome platform approve`) before it can launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RegistrationMode {
    /// Anyone may register; the registration is held for approval unless invited.
    Open,
    /// Only with an invitation from `binome registration invite` (the default).
    #[default]
    Invite,
    /// No Dynamic Registration: operators add platforms with `binome platform add`.
    Off,
}

impl RegistrationMode {
    /// The setting's value.
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationMode::Open => "open",
            RegistrationMode::Invite => "invite",
            RegistrationMode::Off => "off",
        }
    }

    fn parse(raw: &str) -> Option<RegistrationMode> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "open" => Some(RegistrationMode::Open),
            "invite" => Some(RegistrationMode::Invite),
            "off" => Some(RegistrationMode::Off),
            _ => None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    base_url: Option<String>,
    bind: Option<String>,
    data_dir: Option<String>,
    database_url: Option<String>,
    workers: Option<usize>,
    db_max_connections: Option<u32>,
    session_ttl_secs: Option<u64>,
    key_grace_days: Option<u64>,
    jwks_min_refetch_secs: Option<u64>,
    trust_proxy: Option<bool>,
    login_rate_per_client: Option<u32>,
    login_rate_per_address: Option<u32>,
    login_rate_per_platform: Option<u32>,
    max_pending_logins: Option<u64>,
    roster_sync_deadline_secs: Option<u64>,
    grade_worker: Option<bool>,
    grade_lease_secs: Option<u64>,
    allow_private_network: Option<bool>,
    registration: Option<String>,
    max_event_streams: Option<usize>,
    event_streams_per_client: Option<u32>,
    event_streams_per_person: Option<u32>,
    session_writes_per_minute: Option<u32>,
    log_format: Option<String>,
    metrics: Option<bool>,
    metrics_bind: Option<String>,
}

impl Settings {
    /// Reads the settings of this process: `binome.toml` (or `BINOME_CONFIG`) and the environment.
    pub fn load() -> Result<Self, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::from_sources(&env, None)
    }

    /// Builds settings from an explicit environment, for tests and for `load`.
    pub fn from_sources(
        env: &[(String, String)],
        file_text: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        for (name, _) in env {
            if name.starts_with("BINOME_")
                && !known_env().contains(&name.as_str())
                && !TOOL_VARIABLES.contains(&name.as_str())
            {
                return Err(ConfigError::UnknownEnv(name.clone()));
            }
        }
        let file: FileSettings = match file_text {
            Some(text) => parse_file("binome.toml", text)?,
            None => {
                let explicit = get("BINOME_CONFIG");
                let path = explicit.clone().unwrap_or_else(|| "binome.toml".into());
                match std::fs::read_to_string(&path) {
                    Ok(text) => parse_file(&path, &text)?,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
                        FileSettings::default()
                    }
                    Err(e) => {
                        return Err(ConfigError::File {
                            path,
                            message: e.to_string(),
                        });
                    }
                }
            }
        };

        let base_raw = get("BINOME_BASE_URL")
            .or(file.base_url)
            .unwrap_or_else(|| "http://localhost:8080".into());
        let base_url = parse_base_url(&base_raw)?;
        let bind_raw = get("BINOME_BIND")
            .or(file.bind)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind = bind_raw.parse::<SocketAddr>().map_err(|e| {
            invalid(
                "BINOME_BIND",
                format!("{bind_raw:?} is not an address:port ({e})"),
            )
        })?;
        let data_dir = PathBuf::from(
            get("BINOME_DATA_DIR")
                .or(file.data_dir)
                .unwrap_or_else(|| "./data".into()),
        );
        let database_url = match get("DATABASE_URL").or(file.database_url) {
            Some(url) if url.trim().is_empty() => {
                return Err(invalid("DATABASE_URL", "is empty".into()));
            }
            Some(url) => {
                if !(url.starts_with("sqlite:")
                    || url.starts_with("postgres://")
                    || url.starts_with("postgresql://"))
                {
                    return Err(invalid(
                        "DATABASE_URL",
                        "must start with sqlite:, postgres:// or postgresql://".into(),
                    ));
                }
                url
            }
            None => default_sqlite_url(&data_dir),
        };
        let workers = num_setting(
            get("BINOME_WORKERS"),
            file.workers,
            "BINOME_WORKERS",
            default_workers(),
        )?;
        let db_max_connections = num_setting(
            get("BINOME_DB_MAX_CONNECTIONS"),
            file.db_max_connections,
            "BINOME_DB_MAX_CONNECTIONS",
            10,
        )?;
        let session_ttl = num_setting(
            get("BINOME_SESSION_TTL_SECS"),
            file.session_ttl_secs,
            "BINOME_SESSION_TTL_SECS",
            30 * 60,
        )?;
        let key_grace = num_setting(
            get("BINOME_KEY_GRACE_DAYS"),
            file.key_grace_days,
            "BINOME_KEY_GRACE_DAYS",
            7,
        )?;
        let jwks_min_refetch = num_setting(
            get("BINOME_JWKS_MIN_REFETCH_SECS"),
            file.jwks_min_refetch_secs,
            "BINOME_JWKS_MIN_REFETCH_SECS",
            5,
        )?;
        let trust_proxy = bool_setting(
            get("BINOME_TRUST_PROXY"),
            file.trust_proxy,
            "BINOME_TRUST_PROXY",
            false,
        )?;
        let allow_private_network = bool_setting(
            get("BINOME_ALLOW_PRIVATE_NETWORK"),
            file.allow_private_network,
            "BINOME_ALLOW_PRIVATE_NETWORK",
            false,
        )?;
        let registration = match get("BINOME_REGISTRATION").or(file.registration) {
            Some(raw) => RegistrationMode::parse(&raw).ok_or_else(|| {
                invalid(
                    "BINOME_REGISTRATION",
                    format!("{raw:?} is not open, invite or off"),
                )
            })?,
            None => RegistrationMode::default(),
        };
        let grade_worker = bool_setting(
            get("BINOME_GRADE_WORKER"),
            file.grade_worker,
            "BINOME_GRADE_WORKER",
            true,
        )?;
        // One person rarely logs in more than a few times a minute; 120 leaves room for
        // reloads and stops a flood that repeats one hint (4,800 requests/s were seen from
        // one client before any limit).
        let login_rate_per_client = num_setting(
            get("BINOME_LOGIN_RATE_PER_CLIENT"),
            file.login_rate_per_client,
            "BINOME_LOGIN_RATE_PER_CLIENT",
            120,
        )?;
        // A lecture hall of 500 behind one school NAT, each launching once or twice within
        // the minute, fits in 1,200; a flood that varies its hints is held to it.
        let login_rate_per_address = num_setting(
            get("BINOME_LOGIN_RATE_PER_ADDRESS"),
            file.login_rate_per_address,
            "BINOME_LOGIN_RATE_PER_ADDRESS",
            1200,
        )?;
        // 50 a second sustained per LMS is well above a large Moodle's busiest minute.
        let login_rate_per_platform = num_setting(
            get("BINOME_LOGIN_RATE_PER_PLATFORM"),
            file.login_rate_per_platform,
            "BINOME_LOGIN_RATE_PER_PLATFORM",
            3000,
        )?;
        // At about 1 KiB a row, 20,000 pending logins are at most ~25 MB per registration.
        let max_pending_logins = num_setting(
            get("BINOME_MAX_PENDING_LOGINS"),
            file.max_pending_logins,
            "BINOME_MAX_PENDING_LOGINS",
            20_000,
        )?;
        let roster_sync_deadline = ranged_setting(
            get("BINOME_ROSTER_SYNC_DEADLINE_SECS"),
            file.roster_sync_deadline_secs,
            "BINOME_ROSTER_SYNC_DEADLINE_SECS",
            120,
            1..,
        )?;
        // Far longer than a batch of posts takes; an operator may shorten it so that scores a
        // crashed instance had claimed go out sooner. The default is `grades::outbox::LEASE`
        // (this bottom-floor module cannot import it).
        let grade_lease = ranged_setting(
            get("BINOME_GRADE_LEASE_SECS"),
            file.grade_lease_secs,
            "BINOME_GRADE_LEASE_SECS",
            300,
            1..=86_400,
        )?;
        // 10,000 idle streams are the goal for one instance; an operator with more memory may
        // raise it, and the open-file limit caps it in any case.
        let max_event_streams = ranged_setting(
            get("BINOME_MAX_EVENT_STREAMS"),
            file.max_event_streams,
            "BINOME_MAX_EVENT_STREAMS",
            10_000,
            1..,
        )?;
        // A lecture hall behind one NAT: 250 learners with two tabs each.
        let event_streams_per_client = ranged_setting(
            get("BINOME_EVENT_STREAMS_PER_CLIENT"),
            file.event_streams_per_client,
            "BINOME_EVENT_STREAMS_PER_CLIENT",
            500,
            1..,
        )?;
        // Two tabs plus their reconnections.
        let event_streams_per_person = ranged_setting(
            get("BINOME_EVENT_STREAMS_PER_PERSON"),
            file.event_streams_per_person,
            "BINOME_EVENT_STREAMS_PER_PERSON",
            4,
            1..=64,
        )?;
        // The page saves a field 1.2 s after the last key and on leaving it, and a click is a
        // command: a person stays far below 2 a second, with a burst of 120 for a page that
        // saves every field as it closes; a script is held to 2 a second.
        let session_writes_per_minute = num_setting(
            get("BINOME_SESSION_WRITES_PER_MINUTE"),
            file.session_writes_per_minute,
            "BINOME_SESSION_WRITES_PER_MINUTE",
            120,
        )?;
        let log_format = match get("BINOME_LOG_FORMAT").or(file.log_format) {
            Some(raw) => LogFormat::parse(&raw).ok_or_else(|| {
                invalid("BINOME_LOG_FORMAT", format!("{raw:?} is not text or json"))
            })?,
            None => LogFormat::default(),
        };
        let metrics = bool_setting(get("BINOME_METRICS"), file.metrics, "BINOME_METRICS", true)?;
        let metrics_bind = match get("BINOME_METRICS_BIND").or(file.metrics_bind) {
            Some(raw) if raw.trim().is_empty() => None,
            Some(raw) => Some(raw.trim().parse::<SocketAddr>().map_err(|e| {
                invalid(
                    "BINOME_METRICS_BIND",
                    format!("{raw:?} is not an address:port ({e})"),
                )
            })?),
            None => None,
        };
        if workers == 0 {
            return Err(invalid("BINOME_WORKERS", "must be at least 1".into()));
        }
        if db_max_connections == 0 {
            return Err(invalid(
                "BINOME_DB_MAX_CONNECTIONS",
                "must be at least 1".into(),
            ));
        }
        Ok(Settings {
            base_url,
            bind,
            data_dir,
            database_url,
            workers,
            db_max_connections,
            session_ttl: Duration::from_secs(session_ttl),
            key_grace: Duration::from_secs(key_grace * 86_400),
            jwks_min_refetch: Duration::from_secs(jwks_min_refetch),
            trust_proxy,
            login_rate_per_client,
            login_rate_per_address,
            login_rate_per_platform,
            max_pending_logins,
            roster_sync_deadline: Duration::from_secs(roster_sync_deadline),
            grade_worker,
            grade_lease: Duration::from_secs(grade_lease),
            allow_private_network,
            registration,
            max_event_streams,
            event_streams_per_client,
            event_streams_per_person,
            session_writes_per_minute,
            log_format,
            metrics,
            metrics_bind,
        })
    }

    /// The base URL as a string without a trailing slash, for building links.
    pub fn base(&self) -> &str {
        self.base_url.as_str().trim_end_matches('/')
    }

    /// A URL of this tool for the given absolute path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base(), path)
    }

    /// Whether the database is the embedded SQLite default or another SQLite file.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

fn invalid(name: &str, message: String) -> ConfigError {
    ConfigError::Invalid {
        name: name.into(),
        message,
    }
}

fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" | "" => Some(false),
        _ => None,
    }
}

fn parse_file(path: &str, text: &str) -> Result<FileSettings, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::File {
        path: path.into(),
        message: e.to_string(),
    })
}

fn parse_base_url(raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw)
        .map_err(|e| invalid("BINOME_BASE_URL", format!("{raw:?} is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(invalid(
            "BINOME_BASE_URL",
            format!("{raw:?} must be an http(s) URL with a host"),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "BINOME_BASE_URL",
            "must not carry a query or fragment".into(),
        ));
    }
    Ok(url)
}

fn num_setting<T: std::str::FromStr>(
    env: Option<String>,
    file: Option<T>,
    name: &str,
    default: T,
) -> Result<T, ConfigError> {
    match env {
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|_| invalid(name, format!("{raw:?} is not a valid number"))),
        None => Ok(file.unwrap_or(default)),
    }
}

/// A number setting that must lie in `range`.
fn ranged_setting<T, R>(
    env: Option<String>,
    file: Option<T>,
    name: &str,
    default: T,
    range: R,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
    R: std::ops::RangeBounds<T>,
{
    let v = num_setting(env, file, name, default)?;
    if range.contains(&v) {
        return Ok(v);
    }
    let message = match (range.start_bound(), range.end_bound()) {
        (std::ops::Bound::Included(lo), std::ops::Bound::Included(hi)) => {
            format!("must be between {lo} and {hi}")
        }
        (std::ops::Bound::Included(lo), _) => format!("must be at least {lo}"),
        _ => "is out of range".to_string(),
    };
    Err(invalid(name, message))
}

/// A true/false setting (also 1/0, yes/no).
fn bool_setting(
    env: Option<String>,
    file: Option<bool>,
    name: &str,
    default: bool,
) -> Result<bool, ConfigError> {
    match env {
        Some(raw) => parse_bool(&raw)
            .ok_or_else(|| invalid(name, format!("{raw:?} is not true/false (or 1/0, yes/no)"))),
        None => Ok(file.unwrap_or(default)),
    }
}

fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

fn default_sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("binome.db").display())
}

/// The tool's own public URLs: the one place they are spelled, read by the summary printed
/// for LMS administrators and by Dynamic Registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolUrls {
    /// OIDC login initiation.
    pub login: String,
    /// Redirect URI, target link URI and deep-linking URL.
    pub launch: String,
    /// The tool's public key set.
    pub jwks: String,
    /// Where an LMS administrator starts a Dynamic Registration.
    pub register: String,
}

impl Settings {
    /// The tool's public URLs under the base URL.
    pub fn tool_urls(&self) -> ToolUrls {
        ToolUrls {
            login: self.url("/lti/login"),
            launch: self.url("/lti/launch"),
            jwks: self.url("/.well-known/jwks.json"),
            register: self.url("/lti/register"),
        }
    }

    /// What an LMS administrator needs: the URLs to paste and how to register a platform.
    /// Public (the home page shows it): never an invitation; start-up prints one apart.
    pub fn admin_summary(&self) -> String {
        let ToolUrls {
            login,
            launch,
            jwks,
            register,
        } = self.tool_urls();
        let dynamic = match self.registration {
            RegistrationMode::Invite => format!(
                "Dynamic Registration (Moodle 4.x \"Register tool URL\", Canvas \"LTI Registration\"), by invitation:\n\
                 \x20 Registration URL:              {register}?invite=<invitation>\n\
                 \x20 A one-time URL with its invitation: binome registration invite\n\n"
            ),
            RegistrationMode::Open => format!(
                "Dynamic Registration (Moodle 4.x \"Register tool URL\", Canvas \"LTI Registration\"), open:\n\
                 \x20 Registration URL:              {register}\n\
                 \x20 Registrations without an invitation wait for `binome platform approve <id>`;\n\
                 \x20 `binome registration invite` prints a URL that registers at once.\n\n"
            ),
            RegistrationMode::Off => {
                "Dynamic Registration is off (registration = \"off\"): add LMSs as below.\n\n"
                    .to_string()
            }
        };
        format!(
            "Binôme — LTI 1.3 peer-coaching tool\n\n\
             {dynamic}\
             Or configure the tool by hand with these URLs (LTI 1.3):\n\
             \x20 Login initiation URL (OIDC):   {login}\n\
             \x20 Redirect / launch URL:         {launch}\n\
             \x20 Target link URI (tool URL):    {launch}\n\
             \x20 Deep linking URL:              {launch}\n\
             \x20 Public keyset (JWKS) URL:      {jwks}\n\n\
             Then register the LMS with Binôme, with the values the LMS shows for the tool:\n\
             \x20 binome platform add --issuer <platform id / issuer> --client-id <client id> \\\n\
             \x20   --auth-url <authentication request URL> --token-url <access token URL> \\\n\
             \x20   --jwks-url <public keyset URL> --deployment-id <deployment id>\n\n\
             Step-by-step guides filled in for this server: `binome lti-config moodle` and `binome lti-config canvas`.\n"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_usable() {
        let s = Settings::from_sources(&[], Some("")).unwrap();
        assert_eq!(s.base(), "http://localhost:8080");
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert!(s.database_url.starts_with("sqlite://./data/binome.db"));
        assert!(!s.trust_proxy, "X-Forwarded-For is ignored unless asked");
        assert!(
            !s.allow_private_network,
            "only platforms an operator trusts reach private networks"
        );
        assert_eq!(
            (
                s.login_rate_per_client,
                s.login_rate_per_address,
                s.login_rate_per_platform
            ),
            (120, 1200, 3000)
        );
        assert_eq!(s.max_pending_logins, 20_000);
        assert_eq!(s.roster_sync_deadline, Duration::from_secs(120));
        assert_eq!(s.grade_lease, Duration::from_secs(300));
        let short = Settings::from_sources(&env(&[("BINOME_GRADE_LEASE_SECS", "2")]), Some(""));
        assert_eq!(short.unwrap().grade_lease, Duration::from_secs(2));
    }

    #[test]
    fn the_bounds_of_live_sessions_have_defaults_and_can_be_set() {
        let s = Settings::from_sources(&[], Some("")).unwrap();
        assert_eq!(
            (
                s.max_event_streams,
                s.event_streams_per_client,
                s.event_streams_per_person,
                s.session_writes_per_minute
            ),
            (10_000, 500, 4, 120)
        );
        let s = Settings::from_sources(
            &env(&[
                ("BINOME_MAX_EVENT_STREAMS", "300"),
                ("BINOME_EVENT_STREAMS_PER_PERSON", "2"),
                ("BINOME_SESSION_WRITES_PER_MINUTE", "0"),
            ]),
            Some("event_streams_per_client = 20\nmax_event_streams = 9"),
        )
        .unwrap();
        assert_eq!(
            (
                s.max_event_streams,
                s.event_streams_per_client,
                s.event_streams_per_person,
                s.session_writes_per_minute
            ),
            (300, 20, 2, 0),
            "the environment wins over the file"
        );
    }

    #[test]
    fn the_summary_prints_every_url_to_paste() {
        let s = Settings::from_sources(
            &env(&[("BINOME_BASE_URL", "https://b.example/x")]),
            Some(""),
        )
        .unwrap();
        let u = s.tool_urls();
        assert_eq!(u.register, "https://b.example/x/lti/register");
        let summary = s.admin_summary();
        for url in [&u.login, &u.launch, &u.jwks, &u.register] {
            assert!(summary.contains(url.as_str()), "{url}");
        }
        assert!(summary.contains("binome registration invite"), "{summary}");
        let off =
            Settings::from_sources(&env(&[("BINOME_REGISTRATION", "off")]), Some("")).unwrap();
        assert!(!off.admin_summary().contains("/lti/register"));
        let open = Settings::from_sources(&[], Some("registration = \"open\"")).unwrap();
        assert!(open.admin_summary().contains("binome platform approve"));
    }

    #[test]
    fn registration_is_by_invitation_unless_set_otherwise() {
        let s = Settings::from_sources(&[], Some("")).unwrap();
        assert_eq!(s.registration, RegistrationMode::Invite);
        for (raw, mode) in [
            ("open", RegistrationMode::Open),
            ("invite", RegistrationMode::Invite),
            ("OFF", RegistrationMode::Off),
        ] {
            let s =
                Settings::from_sources(&env(&[("BINOME_REGISTRATION", raw)]), Some("")).unwrap();
            assert_eq!(s.registration, mode, "{raw}");
            assert_eq!(mode.as_str(), raw.to_ascii_lowercase());
        }
        let file = Settings::from_sources(&[], Some("registration = \"off\"")).unwrap();
        assert_eq!(file.registration, RegistrationMode::Off);
        let env_wins = Settings::from_sources(
            &env(&[("BINOME_REGISTRATION", "open")]),
            Some("registration = \"off\""),
        )
        .unwrap();
        assert_eq!(env_wins.registration, RegistrationMode::Open);
    }

    #[test]
    fn unknown_env_setting_is_named() {
        let err = Settings::from_sources(&env(&[("BINOME_BASEURL", "x")]), Some("")).unwrap_err();
        assert!(err.to_string().contains("BINOME_BASEURL"), "{err}");
    }

    #[test]
    fn malformed_values_are_named() {
        for (name, value) in [
            ("BINOME_BIND", "nope"),
            ("BINOME_BASE_URL", "ftp://x"),
            ("BINOME_WORKERS", "two"),
            ("DATABASE_URL", "mysql://x"),
            ("BINOME_TRUST_PROXY", "maybe"),
            ("BINOME_LOGIN_RATE_PER_CLIENT", "-1"),
            ("BINOME_LOGIN_RATE_PER_ADDRESS", "lots"),
            ("BINOME_ROSTER_SYNC_DEADLINE_SECS", "0"),
            ("BINOME_GRADE_LEASE_SECS", "0"),
            ("BINOME_GRADE_LEASE_SECS", "86401"),
            ("BINOME_GRADE_LEASE_SECS", "soon"),
            ("BINOME_REGISTRATION", "anyone"),
            ("BINOME_MAX_EVENT_STREAMS", "0"),
            ("BINOME_MAX_EVENT_STREAMS", "many"),
            ("BINOME_EVENT_STREAMS_PER_CLIENT", "0"),
            ("BINOME_EVENT_STREAMS_PER_CLIENT", "-3"),
            ("BINOME_EVENT_STREAMS_PER_PERSON", "0"),
            ("BINOME_EVENT_STREAMS_PER_PERSON", "65"),
            ("BINOME_SESSION_WRITES_PER_MINUTE", "1.5"),
        ] {
            let err = Settings::from_sources(&env(&[(name, value)]), Some("")).unwrap_err();
            assert!(err.to_string().contains(name), "{name}: {err}");
        }
    }

    #[test]
    fn tool_variables_are_not_settings_and_stop_nothing() {
        for tool in TOOL_VARIABLES {
            Settings::from_sources(&env(&[(tool, "/anything")]), Some(""))
                .unwrap_or_else(|e| panic!("{tool}: {e}"));
        }
        let err = Settings::from_sources(&env(&[("BINOME_AXES", "x")]), Some("")).unwrap_err();
        assert!(err.to_string().contains("BINOME_AXES"), "{err}");
    }

    #[test]
    fn every_documented_setting_is_read_and_its_default_holds() {
        let defaults = Settings::from_sources(&[], Some("")).unwrap();
        for d in SETTINGS {
            // A literal default set explicitly gives the same settings as none at all.
            let literal = !d.default.contains(' ') && !d.default.contains('$');
            if d.env.starts_with("BINOME_") && literal && d.env != "BINOME_CONFIG" {
                let s = Settings::from_sources(&env(&[(d.env, d.default)]), Some(""))
                    .unwrap_or_else(|e| panic!("{}: {e}", d.env));
                assert_eq!(
                    format!("{s:?}"),
                    format!("{defaults:?}"),
                    "{} = {} is not the default",
                    d.env,
                    d.default
                );
            }
            if let Some(key) = d.key {
                // The file knows the key (a wrong type is named, never "unknown field").
                let err = Settings::from_sources(&[], Some(&format!("{key} = [1]")))
                    .unwrap_err()
                    .to_string();
                assert!(!err.contains("unknown field"), "{key}: {err}");
            }
        }
        let help = settings_help();
        for d in SETTINGS {
            assert!(
                help.contains(d.env) && help.contains(d.default),
                "{}",
                d.env
            );
        }
    }

    #[test]
    fn logs_and_metrics_have_settings() {
        let s = Settings::from_sources(&[], Some("")).unwrap();
        assert_eq!(
            (s.log_format, s.metrics, s.metrics_bind),
            (LogFormat::Text, true, None)
        );
        let s = Settings::from_sources(
            &env(&[
                ("BINOME_LOG_FORMAT", "JSON"),
                ("BINOME_METRICS_BIND", "127.0.0.1:9187"),
            ]),
            Some("metrics = false"),
        )
        .unwrap();
        assert_eq!(s.log_format, LogFormat::Json);
        assert!(!s.metrics);
        assert_eq!(s.metrics_bind.unwrap().port(), 9187);
        for (name, value) in [
            ("BINOME_LOG_FORMAT", "xml"),
            ("BINOME_METRICS", "perhaps"),
            ("BINOME_METRICS_BIND", "9187"),
        ] {
            let err = Settings::from_sources(&env(&[(name, value)]), Some("")).unwrap_err();
            assert!(err.to_string().contains(name), "{name}: {err}");
        }
    }

    #[test]
    fn unknown_file_key_is_named() {
        let err = Settings::from_sources(&[], Some("base_ulr = \"http://x\"")).unwrap_err();
        assert!(err.to_string().contains("base_ulr"), "{err}");
    }

    #[test]
    fn env_overrides_file() {
        let s = Settings::from_sources(
            &env(&[("BINOME_BIND", "0.0.0.0:9000")]),
            Some("bind = \"127.0.0.1:1\""),
        )
        .unwrap();
        assert_eq!(s.bind.port(), 9000);
    }
}
