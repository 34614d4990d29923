//! Attacks on access tokens: each forged or stale token must get UNAUTHENTICATED.
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{Backend, JWT_SECRET, TestApp, Tokens, jwt_claims, jwt_header, spawn_app},
};

backend_tests!(
    a_genuine_access_token_is_accepted,
    a_tampered_token_is_rejected,
    an_alg_none_token_is_rejected,
    a_token_signed_with_another_key_is_rejected,
    an_expired_token_is_rejected,
    a_refresh_token_is_not_an_access_token,
    claims_of_the_wrong_kind_are_rejected_even_when_signed_with_our_key,
    a_malformed_authorization_header_is_rejected_but_public_fields_still_work,
);

async fn signed_in(app: &TestApp) -> Tokens {
    app.register("amina").await
}

async fn a_genuine_access_token_is_accepted(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = signed_in(&app).await;
    assert_eq!(app.whoami(&tokens.access).await, Ok(tokens.user_id.clone()));
    let header = jwt_header(&tokens.access);
    let claims = jwt_claims(&tokens.access);
    assert_eq!(header["alg"], "EdDSA");
    assert!(header["kid"].as_str().is_some_and(|k| !k.is_empty()));
    assert_eq!(claims["iss"], "http://auth.test");
    assert_eq!(claims["aud"], "graphql-auth");
    assert_eq!(claims["sub"], tokens.user_id);
    assert_eq!(claims["user_id"], tokens.user_id);
    assert_eq!(claims["sid"], tokens.session_id);
    assert_eq!(claims["token_type"], "access");
    assert!(claims["jti"].is_string());
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(lifetime, 3600);
}

async fn a_tampered_token_is_rejected(backend: Backend) {
    let app = spawn_app(backend).await;
    let victim = signed_in(&app).await;
    let attacker = app.register("attacker").await;
    // Swap the payload of the attacker's token for one naming the victim.
    let mut claims = jwt_claims(&attacker.access);
    claims["sub"] = json!(victim.user_id);
    claims["user_id"] = json!(victim.user_id);
    let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    let pieces: Vec<&str> = attacker.access.split('.').collect();
    let forged = format!("{}.{}.{}", pieces[0], forged_payload, pieces[2]);
    assert_eq!(app.whoami(&forged).await, Err("UNAUTHENTICATED".into()));
    // A flipped signature byte.
    let mut sig = URL_SAFE_NO_PAD.decode(pieces[2]).unwrap();
    sig[0] ^= 0x01;
    let flipped = format!(
        "{}.{}.{}",
        pieces[0],
        pieces[1],
        URL_SAFE_NO_PAD.encode(sig)
    );
    assert_eq!(app.whoami(&flipped).await, Err("UNAUTHENTICATED".into()));
}

async fn an_alg_none_token_is_rejected(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = signed_in(&app).await;
    let mut header = jwt_header(&tokens.access);
    header["alg"] = json!("none");
    let encode = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    let payload = tokens.access.split('.').nth(1).unwrap();
    for token in [
        format!("{}.{}.", encode(&header), payload),
        format!("{}.{}", encode(&header), payload),
    ] {
        assert_eq!(app.whoami(&token).await, Err("UNAUTHENTICATED".into()));
    }
}

async fn a_token_signed_with_another_key_is_rejected(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = signed_in(&app).await;
    let claims = jwt_claims(&tokens.access);
    let kid = jwt_header(&tokens.access)["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let jwks: Value = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let public_x = jwks["keys"][0]["x"].as_str().unwrap().to_owned();
    let public_key = URL_SAFE_NO_PAD.decode(&public_x).unwrap();
    // HS256 under our kid, keyed by a guess, by the server secret, and by the public
    // key itself (the classic algorithm confusion): each is refused, since the key
    // verifies only EdDSA.
    let secrets: [&[u8]; 4] = [
        b"an attacker's guess at the secret!!",
        JWT_SECRET.as_bytes(),
        &public_key,
        public_x.as_bytes(),
    ];
    for secret in secrets {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(kid.clone());
        let forged =
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(secret)).unwrap();
        assert_eq!(app.whoami(&forged).await, Err("UNAUTHENTICATED".into()));
    }
    // And an EdDSA token from a key of the attacker's own, under our kid.
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid);
    let theirs = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let der = ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_der(&theirs).unwrap();
    let forged =
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(der.as_bytes())).unwrap();
    assert_eq!(app.whoami(&forged).await, Err("UNAUTHENTICATED".into()));
}

async fn an_expired_token_is_rejected(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = signed_in(&app).await;
    let mut claims = jwt_claims(&tokens.access);
    let now = chrono::Utc::now().timestamp();
    // Expired 30 s ago: inside jsonwebtoken's default 60 s leeway, outside ours.
    claims["iat"] = json!(now - 3630);
    claims["exp"] = json!(now - 30);
    let stale = app.sign_as_server(&tokens.access, &claims);
    assert_eq!(app.whoami(&stale).await, Err("UNAUTHENTICATED".into()));
    // The same claims, still valid, pass: the refusal above is about `exp` alone.
    claims["exp"] = json!(now + 60);
    let fresh = app.sign_as_server(&tokens.access, &claims);
    assert_eq!(app.whoami(&fresh).await, Ok(tokens.user_id));
}

async fn a_refresh_token_is_not_an_access_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = signed_in(&app).await;
    assert_eq!(
        app.whoami(&tokens.refresh).await,
        Err("UNAUTHENTICATED".into())
    );
}

async fn claims_of_the_wrong_kind_are_rejected_even_when_signed_with_our_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = signed_in(&app).await;
    let genuine = jwt_claims(&tokens.access);
    fn remove(claims: &mut Value, name: &str) {
        claims.as_object_mut().unwrap().remove(name);
    }
    type Forgery = (&'static str, fn(&mut Value));
    let mutations: [Forgery; 8] = [
        ("token_type refresh", |c| c["token_type"] = json!("refresh")),
        ("no token_type", |c| remove(c, "token_type")),
        ("no sid", |c| remove(c, "sid")),
        ("no exp", |c| remove(c, "exp")),
        ("no sub", |c| remove(c, "sub")),
        ("another issuer", |c| {
            c["iss"] = json!("https://evil.example")
        }),
        ("another audience", |c| c["aud"] = json!("another-app")),
        ("unknown session", |c| {
            c["sid"] = json!(uuid::Uuid::new_v4().to_string())
        }),
    ];
    for (what, mutate) in mutations {
        let mut claims = genuine.clone();
        mutate(&mut claims);
        let forged = app.sign_as_server(&tokens.access, &claims);
        assert_eq!(
            app.whoami(&forged).await,
            Err("UNAUTHENTICATED".into()),
            "{what}"
        );
    }
}

async fn a_malformed_authorization_header_is_rejected_but_public_fields_still_work(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    app.register("amina").await;
    for token in ["", "garbage", "a.b.c"] {
        assert_eq!(app.whoami(token).await, Err("UNAUTHENTICATED".into()));
    }
    // A client holding a dead token can still sign in.
    let body = app
        .graphql(
            Some("garbage"),
            "mutation { login(input: { username: \"amina\", password: \"correct horse battery staple\" }) { accessToken } }",
            json!({}),
        )
        .await;
    assert!(body["data"]["login"]["accessToken"].is_string(), "{body}");
}
