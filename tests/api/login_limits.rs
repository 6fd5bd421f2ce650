//! Anonymous login floods are bounded: per person at a client address and per address, per
//! registration, by the pending logins of a registration and by the size of what one login
//! stores; expired logins go. A lecture hall behind one address still gets in.

use crate::helpers::{Options, TestApp, reason, spawn_with};

async fn app_with(env: &[(&'static str, &str)]) -> TestApp {
    spawn_with(Options {
        env: env.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        ..Options::default()
    })
    .await
}

async fn stored_logins(app: &TestApp) -> u64 {
    app.store
        .pending_logins(app.reg.id, binome::launch::now())
        .await
        .unwrap()
}

async fn login_from(app: &TestApp, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut req = app
        .http
        .post(format!("{}/lti/login", app.base))
        .form(&app.login_params());
    if let Some(x) = forwarded_for {
        req = req.header("X-Forwarded-For", x);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn a_login_flood_from_one_client_gets_a_429_page_and_stores_nothing_more() {
    let app = app_with(&[("BINOME_LOGIN_RATE_PER_CLIENT", "5")]).await;
    for _ in 0..5 {
        assert_eq!(login_from(&app, None).await.status().as_u16(), 302);
    }
    for _ in 0..20 {
        let resp = login_from(&app, None).await;
        assert_eq!(resp.status().as_u16(), 429);
        let retry: u64 = resp.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry), "{retry}");
        let body = resp.text().await.unwrap();
        assert_eq!(reason(&body), "login_rate_limited");
        assert!(body.contains("Too many sign-ins"), "{body}");
    }
    assert_eq!(stored_logins(&app).await, 5);
}

async fn login_as(app: &TestApp, hint: &str) -> u16 {
    let mut params = app.login_params();
    for (k, v) in &mut params {
        if k == "login_hint" {
            *v = hint.to_string();
        }
    }
    let req = app.http.post(format!("{}/lti/login", app.base));
    req.form(&params).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_lecture_hall_behind_one_address_gets_in_with_the_defaults() {
    let app = app_with(&[]).await;
    // 500 learners behind one NAT, within the same minute, some clicking twice.
    let mut refused = 0;
    for i in 0..500 {
        refused += usize::from(login_as(&app, &format!("learner-{i}")).await != 302);
        if i % 5 == 0 {
            refused += usize::from(login_as(&app, &format!("learner-{i}")).await != 302);
        }
    }
    assert_eq!(refused, 0, "nobody in the hall is turned away");
    assert_eq!(stored_logins(&app).await, 600);
}

#[tokio::test]
async fn a_flood_that_varies_its_hints_is_held_by_the_address_allowance() {
    let app = app_with(&[
        ("BINOME_LOGIN_RATE_PER_CLIENT", "5"),
        ("BINOME_LOGIN_RATE_PER_ADDRESS", "30"),
    ])
    .await;
    for i in 0..5 {
        assert_eq!(login_as(&app, "same").await, 302, "{i}");
    }
    // One hint repeated is held by the person's allowance...
    assert_eq!(login_as(&app, "same").await, 429);
    // ...and new hints by the address's, whatever they say.
    for i in 0..25 {
        assert_eq!(login_as(&app, &format!("other-{i}")).await, 302, "{i}");
    }
    for i in 25..60 {
        assert_eq!(login_as(&app, &format!("other-{i}")).await, 429, "{i}");
    }
    assert_eq!(stored_logins(&app).await, 30);
}

#[tokio::test]
async fn x_forwarded_for_is_ignored_unless_the_proxy_is_trusted() {
    let app = app_with(&[("BINOME_LOGIN_RATE_PER_CLIENT", "3")]).await;
    for i in 0..3 {
        let r = login_from(&app, Some(&format!("10.0.0.{i}"))).await;
        assert_eq!(r.status().as_u16(), 302);
    }
    // A client cannot buy itself a new allowance by writing the header.
    let r = login_from(&app, Some("10.0.0.99")).await;
    assert_eq!(r.status().as_u16(), 429);

    let app = app_with(&[
        ("BINOME_LOGIN_RATE_PER_CLIENT", "3"),
        ("BINOME_TRUST_PROXY", "true"),
    ])
    .await;
    for _ in 0..3 {
        assert_eq!(
            login_from(&app, Some("6.6.6.6, 10.0.0.1")).await.status(),
            302
        );
    }
    // The address the proxy appended (the last one) is the client.
    assert_eq!(
        login_from(&app, Some("7.7.7.7, 10.0.0.1")).await.status(),
        429
    );
    assert_eq!(login_from(&app, Some("10.0.0.2")).await.status(), 302);
}

#[tokio::test]
async fn many_clients_together_are_limited_per_registration() {
    let app = app_with(&[
        ("BINOME_TRUST_PROXY", "true"),
        ("BINOME_LOGIN_RATE_PER_PLATFORM", "10"),
    ])
    .await;
    for i in 0..10 {
        let r = login_from(&app, Some(&format!("10.1.0.{i}"))).await;
        assert_eq!(r.status().as_u16(), 302);
    }
    let resp = login_from(&app, Some("10.1.1.1")).await;
    assert_eq!(resp.status().as_u16(), 429);
    assert!(resp.headers().contains_key("retry-after"));
    assert_eq!(
        reason(&resp.text().await.unwrap()),
        "platform_login_rate_limited"
    );
    assert_eq!(stored_logins(&app).await, 10);
}

#[tokio::test]
async fn pending_logins_are_capped_per_registration_and_a_launch_frees_its_place() {
    let app = app_with(&[("BINOME_MAX_PENDING_LOGINS", "3")]).await;
    let first = app.login().await;
    app.login().await;
    app.login().await;
    let resp = login_from(&app, None).await;
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(
        reason(&resp.text().await.unwrap()),
        "too_many_pending_logins"
    );
    assert_eq!(stored_logins(&app).await, 3);
    // A completed launch is no longer pending: once the count is read again, a place is free.
    let token = app.platform.sign(&app.platform.claims(&first.nonce));
    let launched = app
        .post_launch(&token, &first.state, first.cookie.as_deref())
        .await;
    assert_eq!(launched.status().as_u16(), 303);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(login_from(&app, None).await.status().as_u16(), 302);
}

#[tokio::test]
async fn a_login_stores_at_most_about_a_kilobyte_however_long_its_hints() {
    let app = app_with(&[]).await;
    let mut params = app.login_params();
    for (k, v) in params.iter_mut() {
        if k == "login_hint" || k == "lti_message_hint" {
            *v = "x".repeat(4000);
        }
    }
    let resp = app.post_login(&params).await;
    assert_eq!(resp.status().as_u16(), 302, "long hints still sign in");
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let q: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(
        q["login_hint"].len(),
        4000,
        "passed on to the platform whole"
    );
    let row = app.store.login(&q["state"]).await.unwrap().unwrap().login;
    let stored = row.state.as_str().len()
        + row.nonce.len()
        + row.browser_secret.len()
        + row.login_params.len()
        + row.storage_target.map_or(0, |s| s.len());
    assert!(stored <= 1200, "{stored} bytes stored");
    // A normal login keeps its parameters (for restarting it in a new window).
    let normal = app.login().await;
    let row = app.store.login(&normal.state).await.unwrap().unwrap().login;
    assert!(row.login_params.contains("ltilaunch1_1"));
}

#[tokio::test]
async fn logins_are_purged_as_soon_as_they_expire() {
    let app = app_with(&[]).await;
    let login = app.login().await;
    let now = binome::launch::now();
    let purged = binome::startup::maintenance_step(&app.store, now)
        .await
        .unwrap();
    assert_eq!(purged, 0, "an unexpired login stays");
    let after = now + binome::launch::LOGIN_TTL_SECS + 1;
    let purged = binome::startup::maintenance_step(&app.store, after)
        .await
        .unwrap();
    assert_eq!(purged, 1);
    assert!(app.store.login(&login.state).await.unwrap().is_none());
}
