//! Soak test of the live session's delivery: hundreds of sessions, each driven by two
//! emulated screens that do what `web/static/session.js` does — read the real event stream
//! (`GET /api/coaching/events`, resumed with `Last-Event-ID`), fetch the panel
//! (`GET /app/session/panel`) on every event and after every command of their own, and
//! follow the group's next session when the panel shows one — while both members act at
//! the same moment, as two people told "accept the framework" do. Every change must appear
//! on the partner's screen: a change that does not show within [`SHOW_WITHIN`] is a miss,
//! and the test wants none.
//!
//! Size: `BINOME_SOAK_SESSIONS` (default 200) sessions, over `BINOME_SOAK_PAIRS` pairs
//! (default 10) running at once; each pair runs its guided session, then practice sessions
//! (at most 101 per pair and activity; more sessions take more activities).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{Mutex, Notify, watch};

use crate::helpers::{Options, TestApp, spawn_with};

/// How long a change may take to show on a screen before it counts as missed. Deliveries
/// take milliseconds; this only bounds a wait that would otherwise never end.
const SHOW_WITHIN: Duration = Duration::from_secs(10);

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What an emulated screen shows: the panel's HTML and where in the log it stands.
#[derive(Debug, Clone, Default)]
struct Shown {
    html: String,
    /// The group's session the panel is of (its ordinal), and the log position it reflects.
    session: i64,
    seq: i64,
}

impl Shown {
    fn of(html: String) -> Shown {
        let panel = html
            .find("id=\"session-panel\"")
            .map(|at| &html[at..])
            .unwrap_or_default();
        let head = &panel[..panel.find('>').unwrap_or(panel.len())];
        let num = |name: &str| attr(head, name).and_then(|v| v.parse().ok()).unwrap_or(-1);
        Shown {
            session: num("data-session"),
            seq: num("data-seq"),
            html,
        }
    }

    fn phase(&self) -> String {
        attr(&self.html, "data-phase").unwrap_or_default()
    }
}

/// The value of the first `name="…"` attribute of an HTML text.
fn attr(html: &str, name: &str) -> Option<String> {
    let mark = format!("{name}=\"");
    let at = html.find(&mark)? + mark.len();
    Some(html[at..].chars().take_while(|c| *c != '"').collect())
}

/// What the stream told the screen so far.
#[derive(Debug, Default)]
struct Heard {
    /// The session the stream follows (from its `hello`), once connected.
    session: Option<i64>,
    /// The highest event id heard on that session.
    last_seq: i64,
}

/// One member's screen: its stream reader and its panel drawer, as `session.js` runs them.
struct Screen {
    who: String,
    shown: watch::Receiver<Shown>,
    redraw: Arc<Notify>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Screen {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Screen {
    /// Opens the session page as the browser does and starts following it.
    async fn open(app: &TestApp, token: &str, who: String) -> Screen {
        let page = app.page("/app/session", token).await;
        let first = Shown::of(page.clone());
        let initial_seq: i64 = attr(&page, "data-seq")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let (tx, shown) = watch::channel(first);
        let heard = Arc::new(Mutex::new(Heard {
            session: None,
            last_seq: initial_seq,
        }));
        let redraw = Arc::new(Notify::new());
        let reconnect = Arc::new(Notify::new());
        let drawer = tokio::spawn(draw_loop(
            app.http.clone(),
            app.base.clone(),
            token.to_string(),
            tx,
            heard.clone(),
            redraw.clone(),
            reconnect.clone(),
        ));
        let reader = tokio::spawn(stream_loop(
            app.http.clone(),
            app.base.clone(),
            token.to_string(),
            heard,
            shown.clone(),
            redraw.clone(),
            reconnect,
        ));
        Screen {
            who,
            shown,
            redraw,
            tasks: vec![drawer, reader],
        }
    }

    /// Waits until the screen shows what `done` accepts; `Err` with what it shows when it
    /// does not within [`SHOW_WITHIN`].
    async fn until(&self, what: &str, done: impl Fn(&Shown) -> bool) -> Result<(), String> {
        let mut rx = self.shown.clone();
        match tokio::time::timeout(SHOW_WITHIN, rx.wait_for(|s| done(s))).await {
            Ok(Ok(_)) => Ok(()),
            _ => {
                let s = self.shown.borrow().clone();
                Err(format!(
                    "{}: {what} not shown within {SHOW_WITHIN:?}; the screen shows session {} \
                     at {}, phase {:?}, step {:?}",
                    self.who,
                    s.session,
                    s.seq,
                    s.phase(),
                    attr(&s.html, "data-step").unwrap_or_default(),
                ))
            }
        }
    }
}

/// The panel drawer: one fetch at a time; a redraw asked while one is in flight is done
/// after it (never dropped), and a panel older than an event heard is fetched again.
async fn draw_loop(
    http: reqwest::Client,
    base: String,
    token: String,
    shown: watch::Sender<Shown>,
    heard: Arc<Mutex<Heard>>,
    redraw: Arc<Notify>,
    reconnect: Arc<Notify>,
) {
    loop {
        redraw.notified().await;
        let Ok(r) = http
            .get(format!("{base}/app/session/panel"))
            .bearer_auth(&token)
            .send()
            .await
        else {
            continue;
        };
        if !r.status().is_success() {
            continue;
        }
        let Ok(html) = r.text().await else { continue };
        let fresh = Shown::of(html);
        let (session, seq) = (fresh.session, fresh.seq);
        shown.send_replace(fresh);
        let heard = heard.lock().await;
        match heard.session {
            // The group moved on to a newer session: follow that one.
            Some(s) if session > s => reconnect.notify_one(),
            Some(s) if session < s || (session == s && seq < heard.last_seq) => redraw.notify_one(),
            _ => {}
        }
    }
}

/// The event stream: read with the token in a header, resumed after the last event heard,
/// reconnected when it drops or when the panel shows a newer session.
async fn stream_loop(
    http: reqwest::Client,
    base: String,
    token: String,
    heard: Arc<Mutex<Heard>>,
    shown: watch::Receiver<Shown>,
    redraw: Arc<Notify>,
    reconnect: Arc<Notify>,
) {
    loop {
        // After a switch to a newer session, resume from the panel's place in it.
        let last = {
            let mut h = heard.lock().await;
            let s = shown.borrow();
            if h.session.is_some_and(|x| s.session > x) {
                h.last_seq = s.seq;
            }
            // Which session this connection follows, its hello will say.
            h.session = None;
            h.last_seq
        };
        let resp = http
            .get(format!("{base}/api/coaching/events"))
            .bearer_auth(&token)
            .header("Accept", "text/event-stream")
            .header("Last-Event-ID", last.to_string())
            .send()
            .await;
        let Ok(mut resp) = resp else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let mut buf = String::new();
        loop {
            tokio::select! {
                chunk = resp.chunk() => match chunk {
                    Ok(Some(c)) => {
                        buf.push_str(&String::from_utf8_lossy(&c));
                        while let Some(at) = buf.find("\n\n") {
                            let block: String = buf[..at].to_string();
                            buf.replace_range(..at + 2, "");
                            handle(&block, &heard, &shown, &redraw).await;
                        }
                    }
                    _ => break,
                },
                _ = reconnect.notified() => break,
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One server-sent event, as `session.js` handles it.
async fn handle(
    block: &str,
    heard: &Mutex<Heard>,
    shown: &watch::Receiver<Shown>,
    redraw: &Notify,
) {
    let (mut id, mut kind, mut data) = (None, "message", String::new());
    for line in block.split('\n') {
        if let Some(v) = line.strip_prefix("id:") {
            id = v.trim().parse::<i64>().ok();
        } else if let Some(v) = line.strip_prefix("event:") {
            kind = v.trim();
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim());
        }
    }
    let mut h = heard.lock().await;
    if let Some(id) = id
        && id > h.last_seq
    {
        h.last_seq = id;
    }
    match kind {
        "hello" => {
            let v: Value = serde_json::from_str(&data).unwrap_or(Value::Null);
            h.session = v["session"].as_i64();
            if let Some(seq) = v["seq"].as_i64() {
                h.last_seq = seq;
            }
            let s = shown.borrow();
            if h.session != Some(s.session) || s.seq < h.last_seq {
                redraw.notify_one();
            }
        }
        "change" | "field" | "presence" | "reset" => redraw.notify_one(),
        _ => {}
    }
}

/// A command as the page's script sends it, then the panel redraw it does after.
async fn command(app: &TestApp, screen: &Screen, token: &str, command: &str) -> u16 {
    let status = crate::live::cmd(app, token, command).await.0;
    screen.redraw.notify_one();
    status
}

/// Runs `sessions` sessions of one pair (the guided one first, then practice sessions),
/// each change checked on both screens; returns the misses.
async fn run_pair(
    app: &TestApp,
    t: [String; 2],
    sessions: usize,
    done: &AtomicUsize,
) -> Vec<String> {
    let mut misses = Vec::new();
    let screens = [
        Screen::open(app, &t[0], format!("{}/seat 0", &t[0][..8])).await,
        Screen::open(app, &t[1], format!("{}/seat 1", &t[1][..8])).await,
    ];
    let mut check = async |what: &str, done: &(dyn Fn(&Shown) -> bool + Sync)| {
        for s in &screens {
            if let Err(e) = s.until(what, done).await {
                misses.push(e);
            }
        }
    };
    for n in 0..sessions {
        let ordinal = n as i64;
        if n > 0 {
            assert_eq!(command(app, &screens[0], &t[0], "practice").await, 200);
        }
        check("the session's trust framework", &move |s: &Shown| {
            s.phase() == "framework" && s.session == ordinal
        })
        .await;
        // Both accept at the same moment: each must see the other's acceptance.
        let (a, b) = tokio::join!(
            command(app, &screens[0], &t[0], "accept_framework"),
            command(app, &screens[1], &t[1], "accept_framework")
        );
        assert_eq!((a, b), (200, 200));
        check("both acceptances", &|s: &Shown| s.phase() == "preparation").await;
        let (a, b) = tokio::join!(
            command(app, &screens[0], &t[0], "mark_prepared"),
            command(app, &screens[1], &t[1], "mark_prepared")
        );
        assert_eq!((a, b), (200, 200));
        check("both preparations", &|s: &Shown| {
            s.html.contains("data-action=\"start\"")
        })
        .await;
        assert_eq!(command(app, &screens[1], &t[1], "start").await, 200);
        check("the introduction", &|s: &Shown| {
            s.html.contains("data-step=\"introduction\"")
        })
        .await;
        assert_eq!(command(app, &screens[0], &t[0], "next_step").await, 200);
        check("the sharing", &|s: &Shown| {
            s.html.contains("data-step=\"1-sharing\"")
        })
        .await;
        // The coachee writes while the coach moves on: both reach the partner.
        let words = format!("SOAK-NOTES-{n}");
        let (saved, moved) = tokio::join!(
            crate::live::save(app, &t[0], "sharing_notes.r1", &words, 0),
            command(app, &screens[1], &t[1], "next_step")
        );
        assert_eq!((saved.0, moved), (200, 200), "{}", saved.1);
        check("the coachee's notes and the objectives", &|s: &Shown| {
            s.html.contains("data-step=\"1-objectives\"") && s.html.contains(&words)
        })
        .await;
        // Ended: a practice session at one member's word, the guided one at both.
        if n == 0 {
            let (a, b) = tokio::join!(
                command(app, &screens[0], &t[0], "abandon"),
                command(app, &screens[1], &t[1], "abandon")
            );
            assert_eq!((a, b), (200, 200));
        } else {
            assert_eq!(command(app, &screens[1], &t[1], "abandon").await, 200);
        }
        check("the end of the session", &|s: &Shown| {
            s.phase() == "abandoned"
        })
        .await;
        done.fetch_add(1, Ordering::Relaxed);
    }
    misses
}

#[tokio::test]
async fn every_change_reaches_the_partner_in_hundreds_of_sessions() {
    let total = env_num("BINOME_SOAK_SESSIONS", 200).max(1);
    let pairs = env_num("BINOME_SOAK_PAIRS", 10).max(1);
    let app = spawn_with(Options {
        env: vec![("BINOME_SESSION_WRITES_PER_MINUTE", "1000000".into())],
        ..Options::default()
    })
    .await;
    // Learners enough for the pairs, beside the platform's default roster.
    let mut members = app.platform.members();
    for i in 0..2 * pairs {
        members.push(
            json!({"user_id": format!("soak{i}"), "name": format!("Soak {i}"),
            "roles": ["Learner"], "status": "Active"}),
        );
    }
    app.platform.set_members(members);
    let per_pair = total.div_ceil(pairs).min(101);
    let activities = total.div_ceil(pairs * per_pair);
    let started = std::time::Instant::now();
    let done = Arc::new(AtomicUsize::new(0));
    let mut misses = Vec::new();
    let mut left = total;
    for k in 0..activities {
        let module = format!("soak-{k}");
        let (_, groups) = app.publish_pairs_in(Some(&module)).await;
        let groups: Vec<Vec<String>> = groups.into_iter().filter(|g| g.len() == 2).collect();
        assert!(groups.len() >= pairs, "{} pairs published", groups.len());
        let mut runs = Vec::new();
        for g in groups.into_iter().take(pairs) {
            if left == 0 {
                break;
            }
            let n = per_pair.min(left);
            left -= n;
            let a = app.learner_launch_in(&g[0], Some(&module)).await.0;
            let b = app.learner_launch_in(&g[1], Some(&module)).await.0;
            runs.push((a, b, n));
        }
        let app = &app;
        let done = &done;
        let results = futures_util::future::join_all(
            runs.into_iter()
                .map(|(a, b, n)| async move { run_pair(app, [a, b], n, done).await }),
        )
        .await;
        misses.extend(results.into_iter().flatten());
    }
    let n = done.load(Ordering::Relaxed);
    eprintln!(
        "soak: {n} sessions, {} misses, in {:?}",
        misses.len(),
        started.elapsed()
    );
    assert_eq!(n, total, "every session ran");
    assert!(
        misses.is_empty(),
        "{} change(s) of {total} sessions did not reach a screen:\n{}",
        misses.len(),
        misses.join("\n")
    );
}
