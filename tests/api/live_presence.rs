//! Presence through the real HTTP surface: a member whose page goes — the tab closed right
//! after it was hidden, the network lost, the page's beacon as it unloads — shows offline on
//! the partner's screen within seconds, never "away" for good.

use std::time::Duration;

use crate::helpers::TestApp;
use crate::live::{pair_and_other, panel};

/// How long a presence may take to show (it is written at most every two seconds per
/// member, so a change right after another waits for its turn).
const PROMPTLY: Duration = Duration::from_secs(6);

/// The presences a panel shows of the members, in seat order (the reader's own is always
/// online).
fn presences(html: &str) -> Vec<String> {
    html.split("data-presence=\"")
        .skip(1)
        .map(|s| s.chars().take_while(|c| *c != '"').collect())
        .collect()
}

/// Waits until `t`'s panel shows the member of seat `seat` as `presence`; fails with what it
/// shows after [`PROMPTLY`].
async fn until_presence(app: &TestApp, t: &str, seat: usize, presence: &str) {
    let deadline = tokio::time::Instant::now() + PROMPTLY;
    loop {
        let seen = presences(&panel(app, t).await);
        if seen.get(seat).map(String::as_str) == Some(presence) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "seat {seat} not shown {presence} within {PROMPTLY:?}: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn open_stream(app: &TestApp, t: &str) -> reqwest::Response {
    let mut r = app
        .http
        .get(format!("{}/api/coaching/events", app.base))
        .bearer_auth(t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // The stream is held once its first words came.
    r.chunk().await.unwrap();
    r
}

/// The page's presence report: `away` as a hidden page says, or the beacon's `offline`.
async fn report(app: &TestApp, t: &str, field: (&str, &str)) {
    let r = app
        .http
        .post(format!("{}/api/coaching/presence", app.base))
        .form(&[("t", t), field])
        .send()
        .await
        .unwrap();
    assert!(r.status().as_u16() < 400, "{}", r.status());
}

#[tokio::test]
async fn a_screen_closed_right_after_it_was_hidden_shows_offline_within_seconds() {
    let app = crate::helpers::spawn_app().await;
    let ([a, b], _, _, _) = pair_and_other(&app).await;
    let stream = open_stream(&app, &a).await;
    until_presence(&app, &b, 0, "online").await;
    // The tab is hidden (the browser closing it hides it first)…
    report(&app, &a, ("away", "true")).await;
    until_presence(&app, &b, 0, "away").await;
    // …then it goes, and its stream with it.
    drop(stream);
    until_presence(&app, &b, 0, "offline").await;
}

#[tokio::test]
async fn a_page_that_goes_says_offline_with_its_beacon_unless_another_screen_follows() {
    let app = crate::helpers::spawn_app().await;
    let ([a, b], _, _, _) = pair_and_other(&app).await;
    // A's page, with its stream still open as it unloads, sends the beacon.
    let _stream = open_stream(&app, &a).await;
    until_presence(&app, &b, 0, "online").await;
    report(&app, &a, ("presence", "offline")).await;
    until_presence(&app, &b, 0, "offline").await;
    // Two screens of A follow the session: one of them going leaves A online.
    let _other = open_stream(&app, &a).await;
    until_presence(&app, &b, 0, "online").await;
    report(&app, &a, ("presence", "offline")).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(presences(&panel(&app, &b).await)[0], "online");
}
