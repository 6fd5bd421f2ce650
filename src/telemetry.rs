//! Logging set-up for the binary: human text or one JSON object per line
//! (`BINOME_LOG_FORMAT`), on standard error, coloured only when standard error is a terminal
//! (a file, a pipe or a container's log never gets escape codes), filtered by `RUST_LOG` or
//! by the command's default.
//!
//! What is logged is decided where it happens; the request line (request id, method, route
//! pattern, status, duration) is `startup::QuietRootSpan`'s. Neither format adds a field of
//! its own: no address, no user agent, no token.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// The filter of `binome serve` when `RUST_LOG` is unset: the tool's own lines and the
/// migrations applied at start at info, the database drivers' only when something is wrong.
/// (A directive names a prefix: `sea_orm` covers `sea_orm_migration` unless it is named too.)
pub const SERVE_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=info";

/// The filter of an administration command when `RUST_LOG` is unset: warnings only (no
/// migration log on a fresh database), info with `-v`, debug with `-vv`.
pub fn admin_filter(verbose: u8) -> &'static str {
    match verbose {
        0 => "warn",
        1 => SERVE_FILTER,
        _ => "debug,sqlx=info",
    }
}

/// Installs the process's subscriber. `RUST_LOG`, when set and valid, wins over `default`.
pub fn init(format: LogFormat, default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second subscriber (tests building the app in-process) is not an error worth a panic.
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}
