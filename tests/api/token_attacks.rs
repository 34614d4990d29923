//! Attacks on access tokens as other services meet them: forged headers and claims
//! at GraphQL and at introspection, what one request may cost, hostile caching headers,
//! and a key ring file broken while servers run.
use std::time::{Duration, Instant};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{Backend, JWT_SECRET, jwt_claims, kid_of, spawn_app_with, test_settings},
    introspection::{FORM, SECRET, inactive, introspect, introspection_app, post},
};

backend_tests!(
    a_batch_of_10_documents_by_10_aliases_authenticates_once,
    introspection_refuses_forgeries_signed_with_the_real_key,
    introspection_body_limit_is_16_kib,
    header_injection_and_kid_tricks_are_refused_by_graphql_and_introspection,
    a_wrong_secret_flood_writes_one_trail_event,
    hostile_if_none_match_costs_linear_time,
    a_broken_key_ring_file_at_runtime_keeps_the_keys,
    a_deleted_development_ring_at_runtime_keeps_the_keys,
    a_malformed_ring_file_error_does_not_print_key_material,
);

const STORE: (&str, &str) = ("JWT_KEYS_STORE", "database");

/// A syntactically fine EdDSA token under a `kid` nobody has.
pub(crate) fn random_kid_token() -> String {
    let head = json!({ "alg": "EdDSA", "typ": "JWT", "kid": uuid::Uuid::new_v4().to_string() });
    let encode = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.AAAA", encode(&head), encode(&json!({ "sub": "x" })))
}

async fn a_batch_of_10_documents_by_10_aliases_authenticates_once(backend: Backend) {
    let app = spawn_app_with(backend, &[STORE]).await;
    let me = app.register("amina").await;
    let aliases: String = (0..10).map(|i| format!("a{i}: me {{ id }} ")).collect();
    let batch: Vec<Value> = (0..10)
        .map(|_| json!({ "query": format!("{{ {aliases} }}") }))
        .collect();
    for token in [me.access.clone(), random_kid_token()] {
        // Let the session cache and any re-read settle, then count one batch.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let before = app.statements();
        let response = app
            .http
            .post(app.url("/graphql"))
            .bearer_auth(&token)
            .json(&batch)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let statements = app.statements() - before;
        eprintln!(
            "batch 10x10 ({}): HTTP {status}, {statements} statements",
            &text[..text.len().min(120)]
        );
        // A live token: one session look-up (the principal is resolved once per HTTP
        // request) plus `me`'s own user look-up per alias (100, older than this change).
        // A token with an unknown kid: nothing.
        assert!(statements <= 101, "{statements} statements for one batch");
    }
}

async fn introspection_refuses_forgeries_signed_with_the_real_key(backend: Backend) {
    let app = introspection_app(backend, &[]).await;
    let me = app.register("amina").await;
    let genuine = jwt_claims(&me.access);
    // What introspection.rs's `sign_with_our_key` makes: HS256 with JWT_SECRET, under
    // an EdDSA kid. Even *unchanged* claims are inactive: its forgery cases never
    // reach the iss/aud/token_type/session checks they are named after.
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(kid_of(&me.access));
    let unchanged_hs256 = jsonwebtoken::encode(
        &hs,
        &genuine,
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(introspect(&app, &unchanged_hs256).await, inactive());
    // With the real key, unchanged claims are live, so each case below tests its claim.
    let unchanged = app.sign_as_server(&me.access, &genuine);
    assert_eq!(introspect(&app, &unchanged).await["active"], true);
    let now = chrono::Utc::now().timestamp();
    type Change = fn(&mut Value, i64);
    let cases: [(&str, Change); 9] = [
        ("another issuer", |c, _| {
            c["iss"] = json!("https://elsewhere.example")
        }),
        ("another audience", |c, _| {
            c["aud"] = json!("another-service")
        }),
        ("refresh claims", |c, _| c["token_type"] = json!("refresh")),
        ("an unknown session", |c, _| {
            c["sid"] = json!(uuid::Uuid::new_v4().to_string())
        }),
        ("expired 2 s ago (inside the leeway)", |c, now| {
            c["exp"] = json!(now - 2)
        }),
        ("user_id differs from sub", |c, _| {
            c["user_id"] = json!(uuid::Uuid::new_v4().to_string())
        }),
        ("no exp", |c, _| {
            c.as_object_mut().unwrap().remove("exp");
        }),
        ("a newer credential epoch", |c, _| {
            c["credential_epoch"] = json!(7)
        }),
        ("aud as a list with ours and another", |c, _| {
            c["aud"] = json!(["graphql-auth", "evil"])
        }),
    ];
    for (what, change) in cases {
        let mut claims = genuine.clone();
        change(&mut claims, now);
        let forged = app.sign_as_server(&me.access, &claims);
        let answer = introspect(&app, &forged).await;
        let graphql = app.whoami(&forged).await;
        eprintln!("{what}: introspection {answer}, graphql {graphql:?}");
        if what.starts_with("aud as a list") || what.starts_with("expired 2 s") {
            // `aud` list: valid (RFC 7519 §4.1.3). Expired 2 s: GraphQL forgives 5 s of
            // leeway by design; introspection answers inactive (checked below).
            if what.starts_with("expired") {
                assert_eq!(answer, inactive(), "{what}");
            }
            // A list holding our audience is a valid `aud` (RFC 7519 §4.1.3).
            continue;
        }
        assert_eq!(answer, inactive(), "{what}");
        assert!(graphql.is_err(), "{what}");
    }
}

async fn introspection_body_limit_is_16_kib(backend: Backend) {
    let app = introspection_app(backend, &[]).await;
    let me = app.register("amina").await;
    let body = format!("token={}&pad={}", me.access, "x".repeat(17 * 1024));
    let response = post(&app, Some(SECRET), Some(FORM), body).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Unauthenticated callers never get their body read: 401 whatever its size.
    let body = format!("token={}&pad={}", me.access, "x".repeat(15 * 1024));
    let response = post(&app, Some("guess"), Some(FORM), body).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

async fn header_injection_and_kid_tricks_are_refused_by_graphql_and_introspection(
    backend: Backend,
) {
    let app = introspection_app(backend, &[]).await;
    let me = app.register("amina").await;
    let claims = jwt_claims(&me.access);
    let our_kid = kid_of(&me.access);
    let jwks: Value = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for key in jwks["keys"].as_array().unwrap() {
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none(), "{private} published: {key}");
        }
    }
    let public_x = jwks["keys"][0]["x"].as_str().unwrap().to_owned();
    let theirs = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let their_der = ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_der(&theirs).unwrap();
    let their_key = EncodingKey::from_ed_der(their_der.as_bytes());
    let their_x = URL_SAFE_NO_PAD.encode(theirs.verifying_key().to_bytes());
    let encode = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    // Raw headers signed by the attacker's Ed25519 key.
    let sign_raw = |head: Value| -> String {
        let input = format!("{}.{}", encode(&head), encode(&claims));
        use ed25519_dalek::Signer;
        let sig = theirs.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    };
    let jwk = json!({ "kty": "OKP", "crv": "Ed25519", "x": their_x, "kid": "attacker" });
    let mut tokens: Vec<(String, String)> = vec![
        (
            "embedded jwk, attacker kid".into(),
            sign_raw(json!({ "alg": "EdDSA", "kid": "attacker", "jwk": jwk })),
        ),
        (
            "embedded jwk, our kid".into(),
            sign_raw(json!({ "alg": "EdDSA", "kid": our_kid, "jwk": jwk })),
        ),
        (
            "jku".into(),
            sign_raw(
                json!({ "alg": "EdDSA", "kid": our_kid, "jku": "http://127.0.0.1:9/jwks.json" }),
            ),
        ),
        (
            "x5u".into(),
            sign_raw(
                json!({ "alg": "EdDSA", "kid": our_kid, "x5u": "http://127.0.0.1:9/cert.pem" }),
            ),
        ),
        (
            "no kid, jwk".into(),
            sign_raw(json!({ "alg": "EdDSA", "jwk": jwk })),
        ),
        (
            "kid traversal".into(),
            sign_raw(json!({ "alg": "EdDSA", "kid": "../../../../etc/passwd" })),
        ),
        (
            "kid SQL".into(),
            sign_raw(json!({ "alg": "EdDSA", "kid": "' OR '1'='1" })),
        ),
        (
            "kid empty".into(),
            sign_raw(json!({ "alg": "EdDSA", "kid": "" })),
        ),
        (
            "kid number".into(),
            sign_raw(json!({ "alg": "EdDSA", "kid": 1 })),
        ),
        (
            "kid 8 KB".into(),
            sign_raw(json!({ "alg": "EdDSA", "kid": "k".repeat(8000) })),
        ),
        (
            "alg none lowercase".into(),
            format!(
                "{}.{}.",
                encode(&json!({ "alg": "none", "kid": our_kid })),
                encode(&claims)
            ),
        ),
        (
            "alg None".into(),
            format!(
                "{}.{}.",
                encode(&json!({ "alg": "None", "kid": our_kid })),
                encode(&claims)
            ),
        ),
        (
            "crit".into(),
            sign_raw(json!({ "alg": "EdDSA", "kid": our_kid, "crit": ["exp"] })),
        ),
    ];
    for secret in [
        public_x.as_bytes().to_vec(),
        URL_SAFE_NO_PAD.decode(&public_x).unwrap(),
    ] {
        let mut head = Header::new(Algorithm::HS256);
        head.kid = Some(our_kid.clone());
        tokens.push((
            "HS256 keyed by the public key".into(),
            jsonwebtoken::encode(&head, &claims, &EncodingKey::from_secret(&secret)).unwrap(),
        ));
    }
    let mut head = Header::new(Algorithm::EdDSA);
    head.kid = Some(our_kid.clone());
    tokens.push((
        "EdDSA by another key under our kid".into(),
        jsonwebtoken::encode(&head, &claims, &their_key).unwrap(),
    ));
    let p256 = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let der = p256::pkcs8::EncodePrivateKey::to_pkcs8_der(&p256).unwrap();
    let mut head = Header::new(Algorithm::ES256);
    head.kid = Some(our_kid.clone());
    tokens.push((
        "ES256 under our EdDSA kid".into(),
        jsonwebtoken::encode(&head, &claims, &EncodingKey::from_ec_der(der.as_bytes())).unwrap(),
    ));
    tokens.push(("the refresh token".into(), me.refresh.clone()));
    for (what, token) in &tokens {
        assert_eq!(introspect(&app, token).await, inactive(), "{what}");
        assert_eq!(
            app.whoami(token).await,
            Err("UNAUTHENTICATED".into()),
            "{what}"
        );
    }
    // A genuine token of another deployment (another issuer, its own key).
    let elsewhere = spawn_app_with(backend, &[("JWT_ISSUER", "https://elsewhere.example")]).await;
    let theirs = elsewhere.register("amina").await;
    assert_eq!(introspect(&app, &theirs.access).await, inactive());
    assert!(app.whoami(&theirs.access).await.is_err());
    // Bearer casing, spacing and the empty token at the introspection door.
    for (authorization, ok) in [
        (format!("bearer {SECRET}"), true),
        (format!("BEARER {SECRET}"), true),
        (format!("Bearer   {SECRET}  "), true),
        (format!("Bearer\t{SECRET}"), false),
        ("Bearer".to_owned(), false),
        ("Bearer  ".to_owned(), false),
        (format!("Bearer {SECRET}\u{0}"), false),
    ] {
        let response = app
            .http
            .post(app.url("/oauth/introspect"))
            .header(header::CONTENT_TYPE, FORM)
            .header(header::AUTHORIZATION, authorization.as_bytes())
            .body(format!("token={}", me.access))
            .send()
            .await;
        let status = response.map(|r| r.status()).ok();
        eprintln!("{authorization:?}: {status:?}");
        if ok {
            assert_eq!(status, Some(StatusCode::OK), "{authorization:?}");
        } else {
            assert_ne!(status, Some(StatusCode::OK), "{authorization:?}");
        }
    }
}

async fn a_wrong_secret_flood_writes_one_trail_event(backend: Backend) {
    let app = introspection_app(backend, &[("RATE_LIMIT_INTROSPECT", "5/min")]).await;
    let before = app
        .query_strings("SELECT kind FROM security_events")
        .await
        .len();
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..300 {
        let response = post(&app, Some(&format!("guess-{i}")), Some(FORM), "token=x").await;
        *statuses.entry(response.status().as_u16()).or_insert(0) += 1;
    }
    let kinds = app.query_strings("SELECT kind FROM security_events").await;
    eprintln!("statuses {statuses:?}; new events {:?}", &kinds[before..]);
    assert_eq!(statuses.get(&401), Some(&5));
    assert_eq!(statuses.get(&429), Some(&295));
    assert!(kinds.len() - before <= 1);
}

async fn hostile_if_none_match_costs_linear_time(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let tag = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .headers()[header::ETAG]
        .to_str()
        .unwrap()
        .to_owned();
    let cases: Vec<(&str, String)> = vec![
        (
            "60 KB of commas then our tag",
            format!("{}{tag}", ",".repeat(60_000)),
        ),
        (
            "10,000 tags then ours",
            format!("{}{tag}", "\"a\",".repeat(10_000)),
        ),
        ("an unterminated quote", format!("\"{}", "a".repeat(60_000))),
        ("W/ repeated", format!("{}{tag}", "W/".repeat(30_000))),
        ("quotes only", "\"".repeat(60_000)),
    ];
    for (what, value) in cases {
        let started = Instant::now();
        let response = app
            .http
            .get(app.url("/.well-known/jwks.json"))
            .header(header::IF_NONE_MATCH, &value)
            .send()
            .await;
        let status = response.as_ref().map(|r| r.status()).ok();
        eprintln!("{what}: {status:?} in {:?}", started.elapsed());
        assert!(started.elapsed() < Duration::from_secs(1), "{what}");
        assert!(status.is_some_and(|s| s.as_u16() < 500), "{what}");
    }
    // 1 MB header and 200 headers: refused by hyper, server still up.
    let response = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .header(header::IF_NONE_MATCH, "a".repeat(1 << 20))
        .send()
        .await;
    eprintln!("1 MB header: {:?}", response.as_ref().map(|r| r.status()));
    let mut request = app.http.get(app.url("/.well-known/jwks.json"));
    for _ in 0..200 {
        request = request.header(header::IF_NONE_MATCH, "\"x\"");
    }
    let response = request.header(header::IF_NONE_MATCH, &tag).send().await;
    eprintln!("201 headers: {:?}", response.as_ref().map(|r| r.status()));
    let response = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .header(header::IF_NONE_MATCH, &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(response.headers()[header::ETAG], tag.as_str());
    assert_eq!(
        response.headers()[header::CACHE_CONTROL],
        "public, max-age=300"
    );
}

async fn a_broken_key_ring_file_at_runtime_keeps_the_keys(backend: Backend) {
    let first = spawn_app_with(backend, &[]).await;
    // The operator's ring (JWT_KEYS_FILE), read by a replica every 200 ms.
    let dir = tempfile::tempdir().unwrap();
    let ring = dir.path().join("ring.json");
    std::fs::copy(first.key_ring_path(), &ring).unwrap();
    let ring_text = std::fs::read_to_string(&ring).unwrap();
    let app = spawn_app_with(
        backend,
        &[
            ("JWT_KEYS_FILE", &*ring.to_string_lossy()),
            ("SIGNING_KEYS_REFRESH", "200ms"),
        ],
    )
    .await;
    let me = app.register("amina").await;
    let half = &ring_text[..ring_text.len() / 2];
    for (what, contents) in [
        ("half written", Some(half.to_owned())),
        ("empty", Some(String::new())),
        ("not JSON", Some("garbage".to_owned())),
        ("no keys", Some(r#"{"current":"x","keys":[]}"#.to_owned())),
        ("a broken PEM", Some(ring_text.replace("MC4CAQ", "MC4XXX"))),
        ("deleted", None),
    ] {
        match &contents {
            Some(text) => std::fs::write(&ring, text).unwrap(),
            None => std::fs::remove_file(&ring).unwrap(),
        }
        // Anyone can ask for a re-read now.
        app.whoami(&random_kid_token()).await.ok();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            app.whoami(&me.access).await,
            Ok(me.user_id.clone()),
            "{what}"
        );
        let again = app.login("amina", None).await;
        assert_eq!(kid_of(&again.access), kid_of(&me.access), "{what}");
    }
}

async fn a_deleted_development_ring_at_runtime_keeps_the_keys(backend: Backend) {
    let app = spawn_app_with(backend, &[("SIGNING_KEYS_REFRESH", "200ms")]).await;
    let me = app.register("amina").await;
    std::fs::remove_file(app.key_ring_path()).unwrap();
    // An unauthenticated request naming an unknown kid asks for a re-read.
    app.whoami(&random_kid_token()).await.ok();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let regenerated = app.key_ring_path().exists();
    let still = app.whoami(&me.access).await;
    eprintln!("ring regenerated: {regenerated}; old token: {still:?}");
    assert_eq!(
        still,
        Ok(me.user_id.clone()),
        "a deleted development ring was replaced by a new key at runtime, every token died"
    );
}

async fn a_malformed_ring_file_error_does_not_print_key_material(backend: Backend) {
    let first = spawn_app_with(backend, &[]).await;
    let ring: Value =
        serde_json::from_str(&std::fs::read_to_string(first.key_ring_path()).unwrap()).unwrap();
    let pem = ring["keys"][0]["private_key"].as_str().unwrap().to_owned();
    // An operator pastes the PEM where an entry belongs.
    let bad = json!({ "current": ring["current"], "keys": [pem] });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ring.json");
    std::fs::write(&path, bad.to_string()).unwrap();
    let settings = test_settings(
        first.database_url(),
        dir.path(),
        &[("JWT_KEYS_FILE", &*path.to_string_lossy())],
    );
    let err = graphql_auth::startup::Application::build(&settings)
        .await
        .err()
        .map(|e| format!("{e:#}"))
        .unwrap();
    eprintln!("{err}");
    assert!(
        !err.contains("PRIVATE KEY") && !err.contains("MC4CAQ"),
        "the error message carries the private key: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_introspection_request_costs_at_most_one_statement() {
    let app = introspection_app(Backend::Sqlite, &[]).await;
    let me = app.register("amina").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let long = format!("{}{}", me.access, "A".repeat(8000));
    for (what, bearer, token) in [
        ("live token", SECRET, me.access.as_str()),
        ("garbage", SECRET, "x.y.z"),
        ("random kid", SECRET, &*random_kid_token()),
        ("8 KB", SECRET, long.as_str()),
        ("wrong secret", "guess", me.access.as_str()),
    ] {
        let before = app.statements();
        let response = post(&app, Some(bearer), Some(FORM), format!("token={token}")).await;
        let status = response.status();
        let statements = app.statements() - before;
        eprintln!("{what}: HTTP {status}, {statements} statements");
        assert!(statements <= 1, "{what}");
    }
}
