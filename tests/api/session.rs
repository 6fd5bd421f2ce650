//! The session a launch opens, through the real HTTP surface: the token never in a URL,
//! opaque and small whatever the LMS sends, single-use hand-offs, renewal, the staff role
//! checked again against the LMS roster, outcomes said where they happen, the history named
//! per module, and the headers every response carries.

use base64::Engine;

use crate::helpers::{reason, session_token, spawn_app};

fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn no_session_token_ever_travels_in_a_url() {
    let app = spawn_app().await;
    let login = app.login().await;
    let id_token = app.platform.sign(&app.platform.claims(&login.nonce));
    let resp = app
        .post_launch(&id_token, &login.state, login.cookie.as_deref())
        .await;
    assert_eq!(resp.status().as_u16(), 303);
    let first = location(&resp);
    let page = app.follow(resp).await;
    let body = page.text().await.unwrap();
    let token = session_token(&body);
    assert!(!first.contains(&token), "{first}");
    assert!(
        !body.contains("?t="),
        "no link or form action carries the token"
    );
    assert!(
        body.contains("name=\"t\" value=\""),
        "forms carry it in a hidden field"
    );

    // The hand-off code is single-use: the same address a second time opens nothing.
    let again = app
        .http
        .get(format!("{}{first}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 401);
    let again = again.text().await.unwrap();
    assert_eq!(reason(&again), "session_invalid");
    assert!(
        again.contains("data-reopen"),
        "the page's script may reopen it"
    );

    // A token in the query string is not a session any more.
    let r = app
        .http
        .get(format!("{}/app", app.base))
        .query(&[("t", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // A form post with the token in its body moves on with a fresh code, not the token.
    let r = app.post_form("/app/go", &token, &[("to", "about")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let to = location(&r);
    assert!(to.starts_with("/app/about?open="), "{to}");
    assert!(!to.contains(&token));
    let about = app.follow(r).await;
    assert_eq!(about.status().as_u16(), 200);
}

#[tokio::test]
async fn the_token_is_opaque_and_small_whatever_the_lms_sends() {
    let app = spawn_app().await;
    let long_name = "Zoé ".repeat(5000);
    let name = long_name.clone();
    let (status, body) = app
        .launch_with(move |c| {
            c["name"] = name.into();
            c["email"] = "ada.secret@example.com".into();
        })
        .await;
    assert_eq!(status, 200);
    let token = session_token(&body);
    assert!(token.len() < 1500, "{} bytes", token.len());
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim_start_matches("b1."))
        .unwrap();
    let text = String::from_utf8_lossy(&raw);
    for secret in ["Zoé", "ada.secret", "LTI Harness Course", "\"4\""] {
        assert!(!text.contains(secret), "{secret} readable in the token");
    }
    // ... and the next request accepts it.
    let r = app
        .http
        .get(format!("{}/app", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn a_page_in_use_renews_its_token() {
    let app = spawn_app().await;
    let (_, body) = app.launch_with(|_| {}).await;
    let token = session_token(&body);
    let r = app
        .http
        .post(format!("{}/api/session/renew", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let j: serde_json::Value = r.json().await.unwrap();
    let fresh = j["token"].as_str().unwrap();
    assert_ne!(fresh, token);
    let me: serde_json::Value = app
        .http
        .get(format!("{}/api/session", app.base))
        .bearer_auth(fresh)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "learner");
    assert!(
        me.get("name").is_none(),
        "no personal data in the session API"
    );
    let r = app
        .http
        .post(format!("{}/api/session/renew", app.base))
        .bearer_auth("b1.forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

#[tokio::test]
async fn a_teacher_the_lms_no_longer_lists_cannot_change_the_course() {
    let app = spawn_app().await;
    let t = app.staff_launch(Some("m1")).await.0;
    assert_eq!(
        app.post_form("/app/roster/refresh", &t, &[]).await.status(),
        303
    );
    // The LMS removes the teacher from the course; the next sync says so.
    let members: Vec<_> = app
        .platform
        .members()
        .into_iter()
        .filter(|m| m["user_id"] != "3")
        .collect();
    app.platform.set_members(members);
    assert_eq!(
        app.post_form("/app/roster/refresh", &t, &[]).await.status(),
        303
    );
    let r = app.post_form("/app/pairs/propose", &t, &[]).await;
    assert_eq!(r.status().as_u16(), 403);
    let body = r.text().await.unwrap();
    assert_eq!(reason(&body), "forbidden_not_manager");
}

#[tokio::test]
async fn outcomes_are_said_where_the_action_was_and_the_history_names_people_per_module() {
    let app = spawn_app().await;
    let t = app.staff_launch(Some("m1")).await.0;
    assert_eq!(
        app.post_form("/app/roster/refresh", &t, &[]).await.status(),
        303
    );
    assert_eq!(
        app.post_form("/app/pairs/propose", &t, &[]).await.status(),
        303
    );

    // The same learner twice: the page says nothing changed, in the pairs section.
    let r = app
        .post_form(
            "/app/pairs/edit",
            &t,
            &[("action", "swap"), ("a", "4"), ("b", "4")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let to = location(&r);
    assert!(to.contains("notice=notice_swap_same_person") && to.contains("at=pairs"));
    assert!(to.ends_with("#notice"), "{to}");
    let page = app.follow(r).await.text().await.unwrap();
    let pairs_at = page.find("id=\"pairs\"").unwrap();
    let notice_at = page.find("id=\"notice\"").expect("a notice");
    assert!(notice_at > pairs_at, "the notice is in the pairs section");
    assert!(page.contains("Choose two different learners"), "{page}");

    let r = app
        .post_form(
            "/app/pairs/edit",
            &t,
            &[("action", "exclude"), ("a", "4"), ("b", "5")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let page = app.follow(r).await.text().await.unwrap();
    assert!(
        page.contains("will never pair Ada Student1 and Brian Student2"),
        "the history names people"
    );
    assert!(!page.contains("4 x 5") && !page.contains("4 &lt;-&gt; 5"));
    assert_eq!(
        app.post_form("/app/pairs/publish", &t, &[]).await.status(),
        303
    );
    let t1 = app.staff_launch(Some("m1")).await.0;
    let page = app
        .http
        .get(format!("{}/app", app.base))
        .bearer_auth(&t1)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("published the pairs of Module m1"), "{page}");

    // Module 2 has its own history.
    let t2 = app.staff_launch(Some("m2")).await.0;
    let page2 = app
        .http
        .get(format!("{}/app", app.base))
        .bearer_auth(&t2)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page2.contains("published the pairs of"),
        "module 1's history stays there"
    );
}

#[tokio::test]
async fn refusals_speak_the_session_language_and_say_what_was_refused() {
    let app = spawn_app().await;
    let (_, body) = app
        .launch_with(|c| {
            c["https://purl.imsglobal.org/spec/lti/claim/launch_presentation"]["locale"] =
                "fr-FR".into();
        })
        .await;
    let t = session_token(&body);
    let r = app
        .http
        .post(format!("{}/app/pairs/propose", app.base))
        .header("Accept-Language", "en-US")
        .form(&[("t", t.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let body = r.text().await.unwrap();
    assert_eq!(reason(&body), "forbidden_not_staff");
    assert!(
        body.contains("lang=\"fr\""),
        "the session's language, not the browser's"
    );
    assert!(!body.contains("teaching team can add"), "{body}");
}

#[tokio::test]
async fn every_response_says_nosniff_and_pages_limit_form_targets() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/static/app.css",
        "/static/app.js",
        "/.well-known/jwks.json",
        "/healthz",
        "/nowhere",
    ] {
        let r = app
            .http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers()
                .get("x-content-type-options")
                .map(|v| v.to_str().unwrap()),
            Some("nosniff"),
            "{path}"
        );
    }
    let login = app.login().await;
    let id_token = app.platform.sign(&app.platform.claims(&login.nonce));
    let r = app
        .post_launch(&id_token, &login.state, login.cookie.as_deref())
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let page = app.follow(r).await;
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("form-action 'self'"), "{csp}");
    assert!(
        page.headers().get("strict-transport-security").is_none(),
        "http base"
    );
}

#[tokio::test]
async fn a_tool_served_over_https_says_so_on_every_response() {
    let app = crate::helpers::spawn_with(crate::helpers::Options {
        env: vec![("BINOME_BASE_URL", "https://binome.example".into())],
        ..Default::default()
    })
    .await;
    for path in ["/healthz", "/static/app.js", "/nowhere"] {
        let r = app
            .http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers()
                .get("strict-transport-security")
                .map(|v| v.to_str().unwrap()),
            Some("max-age=31536000"),
            "{path}"
        );
    }
}
