//! Without a state cookie or platform storage, only the launch POST's origin ties the launch
//! to the platform's own page: it must be the platform's authentication origin.

use crate::helpers::{TestApp, reason, spawn_app};

/// A login and a signed id_token for it; the launch is left to the test.
async fn ready(app: &TestApp) -> (String, String, Option<String>) {
    let login = app.login().await;
    let token = app.platform.sign(&app.platform.claims(&login.nonce));
    (token, login.state, login.cookie)
}

#[tokio::test]
async fn a_cookieless_launch_from_the_platform_page_is_accepted() {
    let app = spawn_app().await;
    let (token, state, _) = ready(&app).await;
    let origin = app.platform.issuer.clone();
    let r = app
        .post_launch_from(&token, &state, None, &[("Origin", &origin)])
        .await;
    assert_eq!(r.status().as_u16(), 303);

    // Without Origin, the Referer (Moodle's auth.php page) vouches the same way.
    let (token, state, _) = ready(&app).await;
    let referer = format!("{}/auth?client_id=x", app.platform.issuer);
    let r = app
        .post_launch_from(&token, &state, None, &[("Referer", &referer)])
        .await;
    assert_eq!(r.status().as_u16(), 303);
}

#[tokio::test]
async fn a_cookieless_launch_from_elsewhere_is_refused_with_a_page_saying_why() {
    let app = spawn_app().await;
    let own_origin = app.base.clone();
    for headers in [
        vec![("Origin", "https://evil.example")],
        vec![("Referer", "https://evil.example/attack.html")],
        // Any site can post with an opaque origin (a sandboxed frame): it proves nothing.
        vec![("Origin", "null")],
        vec![("Origin", "null"), ("Referer", "https://evil.example/")],
        // A page of the tool itself is not the platform either.
        vec![("Origin", own_origin.as_str())],
        vec![],
    ] {
        let (token, state, _) = ready(&app).await;
        let r = app.post_launch_from(&token, &state, None, &headers).await;
        assert_eq!(r.status().as_u16(), 403, "{headers:?}");
        let body = r.text().await.unwrap();
        assert_eq!(reason(&body), "launch_origin_mismatch", "{headers:?}");
        assert!(body.contains("cookies"), "the page says why");
        // The refusal does not use the login up: the real platform post still works.
        let origin = app.platform.issuer.clone();
        let ok = app
            .post_launch_from(&token, &state, None, &[("Origin", &origin)])
            .await;
        assert_eq!(ok.status().as_u16(), 303, "{headers:?}");
    }
}

#[tokio::test]
async fn with_the_state_cookie_the_origin_is_not_needed() {
    let app = spawn_app().await;
    let (token, state, cookie) = ready(&app).await;
    // Some referrer policies strip both headers; the cookie binds the browser already.
    let r = app
        .post_launch_from(&token, &state, cookie.as_deref(), &[])
        .await;
    assert_eq!(r.status().as_u16(), 303);
}
