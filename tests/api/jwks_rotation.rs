//! A forged token with an unknown `kid` can never block the platform's real key rotation:
//! a miss inside the refetch interval waits for the next allowed refetch (shared by every
//! waiter), and a kid that a fresh refetch did not contain is refused without a new fetch.

use std::time::{Duration, Instant};

use binome::lti::keys::ToolKey;

use crate::helpers::{Options, TestApp, reason, spawn_with};
use crate::platform::spare_pem;

/// A launch signed with `key` (or the platform's own key); returns status and reason code.
async fn launch_signed(app: &TestApp, key: Option<&ToolKey>) -> (u16, String) {
    let login = app.login().await;
    let claims = app.platform.claims(&login.nonce);
    let token = match key {
        Some(k) => k.sign(&claims).unwrap(),
        None => app.platform.sign(&claims),
    };
    let resp = app
        .post_launch(&token, &login.state, login.cookie.as_deref())
        .await;
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap();
    let code = if status == 303 {
        String::new()
    } else {
        reason(&body)
    };
    (status, code)
}

fn forged(kid: &str) -> ToolKey {
    ToolKey::from_pem(kid, &spare_pem(2)).unwrap()
}

async fn app(min_refetch: u64) -> TestApp {
    spawn_with(Options {
        jwks_min_refetch_secs: Some(min_refetch),
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn a_forged_kid_just_before_a_real_rotation_does_not_block_it() {
    let app = app(2).await;
    assert_eq!(launch_signed(&app, None).await.0, 303);
    assert_eq!(app.platform.jwks_hits(), 1);
    // The forger spends the refetch allowance...
    assert_eq!(
        launch_signed(&app, Some(&forged("forged-1"))).await,
        (401, "unknown_kid".into())
    );
    assert_eq!(app.platform.jwks_hits(), 2);
    // ...and the platform rotates its key right after.
    app.platform.rotate_key("platform-key-2");
    let started = Instant::now();
    assert_eq!(
        launch_signed(&app, None).await.0,
        303,
        "the real new key works"
    );
    assert!(started.elapsed() < Duration::from_millis(3500));
    assert_eq!(app.platform.jwks_hits(), 3, "one refetch, when allowed");
    // The forged kid is refused at once, without any fetch.
    let started = Instant::now();
    assert_eq!(
        launch_signed(&app, Some(&forged("forged-1"))).await,
        (401, "unknown_kid".into())
    );
    assert!(started.elapsed() < Duration::from_millis(1000));
    assert_eq!(app.platform.jwks_hits(), 3);
}

#[tokio::test]
async fn concurrent_misses_inside_the_interval_share_one_refetch() {
    let app = app(1).await;
    assert_eq!(launch_signed(&app, None).await.0, 303);
    assert_eq!(
        launch_signed(&app, Some(&forged("forged-0"))).await.1,
        "unknown_kid"
    );
    assert_eq!(app.platform.jwks_hits(), 2);
    let k: Vec<ToolKey> = (1..=5).map(|i| forged(&format!("forged-{i}"))).collect();
    let (a, b, c, d, e) = tokio::join!(
        launch_signed(&app, Some(&k[0])),
        launch_signed(&app, Some(&k[1])),
        launch_signed(&app, Some(&k[2])),
        launch_signed(&app, Some(&k[3])),
        launch_signed(&app, Some(&k[4])),
    );
    for r in [a, b, c, d, e] {
        assert_eq!(r, (401, "unknown_kid".into()));
    }
    assert_eq!(app.platform.jwks_hits(), 3, "five waiters, one fetch");
}

#[tokio::test]
async fn a_refetch_too_far_away_is_not_waited_for() {
    // With an interval longer than the bounded wait, a miss inside it is refused at once.
    let app = app(60).await;
    assert_eq!(launch_signed(&app, None).await.0, 303);
    assert_eq!(
        launch_signed(&app, Some(&forged("forged-1"))).await.1,
        "unknown_kid"
    );
    let started = Instant::now();
    assert_eq!(
        launch_signed(&app, Some(&forged("forged-2"))).await.1,
        "unknown_kid"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(app.platform.jwks_hits(), 2);
}
