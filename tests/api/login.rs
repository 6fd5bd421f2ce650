use std::collections::HashMap;

use crate::helpers::{reason, spawn_app};
use crate::platform::CLIENT_ID;

#[tokio::test]
async fn login_post_redirects_to_the_platform_with_every_oidc_parameter() {
    let app = spawn_app().await;
    let resp = app.post_login(&app.login_params()).await;
    assert_eq!(resp.status().as_u16(), 302);
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("binome_st_"))
        .unwrap();
    for attr in [
        "HttpOnly",
        "Secure",
        "SameSite=None",
        "Partitioned",
        "Path=/lti/launch",
    ] {
        assert!(cookie.contains(attr), "state cookie lacks {attr}: {cookie}");
    }
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(&app.platform.auth_url()));
    let q: HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(q["scope"], "openid");
    assert_eq!(q["response_type"], "id_token");
    assert_eq!(q["response_mode"], "form_post");
    assert_eq!(q["prompt"], "none");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["redirect_uri"], format!("{}/lti/launch", app.base));
    assert_eq!(q["login_hint"], "4");
    assert_eq!(
        q["lti_message_hint"], r#"{"cmid":1,"launchid":"ltilaunch1_1"}"#,
        "echoed verbatim"
    );
    assert!(q["state"].len() >= 32 && q["nonce"].len() >= 32);
    assert_ne!(q["state"], q["nonce"]);
}

#[tokio::test]
async fn login_get_works_too_and_each_login_gets_fresh_state_and_nonce() {
    let app = spawn_app().await;
    let resp = app
        .http
        .get(format!("{}/lti/login", app.base))
        .query(&app.login_params())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 302);
    let a = app.login().await;
    let b = app.login().await;
    assert_ne!(a.state, b.state);
    assert_ne!(a.nonce, b.nonce);
}

#[tokio::test]
async fn login_refusals() {
    let app = spawn_app().await;
    type Edit = Box<dyn Fn(&mut Vec<(String, String)>)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "unknown issuer",
            Box::new(|p| p[0].1 = "https://unknown.example".into()),
            "unknown_platform",
        ),
        (
            "unknown client",
            Box::new(|p| p[4].1 = "other-client".into()),
            "unknown_platform",
        ),
        (
            "missing login_hint",
            Box::new(|p| {
                p.remove(1);
            }),
            "missing_parameter",
        ),
        (
            "empty login_hint",
            Box::new(|p| p[1].1 = String::new()),
            "missing_parameter",
        ),
        (
            "missing iss",
            Box::new(|p| {
                p.remove(0);
            }),
            "missing_parameter",
        ),
        (
            "foreign target_link_uri",
            Box::new(|p| p[2].1 = "https://evil.example/lti/launch".into()),
            "foreign_target_link_uri",
        ),
        (
            "look-alike target_link_uri",
            Box::new(|p| p[2].1 = "http://127.0.0.1.evil.example/lti/launch".into()),
            "foreign_target_link_uri",
        ),
    ];
    for (name, edit, expected) in cases {
        let mut p = app.login_params();
        edit(&mut p);
        let resp = app.post_login(&p).await;
        let status = resp.status().as_u16();
        assert!((400..500).contains(&status), "{name}: {status}");
        assert!(
            resp.headers().get("location").is_none(),
            "{name}: no redirect"
        );
        let body = resp.text().await.unwrap();
        assert_eq!(reason(&body), expected, "{name}");
    }
}

#[tokio::test]
async fn login_without_client_id_uses_the_only_registration_of_the_issuer() {
    let app = spawn_app().await;
    let mut p = app.login_params();
    p.retain(|(k, _)| k != "client_id");
    assert_eq!(app.post_login(&p).await.status().as_u16(), 302);
}
