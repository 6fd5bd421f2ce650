//! Canvas-style platform storage (`lti_storage_target`): the login stores a browser secret in
//! the platform's frame; a launch whose cookie did not come back must prove it has it.

use std::collections::HashMap;

use crate::helpers::{reason, spawn_app};

fn attr(body: &str, name: &str) -> String {
    let key = format!("{name}=\"");
    let at = body
        .find(&key)
        .unwrap_or_else(|| panic!("{name} in {body}"));
    body[at + key.len()..]
        .chars()
        .take_while(|c| *c != '"')
        .collect::<String>()
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn platform_storage_round_trip() {
    let app = spawn_app().await;
    app.set_up_default_activity().await;
    let mut params = app.login_params();
    params.push((
        "lti_storage_target".into(),
        "post_message_forwarding".into(),
    ));
    let resp = app.post_login(&params).await;
    assert_eq!(
        resp.status().as_u16(),
        200,
        "a page that talks to the platform frame"
    );
    assert!(
        resp.headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("binome_st_")),
        "cookie kept as fallback"
    );
    let body = resp.text().await.unwrap();
    assert_eq!(attr(&body, "data-mode"), "put");
    assert_eq!(attr(&body, "data-target"), "post_message_forwarding");
    assert_eq!(
        attr(&body, "data-origin"),
        app.platform.issuer,
        "messages go to the platform's origin only"
    );
    let secret = attr(&body, "data-value");
    let next = url::Url::parse(&attr(&body, "data-next")).unwrap();
    let q: HashMap<_, _> = next.query_pairs().into_owned().collect();
    let (state, nonce) = (q["state"].clone(), q["nonce"].clone());
    assert!(
        !body.contains(&nonce) || body.matches(&nonce).count() == 1,
        "the nonce only appears in the auth URL"
    );

    // No cookie at launch: the tool asks the page to read platform storage.
    let token = app.platform.sign(&app.platform.claims(&nonce));
    let check = app.post_launch(&token, &state, None).await;
    assert_eq!(check.status().as_u16(), 200);
    let page = check.text().await.unwrap();
    assert_eq!(attr(&page, "data-mode"), "get");
    assert!(
        !page.contains(&secret),
        "the secret is not in the check page"
    );

    // Someone who captured the id_token and state but not the secret gets nowhere.
    let wrong = app
        .http
        .post(format!("{}/lti/launch", app.base))
        .form(&[
            ("id_token", token.as_str()),
            ("state", state.as_str()),
            ("storage_secret", "guess"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    assert_eq!(reason(&wrong.text().await.unwrap()), "state_mismatch");

    // The page posts again with the secret read from the platform: the launch opens.
    let ok = app
        .http
        .post(format!("{}/lti/launch", app.base))
        .form(&[
            ("id_token", token.as_str()),
            ("state", state.as_str()),
            ("storage_secret", secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 303);
    let ok = app.follow(ok).await;
    assert!(ok.text().await.unwrap().contains("Hello Ada"));
}

#[tokio::test]
async fn failed_storage_check_offers_a_new_window() {
    let app = spawn_app().await;
    let mut params = app.login_params();
    params.push(("lti_storage_target".into(), "_parent".into()));
    let body = app.post_login(&params).await.text().await.unwrap();
    let next = url::Url::parse(&attr(&body, "data-next")).unwrap();
    let q: HashMap<_, _> = next.query_pairs().into_owned().collect();
    let token = app.platform.sign(&app.platform.claims(&q["nonce"]));
    let page = app
        .post_launch(&token, &q["state"], None)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("id=\"newwin\""),
        "the check page can offer a new window"
    );
    assert!(
        page.contains("name=\"login_hint\""),
        "with the login parameters to start again"
    );
    // Reading nothing back (empty secret) is a clear refusal.
    let r = app
        .http
        .post(format!("{}/lti/launch", app.base))
        .form(&[
            ("id_token", token.as_str()),
            ("state", q["state"].as_str()),
            ("storage_secret", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(reason(&r.text().await.unwrap()), "browser_check_failed");
}
