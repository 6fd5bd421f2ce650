//! Load benchmark of full LTI launches against the release binary.
//!
//! `cargo bench --bench launch` builds `binome` with the bench (release) profile, starts it on
//! a fresh SQLite database (and on PostgreSQL when `DATABASE_URL` points at one), registers a
//! stand-in platform whose JWKS this process serves, then:
//!   1. times N login initiations (form POST → 302 with state and nonce),
//!   2. signs N id_tokens (RSA, the platform's cost: not timed),
//!   3. times N launches (id_token POST → learner page).
//!
//! It reports throughput, p50/p99 latency of each round trip, the tool's CPU time per full
//! launch (utime + stime of the server process, from /proc, i.e. its rusage) and its resident
//! memory when idle and after the load. Settings: BENCH_LAUNCHES (default 20000) and
//! BENCH_CONCURRENCY (default 32).

// The test platform and the load generators are clients of their own, not the server's
// outbound requests that `lti::outbound` guards.
#![allow(clippy::disallowed_methods)]

mod common;
use common::{cpu_seconds, enc, env_num, find, free_port, percentile, rss_mib};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use binome::lti::keys::{ToolKey, generate_private_pem};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CLIENT_ID: &str = "bench-client";
const DEPLOYMENT: &str = "1";

/// A minimal keep-alive HTTP/1.1 client: the load generator shares the machine's two cores
/// with the tool, so it must cost as little as possible.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

struct Reply {
    status: u16,
    location: Option<String>,
}

impl Conn {
    async fn open(port: u16) -> Conn {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            stream,
            buf: Vec::with_capacity(16 * 1024),
        }
    }

    async fn post_form(&mut self, path: &str, body: &str) -> Reply {
        self.post_form_from(path, body, "").await
    }

    /// A form post sent by a page of `origin` (a browser says so in `Origin`), as the
    /// platform's auto-submitted launch form is.
    async fn post_form_from(&mut self, path: &str, body: &str, origin: &str) -> Reply {
        let origin = if origin.is_empty() {
            String::new()
        } else {
            format!("Origin: {origin}\r\n")
        };
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{origin}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.write_all(req.as_bytes()).await.unwrap();
        self.read_reply().await
    }

    async fn get(&mut self, path: &str) -> Reply {
        let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        self.stream.write_all(req.as_bytes()).await.unwrap();
        self.read_reply().await
    }

    async fn read_reply(&mut self) -> Reply {
        self.buf.clear();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).to_string();
                let status = head
                    .split_whitespace()
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                let mut len = 0usize;
                let mut location = None;
                for line in head.lines().skip(1) {
                    let (k, v) = line.split_once(':').unwrap_or(("", ""));
                    if k.eq_ignore_ascii_case("content-length") {
                        len = v.trim().parse().unwrap_or(0);
                    } else if k.eq_ignore_ascii_case("location") {
                        location = Some(v.trim().to_string());
                    }
                }
                while self.buf.len() < end + 4 + len {
                    let n = self.stream.read(&mut chunk).await.unwrap();
                    assert!(n > 0, "connection closed");
                    self.buf.extend_from_slice(&chunk[..n]);
                }
                return Reply { status, location };
            }
            let n = self.stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// Runs `jobs` through `concurrency` connections; returns the wall time and each latency.
async fn run_phase<F, Fut>(
    port: u16,
    jobs: Vec<String>,
    concurrency: usize,
    f: F,
) -> (Duration, Vec<Duration>, Vec<Reply>)
where
    F: Fn(Conn, String) -> Fut + Send + Sync + Copy + 'static,
    Fut: std::future::Future<Output = (Conn, Reply)> + Send,
{
    let jobs = Arc::new(std::sync::Mutex::new(
        jobs.into_iter().enumerate().collect::<Vec<_>>(),
    ));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let jobs = jobs.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(port).await;
            let mut out = Vec::new();
            loop {
                let job = jobs.lock().unwrap().pop();
                let Some((i, body)) = job else { break };
                let t = Instant::now();
                let (c, reply) = f(conn, body).await;
                conn = c;
                out.push((i, t.elapsed(), reply));
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let wall = started.elapsed();
    all.sort_by_key(|(i, _, _)| *i);
    let lat = all.iter().map(|(_, d, _)| *d).collect();
    let replies = all.into_iter().map(|(_, _, r)| r).collect();
    (wall, lat, replies)
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

async fn fresh_postgres(url: &str) -> String {
    use sea_orm::{ConnectionTrait, Database};
    let admin = Database::connect(url).await.unwrap();
    let name = format!("binome_bench_{}", std::process::id());
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let mut u = url::Url::parse(url).unwrap();
    u.set_path(&format!("/{name}"));
    u.to_string()
}

async fn bench(label: &str, database_url: String, platform: &ToolKey, jwks_port: u16) {
    let n = env_num("BENCH_LAUNCHES", 20_000);
    let concurrency = env_num("BENCH_CONCURRENCY", 32);
    let bin = env!("CARGO_BIN_EXE_binome");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let issuer = format!("http://127.0.0.1:{jwks_port}");
    let envs = [
        ("DATABASE_URL", database_url.as_str()),
        ("BINOME_BASE_URL", base.as_str()),
        ("BINOME_BIND", &format!("127.0.0.1:{port}")),
        ("RUST_LOG", "warn"),
        // This bench measures what a launch costs, from one client address at full speed:
        // the anonymous-login limits (see benches/login_flood.rs) would refuse most of it.
        ("BINOME_LOGIN_RATE_PER_CLIENT", "0"),
        ("BINOME_LOGIN_RATE_PER_ADDRESS", "0"),
        ("BINOME_LOGIN_RATE_PER_PLATFORM", "0"),
        ("BINOME_MAX_PENDING_LOGINS", "0"),
    ];
    let add = Command::new(bin)
        .args([
            "platform",
            "add",
            "--issuer",
            &issuer,
            "--client-id",
            CLIENT_ID,
            "--deployment-id",
            DEPLOYMENT,
        ])
        .args([
            "--auth-url",
            &format!("{issuer}/auth"),
            "--token-url",
            &format!("{issuer}/token"),
            "--jwks-url",
            &format!("{issuer}/jwks"),
        ])
        .envs(envs)
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "platform add: {}",
        String::from_utf8_lossy(&add.stderr)
    );
    // The migrations run with `platform add`: the activity can be set up before serving.
    common::set_up_fixture_activity(&database_url, DEPLOYMENT).await;
    let server = Server(
        Command::new(bin)
            .arg("serve")
            .envs(envs)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let pid = server.0.id();
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss = rss_mib(pid);

    // Warm-up: fills the JWKS cache and the connection pools.
    let warm: Vec<String> = (0..200).map(|i| login_body(&issuer, &base, i)).collect();
    run_phase(port, warm, 8, |mut c, b| async move {
        let r = c.post_form("/lti/login", &b).await;
        (c, r)
    })
    .await;

    let bodies: Vec<String> = (0..n).map(|i| login_body(&issuer, &base, i)).collect();
    let cpu0 = cpu_seconds(pid);
    let (login_wall, mut login_lat, replies) =
        run_phase(port, bodies, concurrency, |mut c, b| async move {
            let r = c.post_form("/lti/login", &b).await;
            (c, r)
        })
        .await;
    let cpu1 = cpu_seconds(pid);
    assert!(
        replies.iter().all(|r| r.status == 302),
        "every login redirects"
    );

    // The platform's side: sign every id_token before timing the launches.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let fixture: serde_json::Value = serde_json::from_str(include_str!(
        "../tests/fixtures/moodle-4.5/id_token_LtiResourceLinkRequest.claims.json"
    ))
    .unwrap();
    let launches: Vec<(usize, String, String)> = replies
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let loc = url::Url::parse(r.location.as_deref().unwrap()).unwrap();
            let q: std::collections::HashMap<_, _> = loc.query_pairs().into_owned().collect();
            (i, q["state"].clone(), q["nonce"].clone())
        })
        .collect();
    let sign_started = Instant::now();
    let platform = platform.clone();
    let issuer2 = issuer.clone();
    let launch_bodies: Vec<String> = tokio::task::spawn_blocking(move || {
        use std::thread;
        let chunks: Vec<Vec<(usize, String, String)>> = launches
            .chunks(launches.len().div_ceil(2).max(1))
            .map(|c| c.to_vec())
            .collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let platform = platform.clone();
                let fixture = fixture.clone();
                let issuer = issuer2.clone();
                thread::spawn(move || {
                    chunk
                        .into_iter()
                        .map(|(i, state, nonce)| {
                            let mut c = fixture.clone();
                            c["iss"] = issuer.clone().into();
                            c["aud"] = CLIENT_ID.into();
                            c["nonce"] = nonce.into();
                            c["iat"] = now.into();
                            c["exp"] = (now + 3600).into();
                            c["sub"] = format!("{}", 1000 + i % 500).into();
                            c["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] =
                                DEPLOYMENT.into();
                            let token = platform.sign(&c).unwrap();
                            format!("id_token={}&state={}", token, enc(&state))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
    .await
    .unwrap();
    let sign_time = sign_started.elapsed();

    // The platform's origin, as the browser sends it with the auto-submitted launch form.
    let platform_origin: &'static str = Box::leak(issuer.clone().into_boxed_str());
    let cpu2 = cpu_seconds(pid);
    let (launch_wall, mut launch_lat, replies) =
        run_phase(port, launch_bodies, concurrency, move |mut c, b| {
            let origin = platform_origin;
            async move {
                // The launch answers 303 to the page (post/redirect/get); the page is part of it.
                let r = c.post_form_from("/lti/launch", &b, origin).await;
                let r = match (r.status, r.location.clone()) {
                    (303, Some(to)) => c.get(&to).await,
                    _ => r,
                };
                (c, r)
            }
        })
        .await;
    let cpu3 = cpu_seconds(pid);
    let ok = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, n, "every launch succeeds");
    let loaded_rss = rss_mib(pid);
    drop(server);

    login_lat.sort();
    launch_lat.sort();
    let full_wall = login_wall + launch_wall;
    let cpu_per_launch_us = ((cpu1 - cpu0) + (cpu3 - cpu2)) / n as f64 * 1e6;
    println!("\n## {label}: {n} full launches, {concurrency} connections");
    println!("| measure | value |\n|---|---|");
    println!(
        "| full launches/s (login + launch, both timed) | {:.0} |",
        n as f64 / full_wall.as_secs_f64()
    );
    println!("| logins/s | {:.0} |", n as f64 / login_wall.as_secs_f64());
    println!(
        "| launches/s | {:.0} |",
        n as f64 / launch_wall.as_secs_f64()
    );
    println!(
        "| login p50 / p99 (ms) | {:.2} / {:.2} |",
        percentile(&login_lat, 0.5),
        percentile(&login_lat, 0.99)
    );
    println!(
        "| launch p50 / p99 (ms) | {:.2} / {:.2} |",
        percentile(&launch_lat, 0.5),
        percentile(&launch_lat, 0.99)
    );
    println!("| tool CPU per full launch (µs) | {cpu_per_launch_us:.0} |");
    println!(
        "| tool CPU: login / launch (µs) | {:.0} / {:.0} |",
        (cpu1 - cpu0) / n as f64 * 1e6,
        (cpu3 - cpu2) / n as f64 * 1e6
    );
    println!("| resident memory idle / after load (MiB) | {idle_rss:.1} / {loaded_rss:.1} |");
    println!(
        "| (untimed) platform signing of {n} id_tokens | {:.1} s |",
        sign_time.as_secs_f64()
    );
}

fn login_body(issuer: &str, base: &str, i: usize) -> String {
    format!(
        "iss={}&login_hint={}&target_link_uri={}&lti_message_hint={}&client_id={CLIENT_ID}&lti_deployment_id={DEPLOYMENT}",
        enc(issuer),
        1000 + i % 500,
        enc(&format!("{base}/lti/launch")),
        enc(r#"{"cmid":1,"launchid":"ltilaunch1_1"}"#)
    )
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let key =
            ToolKey::from_pem("bench-platform-key", &generate_private_pem().unwrap()).unwrap();
        let jwks_port = common::serve_platform_jwks(&key);

        let dir = std::env::temp_dir().join(format!("binome-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        bench(
            "SQLite",
            format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()),
            &key,
            jwks_port,
        )
        .await;
        std::fs::remove_dir_all(&dir).ok();
        match std::env::var("DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => {
                let db = fresh_postgres(&url).await;
                bench("PostgreSQL", db, &key, jwks_port).await;
            }
            _ => println!("\n(PostgreSQL skipped: set DATABASE_URL=postgres://… to include it)"),
        }
    });
}
