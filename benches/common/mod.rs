//! Helpers the load benchmarks share: settings, ports, and what `/proc` says of the tool
//! process (its CPU time and resident memory), and small HTTP and statistics helpers.
//!
//! Each bench uses a part of them.
#![allow(dead_code)]

use std::net::TcpListener;
use std::time::Duration;

pub fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// utime + stime of a process, in seconds (from /proc/<pid>/stat; the same counters as getrusage).
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    ticks / 100.0
}

pub fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

pub fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// A fresh PostgreSQL database next to `url` named `binome_bench_<label>_<pid>`: (its URL,
/// its name, for [`drop_postgres`]).
pub async fn fresh_postgres(url: &str, label: &str) -> (String, String) {
    use sea_orm::{ConnectionTrait, Database};
    let admin = Database::connect(url).await.unwrap();
    let name = format!("binome_bench_{label}_{}", std::process::id());
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    admin.close().await.ok();
    let mut u = url::Url::parse(url).unwrap();
    u.set_path(&format!("/{name}"));
    (u.to_string(), name)
}

/// Drops a database made by [`fresh_postgres`].
pub async fn drop_postgres(url: &str, name: &str) {
    use sea_orm::{ConnectionTrait, Database};
    let admin = Database::connect(url).await.unwrap();
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .ok();
    admin.close().await.ok();
}

/// Gives the fixture's activity (context `2`, resource link `1`) of the first registered
/// platform a configuration with the method's defaults, as a course designer would have,
/// so that launches meet a configured activity.
pub async fn set_up_fixture_activity(database_url: &str, deployment: &str) {
    let store = binome::store::Store::connect(database_url, 2)
        .await
        .unwrap();
    let reg = store.registrations().await.unwrap().remove(0);
    let now = binome::launch::now();
    let course = store
        .upsert_course(&binome::store::LaunchRecord {
            registration: reg.id,
            deployment_id: deployment,
            context_id: "2",
            context_label: None,
            context_title: None,
            memberships_url: None,
            resource_link: Some(("1", None)),
            ags: None,
            user_id: None,
            name: None,
            given_name: None,
            family_name: None,
            email: None,
            picture: None,
            roles: &[],
            now,
        })
        .await
        .unwrap();
    let tx = store.begin(course).await.unwrap();
    let config = binome::store::ActivityConfig {
        title: "Peer coaching".into(),
        ..Default::default()
    };
    assert!(
        tx.set_activity_config("1", &config, "bench", now)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    store.connection().close_by_ref().await.ok();
}

/// Serves the stand-in platform's JWKS (`/jwks`, cacheable for an hour, as platforms do) on
/// a free port of this process; the port.
pub fn serve_platform_jwks(key: &binome::lti::keys::ToolKey) -> u16 {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let port = free_port();
    let set = web::Data::new(serde_json::to_string(&binome::lti::keys::jwk_set([key])).unwrap());
    let srv = HttpServer::new(move || {
        App::new().app_data(set.clone()).route(
            "/jwks",
            web::get().to(|s: web::Data<String>| async move {
                HttpResponse::Ok()
                    .insert_header(("Cache-Control", "max-age=3600"))
                    .content_type("application/json")
                    .body(s.get_ref().clone())
            }),
        )
    })
    .workers(1)
    .bind(("127.0.0.1", port))
    .unwrap()
    .run();
    tokio::spawn(srv);
    port
}
