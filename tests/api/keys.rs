//! Signing keys: a key ring with EdDSA and ES256, the JWKS, rotation without logging
//! anyone out, and emergency retirement.
use std::path::Path;

use jwt_compact::{
    AlgorithmExt, Claims, UntrustedToken,
    alg::{Ed25519, Es256},
    jwk::JsonWebKey,
};
use serde_json::Value;

use crate::cli::binary;
use crate::helpers::{Backend, TestApp, jwt_header, spawn_app_with, spawn_replica, tokens};

fn key_ring(path: &Path, args: &[&str]) -> String {
    let output = binary()
        .args(args)
        .env("JWT_KEYS_FILE", path)
        .env("DATA_DIR", path.parent().unwrap())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    stdout
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn jwks(app: &TestApp) -> Value {
    app.http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Verifies `token` with jwt-compact — another JWT library than the one that signed it
/// — using only the key the JWKS publishes under the token's `kid`.
fn verify_with_jwks(token: &str, jwks: &Value) -> Claims<Value> {
    let kid = jwt_header(token)["kid"].as_str().unwrap().to_owned();
    let jwk_json = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap_or_else(|| panic!("{kid} is not in {jwks}"))
        .clone();
    let jwk: JsonWebKey<'_> = serde_json::from_value(jwk_json.clone()).unwrap();
    let untrusted = UntrustedToken::new(token).unwrap();
    match jwk_json["alg"].as_str().unwrap() {
        "EdDSA" => {
            let key = ed25519_dalek::VerifyingKey::try_from(&jwk).unwrap();
            Ed25519
                .validator::<Value>(&key)
                .validate(&untrusted)
                .unwrap()
                .claims()
                .clone()
        }
        "ES256" => {
            let key = p256::ecdsa::VerifyingKey::try_from(&jwk).unwrap();
            Es256
                .validator::<Value>(&key)
                .validate(&untrusted)
                .unwrap()
                .claims()
                .clone()
        }
        other => panic!("unexpected alg {other}"),
    }
}

#[tokio::test]
async fn hs256_publishes_an_empty_key_set() {
    let app = spawn_app_with(Backend::Sqlite, &[("JWT_ALGORITHM", "HS256")]).await;
    assert_eq!(jwks(&app).await, serde_json::json!({ "keys": [] }));
    let me = app.register("amina").await;
    assert_eq!(jwt_header(&me.access)["alg"], "HS256");
}

#[tokio::test]
async fn by_default_development_signs_with_a_generated_eddsa_key_it_keeps() {
    let app = crate::helpers::spawn_app(Backend::Sqlite).await;
    let published = jwks(&app).await;
    let keys = published["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{published}");
    assert_eq!(keys[0]["kty"], "OKP");
    assert_eq!(keys[0]["alg"], "EdDSA");
    let me = app.register("amina").await;
    assert_eq!(jwt_header(&me.access)["alg"], "EdDSA");
    assert_eq!(jwt_header(&me.access)["kid"], keys[0]["kid"]);
    let claims = verify_with_jwks(&me.access, &published);
    assert_eq!(claims.custom["sub"], me.user_id.as_str());
    // The key is kept in DATA_DIR: an instance reading that ring verifies its tokens.
    let again = spawn_replica(&app, &[]).await;
    assert_eq!(jwks(&again).await, published);
    assert_eq!(again.whoami(&me.access).await, Ok(me.user_id));
}

#[tokio::test]
async fn production_refuses_to_generate_a_signing_key() {
    let dir = tempfile::tempdir().unwrap();
    let settings = crate::helpers::test_settings(
        "sqlite::memory:",
        dir.path(),
        &[("APP_ENV", "production"), ("MAIL_TO_LOG", "true")],
    );
    let refused = graphql_auth::startup::Application::build(&settings).await;
    let message = format!("{:#}", refused.err().expect("production refuses to start"));
    assert!(message.contains("JWT_KEYS_FILE"), "{message}");
    assert!(!dir.path().join("jwt-keys.json").exists());
}

#[tokio::test]
async fn eddsa_and_es256_tokens_verify_through_the_jwks_with_another_library() {
    for alg in ["EdDSA", "ES256"] {
        let dir = tempfile::tempdir().unwrap();
        let ring = dir.path().join("keys.json");
        let kid = key_ring(&ring, &["rotate-signing-key", "--alg", alg]);
        let app = spawn_app_with(
            Backend::Sqlite,
            &[("JWT_KEYS_FILE", ring.to_str().unwrap())],
        )
        .await;
        let me = app.register("amina").await;
        assert_eq!(jwt_header(&me.access)["alg"], alg);
        assert_eq!(jwt_header(&me.access)["kid"], kid.as_str());
        let claims = verify_with_jwks(&me.access, &jwks(&app).await);
        assert_eq!(claims.custom["sub"], me.user_id.as_str());
        assert_eq!(claims.custom["sid"], me.session_id.as_str());
        assert!(claims.expiration.is_some());
        assert_eq!(app.whoami(&me.access).await, Ok(me.user_id.clone()));
    }
}

#[tokio::test]
async fn a_rotated_key_logs_nobody_out_and_a_retired_key_fails_at_once_while_refresh_works() {
    let dir = tempfile::tempdir().unwrap();
    let ring = dir.path().join("keys.json");
    let ring_var = [("JWT_KEYS_FILE", ring.to_str().unwrap())];
    let old_kid = key_ring(&ring, &["rotate-signing-key", "--alg", "EdDSA"]);
    let first = spawn_app_with(Backend::Sqlite, &ring_var).await;
    let before = first.register("amina").await;

    let new_kid = key_ring(&ring, &["rotate-signing-key", "--alg", "ES256"]);
    let restarted = spawn_replica(&first, &ring_var).await;
    assert_eq!(
        restarted.whoami(&before.access).await,
        Ok(before.user_id.clone()),
        "old tokens still verify"
    );
    let after = restarted.login("amina", Some("phone")).await;
    assert_eq!(jwt_header(&after.access)["kid"], new_kid.as_str());
    let published: Vec<Value> = jwks(&restarted).await["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].clone())
        .collect();
    assert_eq!(published.len(), 2);

    key_ring(&ring, &["retire-signing-key", "--kid", &old_kid]);
    let emergency = spawn_replica(&first, &ring_var).await;
    assert_eq!(
        emergency.whoami(&before.access).await,
        Err("UNAUTHENTICATED".into())
    );
    assert_eq!(
        emergency.whoami(&after.access).await,
        Ok(after.user_id.clone())
    );
    // The session itself survives: a refresh gets a token signed with the current key.
    let renewed = tokens(&emergency.refresh_raw(&before.refresh).await, "refresh");
    assert_eq!(jwt_header(&renewed.access)["kid"], new_kid.as_str());
    assert_eq!(emergency.whoami(&renewed.access).await, Ok(before.user_id));
}

#[test]
fn the_current_key_cannot_be_retired() {
    let dir = tempfile::tempdir().unwrap();
    let ring = dir.path().join("keys.json");
    let kid = key_ring(&ring, &["rotate-signing-key", "--alg", "HS256"]);
    let output = binary()
        .args(["retire-signing-key", "--kid", &kid])
        .env("JWT_KEYS_FILE", &ring)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("rotate"));
}
