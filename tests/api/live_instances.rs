//! Two instances of the tool on one PostgreSQL database, as in production behind a load
//! balancer: the members of a pair land on different instances, and each one's event stream
//! still tells every change the other makes, within a second, in both directions. A session
//! token issued by one instance is valid on the other (the secret is in the database).
//!
//! On SQLite (one instance by design) the test says so and returns.

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::helpers::{TestApp, spawn_app};

/// How long a change may take to reach the other instance's stream.
const WITHIN: Duration = Duration::from_secs(1);

/// A member's command to the instance at `base`, as the page's script sends it.
async fn cmd(app: &TestApp, base: &str, t: &str, command: &str) -> (u16, Value) {
    let r = app
        .http
        .post(format!("{base}/app/session/command"))
        .header("Accept", "application/json")
        .form(&[("t", t), ("command", command)])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A field save to the instance at `base`, as the page's script sends it.
async fn save(app: &TestApp, base: &str, t: &str, field: &str, text: &str) -> (u16, Value) {
    let r = app
        .http
        .post(format!("{base}/app/session/field"))
        .header("Accept", "application/json")
        .form(&[("t", t), ("field", field), ("text", text), ("version", "0")])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A member's event stream on the instance at `base`, past its hello.
async fn stream(app: &TestApp, base: &str, t: &str) -> reqwest::Response {
    let mut r = app
        .http
        .get(format!("{base}/api/coaching/events"))
        .bearer_auth(t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let hello = read_until(&mut r, "event: hello", Instant::now() + WITHIN).await;
    assert!(hello.contains("event: hello"), "{hello:?}");
    r
}

/// Reads a stream until `needle` arrives or `deadline` passes; returns what came.
async fn read_until(resp: &mut reqwest::Response, needle: &str, deadline: Instant) -> String {
    let mut seen = String::new();
    while !seen.contains(needle) {
        match tokio::time::timeout_at(deadline, resp.chunk()).await {
            Ok(Ok(Some(c))) => seen.push_str(&String::from_utf8_lossy(&c)),
            _ => break,
        }
    }
    seen
}

/// One member's act on one instance, and the partner's stream on the other.
struct Side<'a> {
    base: &'a str,
    token: &'a str,
}

#[tokio::test]
async fn members_on_two_instances_see_each_others_changes_within_a_second() {
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {}
        _ => {
            eprintln!(
                "live_instances: skipped (two instances need PostgreSQL: set DATABASE_URL=postgres://…)"
            );
            return;
        }
    }
    let app = spawn_app().await;
    let (_, groups) = app.publish_pairs().await;
    let pair = groups.iter().find(|g| g.len() == 2).unwrap().clone();
    // Both launch through instance 1 (the LMS's launch may land on either instance).
    let (a, _) = app.learner_launch(&pair[0]).await;
    let (b, _) = app.learner_launch(&pair[1]).await;
    let second = app.spawn_instance().await;
    let (one, two) = (app.base.as_str(), second.base.as_str());

    // A token of instance 1 is valid on instance 2: the session secret is in the database.
    let r = app.get_with("/app/session/panel", &b).await;
    assert_eq!(r.status().as_u16(), 200);
    let r = app
        .http
        .get(format!("{two}/app/session/panel"))
        .bearer_auth(&b)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        200,
        "instance 2 accepts instance 1's token"
    );
    assert!(r.text().await.unwrap().contains("data-phase=\"framework\""));
    let r = app
        .http
        .get(format!("{two}/app/session/panel"))
        .bearer_auth("b1.forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401, "and still refuses a forged one");

    // A follows on instance 1, B on instance 2.
    let mut a_stream = stream(&app, one, &a).await;
    let mut b_stream = stream(&app, two, &b).await;
    let a_side = Side {
        base: one,
        token: &a,
    };
    let b_side = Side {
        base: two,
        token: &b,
    };

    // Each act goes to the actor's instance; the partner's stream, on the other instance,
    // must tell it (by sequence number and kind) within a second of the request.
    enum Act {
        Command(&'static str),
        Field(&'static str),
    }
    let script: [(bool, Act); 10] = [
        (false, Act::Command("accept_framework")),
        (true, Act::Command("accept_framework")),
        (false, Act::Field("prep_situation.s1")),
        (true, Act::Field("prep_situation.s0")),
        (true, Act::Command("mark_prepared")),
        (false, Act::Command("mark_prepared")),
        (false, Act::Command("start")),
        (true, Act::Command("next_step")),
        (false, Act::Command("next_step")),
        (false, Act::Command("previous_step")),
    ];
    // Opening each stream recorded its member online: events 1 and 2.
    for (seq, (by_a, act)) in (3..).zip(script) {
        let (actor, partner, seen_by) = if by_a {
            (&a_side, &mut b_stream, "B on instance 2")
        } else {
            (&b_side, &mut a_stream, "A on instance 1")
        };
        let sent = Instant::now();
        let (status, body, kind) = match act {
            Act::Command(c) => {
                let (s, b) = cmd(&app, actor.base, actor.token, c).await;
                (s, b, "change")
            }
            Act::Field(f) => {
                let (s, b) = save(&app, actor.base, actor.token, f, "not in the stream").await;
                (s, b, "field")
            }
        };
        assert_eq!(status, 200, "act {seq}: {body}");
        let expected = format!("id: {seq}\nevent: {kind}\n");
        let seen = read_until(partner, &expected, sent + WITHIN).await;
        assert!(
            seen.contains(&expected),
            "{seen_by} did not get event {seq} ({kind}) within {WITHIN:?}: {seen:?}"
        );
        assert!(!seen.contains("not in the stream"), "no content in streams");
    }
}
