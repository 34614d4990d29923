//! Passkey fields under hostile load: 10 batched documents × 10 aliases of each, answers
//! built to hurt the parser, and a server whose relying party cannot be named.
use serde_json::{Value, json};

use super::{
    authenticator::SoftAuthenticator,
    passkeys::{ORIGIN, START_LOGIN, add_passkey, challenge, finish_login, start_login},
    tally,
};
use crate::{
    backend_tests,
    helpers::{Backend, TestApp, error_code, spawn_app, spawn_app_with},
};

backend_tests!(
    aliased_and_batched_passkey_sign_ins_stay_within_the_budget,
    aliased_and_batched_registrations_stay_within_the_budget,
    hostile_answers_get_clear_refusals,
    passkeys_are_off_when_the_relying_party_cannot_be_named,
);

async fn batch(app: &TestApp, access: Option<&str>, document: &str) -> Vec<Value> {
    batch_with(app, access, document, json!({})).await
}

async fn batch_with(
    app: &TestApp,
    access: Option<&str>,
    document: &str,
    variables: Value,
) -> Vec<Value> {
    let batch: Vec<Value> = (0..10)
        .map(|_| json!({ "query": document, "variables": variables }))
        .collect();
    let mut request = app.http.post(app.url("/graphql")).json(&batch);
    if let Some(access) = access {
        request = request.bearer_auth(access);
    }
    request.send().await.unwrap().json().await.unwrap()
}

fn aliases(field: impl Fn(usize) -> String) -> String {
    let fields: Vec<String> = (0..10).map(field).collect();
    format!("mutation {{ {} }}", fields.join(" "))
}

async fn challenges(app: &TestApp) -> usize {
    app.query_strings("SELECT ceremony FROM passkey_challenges")
        .await
        .len()
}

/// Without a budget: 100 stored challenges per request from startPasskeyLogin, and 100
/// signature checks (each writing the trail) from finishPasskeyLogin.
/// `RATE_LIMIT_PASSKEY_LOGIN` (30/min per IP) counts both.
async fn aliased_and_batched_passkey_sign_ins_stay_within_the_budget(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    let mut authenticator = SoftAuthenticator::new(ORIGIN);
    add_passkey(&app, &me.access, &mut authenticator).await;
    let starts = batch(
        &app,
        None,
        &aliases(|i| format!(r#"s{i}: startPasskeyLogin(username: "amina") {{ challengeId }}"#)),
    )
    .await;
    let stored = challenges(&app).await - 1; // the registration's
    assert_eq!(stored, 30, "{:?}", tally(&starts));
    assert_eq!(tally(&starts).get("RATE_LIMITED"), Some(&70));
    // Finishing: every alias is refused before its answer is looked at.
    let (id, options) = {
        let other = app.replica(&[]).await;
        start_login(&other, Some("amina")).await
    };
    let answer = authenticator.get(&options);
    let document = aliases(|i| {
        format!("f{i}: finishPasskeyLogin(input: {{ challengeId: $id, credential: $c }}) {{ accessToken }}")
    })
    .replacen("mutation", "mutation($id: ID!, $c: String!)", 1);
    let finishes = batch_with(&app, None, &document, json!({ "id": id, "c": answer })).await;
    assert_eq!(
        tally(&finishes).get("RATE_LIMITED"),
        Some(&100),
        "{finishes:?}"
    );
    let failures = app
        .query_strings("SELECT kind FROM security_events WHERE kind = 'LOGIN_FAILED'")
        .await;
    assert!(failures.is_empty(), "{failures:?}");
}

/// Without a budget: 100 registration challenges per request from one stolen token.
async fn aliased_and_batched_registrations_stay_within_the_budget(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    let starts = batch(
        &app,
        Some(&me.access),
        &aliases(|i| format!("s{i}: startPasskeyRegistration {{ challengeId }}")),
    )
    .await;
    assert_eq!(challenges(&app).await, 20);
    assert_eq!(tally(&starts).get("RATE_LIMITED"), Some(&80));
}

async fn hostile_answers_get_clear_refusals(backend: Backend) {
    let app = spawn_app_with(backend, &[("RATE_LIMIT_PASSKEY_LOGIN", "off")]).await;
    let me = app.register("amina").await;
    add_passkey(&app, &me.access, &mut SoftAuthenticator::new(ORIGIN)).await;
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let huge = format!(r#"{{"id":"{}"}}"#, "A".repeat(20_000));
    let garbage = [
        "",
        "null",
        "not json",
        &deep,
        &huge,
        r#"{"id":"x","rawId":"!!!","type":"public-key","response":{}}"#,
        r#"{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"authenticatorData":"AAAA","clientDataJSON":"AAAA","signature":"AAAA"}}"#,
    ];
    for credential in garbage {
        let (id, _) = start_login(&app, Some("amina")).await;
        let body = finish_login(&app, &id, credential).await;
        let code = error_code(&body);
        assert!(
            matches!(code, Some("BAD_USER_INPUT" | "INVALID_CREDENTIALS")),
            "{} → {body}",
            &credential[..credential.len().min(80)]
        );
        assert!(
            !body.to_string().contains("webauthn"),
            "leaks internals: {body}"
        );
    }
    // A 1 KB username is only a name that has no passkey.
    let body = app
        .graphql(None, START_LOGIN, json!({ "u": "é".repeat(600) }))
        .await;
    challenge(&body, "startPasskeyLogin");
    // Answers to a registration: the same.
    for credential in garbage {
        let body = app
            .graphql(
                Some(&me.access),
                "mutation { startPasskeyRegistration { challengeId } }",
                json!({}),
            )
            .await;
        let id = body["data"]["startPasskeyRegistration"]["challengeId"].clone();
        let body = app
            .graphql(
                Some(&me.access),
                "mutation($i: FinishPasskeyInput!) { finishPasskeyRegistration(input: $i) { id } }",
                json!({ "i": { "challengeId": id, "credential": credential } }),
            )
            .await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    }
}

async fn passkeys_are_off_when_the_relying_party_cannot_be_named(backend: Backend) {
    let app = spawn_app_with(backend, &[("PUBLIC_URL", "http://127.0.0.1:8000")]).await;
    let body = app.graphql(None, START_LOGIN, json!({ "u": null })).await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("WEBAUTHN_RP_ID"),
        "{body}"
    );
    let me = app.register("amina").await;
    let body = app
        .graphql(
            Some(&me.access),
            "mutation { startPasskeyRegistration { challengeId } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    // Everything else works as before.
    let body = app
        .graphql(Some(&me.access), "{ me { passkeys { id } } }", json!({}))
        .await;
    assert_eq!(body["data"]["me"]["passkeys"], json!([]), "{body}");
}
