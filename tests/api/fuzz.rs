//! Property-based fuzzing of the request path: generated GraphQL documents, variables
//! and raw bodies are thrown at a live server; nothing may answer 5xx or break the
//! response shape, and the server must keep serving.
use proptest::{
    prelude::*,
    test_runner::{Config, TestCaseError, TestRunner},
};
use reqwest::header;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, postgres_admin_url, spawn_app_with};

#[test]
fn generated_requests_never_get_a_server_error_on_sqlite() {
    fuzz(Backend::Sqlite);
}

#[test]
fn generated_requests_never_get_a_server_error_on_postgres() {
    if postgres_admin_url().is_none() {
        eprintln!("skipped: set TEST_POSTGRES_URL to run on PostgreSQL");
        return;
    }
    fuzz(Backend::Postgres);
}

/// A JSON string literal for GraphQL (GraphQL strings escape like JSON ones).
fn literal(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

/// Documents built from the schema's own operations with hostile arguments, token
/// soups that stress the parser, and plain noise.
fn documents() -> impl Strategy<Value = String> {
    let text = prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9@._'\";<>-]{0,40}",
        Just("' OR 1=1 --".to_owned()),
        Just("\u{0}\u{202e}аmina@example.dz".to_owned()),
    ];
    let templated = (0..8usize, text.clone(), text).prop_map(|(which, a, b)| {
        let (a, b) = (literal(&a), literal(&b));
        match which {
            0 => format!("mutation {{ login(input: {{ username: {a}, password: {b} }}) {{ accessToken user {{ id }} }} }}"),
            1 => format!("mutation {{ register(input: {{ username: {a}, email: {b}, password: {b}, passwordConfirm: {b} }}) {{ accessToken }} }}"),
            2 => format!("mutation {{ refresh(refreshToken: {a}) {{ refreshToken }} }}"),
            3 => format!("mutation {{ revokeSession(id: {a}) {{ id isActive }} }}"),
            4 => format!("mutation {{ updatePreferences(input: {{ language: {a}, timezone: {b} }}) {{ language }} }}"),
            5 => format!("mutation {{ changePassword(input: {{ currentPassword: {a}, newPassword: {b}, newPasswordConfirm: {b} }}) {{ accessToken }} }}"),
            6 => format!("query {{ me {{ id sessions {{ id current user {{ username }} }} }} sessions {{ id }} x: me {{ email }} }} # {a}"),
            _ => format!("query Q($v: String = {a}) {{ __typename }}"),
        }
    });
    let vocabulary = prop::sample::select(vec![
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ":",
        "$v",
        "...",
        "@skip(if: true)",
        "query",
        "mutation",
        "subscription",
        "fragment",
        "F",
        "on",
        "User",
        "Session",
        "me",
        "sessions",
        "login",
        "user",
        "id",
        "input",
        "\"",
        "\"x\"",
        "1",
        "-1.5e9",
        "null",
        "true",
        "__schema",
        "__typename",
        "a:",
        "#",
        ",",
    ]);
    let soup = prop::collection::vec(vocabulary, 0..40).prop_map(|tokens| tokens.join(" "));
    prop_oneof![4 => templated, 3 => soup, 1 => any::<String>()]
}

fn json_values() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::hash_map("[a-z$]{1,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Body {
    Request {
        document: String,
        variables: Value,
        operation: Option<String>,
    },
    Raw(Vec<u8>),
}

fn bodies() -> impl Strategy<Value = Body> {
    prop_oneof![
        6 => (documents(), json_values(), prop::option::of("[A-Za-z]{0,5}")).prop_map(
            |(document, variables, operation)| Body::Request { document, variables, operation }
        ),
        1 => prop::collection::vec(any::<u8>(), 0..200).prop_map(Body::Raw),
    ]
}

async fn send(app: &TestApp, body: &Body, token: Option<&str>) -> Result<(), TestCaseError> {
    let payload = match body {
        Body::Request {
            document,
            variables,
            operation,
        } => json!({ "query": document, "variables": variables, "operationName": operation })
            .to_string()
            .into_bytes(),
        Body::Raw(bytes) => bytes.clone(),
    };
    let mut request = app
        .http
        .post(app.url("/graphql"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(payload);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let status = response.status();
    prop_assert!(!status.is_server_error(), "HTTP {status} for {body:?}");
    let json: Value = response
        .json()
        .await
        .map_err(|e| TestCaseError::fail(format!("not JSON: {e}")))?;
    let answers = json
        .as_array()
        .cloned()
        .unwrap_or_else(|| vec![json.clone()]);
    for answer in answers {
        let errors = answer["errors"].as_array().cloned().unwrap_or_default();
        prop_assert!(
            answer.get("data").is_some() || !errors.is_empty(),
            "{answer}"
        );
        for error in errors {
            let code = error["extensions"]["code"].as_str().unwrap_or("");
            prop_assert!(
                !code.is_empty() && code != "INTERNAL",
                "{error} for {body:?}"
            );
        }
    }
    Ok(())
}

fn fuzz(backend: Backend) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let limits_off = [
        ("RATE_LIMIT_LOGIN", "off"),
        ("RATE_LIMIT_REGISTER", "off"),
        ("RATE_LIMIT_REFRESH", "off"),
    ];
    let app = runtime.block_on(spawn_app_with(backend, &limits_off));
    let token = runtime.block_on(app.register("fuzzer")).access;
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&(bodies(), any::<bool>()), |(body, authenticated)| {
            let token = authenticated.then_some(token.as_str());
            runtime.block_on(send(&app, &body, token))
        })
        .unwrap();
    assert!(
        runtime.block_on(app.whoami(&token)).is_ok(),
        "the server still serves"
    );
}
