//! Deep linking: a course designer adds a Binôme activity; the signed response goes back to
//! the platform's return URL.

use serde_json::{Value, json};

use crate::helpers::{reason, session_token, spawn_app};
use crate::platform::CLIENT_ID;

fn deep_linking_claims(c: &mut Value) {
    let dl: Value = serde_json::from_str(include_str!(
        "../fixtures/moodle-4.5/id_token_LtiDeepLinkingRequest.claims.json"
    ))
    .unwrap();
    let obj = c.as_object_mut().unwrap();
    obj.remove("https://purl.imsglobal.org/spec/lti/claim/resource_link");
    obj.insert(
        "https://purl.imsglobal.org/spec/lti/claim/message_type".into(),
        "LtiDeepLinkingRequest".into(),
    );
    obj.insert(
        "https://purl.imsglobal.org/spec/lti/claim/roles".into(),
        json!(["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]),
    );
    let mut settings =
        dl["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"].clone();
    settings["data"] = "opaque-platform-data".into();
    obj.insert(
        "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings".into(),
        settings,
    );
}

#[tokio::test]
async fn designer_adds_an_activity_and_the_response_is_signed_for_the_platform() {
    let app = spawn_app().await;
    let (status, body) = app.launch_with(deep_linking_claims).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Add a peer-coaching activity"));
    let t = session_token(&body);
    let resp = app
        .http
        .post(format!("{}/app/deep-link", app.base))
        .bearer_auth(&t)
        .form(&[
            ("title", "Module 1 — peer coaching"),
            ("text", "Bring a real situation"),
            ("graded", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("contentitem_return.php"),
        "auto-posts to the return URL"
    );
    let at = page.find("name=\"JWT\" value=\"").unwrap() + 18;
    let jwt: String = page[at..].chars().take_while(|c| *c != '"').collect();

    // Verify it like Moodle does: with the tool's published keys.
    let header = jsonwebtoken::decode_header(&jwt).unwrap();
    assert!(header.kid.is_some(), "Moodle needs a kid");
    let set: jsonwebtoken::jwk::JwkSet = app
        .http
        .get(format!("{}/.well-known/jwks.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = set.find(header.kid.as_deref().unwrap()).unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[app.platform.issuer.as_str()]);
    v.set_issuer(&[CLIENT_ID]);
    let claims =
        jsonwebtoken::decode::<Value>(&jwt, &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(), &v)
            .unwrap()
            .claims;
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/message_type"],
        "LtiDeepLinkingResponse"
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/version"],
        "1.3.0"
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"],
        "dep-1"
    );
    assert_eq!(
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"],
        "opaque-platform-data"
    );
    let item = &claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"][0];
    assert_eq!(item["type"], "ltiResourceLink");
    assert_eq!(item["title"], "Module 1 — peer coaching");
    assert_eq!(item["url"], format!("{}/lti/launch", app.base));
    assert_eq!(item["lineItem"]["scoreMaximum"], 100);
}

#[tokio::test]
async fn learners_cannot_answer_a_deep_linking_request() {
    let app = spawn_app().await;
    let (status, body) = app
        .launch_with(|c| {
            deep_linking_claims(c);
            c["https://purl.imsglobal.org/spec/lti/claim/roles"] =
                json!(["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]);
        })
        .await;
    assert_eq!(status, 200);
    assert!(body.contains("Only the teaching team"));
    let t = session_token(&body);
    let r = app
        .http
        .post(format!("{}/app/deep-link", app.base))
        .bearer_auth(&t)
        .form(&[("title", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
}

#[tokio::test]
async fn an_activity_session_cannot_post_a_deep_linking_response() {
    let app = spawn_app().await;
    let (_, body) = app
        .launch_with(|c| {
            c["https://purl.imsglobal.org/spec/lti/claim/roles"] = json!(["Instructor"])
        })
        .await;
    let t = session_token(&body);
    let r = app
        .http
        .post(format!("{}/app/deep-link", app.base))
        .bearer_auth(&t)
        .form(&[("title", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(reason(&r.text().await.unwrap()), "forbidden_deep_link_only");
}
