//! The `binome` binary: the command line, settings, logging, then `serve` (the default) or an
//! administration command. `pairs plan` and `health --url` read no settings.

use std::process::ExitCode;
use std::time::Duration;

use binome::cli::{
    CliError, Command, HealthArgs, PairsCmd, error_chain, lti_config, lti_config_notes, pairs_plan,
    run_admin,
};
use binome::config::Settings;
use binome::launch::registration::startup_invitation;
use binome::startup::Application;
use binome::store::Store;
use binome::telemetry;

/// See Cargo.toml: measured, not assumed (README, performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = binome::cli::parse();
    let verbose = cli.verbose;
    let command = cli.command.unwrap_or(Command::Serve);
    let name = command.name();
    // What needs no settings never reads them: a `BINOME_*` variable of some other tool
    // cannot stop it.
    match &command {
        Command::Pairs(PairsCmd::Plan(args)) => {
            return print_outcome(name, pairs_plan(args));
        }
        Command::Health(HealthArgs {
            url: Some(url),
            timeout,
        }) => return health(url, *timeout),
        _ => {}
    }
    let serving = matches!(command, Command::Serve);
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) if serving => {
            eprintln!("binome: cannot start: {e}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("binome {name}: {e}");
            // A health check fails with 1 whatever the cause (Docker reserves 2).
            return ExitCode::from(if matches!(command, Command::Health(_)) {
                1
            } else {
                2
            });
        }
    };
    if let Command::Health(h) = &command {
        return health(&binome::health::url_of_bind(settings.bind), h.timeout);
    }
    telemetry::init(
        settings.log_format,
        if serving {
            telemetry::SERVE_FILTER
        } else {
            telemetry::admin_filter(verbose)
        },
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("binome {name}: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match command {
            Command::Serve => serve(settings).await,
            // What to paste on standard output; the steps around it on standard error.
            Command::LtiConfig { lms } => {
                if let Some(notes) = lti_config_notes(&settings, lms) {
                    eprint!("{notes}");
                }
                print!("{}", lti_config(&settings, lms));
                ExitCode::SUCCESS
            }
            cmd => print_outcome(name, run_admin(&settings, cmd).await),
        }
    })
}

/// A command's text on standard output, or its error chain on standard error.
fn print_outcome(name: &str, outcome: Result<String, CliError>) -> ExitCode {
    match outcome {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("binome {name}: {}", error_chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// `binome health`: 0 when the instance is ready, 1 otherwise.
fn health(url: &str, timeout: u64) -> ExitCode {
    match binome::health::check(url, Duration::from_secs(timeout.max(1))) {
        Ok(said) => {
            println!("ready ({url}): {said}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("binome health: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> ExitCode {
    let bind = settings.bind;
    let summary = settings.admin_summary();
    let db = if settings.is_sqlite() {
        settings.database_url.clone()
    } else {
        "PostgreSQL (DATABASE_URL)".into()
    };
    let mode = settings.registration;
    let register_url = settings.tool_urls().register;
    let metrics = match (settings.metrics, settings.metrics_bind) {
        (false, _) => "off".to_string(),
        (true, None) => "/metrics".to_string(),
        (true, Some(addr)) => format!("http://{addr}/metrics"),
    };
    let store = match Store::connect(&settings.database_url, settings.db_max_connections).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("binome: cannot start: {}", error_chain(&e));
            return ExitCode::FAILURE;
        }
    };
    let app = match Application::build_with_store(settings, store.clone()).await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("binome: cannot start: {}", error_chain(&e));
            return ExitCode::FAILURE;
        }
    };
    println!(
        "Binôme is listening on http://{}:{} (database: {db}; metrics: {metrics})\n",
        bind.ip(),
        app.port()
    );
    println!("{summary}");
    // The first paste of a new server: while no platform is registered and registrations
    // are by invitation, each start prints a fresh one-time invitation (on standard output
    // only, never in the log), so the operator's own LMS registers with one paste.
    match startup_invitation(&store, mode, &register_url, binome::launch::now()).await {
        Ok(Some(url)) => println!(
            "No LMS is registered yet. Paste this one-time registration URL into your LMS\n\
             (valid 24 hours, replaced at each start until an LMS is registered):\n\
             \x20 {url}\n"
        ),
        Ok(None) => {}
        Err(e) => eprintln!("binome: could not make a first invitation: {e}"),
    }
    match app.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("binome: server stopped: {e}");
            ExitCode::FAILURE
        }
    }
}
