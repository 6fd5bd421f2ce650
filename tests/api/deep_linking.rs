//! Deep linking: a course designer adds a Binôme activity; the signed response goes back to
//! the platform's return URL.

use serde_json::{Value, json};

use crate::helpers::{reason, session_token, spawn_app};
use crate::platform::CLIENT_ID;

pub(crate) fn deep_linking_claims(c: &mut Value) {
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
    // Back to the test platform's own return URL, which verifies what it receives.
    let issuer = obj["iss"].as_str().unwrap_or_default().to_string();
    settings["deep_link_return_url"] =
        format!("{issuer}/mod/lti/contentitem_return.php?course=2&id=1").into();
    obj.insert(
        "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings".into(),
        settings,
    );
}

/// A whole configuration form, with `changes` over the method's defaults.
pub(crate) fn form<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("title", "Module 2 — peer coaching"),
        ("instructions", "Bring a real situation from your ward."),
        ("module_number", "2"),
        ("module_name", "Conflicts"),
        ("policy", "keep"),
        ("tags", "Nursing\nSurgery"),
        ("minutes_introduction", "5"),
        ("minutes_sharing", "5"),
        ("minutes_objectives", "5"),
        ("minutes_analysis", "15"),
        ("minutes_options", "10"),
        ("minutes_commitments", "10"),
        ("mode", "either"),
        ("language", "lms"),
        ("points", "20"),
        ("preparation_points", "5"),
    ];
    for (k, v) in changes {
        match f.iter_mut().find(|(n, _)| n == k) {
            Some(slot) => slot.1 = v,
            None => f.push((k, v)),
        }
    }
    f
}

/// The JWT a deep-linking response page auto-posts, verified as a platform does: with the
/// tool's published keys, for this platform, from this client.
pub(crate) async fn verified_response(app: &crate::helpers::TestApp, page: &str) -> Value {
    assert!(
        page.contains("contentitem_return.php"),
        "auto-posts to the return URL: {page}"
    );
    let at = page.find("name=\"JWT\" value=\"").unwrap() + 18;
    let jwt: String = page[at..].chars().take_while(|c| *c != '"').collect();
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
    // The page's auto-post, as the browser sends it: the platform verifies the response
    // against the tool's JWKS and takes its items.
    app.platform
        .set_tool_jwks(&format!("{}/.well-known/jwks.json", app.base));
    let before = app.platform.deep_links().len();
    let back = app
        .http
        .post(app.platform.deep_link_return_url())
        .form(&[("JWT", jwt.as_str())])
        .send()
        .await
        .unwrap();
    let status = back.status().as_u16();
    assert_eq!(status, 200, "{}", back.text().await.unwrap());
    assert!(app.platform.deep_links().len() > before);
    claims
}

#[tokio::test]
async fn designer_adds_an_activity_and_the_response_is_signed_for_the_platform() {
    let app = spawn_app().await;
    let (status, body) = app.launch_with(deep_linking_claims).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Add a peer-coaching activity"));
    for field in [
        "module_number",
        "minutes_analysis",
        "preparation_points",
        "mode",
    ] {
        assert!(body.contains(&format!("name=\"{field}\"")), "{field}");
    }
    let t = session_token(&body);
    let resp = app.post_form("/app/deep-link", &t, &form(&[])).await;
    assert_eq!(resp.status().as_u16(), 200);
    let claims = verified_response(&app, &resp.text().await.unwrap()).await;
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
    let life = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert!(
        (1..=600).contains(&life),
        "a short-lived response: {life} s"
    );
    let items = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
        .as_array()
        .unwrap();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(item["type"], "ltiResourceLink");
    assert_eq!(item["title"], "Module 2 — peer coaching");
    assert_eq!(item["url"], format!("{}/lti/launch", app.base));
    assert_eq!(item["text"], "Bring a real situation from your ward.");
    assert!(item["iframe"]["height"].as_u64().is_some(), "{item}");
    let key = item["custom"]["binome_activity"].as_str().unwrap();
    assert!(key.len() >= 16);
    assert_eq!(item["lineItem"]["scoreMaximum"], 20);
    assert_eq!(item["lineItem"]["label"], "Module 2 — peer coaching");
    assert_eq!(item["lineItem"]["resourceId"], key);
    assert_eq!(item["lineItem"]["tag"], "binome-completion");
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
        .form(&form(&[]))
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
        .form(&form(&[]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(reason(&r.text().await.unwrap()), "forbidden_deep_link_only");
}
