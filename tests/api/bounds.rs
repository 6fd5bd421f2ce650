//! What one learner, one address or one group can make the server hold, through the real HTTP
//! surface: a few event streams per person (the newest replaces the oldest), caps per address
//! and per instance that leave `/healthz` answering, a rate on a member's writes, a storage
//! budget per group and activity; deleted notes gone from SQLite's files; a removed
//! platform's tokens refused everywhere; the graded session abandoned only together.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{Options, TestApp, spawn_app, spawn_with};
use crate::live::{cmd, ok, pair_and_other, panel, run_to_completion, save};

/// Opens an event stream for `token`, from `client` (an `X-Forwarded-For` address) if given.
async fn stream(app: &TestApp, token: &str, client: Option<&str>) -> reqwest::Response {
    let mut req = app
        .http
        .get(format!("{}/api/coaching/events", app.base))
        .bearer_auth(token);
    if let Some(c) = client {
        req = req.header("X-Forwarded-For", c);
    }
    req.send().await.unwrap()
}

/// Reads a stream until `needle` arrives, it ends, or ten seconds pass; returns what came.
async fn read_until(resp: &mut reqwest::Response, needle: &str) -> String {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains(needle) {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, resp.chunk()).await {
            Ok(Ok(Some(c))) => seen.push_str(&String::from_utf8_lossy(&c)),
            _ => break,
        }
    }
    seen
}

/// Whether the stream ends (the server closed it) within ten seconds, draining it.
async fn ends(resp: &mut reqwest::Response) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, resp.chunk()).await {
            Ok(Ok(Some(_))) => continue,
            Ok(Ok(None)) | Ok(Err(_)) => return true,
            Err(_) => return false,
        }
    }
}

/// A refusal's status, `Retry-After` and reason code.
async fn refusal(r: reqwest::Response) -> (u16, Option<String>, String) {
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let body: Value = r.json().await.unwrap_or(Value::Null);
    (
        status,
        retry,
        body["code"].as_str().unwrap_or("").to_string(),
    )
}

#[tokio::test]
async fn a_person_keeps_a_few_streams_and_a_new_one_replaces_the_oldest() {
    let app = spawn_app().await;
    let ([a, b], _, _, _) = pair_and_other(&app).await;
    app.page("/app/session", &a).await;
    // Six tabs (or reloads the server has not seen go yet): every one is served.
    let mut streams = Vec::new();
    for _ in 0..6 {
        let mut s = stream(&app, &a, None).await;
        assert_eq!(s.status().as_u16(), 200);
        read_until(&mut s, "event: hello").await;
        streams.push(s);
    }
    // The two oldest were told a newer screen took their place, and ended.
    for s in &mut streams[..2] {
        let seen = read_until(s, "event: replaced").await;
        assert!(seen.contains("event: replaced"), "{seen:?}");
        assert!(ends(s).await, "a replaced stream ends");
    }
    // The newest follow the session, and the person is still online for the partner.
    ok(&app, &b, "accept_framework").await;
    for s in &mut streams[2..] {
        let seen = read_until(s, "event: change").await;
        assert!(seen.contains("event: change"), "{seen:?}");
        assert!(!seen.contains("replaced"), "{seen:?}");
    }
    assert!(panel(&app, &b).await.contains("data-presence=\"online\""));
}

#[tokio::test]
async fn streams_are_capped_per_address_and_in_all_and_healthz_still_answers() {
    let app = spawn_with(Options {
        env: vec![
            ("BINOME_TRUST_PROXY", "true".into()),
            ("BINOME_EVENT_STREAMS_PER_CLIENT", "2".into()),
            ("BINOME_MAX_EVENT_STREAMS", "3".into()),
        ],
        ..Default::default()
    })
    .await;
    let (_, groups) = app.publish_pairs().await;
    let mut t = Vec::new();
    for g in groups.iter().take(4) {
        t.push(app.learner_launch(&g[0]).await.0);
    }
    let s1 = stream(&app, &t[0], Some("10.0.0.1")).await;
    let mut s2 = stream(&app, &t[1], Some("10.0.0.1")).await;
    assert_eq!((s1.status().as_u16(), s2.status().as_u16()), (200, 200));
    // A third stream from the same address: refused, with when to come back.
    let (status, retry, code) = refusal(stream(&app, &t[2], Some("10.0.0.1")).await).await;
    assert_eq!((status, code.as_str()), (429, "stream_limit_client"));
    assert!(retry.is_some_and(|r| r.parse::<u64>().unwrap() > 0));
    let s3 = stream(&app, &t[2], Some("10.0.0.2")).await;
    assert_eq!(s3.status().as_u16(), 200);
    // The instance holds as many as it may: refused for now, and /healthz still answers.
    let (status, retry, code) = refusal(stream(&app, &t[3], Some("10.0.0.3")).await).await;
    assert_eq!((status, code.as_str()), (503, "stream_limit_server"));
    assert!(retry.is_some());
    let health = app
        .http
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    // A reload on a full server is not locked out: the new stream replaces the old one.
    let mut again = stream(&app, &t[1], Some("10.0.0.1")).await;
    assert_eq!(again.status().as_u16(), 200);
    assert!(
        read_until(&mut s2, "event: replaced")
            .await
            .contains("replaced")
    );
    assert!(ends(&mut s2).await);
    // A stream whose client goes gives its slot back: another person gets one.
    drop(again.chunk().await);
    drop(again);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = stream(&app, &t[3], Some("10.0.0.3")).await;
        if r.status().as_u16() == 200 {
            break;
        }
        assert_eq!(r.status().as_u16(), 503);
        assert!(
            tokio::time::Instant::now() < deadline,
            "the slot of a closed stream comes back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop((s1, s3));
}

#[tokio::test]
async fn a_member_writing_like_a_script_is_slowed_down_and_others_are_not() {
    let app = spawn_app().await;
    let ([a, b], _, _, _) = pair_and_other(&app).await;
    ok(&app, &a, "accept_framework").await;
    ok(&app, &b, "accept_framework").await;
    let (status, _) = save(&app, &a, "prep_situation.s0", "kept", 0).await;
    assert_eq!(status, 200);
    // Hundreds of saves as fast as they go: after a burst no person needs, refused.
    let mut refused = None;
    for i in 0..400 {
        let (status, body) = save(&app, &a, "prep_situation.s0", "x", i).await;
        if status == 429 {
            refused = Some(body);
            break;
        }
    }
    let body = refused.expect("a flood of saves is refused");
    assert_eq!(body["code"], "session_too_fast");
    assert!(body["message"].as_str().unwrap().contains(" s"), "{body}");
    // The refusal says when to come back; commands share the allowance.
    let r = app
        .http
        .post(format!("{}/app/session/command", app.base))
        .header("Accept", "application/json")
        .form(&[("t", a.as_str()), ("command", "mark_prepared")])
        .send()
        .await
        .unwrap();
    let (status, retry, code) = refusal(r).await;
    assert_eq!((status, code.as_str()), (429, "session_too_fast"));
    assert!(retry.is_some_and(|r| r.parse::<u64>().unwrap() >= 1));
    // A plain form post gets the same refusal as a page.
    let r = app
        .post_form("/app/session/command", &a, &[("command", "mark_prepared")])
        .await;
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.headers().get("retry-after").is_some());
    // The partner is not slowed down, and nothing stored was lost.
    ok(&app, &b, "mark_prepared").await;
    let p = panel(&app, &a).await;
    assert!(p.contains("data-phase=\"preparation\""), "{p}");
}

/// Runs SQL on the test database.
async fn exec(app: &TestApp, sql: &str) {
    use sea_orm::ConnectionTrait;
    app.store
        .connection()
        .execute_unprepared(sql)
        .await
        .unwrap();
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let db = app.store.connection();
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
}

#[tokio::test]
async fn a_group_keeps_a_bounded_log_for_an_activity() {
    let app = spawn_app().await;
    let ([a, b], _, _, _) = pair_and_other(&app).await;
    run_to_completion(&app, &a, &b, ["One", "Two"]).await;
    // The group's guided session holds 85,000 entries (as a script could have made it
    // write over hours, within every other bound): a new session could take the group's
    // log past its budget, so it does not open.
    exec(
        &app,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 85000) \
         INSERT INTO coaching_events (course_id, session_id, seq, actor, payload, at) \
         SELECT s.course_id, s.id, s.last_seq + n.i, 'x', \
           '{\"type\":\"presence\",\"by\":0,\"at\":' || (1767225600000 + n.i) || ',\"presence\":\"online\"}', 0 \
         FROM coaching_sessions s, n",
    )
    .await;
    exec(
        &app,
        "UPDATE coaching_sessions SET last_seq = last_seq + 85000",
    )
    .await;
    let before = count(&app, "SELECT COUNT(*) FROM coaching_events").await;
    let (status, body) = cmd(&app, &a, "practice").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["code"], "coaching_group_full");
    assert!(body["message"].as_str().unwrap().contains("Download"));
    // Nothing stored is lost, and the group still reads and exports its session.
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM coaching_events").await,
        before
    );
    let md = app
        .post_form("/app/session/export", &b, &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(md.contains("One") && md.contains("Two"), "{md}");
}

#[tokio::test]
async fn a_group_keeps_bounded_texts_for_an_activity() {
    let app = spawn_app().await;
    let ([a, b], _, _, _) = pair_and_other(&app).await;
    run_to_completion(&app, &a, &b, ["One", "Two"]).await;
    // 7 MB of text in the group's sessions (as full fields over several sessions would
    // hold): with what a new session could add, past the budget.
    let big = "y".repeat(7 * 1024 * 1024);
    exec(
        &app,
        &format!(
            "INSERT INTO coaching_fields (course_id, session_id, owner, field, text, version, updated_at) \
             SELECT course_id, id, 'x', 'takeaway.s0', '{big}', 1, 0 FROM coaching_sessions"
        ),
    )
    .await;
    let (status, body) = cmd(&app, &a, "practice").await;
    assert_eq!(
        (status, &body["code"]),
        (429, &Value::from("coaching_group_full"))
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM coaching_fields WHERE owner = 'x'"
        )
        .await,
        1,
        "nothing stored is lost"
    );
}

/// The SQLite file of the test database, when the tests run on SQLite.
fn sqlite_file(app: &TestApp) -> Option<std::path::PathBuf> {
    let url = &app.env.iter().find(|(k, _)| k == "DATABASE_URL")?.1;
    let rest = url.strip_prefix("sqlite://")?;
    Some(rest.split('?').next()?.into())
}

/// Whether `needle` is anywhere in the bytes of `path` (a missing file holds nothing).
fn file_holds(path: &std::path::Path, needle: &str) -> bool {
    std::fs::read(path)
        .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
        .unwrap_or(false)
}

#[tokio::test]
async fn deleted_notes_are_in_neither_the_database_file_nor_its_log() {
    let app = spawn_app().await;
    let Some(db) = sqlite_file(&app) else {
        // PostgreSQL keeps dead rows until VACUUM (see the README); nothing to read here.
        return;
    };
    let wal = db.with_file_name(format!("{}-wal", db.file_name().unwrap().to_string_lossy()));
    let ([a, b], _, _, _) = pair_and_other(&app).await;
    ok(&app, &a, "accept_framework").await;
    ok(&app, &b, "accept_framework").await;
    let marker = format!(
        "MARKER-{}",
        binome::lti::login::random_token()[..16].replace(['-', '_'], "z")
    );
    // Written, rewritten (an older version of the row), then deleted.
    let (status, _) = save(&app, &a, "prep_situation.s0", &format!("{marker} one"), 0).await;
    assert_eq!(status, 200);
    let (status, _) = save(&app, &a, "prep_context.s0", &format!("{marker} two"), 0).await;
    assert_eq!(status, 200);
    let (status, _) = save(&app, &a, "prep_situation.s0", &format!("{marker} three"), 1).await;
    assert_eq!(status, 200);
    assert!(
        file_holds(&db, &marker) || file_holds(&wal, &marker),
        "the marker was written"
    );
    let r = app
        .http
        .post(format!("{}/app/session/delete", app.base))
        .header("Accept", "application/json")
        .form(&[("t", a.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(!file_holds(&db, &marker), "the database file keeps it");
    assert!(!file_holds(&wal, &marker), "the write-ahead log keeps it");
}

#[tokio::test]
async fn a_removed_platforms_tokens_are_refused_on_every_route() {
    let app = spawn_app().await;
    let ([a, _], _, staff, _) = pair_and_other(&app).await;
    app.page("/app/session", &a).await;
    app.store.remove_platform(app.reg.id).await.unwrap();
    // The registry is a few seconds' cache: within it, the removal reaches every route.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let r = app.get_with("/app/session", &a).await;
        if r.status().as_u16() == 401 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/app/session still answers {}",
            r.status()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        crate::helpers::reason(&app.get_with("/app/session", &a).await.text().await.unwrap()),
        "session_invalid"
    );
    let (status, body) = cmd(&app, &a, "accept_framework").await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = save(&app, &a, "prep_situation.s0", "x", 0).await;
    assert_eq!(status, 401);
    for path in [
        "/app/session/panel",
        "/api/coaching/events",
        "/app",
        "/api/session",
    ] {
        assert_eq!(
            app.get_with(path, &a).await.status().as_u16(),
            401,
            "{path}"
        );
    }
    for path in ["/app", "/app/overview"] {
        assert_eq!(
            app.get_with(path, &staff).await.status().as_u16(),
            401,
            "{path}"
        );
    }
    let r = app.post_form("/app/roster/refresh", &staff, &[]).await;
    assert_eq!(r.status().as_u16(), 401);
    let r = app
        .http
        .post(format!("{}/api/session/renew", app.base))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

#[tokio::test]
async fn the_guided_session_is_abandoned_only_when_both_agree_and_practice_by_one() {
    let app = spawn_app().await;
    let ([a, b], _, _, _) = pair_and_other(&app).await;
    ok(&app, &a, "accept_framework").await;
    // A asks; the session goes on, and B is asked to agree or keep it.
    ok(&app, &a, "abandon").await;
    let pb = panel(&app, &b).await;
    assert!(pb.contains("data-phase=\"preparation\"") || pb.contains("data-phase=\"framework\""));
    assert!(pb.contains("id=\"abandon-request\""), "{pb}");
    assert!(pb.contains("data-action=\"keep_session\""), "{pb}");
    let (status, body) = cmd(&app, &a, "abandon").await;
    assert_eq!(
        (status, &body["code"]),
        (409, &Value::from("coaching_refused"))
    );
    // B keeps it: the request is gone.
    ok(&app, &b, "keep_session").await;
    assert!(!panel(&app, &a).await.contains("id=\"abandon-request\""));
    let (status, _) = cmd(&app, &b, "keep_session").await;
    assert_eq!(status, 409, "no request to turn down");
    // Asked again, and agreed: abandoned.
    ok(&app, &a, "abandon").await;
    ok(&app, &b, "abandon").await;
    assert!(panel(&app, &a).await.contains("data-phase=\"abandoned\""));
    // A practice session: one member alone may end it.
    ok(&app, &b, "practice").await;
    assert!(panel(&app, &a).await.contains("data-phase=\"framework\""));
    ok(&app, &a, "abandon").await;
    assert!(panel(&app, &b).await.contains("data-phase=\"abandoned\""));
}
