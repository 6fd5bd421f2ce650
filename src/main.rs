//! The `binome` binary: settings, logging, then `serve` (the default) or an admin command.

use clap::Parser;

use binome::cli::{Cli, Command, run_admin};
use binome::config::Settings;
use binome::startup::Application;

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
    let app = match Application::build(settings).await {
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
    match app.run_until_stopped().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("binome: server stopped: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
