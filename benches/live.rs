//! Load benchmark of the live session: many pairs connected at once, each member holding an
//! event stream, while step changes and field edits flow at a steady rate.
//!
//! `cargo bench --bench live` builds `binome` with the bench (release) profile and runs it on
//! a fresh SQLite database (one instance) and, when `DATABASE_URL` points at PostgreSQL, on a
//! fresh PostgreSQL database with TWO instances, the members of each pair on different ones
//! (A's stream and A's edits on instance 1, B's on instance 2: every delivery crosses
//! instances through PostgreSQL's NOTIFY).
//!
//! What is real and what is set up directly:
//! - every learner arrives through a real LTI launch (login initiation, an id_token signed by
//!   the stand-in platform this process serves the JWKS of, launch, page), which gives the
//!   session token the page would carry;
//! - the published pair set (learner 2k with learner 2k+1) is written directly through
//!   `binome::store` (a draft, then its publication, as the staff pages do), instead of a
//!   roster sync and the pairing engine, which are not what this measures;
//! - each pair's session is brought to round 1 through the real command route (accept the
//!   framework, prepared, start, next step), member by member;
//! - the load: each member opens `GET /api/coaching/events` with `Authorization: Bearer`
//!   (raw TCP, as a page's `fetch` does), then the pairs act in turn at `BENCH_RATE` acts per
//!   second in all: the coach (B) alternates `next_step` / `previous_step` (a step change),
//!   A and B save their own preparation field (`prep_situation.s0` / `.s1`, with versions).
//!   Once the event reached the partner, both screens fetch the panel
//!   (`GET /app/session/panel?session=0&after=<the entry told>`), as the page's script does
//!   on every event, so the CPU per act covers the whole path a user causes.
//!
//! Delivery latency is the time from writing the POST that causes an event to reading that
//! event's `id:` on the *partner's* stream (only one act per pair is in flight, so the
//! partner's next id is the act's). It includes the load generator's own scheduling: it runs
//! on the same two cores as the tool.
//!
//! Settings: BENCH_GROUPS (pairs, default 5000, i.e. 10,000 streams), BENCH_SECONDS (length
//! of the load, default 30), BENCH_RATE (acts per second over all pairs, default 500: each
//! pair acts every 10 s).
//!
//! File descriptors: the generator needs one per stream. When its soft limit is too low it
//! re-executes itself under `sh -c 'ulimit -n <hard limit>'`; the tool is started the same
//! way (`sh -c 'ulimit -n "$(ulimit -H -n)"; exec binome serve'`). A hard limit below what
//! is needed must be raised by the caller (`bash -c 'ulimit -n 65536; cargo bench …'` as
//! root, or limits.conf).

// The test platform and the load generators are clients of their own, not the server's
// outbound requests that `lti::outbound` guards.
#![allow(clippy::disallowed_methods)]

mod common;
use common::{cpu_seconds, enc, env_num, find, free_port, percentile, rss_mib};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use binome::course::pair_set::{StoredGroup, StoredPlan};
use binome::lti::keys::{ToolKey, generate_private_pem};
use binome::store::{CourseId, PersonId, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, watch};

const CLIENT_ID: &str = "bench-client";
const DEPLOYMENT: &str = "1";
/// The fixture's resource link: the module the pairs are published in.
const MODULE: &str = "1";
/// How long an act's event may take to reach the partner before it counts as missed.
const MISSED_AFTER: Duration = Duration::from_secs(5);
/// Keep-alive connections per instance for the POSTs (the page's `fetch` calls).
const POST_CONNS: usize = 48;
/// Streams being opened at once.
const CONNECTING: usize = 256;
/// Concurrency of the set-up phases (launches, session set-up).
const SETUP_CONCURRENCY: usize = 32;

/// Open file descriptors of a process (its sockets, mostly).
fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// The soft and hard limits on open files of this process.
fn fd_limits() -> (u64, u64) {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap_or("");
    let nums: Vec<u64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let unlimited = line.contains("unlimited");
    match (nums.first(), nums.get(1)) {
        (Some(s), Some(h)) => (*s, *h),
        (Some(s), None) if unlimited => (*s, u64::MAX),
        _ => (1024, 1024),
    }
}

/// Re-executes this bench under a higher soft limit on open files when it needs one (std
/// cannot call setrlimit, and the crate forbids unsafe code). Returns when no re-exec is
/// needed or possible.
fn ensure_fd_limit(needed: u64) {
    let (soft, hard) = fd_limits();
    if soft >= needed {
        return;
    }
    if hard < needed {
        eprintln!(
            "warning: {needed} open files needed, the hard limit is {hard}: raise it \
             (e.g. `bash -c 'ulimit -n 65536; cargo bench --bench live'` as root) or lower \
             BENCH_GROUPS"
        );
    }
    if std::env::var_os("BINOME_BENCH_REEXEC").is_some() || soft >= hard {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let status = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -n "$1" && shift && exec "$@""#)
        .arg("sh")
        .arg(hard.min(1 << 20).to_string())
        .arg(exe)
        .args(std::env::args_os().skip(1))
        .env("BINOME_BENCH_REEXEC", "1")
        .status()
        .unwrap();
    std::process::exit(status.code().unwrap_or(1));
}

/// A minimal keep-alive HTTP/1.1 client (as in benches/launch.rs): the load generator shares
/// the machine's two cores with the tool, so it must cost as little as possible.
struct Conn {
    port: u16,
    stream: TcpStream,
    buf: Vec<u8>,
}

struct Reply {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Conn {
    async fn open(port: u16) -> Conn {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            port,
            stream,
            buf: Vec::with_capacity(16 * 1024),
        }
    }

    /// A form post; `extra` is more header lines (each ending in CRLF).
    async fn post_form(&mut self, path: &str, body: &str, extra: &str) -> Reply {
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.request(req.as_bytes()).await
    }

    async fn get(&mut self, path: &str) -> Reply {
        let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        self.request(req.as_bytes()).await
    }

    /// Sends a request and reads its reply. A keep-alive connection the tool closed while it
    /// sat idle in the pool (its keep-alive or request timeout) is reopened and the request
    /// sent again: the tool never read it.
    async fn request(&mut self, req: &[u8]) -> Reply {
        for attempt in 0..2 {
            if attempt > 0 {
                *self = Conn::open(self.port).await;
            }
            if self.stream.write_all(req).await.is_err() {
                continue;
            }
            match self.read_reply().await {
                // The tool answers 408 and closes a connection whose request did not come
                // within its client request timeout (a pooled connection not used yet).
                Some(r) if r.status == 408 => continue,
                Some(r) => return r,
                None => continue,
            }
        }
        panic!("the tool closed a fresh connection");
    }

    /// The reply, or None when the connection was closed before any of it came.
    async fn read_reply(&mut self) -> Option<Reply> {
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
                    assert!(n > 0, "connection closed in a reply");
                    self.buf.extend_from_slice(&chunk[..n]);
                }
                let body = String::from_utf8_lossy(&self.buf[end + 4..end + 4 + len]).to_string();
                return Some(Reply {
                    status,
                    location,
                    body,
                });
            }
            let n = self.stream.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                assert!(self.buf.is_empty(), "connection closed in a reply");
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// Runs `jobs` through `concurrency` connections to `port`, in order of completion.
async fn run_jobs<J, R, F, Fut>(port: u16, jobs: Vec<J>, concurrency: usize, f: F) -> Vec<R>
where
    J: Send + 'static,
    R: Send + 'static,
    F: Fn(Conn, J) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = (Conn, R)> + Send,
{
    let jobs = Arc::new(std::sync::Mutex::new(jobs));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (jobs, f) = (jobs.clone(), f.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(port).await;
            let mut out = Vec::new();
            loop {
                let job = jobs.lock().unwrap().pop();
                let Some(job) = job else { break };
                let (c, r) = f(conn, job).await;
                conn = c;
                out.push(r);
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

async fn fresh_postgres(url: &str) -> (String, String) {
    use sea_orm::{ConnectionTrait, Database};
    let admin = Database::connect(url).await.unwrap();
    let name = format!("binome_bench_live_{}", std::process::id());
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

async fn drop_postgres(url: &str, name: &str) {
    use sea_orm::{ConnectionTrait, Database};
    let admin = Database::connect(url).await.unwrap();
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .ok();
    admin.close().await.ok();
}

/// The latest event id a member's stream has shown, and when it came.
type Seen = watch::Sender<(i64, Instant)>;

/// One member: where they connect, their token, what their stream has shown.
struct Member {
    port: u16,
    token: String,
    seen: Seen,
    /// The version of their preparation field.
    version: std::sync::atomic::AtomicI64,
}

struct Pair {
    a: Member,
    b: Member,
    busy: AtomicBool,
    /// Acts done so far (which act comes next).
    turn: AtomicUsize,
}

/// What one act measured.
enum Outcome {
    Delivered {
        post: Duration,
        delivery: Duration,
        /// The two screens' panel fetches after the event: both answered 200.
        panels_ok: bool,
    },
    Missed,
    Refused(u16),
}

async fn start_instances(
    database_url: &str,
    instances: usize,
    issuer: &str,
) -> (Vec<Server>, Vec<u16>, String) {
    let bin = env!("CARGO_BIN_EXE_binome");
    let ports: Vec<u16> = (0..instances).map(|_| free_port()).collect();
    // One public address for all (a load balancer's): instance 1's.
    let base = format!("http://127.0.0.1:{}", ports[0]);
    let common = [
        ("DATABASE_URL", database_url.to_string()),
        ("BINOME_BASE_URL", base.clone()),
        ("RUST_LOG", "warn".to_string()),
        // One client address launches every learner at full speed: the anonymous-login
        // limits (see benches/login_flood.rs) would refuse most of it.
        ("BINOME_LOGIN_RATE_PER_CLIENT", "0".to_string()),
        ("BINOME_LOGIN_RATE_PER_ADDRESS", "0".to_string()),
        ("BINOME_LOGIN_RATE_PER_PLATFORM", "0".to_string()),
        ("BINOME_MAX_PENDING_LOGINS", "0".to_string()),
        // Every stream comes from the load generator's one address; the cap per address is
        // for many learners behind one NAT, not for 10,000. The cap per instance stays the
        // one the open-file limit sets, whatever BENCH_GROUPS asks for.
        ("BINOME_EVENT_STREAMS_PER_CLIENT", "1000000".to_string()),
        ("BINOME_MAX_EVENT_STREAMS", "1000000".to_string()),
    ];
    let add = Command::new(bin)
        .args([
            "platform",
            "add",
            "--issuer",
            issuer,
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
        .envs(common.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "platform add: {}",
        String::from_utf8_lossy(&add.stderr)
    );
    let mut servers = Vec::new();
    for port in &ports {
        // The tool holds a descriptor per stream: raise its soft limit to the hard one.
        let child = Command::new("sh")
            .arg("-c")
            .arg(r#"ulimit -n "$(ulimit -H -n)" 2>/dev/null; exec "$0" serve"#)
            .arg(bin)
            .envs(common.iter().map(|(k, v)| (*k, v.as_str())))
            .env("BINOME_BIND", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        servers.push(Server(child));
    }
    let client = reqwest::Client::new();
    for port in &ports {
        for _ in 0..400 {
            if client
                .get(format!("http://127.0.0.1:{port}/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    (servers, ports, base)
}

/// Launches `n` learners `m0…` through instance `port` (real logins and launches); returns
/// their session tokens in order.
async fn launch_learners(
    port: u16,
    base: &str,
    issuer: &str,
    platform: &ToolKey,
    n: usize,
) -> Vec<String> {
    let bodies: Vec<(usize, String)> = (0..n)
        .map(|i| {
            (
                i,
                format!(
                    "iss={}&login_hint=m{i}&target_link_uri={}&lti_message_hint={}&client_id={CLIENT_ID}&lti_deployment_id={DEPLOYMENT}",
                    enc(issuer),
                    enc(&format!("{base}/lti/launch")),
                    enc(r#"{"cmid":1,"launchid":"ltilaunch1_1"}"#)
                ),
            )
        })
        .collect();
    let logins = run_jobs(
        port,
        bodies,
        SETUP_CONCURRENCY,
        |mut c, (i, b)| async move {
            let r = c.post_form("/lti/login", &b, "").await;
            assert_eq!(r.status, 302, "login");
            let loc = url::Url::parse(r.location.as_deref().unwrap()).unwrap();
            let q: std::collections::HashMap<_, _> = loc.query_pairs().into_owned().collect();
            (c, (i, q["state"].clone(), q["nonce"].clone()))
        },
    )
    .await;

    // The platform's side: sign every id_token (on two threads).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let fixture: serde_json::Value = serde_json::from_str(include_str!(
        "../tests/fixtures/moodle-4.5/id_token_LtiResourceLinkRequest.claims.json"
    ))
    .unwrap();
    let platform = platform.clone();
    let issuer_origin = issuer.to_string();
    let issuer = issuer.to_string();
    let bodies: Vec<(usize, String)> = tokio::task::spawn_blocking(move || {
        let chunks: Vec<Vec<(usize, String, String)>> = logins
            .chunks(logins.len().div_ceil(2).max(1))
            .map(|c| c.to_vec())
            .collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let (platform, fixture, issuer) =
                    (platform.clone(), fixture.clone(), issuer.clone());
                std::thread::spawn(move || {
                    chunk
                        .into_iter()
                        .map(|(i, state, nonce)| {
                            let mut c = fixture.clone();
                            c["iss"] = issuer.clone().into();
                            c["aud"] = CLIENT_ID.into();
                            c["nonce"] = nonce.into();
                            c["iat"] = now.into();
                            c["exp"] = (now + 3600).into();
                            c["sub"] = format!("m{i}").into();
                            c["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] =
                                DEPLOYMENT.into();
                            let token = platform.sign(&c).unwrap();
                            (i, format!("id_token={}&state={}", token, enc(&state)))
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

    // The platform's origin, as the browser sends it with the auto-submitted launch form.
    let origin: &'static str = Box::leak(format!("Origin: {issuer_origin}\r\n").into_boxed_str());
    let mut tokens = run_jobs(
        port,
        bodies,
        SETUP_CONCURRENCY,
        move |mut c, (i, b)| async move {
            let r = c.post_form("/lti/launch", &b, origin).await;
            let r = match (r.status, r.location.clone()) {
                (303, Some(to)) => c.get(&to).await,
                _ => r,
            };
            assert_eq!(r.status, 200, "launch: {}", r.body);
            (c, (i, session_token(&r.body)))
        },
    )
    .await;
    tokens.sort_by_key(|(i, _)| *i);
    tokens.into_iter().map(|(_, t)| t).collect()
}

/// The session token a page carries (for its script and its forms, never in a URL).
fn session_token(body: &str) -> String {
    let mark = "name=\"binome-session\" content=\"";
    let at = body.find(mark).expect("a session token in the page");
    body[at + mark.len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
        .collect()
}

/// Publishes learner 2k with learner 2k+1 in the fixture's module, directly in the store (a
/// draft, then its publication, in one transaction as the staff page does).
async fn publish_pairs(database_url: &str, groups: usize) {
    use sea_orm::{ConnectionTrait, Statement};
    let store = Store::connect(database_url, 2).await.unwrap();
    let db = store.connection();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM courses ORDER BY id LIMIT 1",
        ))
        .await
        .unwrap()
        .expect("the launches made the course");
    let course = CourseId::new(row.try_get_by_index::<i32>(0).unwrap());
    let plan = StoredPlan {
        groups: (0..groups)
            .map(|k| StoredGroup {
                members: vec![
                    PersonId::new(format!("m{}", 2 * k)),
                    PersonId::new(format!("m{}", 2 * k + 1)),
                ],
                locked: false,
                explanation: Default::default(),
            })
            .collect(),
        unplaced: vec![],
        exact: true,
    };
    let now = binome::launch::now();
    let tx = store.begin(course).await.unwrap();
    assert!(
        tx.create_draft(MODULE, &plan.to_json(), "bench", now)
            .await
            .unwrap()
    );
    assert!(tx.publish_draft(MODULE, "bench", now).await.unwrap());
    tx.commit().await.unwrap();
    store.connection().close_by_ref().await.ok();
    // As a course designer would have set it up.
    common::set_up_fixture_activity(database_url, DEPLOYMENT).await;
}

/// A member's command, as the page's script sends it.
async fn command(c: &mut Conn, token: &str, command: &str) -> Reply {
    let body = format!("t={}&command={command}", enc(token));
    c.post_form(
        "/app/session/command",
        &body,
        "Accept: application/json\r\n",
    )
    .await
}

/// A member's field save, as the page's script sends it.
async fn save(c: &mut Conn, token: &str, field: &str, text: &str, version: i64) -> Reply {
    let body = format!(
        "t={}&field={field}&text={}&version={version}",
        enc(token),
        enc(text)
    );
    c.post_form("/app/session/field", &body, "Accept: application/json\r\n")
        .await
}

/// The session panel, as the page's script fetches it after an event.
/// A screen's panel, as its script asks after its stream told entry `after` of the guided
/// session (ordinal 0).
async fn panel(c: &mut Conn, token: &str, after: i64) -> Reply {
    let req = format!(
        "GET /app/session/panel?session=0&after={after} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    c.request(req.as_bytes()).await
}

/// A number in a JSON answer (`{"version":3}`).
fn json_num(body: &str, key: &str) -> Option<i64> {
    serde_json::from_str::<serde_json::Value>(body).ok()?[key].as_i64()
}

/// Opens a member's event stream and keeps reading it: every `id:` it shows goes to
/// `seen` with the time it was read. `ready` is released once the hello came.
async fn follow(
    port: u16,
    token: String,
    seen: Seen,
    ready: tokio::sync::OwnedSemaphorePermit,
    open: Arc<AtomicUsize>,
) {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)).await else {
        drop(ready);
        return;
    };
    s.set_nodelay(true).ok();
    let req = format!(
        "GET /api/coaching/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
    );
    drop(token);
    if s.write_all(req.as_bytes()).await.is_err() {
        return;
    }
    let mut buf: Vec<u8> = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    let mut ready = Some(ready);
    let mut headed = false;
    loop {
        let n = match s.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let at = Instant::now();
        buf.extend_from_slice(&chunk[..n]);
        if !headed {
            let Some(end) = find(&buf, b"\r\n\r\n") else {
                continue;
            };
            if !buf.starts_with(b"HTTP/1.1 200") {
                eprintln!(
                    "stream refused: {}",
                    String::from_utf8_lossy(&buf[..end.min(200)])
                );
                return;
            }
            headed = true;
            buf.drain(..end + 4);
        }
        // Whole lines only; SSE lines never straddle a chunk (one message, one chunk).
        let Some(last_nl) = buf.iter().rposition(|b| *b == b'\n') else {
            continue;
        };
        let mut newest = None;
        for line in buf[..last_nl].split(|b| *b == b'\n') {
            if let Some(id) = line.strip_prefix(b"id: ") {
                newest = std::str::from_utf8(id)
                    .ok()
                    .and_then(|v| v.trim().parse().ok());
            } else if line.starts_with(b"event: hello")
                && let Some(r) = ready.take()
            {
                open.fetch_add(1, Ordering::SeqCst);
                drop(r);
            }
        }
        buf.drain(..=last_nl);
        if let Some(id) = newest {
            seen.send_if_modified(|(s, t)| {
                if id > *s {
                    (*s, *t) = (id, at);
                    true
                } else {
                    false
                }
            });
        }
    }
    if ready.is_none() {
        open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A pool of keep-alive connections to one instance.
struct Pool(tokio::sync::Mutex<Vec<Conn>>, Semaphore);

impl Pool {
    async fn new(port: u16, n: usize) -> Pool {
        let mut v = Vec::new();
        for _ in 0..n {
            v.push(Conn::open(port).await);
        }
        Pool(tokio::sync::Mutex::new(v), Semaphore::new(n))
    }
    async fn take(&self) -> (Conn, tokio::sync::SemaphorePermit<'_>) {
        let permit = self.1.acquire().await.unwrap();
        let c = self.0.lock().await.pop().unwrap();
        (c, permit)
    }
    async fn give(&self, c: Conn) {
        self.0.lock().await.push(c);
    }
}

/// One act of a pair, by turn: B (the round's coach) steps forward, A saves, B steps back,
/// B saves. Waits for the partner's stream to show it.
async fn act(pair: &Pair, pools: &[Pool], ports: &[u16]) -> Outcome {
    let turn = pair.turn.fetch_add(1, Ordering::SeqCst);
    let (actor, partner, what) = match turn % 4 {
        0 => (&pair.b, &pair.a, "next_step"),
        1 => (&pair.a, &pair.b, "prep_situation.s0"),
        2 => (&pair.b, &pair.a, "previous_step"),
        _ => (&pair.b, &pair.a, "prep_situation.s1"),
    };
    let pool = &pools[ports.iter().position(|p| *p == actor.port).unwrap()];
    let (mut c, permit) = pool.take().await;
    let mut rx = partner.seen.subscribe();
    let before = rx.borrow_and_update().0;
    let sent = Instant::now();
    let reply = if what.starts_with("prep_") {
        let v = actor.version.load(Ordering::SeqCst);
        let r = save(&mut c, &actor.token, what, &format!("notes {turn}"), v).await;
        if let Some(v) = json_num(&r.body, "version") {
            actor.version.store(v, Ordering::SeqCst);
        }
        r
    } else {
        command(&mut c, &actor.token, what).await
    };
    let post = sent.elapsed();
    pool.give(c).await;
    drop(permit);
    if reply.status != 200 {
        return Outcome::Refused(reply.status);
    }
    let arrived = tokio::time::timeout(MISSED_AFTER, rx.wait_for(|(s, _)| *s > before))
        .await
        .map(|v| v.map(|v| v.1));
    let Ok(Ok(at)) = arrived else {
        return Outcome::Missed;
    };
    let told = rx.borrow().0;
    // Both screens redraw: each fetches its panel from its own instance.
    let mut panels_ok = true;
    for member in [actor, partner] {
        let pool = &pools[ports.iter().position(|p| *p == member.port).unwrap()];
        let (mut c, permit) = pool.take().await;
        panels_ok &= panel(&mut c, &member.token, told).await.status == 200;
        pool.give(c).await;
        drop(permit);
    }
    Outcome::Delivered {
        post,
        delivery: at.saturating_duration_since(sent),
        panels_ok,
    }
}

async fn bench(
    label: &str,
    database_url: &str,
    instances: usize,
    platform: &ToolKey,
    issuer: &str,
) {
    let groups = env_num("BENCH_GROUPS", 5000);
    let seconds = env_num("BENCH_SECONDS", 30);
    let rate = env_num("BENCH_RATE", 500).max(1);
    let (servers, ports, base) = start_instances(database_url, instances, issuer).await;
    let pids: Vec<u32> = servers.iter().map(|s| s.0.id()).collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started_rss: Vec<f64> = pids.iter().map(|p| rss_mib(*p)).collect();

    // 1. Every learner launches (through instance 1, where the LMS's launches land).
    let t = Instant::now();
    let tokens = launch_learners(ports[0], &base, issuer, platform, 2 * groups).await;
    let launch_time = t.elapsed();
    // 2. The pairs are published (directly in the store), then seen by every instance once
    //    their caches expire.
    publish_pairs(database_url, groups).await;
    tokio::time::sleep(binome::course::cache::TTL + Duration::from_millis(200)).await;
    let pairs: Arc<Vec<Pair>> = Arc::new(
        tokens
            .chunks(2)
            .map(|t| {
                let member = |token: &String, port: u16| Member {
                    port,
                    token: token.clone(),
                    seen: watch::channel((0, Instant::now())).0,
                    version: Default::default(),
                };
                Pair {
                    a: member(&t[0], ports[0]),
                    b: member(&t[1], ports[1 % ports.len()]),
                    busy: AtomicBool::new(false),
                    turn: AtomicUsize::new(0),
                }
            })
            .collect(),
    );
    // 3. Each pair's session is brought to round 1 through the command route, each member
    //    on their own instance.
    let t = Instant::now();
    let script: [(bool, &str); 6] = [
        (true, "accept_framework"),
        (false, "accept_framework"),
        (true, "mark_prepared"),
        (false, "mark_prepared"),
        (false, "start"),
        (true, "next_step"),
    ];
    for (by_a, cmd) in script {
        let port = if by_a {
            ports[0]
        } else {
            ports[1 % ports.len()]
        };
        let pairs = pairs.clone();
        run_jobs(
            port,
            (0..groups).rev().collect(),
            SETUP_CONCURRENCY,
            move |mut c, k: usize| {
                let pairs = pairs.clone();
                async move {
                    let p = &pairs[k];
                    let m = if by_a { &p.a } else { &p.b };
                    let r = command(&mut c, &m.token, cmd).await;
                    assert_eq!(r.status, 200, "{cmd}: {}", r.body);
                    (c, ())
                }
            },
        )
        .await;
    }
    let setup_time = t.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss: Vec<f64> = pids.iter().map(|p| rss_mib(*p)).collect();
    let idle_fds: usize = pids.iter().map(|p| open_fds(*p)).sum();

    // 4. Every member opens their stream (at most CONNECTING at once).
    let t = Instant::now();
    let open = Arc::new(AtomicUsize::new(0));
    let connecting = Arc::new(Semaphore::new(CONNECTING));
    let mut streams = Vec::new();
    for p in pairs.iter() {
        for m in [&p.a, &p.b] {
            let permit = connecting.clone().acquire_owned().await.unwrap();
            streams.push(tokio::spawn(follow(
                m.port,
                m.token.clone(),
                m.seen.clone(),
                permit,
                open.clone(),
            )));
        }
    }
    let _all = connecting.acquire_many(CONNECTING as u32).await.unwrap();
    drop(_all);
    let connect_time = t.elapsed();
    let opened = open.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let connected_rss: Vec<f64> = pids.iter().map(|p| rss_mib(*p)).collect();
    let connected_fds: usize = pids.iter().map(|p| open_fds(*p)).sum();

    // 5. The load: BENCH_RATE acts per second, the pairs in turn, one act per pair at once.
    let pools: Arc<Vec<Pool>> = Arc::new({
        let mut v = Vec::new();
        for p in &ports {
            v.push(Pool::new(*p, POST_CONNS).await);
        }
        v
    });
    let ports_arc: Arc<Vec<u16>> = Arc::new(ports.clone());
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<Outcome>();
    let cpu0: Vec<f64> = pids.iter().map(|p| cpu_seconds(*p)).collect();
    let load_started = Instant::now();
    let end = load_started + Duration::from_secs(seconds as u64);
    let mut peak_each = vec![0.0f64; pids.len()];
    let mut last_sample = Instant::now();
    let mut issued = 0usize;
    let mut skipped = 0usize;
    let mut next = 0usize;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let mut due = load_started;
    while due < end {
        tokio::time::sleep_until(due.into()).await;
        // Catch up in one go if the generator fell behind (at most a few ms' worth).
        let now = Instant::now();
        while due <= now && due < end {
            due += interval;
            let k = next % pairs.len();
            next += 1;
            if pairs[k].busy.swap(true, Ordering::SeqCst) {
                skipped += 1;
                continue;
            }
            issued += 1;
            let (pairs, pools, ports, done) = (
                pairs.clone(),
                pools.clone(),
                ports_arc.clone(),
                done_tx.clone(),
            );
            tokio::spawn(async move {
                let pair = &pairs[k];
                let o = act(pair, &pools, &ports).await;
                pair.busy.store(false, Ordering::SeqCst);
                done.send(o).ok();
            });
        }
        if last_sample.elapsed() > Duration::from_millis(500) {
            last_sample = Instant::now();
            let each: Vec<f64> = pids.iter().map(|p| rss_mib(*p)).collect();
            for (p, e) in peak_each.iter_mut().zip(&each) {
                *p = p.max(*e);
            }
        }
    }
    let load_time = load_started.elapsed();
    let cpu1: Vec<f64> = pids.iter().map(|p| cpu_seconds(*p)).collect();
    drop(done_tx);
    let full_rss: Vec<f64> = pids.iter().map(|p| rss_mib(*p)).collect();
    for (p, e) in peak_each.iter_mut().zip(&full_rss) {
        *p = p.max(*e);
    }
    let full_fds: usize = pids.iter().map(|p| open_fds(*p)).sum();
    let held_at_end = open.load(Ordering::SeqCst);
    let mut post_lat = Vec::new();
    let mut delivery = Vec::new();
    let (mut missed, mut refused) = (0usize, std::collections::BTreeMap::new());
    let mut panels_failed = 0usize;
    while let Some(o) = done_rx.recv().await {
        match o {
            Outcome::Delivered {
                post,
                delivery: d,
                panels_ok,
            } => {
                post_lat.push(post);
                delivery.push(d);
                panels_failed += usize::from(!panels_ok);
            }
            Outcome::Missed => missed += 1,
            Outcome::Refused(s) => *refused.entry(s).or_insert(0usize) += 1,
        }
    }
    let held_after = open.load(Ordering::SeqCst);
    for s in &streams {
        s.abort();
    }
    drop(servers);
    post_lat.sort();
    delivery.sort();
    let cpu_load: f64 = cpu1.iter().zip(&cpu0).map(|(a, b)| a - b).sum();

    let streams_wanted = 2 * groups;
    println!(
        "\n## {label}: {groups} pairs, {streams_wanted} event streams, {rate} acts/s for {seconds} s"
    );
    println!("| measure | value |\n|---|---|");
    println!(
        "| stream connections held (hello received / open at end of load / open after the last delivery) | {opened} / {held_at_end} / {held_after} of {streams_wanted} |"
    );
    println!(
        "| tool's open descriptors: idle / streams connected / end of load | {idle_fds} / {connected_fds} / {full_fds} |"
    );
    let show = |v: &[f64]| {
        if v.len() == 1 {
            format!("{:.1}", v[0])
        } else {
            format!(
                "{:.1} ({})",
                v.iter().sum::<f64>(),
                v.iter()
                    .map(|x| format!("{x:.1}"))
                    .collect::<Vec<_>>()
                    .join(" + ")
            )
        }
    };
    println!(
        "| tool resident memory, MiB: started / idle after set-up (no stream) | {} / {} |",
        show(&started_rss),
        show(&idle_rss)
    );
    println!(
        "| tool resident memory, MiB: all streams connected, quiet | {} |",
        show(&connected_rss)
    );
    println!(
        "| tool resident memory, MiB: full load (peak; end) | {} ; {} |",
        show(&peak_each),
        show(&full_rss)
    );
    println!(
        "| acts issued (skipped: pair still busy) | {issued} ({skipped}) in {:.1} s = {:.0}/s |",
        load_time.as_secs_f64(),
        issued as f64 / load_time.as_secs_f64()
    );
    println!(
        "| delivered / missed (> {} s) / refused | {} / {missed} / {refused:?} |",
        MISSED_AFTER.as_secs(),
        delivery.len()
    );
    println!(
        "| delivery to the partner's stream p50 / p90 / p99 / max (ms) | {:.1} / {:.1} / {:.1} / {:.1} |",
        percentile(&delivery, 0.5),
        percentile(&delivery, 0.9),
        percentile(&delivery, 0.99),
        percentile(&delivery, 1.0)
    );
    println!(
        "| the act's POST round trip p50 / p99 (ms) | {:.1} / {:.1} |",
        percentile(&post_lat, 0.5),
        percentile(&post_lat, 0.99)
    );
    println!(
        "| tool CPU during the load (all instances, % of one core) | {:.0} % |",
        cpu_load / load_time.as_secs_f64() * 100.0
    );
    println!(
        "| tool CPU per act (its write, the fan-out, both panels), µs / panel fetches failed | {:.0} / {panels_failed} |",
        cpu_load / (delivery.len().max(1) as f64) * 1e6
    );
    let stream_kib = (connected_rss.iter().sum::<f64>() - idle_rss.iter().sum::<f64>()) * 1024.0
        / streams_wanted.max(1) as f64;
    println!("| resident memory per idle stream, KiB | {stream_kib:.1} |");
    println!(
        "| set-up (untimed for the figures above): {} launches / session set-up / streams opened | {:.1} s / {:.1} s / {:.1} s |",
        2 * groups,
        launch_time.as_secs_f64(),
        setup_time.as_secs_f64(),
        connect_time.as_secs_f64()
    );
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let groups = env_num("BENCH_GROUPS", 5000);
    ensure_fd_limit(2 * groups as u64 + 2 * POST_CONNS as u64 + 1000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let key =
            ToolKey::from_pem("bench-platform-key", &generate_private_pem().unwrap()).unwrap();
        let jwks_port = common::serve_platform_jwks(&key);
        let issuer = format!("http://127.0.0.1:{jwks_port}");

        let dir = std::env::temp_dir().join(format!("binome-bench-live-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sqlite = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
        bench("SQLite, one instance", &sqlite, 1, &key, &issuer).await;
        std::fs::remove_dir_all(&dir).ok();
        match std::env::var("DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => {
                let (db, name) = fresh_postgres(&url).await;
                bench(
                    "PostgreSQL, two instances (the members of each pair on different ones)",
                    &db,
                    2,
                    &key,
                    &issuer,
                )
                .await;
                drop_postgres(&url, &name).await;
            }
            _ => println!("\n(PostgreSQL skipped: set DATABASE_URL=postgres://… to include it)"),
        }
    });
}
