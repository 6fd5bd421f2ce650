//! The `binome` binary: settings, logging, then `serve` (the default) or an admin command.

use clap::Parser;

use binome::cli::{Cli, Command, lti_config, lti_config_notes, run_admin};
use binome::config::Settings;
use binome::launch::registration::startup_invitation;
use binome::startup::Application;
use binome::store::Store;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("binome: cannot start: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("binome: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(settings).await,
            // What to paste on standard output; the steps around it on standard error.
            Command::LtiConfig { lms } => {
                if let Some(notes) = lti_config_notes(&settings, lms) {
                    eprint!("{notes}");
                }
                print!("{}", lti_config(&settings, lms));
                std::process::ExitCode::SUCCESS
            }
            cmd => match run_admin(&settings, cmd).await {
                Ok(out) => {
                    print!("{out}");
                    std::process::ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("binome: {e}");
                    std::process::ExitCode::FAILURE
                }
            },
        }
    })
}

async fn serve(settings: Settings) -> std::process::ExitCode {
    let bind = settings.bind;
    let summary = settings.admin_summary();
    let db = if settings.is_sqlite() {
        settings.database_url.clone()
    } else {
        "PostgreSQL (DATABASE_URL)".into()
    };
    let mode = settings.registration;
    let register_url = settings.tool_urls().register;
    let store = match Store::connect(&settings.database_url, settings.db_max_connections).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("binome: cannot start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let app = match Application::build_with_store(settings, store.clone()).await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("binome: cannot start: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!(
        "Binôme is listening on http://{}:{} (database: {db})\n",
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
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("binome: server stopped: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
