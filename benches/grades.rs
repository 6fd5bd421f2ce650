//! Benchmark of grade delivery: `BENCH_SCORES` scores (default 10,000) queued in the outbox
//! and delivered by the grade worker's loop (`binome::grades::run_loop`, as `binome serve`
//! runs it) to a local AGS endpoint: a small in-process HTTP server that accepts every score
//! and a token endpoint that counts token requests.
//!
//! `cargo bench --bench grades` runs it on a fresh SQLite database and, when `DATABASE_URL`
//! points at PostgreSQL, on a fresh PostgreSQL database too. It reports the time from the
//! worker's start to an empty outbox, the rate, and the token requests (the target: one per
//! registration and scope set, whatever the number of scores).
//!
//! What is set up directly: the registration, the course and the activity with its line
//! item (as a launch would record them) and the queued scores (one transaction, as the end of
//! many sessions would queue them; not measured).

// The test platform and the load generators are clients of their own, not the server's
// outbound requests that `lti::outbound` guards.
#![allow(clippy::disallowed_methods)]

mod common;
use common::{drop_postgres, env_num, free_port, fresh_postgres};

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use binome::grades::{GradeWorker, run_loop};
use binome::lti::ags::{ActivityProgress, GradingProgress};
use binome::lti::keys::{ToolKey, generate_private_pem};
use binome::store::{AgsRecord, LaunchRecord, NewPlatform, NewScore, ScoreContent, Store};

#[derive(Default)]
struct Counters {
    tokens: AtomicUsize,
    scores: AtomicUsize,
}

/// The stand-in platform: `/token` and `/li/{n}/lineitem/scores`.
fn serve(port: u16, counters: Arc<Counters>) {
    let data = web::Data::new(counters);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route(
                "/token",
                web::post().to(|c: web::Data<Arc<Counters>>| async move {
                    c.tokens.fetch_add(1, Ordering::SeqCst);
                    HttpResponse::Ok().json(serde_json::json!({
                        "access_token": "bench-token", "token_type": "Bearer", "expires_in": 3600
                    }))
                }),
            )
            .route(
                "/li/{n}/lineitem/scores",
                web::post().to(|c: web::Data<Arc<Counters>>| async move {
                    c.scores.fetch_add(1, Ordering::SeqCst);
                    HttpResponse::Ok().finish()
                }),
            )
    })
    .workers(1)
    .bind(("127.0.0.1", port))
    .unwrap()
    .run();
    tokio::spawn(server);
}

async fn bench(label: &str, db_url: &str, n: usize) {
    let port = free_port();
    let counters = Arc::new(Counters::default());
    serve(port, counters.clone());
    let base = format!("http://127.0.0.1:{port}");
    let store = Store::connect(db_url, 10).await.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let reg = store
        .add_platform(
            NewPlatform {
                issuer: base.as_str().into(),
                client_id: "bench-client".into(),
                auth_url: format!("{base}/auth"),
                token_url: format!("{base}/token"),
                jwks_url: format!("{base}/jwks"),
                accept_new_deployments: false,
                frame_origins: vec![],
                deployments: vec!["1".into()],
                status: binome::lti::PlatformStatus::Active,
                private_network: true,
                service_hosts: vec![],
                registered_via: binome::lti::RegisteredVia::Operator,
            },
            now,
        )
        .await
        .unwrap();
    let lineitem = format!("{base}/li/1/lineitem");
    let course = store
        .upsert_course(&LaunchRecord {
            registration: reg.id,
            deployment_id: "1",
            context_id: "bench-course",
            context_label: None,
            context_title: None,
            memberships_url: None,
            resource_link: Some(("1", None)),
            ags: Some(AgsRecord {
                lineitem: Some(&lineitem),
                lineitems: None,
                scopes: binome::lti::ags::SCOPE_SCORE.into(),
            }),
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
    let queued = Instant::now();
    let tx = store.begin(course).await.unwrap();
    for i in 0..n {
        let person = binome::store::PersonId::new(format!("learner-{i}"));
        tx.enqueue_score(NewScore {
            activity: "1",
            person_id: &person,
            score: ScoreContent {
                given: Some(1.0),
                maximum: Some(1.0),
                activity_progress: ActivityProgress::Completed,
                grading_progress: GradingProgress::FullyGraded,
                comment: None,
            },
            now_millis: now * 1000,
        })
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let queue_secs = queued.elapsed().as_secs_f64();
    assert_eq!(store.pending_scores().await.unwrap(), n as u64);

    let key = ToolKey::from_pem("bench-key", &generate_private_pem().unwrap()).unwrap();
    // The bench's LMS listens on loopback, which the platform added by the operator reaches.
    let http = binome::lti::outbound::Outbound::new("binome-bench", false, false).unwrap();
    let registrations = vec![reg];
    let start = Instant::now();
    let worker = tokio::spawn(run_loop(store.clone(), GradeWorker::new(http), move || {
        let regs = registrations.clone();
        let key = key.clone();
        async move { Some((regs, key)) }
    }));
    let deadline = start + Duration::from_secs(600);
    while store.pending_scores().await.unwrap() > 0 {
        assert!(Instant::now() < deadline, "{label}: not drained in 10 min");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drain = start.elapsed().as_secs_f64();
    worker.abort();
    println!(
        "{label}: {n} scores queued in {queue_secs:.1} s (not measured); drained in {drain:.2} s \
         ({:.0} scores/s); {} score posts; {} token requests",
        n as f64 / drain,
        counters.scores.load(Ordering::SeqCst),
        counters.tokens.load(Ordering::SeqCst),
    );
}

#[tokio::main]
async fn main() {
    let n = env_num("BENCH_SCORES", 10_000);
    let dir = std::env::temp_dir().join(format!("binome-bench-grades-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = format!("sqlite://{}?mode=rwc", dir.join("binome.db").display());
    bench("SQLite", &sqlite, n).await;
    std::fs::remove_dir_all(&dir).ok();
    if let Ok(url) = std::env::var("DATABASE_URL")
        && url.starts_with("postgres")
    {
        let (db, name) = fresh_postgres(&url, "grades").await;
        bench("PostgreSQL", &db, n).await;
        drop_postgres(&url, &name).await;
    }
}
