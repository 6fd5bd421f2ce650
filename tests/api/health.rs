use crate::helpers::spawn_app;

#[tokio::test]
async fn liveness_readiness_and_jwks() {
    let app = spawn_app().await;
    let r = app
        .http
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = app
        .http
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = app
        .http
        .get(format!("{}/.well-known/jwks.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let set: serde_json::Value = r.json().await.unwrap();
    let key = &set["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["alg"], "RS256");
    assert!(key["kid"].as_str().is_some());
    assert!(key.get("d").is_none(), "no private part");
    // RSA 2048 or larger: the modulus is at least 256 bytes.
    let n = key["n"].as_str().unwrap();
    assert!(n.len() * 6 / 8 >= 256, "modulus too small");
}

#[tokio::test]
async fn key_rotation_keeps_the_previous_key_published() {
    let app = spawn_app().await;
    let before: serde_json::Value = app
        .http
        .get(format!("{}/.well-known/jwks.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let old_kid = before["keys"][0]["kid"].as_str().unwrap().to_string();
    let new_kid = binome::launch::keyring::rotate(&app.store, binome::launch::now())
        .await
        .unwrap();
    let published = app
        .store
        .published_keys(binome::launch::now() - 7 * 86_400)
        .await
        .unwrap();
    let kids: Vec<_> = published.iter().map(|k| k.kid.as_str()).collect();
    assert_eq!(kids.len(), 2);
    assert!(kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()));
    assert_eq!(published[0].kid, new_kid, "the newest key signs");
    assert!(
        published
            .iter()
            .find(|k| k.kid == old_kid)
            .unwrap()
            .retired_at
            .is_some()
    );
    // After the grace period the old key is gone.
    let later = app
        .store
        .published_keys(binome::launch::now() + 10)
        .await
        .unwrap();
    assert_eq!(
        later.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(),
        vec![new_kid.as_str()]
    );
}

#[tokio::test]
async fn unknown_paths_get_a_page_not_a_crash() {
    let app = spawn_app().await;
    let r = app
        .http
        .get(format!("{}/nope", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let r = app
        .http
        .get(format!("{}/lti/launch", app.base))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let r = app
        .http
        .get(format!("{}/app", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}
