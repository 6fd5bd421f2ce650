//! The test platform's service endpoints driven directly: `/token` (client credentials with a
//! private_key_jwt assertion) and `/nrps/{ctx}` (NRPS 2.0 paging, filters, failure knobs).

use std::collections::HashSet;
use std::net::TcpListener;
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use binome::lti::keys::{ToolKey, jwk_set};
use binome::lti::login::random_token;
use serde_json::{Value, json};

use crate::platform::{
    AGS_SCOPES, CLIENT_ID, Failure, NRPS_CLAIM, NRPS_MEDIA_TYPE, NRPS_SCOPE, TestPlatform, now,
    spare_pem,
};

/// A tool key and a JWKS route publishing it, registered with a fresh platform.
async fn platform_with_tool_key() -> (TestPlatform, ToolKey) {
    let key = ToolKey::from_pem("tool-key-1", &spare_pem(2)).unwrap();
    let set = serde_json::to_value(jwk_set([&key])).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        let set = set.clone();
        App::new().route(
            "/jwks",
            web::get().to(move || {
                let set = set.clone();
                async move { HttpResponse::Ok().json(set) }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    let platform = TestPlatform::start().await;
    platform.set_tool_jwks(&format!("http://127.0.0.1:{port}/jwks"));
    (platform, key)
}

fn assertion_claims(platform: &TestPlatform) -> Value {
    let now = now();
    json!({
        "iss": CLIENT_ID,
        "sub": CLIENT_ID,
        "aud": platform.token_url(),
        "iat": now - 5,
        "exp": now + 300,
        "jti": random_token(),
    })
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent("binome-selftest")
        .build()
        .unwrap()
}

async fn post_token(
    client: &reqwest::Client,
    platform: &TestPlatform,
    assertion: &str,
    scope: &str,
) -> reqwest::Response {
    client
        .post(platform.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap()
}

async fn token_status(platform: &TestPlatform, key: &ToolKey, claims: &Value) -> u16 {
    let jwt = key.sign(claims).unwrap();
    post_token(&http(), platform, &jwt, NRPS_SCOPE)
        .await
        .status()
        .as_u16()
}

/// The `Link` header's targets by relation.
fn links(resp: &reqwest::Response) -> Vec<(String, String)> {
    let Some(h) = resp.headers().get("link") else {
        return vec![];
    };
    h.to_str()
        .unwrap()
        .split(", ")
        .map(|part| {
            let (url, rel) = part.split_once(">; rel=\"").unwrap();
            (
                url.trim_start_matches('<').to_string(),
                rel.trim_end_matches('"').to_string(),
            )
        })
        .collect()
}

fn link(resp: &reqwest::Response, rel: &str) -> Option<String> {
    links(resp)
        .into_iter()
        .find(|(_, r)| r == rel)
        .map(|(u, _)| u)
}

async fn get_nrps(url: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = http().get(url).header("Accept", NRPS_MEDIA_TYPE);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

/// Follows `rel="next"` from `url`; returns the members and the number of pages.
async fn all_pages(url: &str, token: &str) -> (Vec<Value>, usize) {
    let mut next = Some(url.to_string());
    let (mut members, mut pages) = (Vec::new(), 0);
    while let Some(url) = next {
        let resp = get_nrps(&url, Some(token)).await;
        assert_eq!(resp.status().as_u16(), 200, "{url}");
        assert_eq!(resp.headers()["content-type"], NRPS_MEDIA_TYPE);
        assert!(link(&resp, "differences").is_some());
        next = link(&resp, "next");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["context"]["label"], "LTIH101");
        members.extend(body["members"].as_array().unwrap().iter().cloned());
        pages += 1;
    }
    (members, pages)
}

#[tokio::test]
async fn token_endpoint_grants_a_valid_assertion_and_refuses_bad_ones() {
    let (platform, key) = platform_with_tool_key().await;
    let client = http();
    let claims = assertion_claims(&platform);
    let jwt = key.sign(&claims).unwrap();
    let scope = format!(
        "{NRPS_SCOPE} {} https://example.com/unknown-scope",
        AGS_SCOPES[3]
    );
    let resp = post_token(&client, &platform, &jwt, &scope).await;
    assert_eq!(resp.status().as_u16(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], format!("{NRPS_SCOPE} {}", AGS_SCOPES[3]));
    let token = body["access_token"].as_str().unwrap();
    let issued = platform.issued_tokens();
    assert_eq!(issued[token].scopes.len(), 2);
    assert!(issued[token].expires_at > now() + 3500);
    assert_eq!(platform.last_assertion().unwrap()["jti"], claims["jti"]);

    // Replayed jti.
    let resp = post_token(&client, &platform, &jwt, NRPS_SCOPE).await;
    assert_eq!(resp.status().as_u16(), 400);
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["error"], "invalid_client");

    let mut c = assertion_claims(&platform);
    c["aud"] = "http://127.0.0.1:1/token".into();
    assert_eq!(token_status(&platform, &key, &c).await, 401, "wrong aud");
    let mut c = assertion_claims(&platform);
    c["aud"] = format!("{}/", platform.token_url()).into();
    assert_eq!(
        token_status(&platform, &key, &c).await,
        401,
        "trailing slash"
    );
    let mut c = assertion_claims(&platform);
    c["aud"] = json!(["someone-else", platform.token_url()]);
    assert_eq!(token_status(&platform, &key, &c).await, 200, "aud array");
    let mut c = assertion_claims(&platform);
    c["exp"] = (now() + 3600).into();
    assert_eq!(token_status(&platform, &key, &c).await, 401, "exp too far");
    let mut c = assertion_claims(&platform);
    c["exp"] = (now() - 1).into();
    assert_eq!(token_status(&platform, &key, &c).await, 401, "expired");
    let mut c = assertion_claims(&platform);
    c["iat"] = (now() + 120).into();
    assert_eq!(token_status(&platform, &key, &c).await, 401, "iat ahead");
    let mut c = assertion_claims(&platform);
    c["sub"] = "someone".into();
    assert_eq!(token_status(&platform, &key, &c).await, 401, "sub");
    let mut c = assertion_claims(&platform);
    c.as_object_mut().unwrap().remove("jti");
    assert_eq!(token_status(&platform, &key, &c).await, 401, "no jti");
    let stranger = ToolKey::from_pem("tool-key-2", &spare_pem(1)).unwrap();
    let c = assertion_claims(&platform);
    assert_eq!(token_status(&platform, &stranger, &c).await, 401, "kid");
    let forged = ToolKey::from_pem("tool-key-1", &spare_pem(1)).unwrap();
    assert_eq!(token_status(&platform, &forged, &c).await, 401, "signature");

    // No User-Agent (reqwest sends none by default), then a JSON body.
    let jwt = key.sign(&assertion_claims(&platform)).unwrap();
    let resp = post_token(&reqwest::Client::new(), &platform, &jwt, NRPS_SCOPE).await;
    assert_eq!(resp.status().as_u16(), 400, "missing User-Agent");
    let resp = client
        .post(platform.token_url())
        .json(&json!({
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": jwt,
            "scope": NRPS_SCOPE,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400, "JSON body");
    // Only unknown scopes.
    let resp = post_token(&client, &platform, &jwt, "https://example.com/x").await;
    assert_eq!(resp.status().as_u16(), 400, "no known scope");

    platform.set_token_error_body_invalid_json(true);
    let resp = post_token(&client, &platform, &jwt, NRPS_SCOPE).await;
    assert_eq!(resp.status().as_u16(), 400, "replay again");
    let text = resp.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    platform.set_token_error_body_invalid_json(false);

    platform.set_token_expires_in(30);
    let jwt = key.sign(&assertion_claims(&platform)).unwrap();
    let resp = post_token(&client, &platform, &jwt, NRPS_SCOPE).await;
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["expires_in"], 30);
    assert_eq!(platform.token_hits(), 17);
}

#[tokio::test]
async fn nrps_pages_filters_and_fails_on_demand() {
    let (platform, key) = platform_with_tool_key().await;
    let url = platform.memberships_url("2");
    assert_eq!(url, format!("{}/nrps/2", platform.issuer));
    let mut claims = platform.claims("n");
    platform.use_test_services(&mut claims);
    assert_eq!(claims[NRPS_CLAIM]["context_memberships_url"], url.as_str());

    // Without a token, or with one lacking the NRPS scope.
    assert_eq!(get_nrps(&url, None).await.status().as_u16(), 401);
    let ags_only = platform.issue_token(&[AGS_SCOPES[3]]);
    assert_eq!(get_nrps(&url, Some(&ags_only)).await.status().as_u16(), 401);

    let jwt = key.sign(&assertion_claims(&platform)).unwrap();
    let resp = post_token(&http(), &platform, &jwt, NRPS_SCOPE).await;
    let body: Value = resp.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap().to_string();

    // Default page size 4: 13 members on 4 pages.
    let (members, pages) = all_pages(&url, &token).await;
    assert_eq!((members.len(), pages), (13, 4));
    let ids: HashSet<&str> = members
        .iter()
        .map(|m| m["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 13);
    assert_eq!(members, platform.members());
    assert!(members.iter().any(|m| m["status"] == "Deleted"));
    assert!(
        members
            .iter()
            .any(|m| m.get("name").is_none() && m.get("email").is_none())
    );
    let (_, pages) = all_pages(&format!("{url}?limit=2"), &token).await;
    assert_eq!(pages, 7);
    // A larger limit than the platform's own page size is capped, as Canvas does.
    let (_, pages) = all_pages(&format!("{url}?limit=1000"), &token).await;
    assert_eq!(pages, 4);

    // role filter, short name or full URI, kept in the next link.
    let (learners, _) = all_pages(&format!("{url}?role=Learner"), &token).await;
    assert_eq!(learners.len(), 11);
    let full = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor";
    let resp = get_nrps(
        &format!(
            "{url}?{}",
            serde_urlencoded::to_string([("role", full)]).unwrap()
        ),
        Some(&token),
    )
    .await;
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["members"].as_array().unwrap().len(), 1);
    assert_eq!(body["members"][0]["user_id"], "3");
    let resp = get_nrps(&format!("{url}?role=Learner&limit=2"), Some(&token)).await;
    let next = link(&resp, "next").unwrap();
    assert!(
        next.contains("page=2") && next.contains("role=Learner"),
        "{next}"
    );

    // The differences link can be followed.
    let diff = link(&resp, "differences").unwrap();
    assert_eq!(get_nrps(&diff, Some(&token)).await.status().as_u16(), 200);

    // Failure knobs.
    let page2 = format!("{url}?page=2&limit=4");
    platform.set_nrps_fail_page(Some((2, Failure::ServerError)));
    assert_eq!(get_nrps(&page2, Some(&token)).await.status().as_u16(), 500);
    assert_eq!(get_nrps(&url, Some(&token)).await.status().as_u16(), 200);
    platform.set_nrps_fail_page(Some((2, Failure::InvalidJson)));
    let resp = get_nrps(&page2, Some(&token)).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert!(serde_json::from_slice::<Value>(&resp.bytes().await.unwrap()).is_err());
    platform.set_nrps_fail_page(Some((2, Failure::Timeout)));
    let quick = reqwest::Client::builder()
        .user_agent("binome-selftest")
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let err = quick
        .get(&page2)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    platform.set_nrps_fail_page(None);

    platform.force_nrps_401_once();
    assert_eq!(get_nrps(&url, Some(&token)).await.status().as_u16(), 401);
    assert_eq!(get_nrps(&url, Some(&token)).await.status().as_u16(), 200);

    // Replaced roster and page size.
    platform.set_members(TestPlatform::default_members()[..2].to_vec());
    platform.set_nrps_page_size(1);
    let (members, pages) = all_pages(&url, &token).await;
    assert_eq!((members.len(), pages), (2, 2));

    platform.expire_tokens();
    assert_eq!(get_nrps(&url, Some(&token)).await.status().as_u16(), 401);
    assert!(platform.nrps_hits() >= 20);
}
