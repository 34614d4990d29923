//! `POST /oauth/introspect` (RFC 7662): who may ask, what a malformed request gets,
//! and `{"active": true, …}` for a live access token only. Liveness (logout,
//! revocation, replicas) is in `introspection_liveness.rs`.
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{Backend, TestApp, jwt_claims, spawn_app, spawn_app_with},
};

backend_tests!(
    introspection_is_a_404_while_its_setting_is_unset,
    introspection_asks_for_its_own_bearer_token,
    introspection_refuses_malformed_requests_with_invalid_request,
    introspection_refuses_a_1_mb_body_with_413,
    introspection_describes_a_live_access_token,
    introspection_answers_only_active_false_for_anything_else,
    introspection_is_rate_limited_per_client_wrong_secrets_included,
    introspection_survives_hostile_forms_without_a_500,
);

pub const SECRET: &str = "resource-servers-secret-0123456789abcdef";
pub const FORM: &str = "application/x-www-form-urlencoded";

pub async fn introspection_app(backend: Backend, overrides: &[(&str, &str)]) -> TestApp {
    let mut settings = vec![("INTROSPECTION_TOKEN", SECRET)];
    settings.extend_from_slice(overrides);
    spawn_app_with(backend, &settings).await
}

pub async fn post(
    app: &TestApp,
    bearer: Option<&str>,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut request = app.http.post(app.url("/oauth/introspect")).body(body);
    if let Some(bearer) = bearer {
        request = request.bearer_auth(bearer);
    }
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    request.send().await.unwrap()
}

/// Asks as a resource server would, and expects a 200 no cache keeps.
pub async fn introspect(app: &TestApp, token: &str) -> Value {
    let response = post(app, Some(SECRET), Some(FORM), format!("token={token}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    response.json().await.unwrap()
}

/// The whole answer for anything but a live access token.
pub fn inactive() -> Value {
    json!({ "active": false })
}

async fn assert_invalid_request(response: reqwest::Response, status: StatusCode, what: &str) {
    assert_eq!(response.status(), status, "{what}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{what}: {body}");
    assert!(body["error_description"].is_string(), "{what}: {body}");
}

async fn introspection_is_a_404_while_its_setting_is_unset(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    let response = post(
        &app,
        Some(SECRET),
        Some(FORM),
        format!("token={}", me.access),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = app.http.get(app.url("/oauth/introspect")).send().await;
    assert_eq!(response.unwrap().status(), StatusCode::NOT_FOUND);
}

async fn introspection_asks_for_its_own_bearer_token(backend: Backend) {
    let app = introspection_app(backend, &[]).await;
    let me = app.register("amina").await;
    let form = format!("token={}", me.access);
    let bearer = |token: &str| Some(format!("Bearer {token}"));
    for authorization in [
        None,
        Some("Bearer ".to_owned()),
        bearer("wrong"),
        bearer(&SECRET[..SECRET.len() - 1]),
        bearer(&format!("{SECRET}x")),
        bearer(&me.access),
        Some(format!("Basic {SECRET}")),
        Some(SECRET.to_owned()),
    ] {
        let mut request = app
            .http
            .post(app.url("/oauth/introspect"))
            .header(header::CONTENT_TYPE, FORM)
            .body(form.clone());
        if let Some(value) = &authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        let response = request.send().await.unwrap();
        let what = format!("{authorization:?}");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Bearer error=\"invalid_token\"",
            "{what}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({ "error": "invalid_token" }), "{what}");
    }
}

async fn introspection_refuses_malformed_requests_with_invalid_request(backend: Backend) {
    let app = introspection_app(backend, &[]).await;
    let me = app.register("amina").await;
    let form = format!("token={}", me.access);
    let json_body = json!({ "token": me.access }).to_string();
    for (what, content_type, body) in [
        ("no content type", None, form.clone()),
        ("text/plain", Some("text/plain"), form.clone()),
        ("JSON", Some("application/json"), json_body.clone()),
        (
            "multipart",
            Some("multipart/form-data; boundary=x"),
            form.clone(),
        ),
        ("JSON labelled a form", Some(FORM), json_body),
        (
            "no token",
            Some(FORM),
            "token_type_hint=access_token".into(),
        ),
        ("an empty body", Some(FORM), String::new()),
        ("an empty token", Some(FORM), "token=".into()),
        ("the token twice", Some(FORM), format!("{form}&{form}")),
        (
            "a second, empty token",
            Some(FORM),
            format!("{form}&token="),
        ),
    ] {
        let response = post(&app, Some(SECRET), content_type, body).await;
        assert_invalid_request(response, StatusCode::BAD_REQUEST, what).await;
    }
    // A charset, another letter case, a hint and an extension parameter are all fine.
    let response = post(
        &app,
        Some(SECRET),
        Some("Application/X-WWW-Form-Urlencoded; charset=UTF-8"),
        format!("token_type_hint=refresh_token&{form}&resource=api"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap()["active"], true);
}

async fn introspection_refuses_a_1_mb_body_with_413(backend: Backend) {
    let app = introspection_app(backend, &[]).await;
    let me = app.register("amina").await;
    let big = format!("token={}&pad={}", me.access, "x".repeat(1 << 20));
    let response = app
        .http
        .post(app.url("/oauth/introspect"))
        .bearer_auth(SECRET)
        .header(header::CONTENT_TYPE, FORM)
        .body(big)
        .send()
        .await;
    // Answered as soon as the body passes the limit; a client still writing may see
    // its write fail instead of the 413.
    match response {
        Ok(response) => {
            assert_invalid_request(response, StatusCode::PAYLOAD_TOO_LARGE, "1 MB").await
        }
        Err(err) => {
            let text = format!("{err:?}");
            assert!(
                text.contains("BrokenPipe") || text.contains("ConnectionReset"),
                "{text}"
            );
        }
    }
    assert_eq!(introspect(&app, &me.access).await["active"], true);
}

async fn introspection_describes_a_live_access_token(backend: Backend) {
    let app = introspection_app(backend, &[]).await;
    let me = app.register("amina").await;
    let issued = jwt_claims(&me.access);
    assert_eq!(
        introspect(&app, &me.access).await,
        json!({
            "active": true,
            "sub": me.user_id,
            "sid": me.session_id,
            "username": "amina",
            "iss": "http://auth.test",
            "aud": "graphql-auth",
            "jti": issued["jti"],
            "iat": issued["iat"],
            "exp": issued["exp"],
            "token_type": "access",
        })
    );
    let phone = app.login("amina", Some("phone")).await;
    let answer = introspect(&app, &phone.access).await;
    assert_eq!(answer["sid"], phone.session_id.as_str());
    assert_ne!(answer["jti"], issued["jti"]);
}

async fn introspection_answers_only_active_false_for_anything_else(backend: Backend) {
    let app = introspection_app(backend, &[]).await;
    let me = app.register("amina").await;
    let genuine = jwt_claims(&me.access);
    let (head, rest) = me.access.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    let tampered_signature = format!("{head}.{payload}.{flipped}{}", &signature[1..]);
    let mut someone_else = genuine.clone();
    someone_else["sub"] = json!(uuid::Uuid::new_v4().to_string());
    let someone_else = URL_SAFE_NO_PAD.encode(someone_else.to_string());
    let tampered_payload = format!("{head}.{someone_else}.{signature}");
    let forged = |change: fn(&mut Value)| {
        let mut claims = genuine.clone();
        change(&mut claims);
        app.sign_as_server(&me.access, &claims)
    };
    // Signed alike, the genuine claims are live: each forgery below is refused for
    // the claim it changes, not for its signature.
    assert_eq!(introspect(&app, &forged(|_| {})).await["active"], true);
    let none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let long = format!("{}{}", me.access, "A".repeat(10 * 1024));
    for (what, token) in [
        ("a tampered signature", tampered_signature),
        ("a tampered payload", tampered_payload),
        (
            "another issuer",
            forged(|c| c["iss"] = json!("https://elsewhere.example")),
        ),
        (
            "another audience",
            forged(|c| c["aud"] = json!("another-service")),
        ),
        (
            "refresh claims",
            forged(|c| c["token_type"] = json!("refresh")),
        ),
        (
            "an unknown session",
            forged(|c| c["sid"] = json!(uuid::Uuid::new_v4())),
        ),
        (
            "expired long ago",
            forged(|c| c["exp"] = json!(1_000_000_000)),
        ),
        ("alg none", format!("{none}.{payload}.")),
        ("the refresh token", me.refresh.clone()),
        ("garbage", "not-a-token".to_owned()),
        ("three dots", "a.b.c".to_owned()),
        ("10 KB", long),
    ] {
        assert_eq!(introspect(&app, &token).await, inactive(), "{what}");
    }
    // A genuine token of another deployment sharing the key: its issuer differs.
    let elsewhere = spawn_app_with(backend, &[("JWT_ISSUER", "https://elsewhere.example")]).await;
    let theirs = elsewhere.register("amina").await;
    assert_eq!(introspect(&app, &theirs.access).await, inactive());
    assert_eq!(introspect(&app, &me.access).await["active"], true);
}

async fn introspection_is_rate_limited_per_client_wrong_secrets_included(backend: Backend) {
    let app = introspection_app(backend, &[("RATE_LIMIT_INTROSPECT", "3/min")]).await;
    let me = app.register("amina").await;
    let form = format!("token={}", me.access);
    let guess = post(&app, Some("a guess"), Some(FORM), form.clone()).await;
    assert_eq!(guess.status(), StatusCode::UNAUTHORIZED);
    for _ in 0..2 {
        assert_eq!(introspect(&app, &me.access).await["active"], true);
    }
    for bearer in [SECRET, "another guess"] {
        let response = post(&app, Some(bearer), Some(FORM), form.clone()).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "{bearer}");
        let retry_after = response.headers()[header::RETRY_AFTER].to_str().unwrap();
        let retry_after: u64 = retry_after.parse().unwrap();
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "rate_limited", "{body}");
        assert!(body["error_description"].is_string(), "{body}");
    }
    // The budget is introspection's own: the account's requests go on.
    assert_eq!(app.whoami(&me.access).await, Ok(me.user_id.clone()));
}

async fn introspection_survives_hostile_forms_without_a_500(backend: Backend) {
    let app = introspection_app(backend, &[]).await;
    let me = app.register("amina").await;
    let params = |n: usize| format!("token=x{}", "&a=b".repeat(n)).into_bytes();
    let with_live = |suffix: &str| format!("token={}{suffix}", me.access).into_bytes();
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("10,000 params", params(10_000)),
        ("3,000 params", params(3_000)),
        ("a lone %", b"token=%".to_vec()),
        ("bad escapes", b"token=%zz%4".to_vec()),
        ("an escaped NUL", b"token=%00".to_vec()),
        ("raw NULs", b"token=\0\0".to_vec()),
        ("escaped invalid UTF-8", b"token=%FF%FE%C0%AF".to_vec()),
        ("raw invalid UTF-8", b"token=\xff\xfe".to_vec()),
        ("bidi controls", b"token=%E2%80%AE%E2%80%8B".to_vec()),
        ("an escaped name", b"%74oken=abc".to_vec()),
        ("an escaped separator", with_live("%26token%3Dx")),
        ("semicolons", with_live(";token=x")),
        ("brackets", b"token[]=x&token[0]=y".to_vec()),
        ("only separators", "&".repeat(4000).into_bytes()),
        (
            "equals signs",
            format!("token={}", "=".repeat(4000)).into_bytes(),
        ),
        ("pluses", format!("token={}", "+".repeat(4000)).into_bytes()),
        (
            "a huge name",
            format!("{}=x&token=y", "n".repeat(15_000)).into_bytes(),
        ),
        ("dots", format!("token={}", ".".repeat(8000)).into_bytes()),
    ];
    for (what, body) in bodies {
        let response = post(&app, Some(SECRET), Some(FORM), body).await;
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        let refused = [StatusCode::BAD_REQUEST, StatusCode::PAYLOAD_TOO_LARGE].contains(&status)
            && answer["error"] == "invalid_request";
        let is_inactive = status == StatusCode::OK && answer == inactive();
        assert!(refused || is_inactive, "{what}: {status} {answer}");
    }
    for (content_type, status) in [
        (
            "application/x-www-form-urlencoded, text/plain",
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/x-www-form-urlencoded-and-more",
            StatusCode::BAD_REQUEST,
        ),
        (";", StatusCode::BAD_REQUEST),
        (
            "application/x-www-form-urlencoded;;charset=\"\\\"",
            StatusCode::OK,
        ),
    ] {
        let form = format!("token={}", me.access);
        let response = post(&app, Some(SECRET), Some(content_type), form).await;
        assert_eq!(response.status(), status, "{content_type:?}");
    }
    assert_eq!(introspect(&app, &me.access).await["active"], true);
}
