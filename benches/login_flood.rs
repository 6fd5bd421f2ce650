//! Database growth under an anonymous login flood, with the login limits on.
//!
//! `cargo bench --bench login_flood` (add `--profile dev` to skip the release build: the
//! figures are bytes and rows, not speed) runs the real application in this process on a
//! fresh database (SQLite, or PostgreSQL when `DATABASE_URL` points at one), registers one
//! platform, and sends BENCH_LOGINS (default 20,000) login initiations with the largest hints
//! a login accepts (4,000 characters each), BENCH_CONCURRENCY (default 32) at a time, in
//! three scenarios:
//!   1. every login from one client address, default limits;
//!   2. every login from its own address (`X-Forwarded-For` behind a trusted proxy: the worst
//!      case, a botnet), default limits;
//!   3. the same as 2 with the rate limits and the pending cap off (only the cap on stored
//!      login parameters left).
//!
//! For each it prints the answers (302 / 429), the login rows left and how much the login
//! table grew.

// The test platform and the load generators are clients of their own, not the server's
// outbound requests that `lti::outbound` guards.
#![allow(clippy::disallowed_methods)]

mod common;
use common::env_num;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use binome::config::Settings;
use binome::startup::Application;
use binome::store::{NewPlatform, Store};
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, Statement};

async fn fresh_database(tag: &str) -> String {
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            let name = format!("binome_flood_{tag}_{}", std::process::id());
            let admin = Database::connect(&url).await.unwrap();
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
                .await
                .unwrap();
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let mut u = url::Url::parse(&url).unwrap();
            u.set_path(&format!("/{name}"));
            u.to_string()
        }
        _ => {
            let dir =
                std::env::temp_dir().join(format!("binome-flood-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}?mode=rwc", dir.join("binome.db").display())
        }
    }
}

/// Bytes used by the login table (SQLite: its pages, via dbstat when available, else the
/// used pages of the whole file after a checkpoint; PostgreSQL: table, indexes and TOAST).
async fn login_table_bytes(url: &str) -> i64 {
    let db = Database::connect(url).await.unwrap();
    let backend = db.get_database_backend();
    let one = |sql: &str| Statement::from_string(backend, sql.to_string());
    let value = |row: Option<sea_orm::QueryResult>| -> i64 {
        row.and_then(|r| r.try_get_by_index::<i64>(0).ok())
            .unwrap_or(0)
    };
    let bytes = match backend {
        DatabaseBackend::Postgres => value(
            db.query_one_raw(one("SELECT pg_total_relation_size('login_states')::bigint"))
                .await
                .unwrap(),
        ),
        _ => {
            db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await
                .ok();
            let pages = value(
                db.query_one_raw(one("SELECT page_count - freelist_count FROM pragma_page_count(), pragma_freelist_count()"))
                    .await
                    .unwrap(),
            );
            let size = value(
                db.query_one_raw(one("SELECT page_size FROM pragma_page_size()"))
                    .await
                    .unwrap(),
            );
            pages * size
        }
    };
    db.close().await.ok();
    bytes
}

async fn scenario(label: &str, tag: &str, distinct_clients: bool, limits_off: bool) {
    let n = env_num("BENCH_LOGINS", 20_000);
    let concurrency = env_num("BENCH_CONCURRENCY", 32);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let db_url = fresh_database(tag).await;
    let mut env = vec![
        ("BINOME_BASE_URL".to_string(), base.clone()),
        ("BINOME_BIND".to_string(), format!("127.0.0.1:{port}")),
        ("DATABASE_URL".to_string(), db_url.clone()),
        (
            "BINOME_TRUST_PROXY".to_string(),
            distinct_clients.to_string(),
        ),
    ];
    if limits_off {
        for k in [
            "BINOME_LOGIN_RATE_PER_CLIENT",
            "BINOME_LOGIN_RATE_PER_ADDRESS",
            "BINOME_LOGIN_RATE_PER_PLATFORM",
            "BINOME_MAX_PENDING_LOGINS",
        ] {
            env.push((k.to_string(), "0".to_string()));
        }
    }
    let settings = Settings::from_sources(&env, Some("")).unwrap();
    let store = Store::connect(&db_url, 5).await.unwrap();
    let issuer = "https://moodle.flood.example".to_string();
    store
        .add_platform(
            NewPlatform {
                issuer: issuer.as_str().into(),
                client_id: "flood".into(),
                auth_url: format!("{issuer}/mod/lti/auth.php"),
                token_url: format!("{issuer}/mod/lti/token.php"),
                jwks_url: format!("{issuer}/mod/lti/certs.php"),
                accept_new_deployments: false,
                frame_origins: vec![],
                deployments: vec!["1".into()],
                status: binome::lti::PlatformStatus::Active,
                private_network: true,
                service_hosts: vec![],
                registered_via: binome::lti::RegisteredVia::Operator,
            },
            binome::launch::now(),
        )
        .await
        .unwrap();
    let before = login_table_bytes(&db_url).await;
    let app = Application::build_on(settings, store.clone(), listener)
        .await
        .unwrap();
    let server = tokio::spawn(app.run_until_stopped());

    let body = Arc::new(
        serde_urlencoded::to_string([
            ("iss", issuer.as_str()),
            ("login_hint", &"h".repeat(4000)),
            ("target_link_uri", &format!("{base}/lti/launch")),
            ("lti_message_hint", &"m".repeat(4000)),
            ("client_id", "flood"),
            ("lti_deployment_id", "1"),
        ])
        .unwrap(),
    );
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let (ok, limited, other) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, body, next, ok, limited, other, base) = (
            http.clone(),
            body.clone(),
            next.clone(),
            ok.clone(),
            limited.clone(),
            other.clone(),
            base.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let mut req = http
                    .post(format!("{base}/lti/login"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(body.as_str().to_string());
                if distinct_clients {
                    let ip = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
                    req = req.header("X-Forwarded-For", ip);
                }
                match req.send().await.map(|r| r.status().as_u16()) {
                    Ok(302) => ok.fetch_add(1, Ordering::Relaxed),
                    Ok(429) => limited.fetch_add(1, Ordering::Relaxed),
                    _ => other.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let wall = started.elapsed().as_secs_f64();
    server.abort();
    let after = login_table_bytes(&db_url).await;
    println!(
        "{label}: {n} logins in {wall:.1} s → {} stored (302), {} refused (429), {} other; login table +{:.2} MB ({} → {} bytes)",
        ok.load(Ordering::Relaxed),
        limited.load(Ordering::Relaxed),
        other.load(Ordering::Relaxed),
        (after - before) as f64 / 1e6,
        before,
        after
    );
}

#[tokio::main]
async fn main() {
    let backend = match std::env::var("DATABASE_URL") {
        Ok(u) if u.starts_with("postgres") => "PostgreSQL",
        _ => "SQLite",
    };
    println!("login flood on {backend}, hints of 4,000 characters each");
    scenario("one client, default limits", "one", false, false).await;
    scenario("one address per login, default limits", "many", true, false).await;
    scenario(
        "one address per login, rate limits and pending cap off",
        "off",
        true,
        true,
    )
    .await;
}
