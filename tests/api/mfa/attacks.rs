//! Attacks on enrolment found by the review: batches of aliases that each check a code
//! or seal a secret must be budgeted like every other credential check.
use serde_json::{Value, json};

use super::{Authenticator, START, tally};
use crate::{
    backend_tests,
    helpers::{Backend, spawn_app_with},
};

backend_tests!(
    confirming_an_enrolment_is_budgeted_like_any_code_check,
    starting_enrolments_is_rate_limited,
);

async fn batch(
    app: &crate::helpers::TestApp,
    access: &str,
    document: &str,
    vars: Value,
) -> Vec<Value> {
    let batch: Vec<Value> = (0..10)
        .map(|_| json!({ "query": document, "variables": vars }))
        .collect();
    app.http
        .post(app.url("/graphql"))
        .bearer_auth(access)
        .json(&batch)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// 10 batched documents × 10 aliases of confirmTotpEnrollment: without a budget, 100
/// code checks in one request. `RATE_LIMIT_TOTP_ENROLLMENT` (10/hour per user) allows
/// 9 after the start; the rest are refused before any code is looked at.
async fn confirming_an_enrolment_is_budgeted_like_any_code_check(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let me = app.register("amina").await;
    let started = app.graphql(Some(&me.access), START, json!({})).await;
    let auth = Authenticator::from_secret(
        started["data"]["startTotpEnrollment"]["secret"]
            .as_str()
            .unwrap(),
    );
    let wrong = auth.wrong_code();
    let fields: Vec<String> = (0..10)
        .map(|i| format!(r#"c{i}: confirmTotpEnrollment(code: "{wrong}") {{ codes }}"#))
        .collect();
    let document = format!("mutation {{ {} }}", fields.join(" "));
    let answers = batch(&app, &me.access, &document, json!({})).await;
    let mismatches = answers
        .iter()
        .flat_map(|a| a["errors"].as_array().cloned().unwrap_or_default())
        // A code that does not match: the one refusal that follows a real check.
        .filter(|e| {
            e["extensions"]["code"] == "BAD_USER_INPUT" && e["extensions"]["field"] == "code"
        })
        .count();
    eprintln!(
        "confirm: {mismatches} code checks; tally {:?}",
        tally(&answers)
    );
    assert!(
        mismatches <= 9,
        "{mismatches} unbudgeted code checks in one request"
    );
    assert_eq!(
        tally(&answers).get("RATE_LIMITED"),
        Some(&(100 - mismatches))
    );
}

/// 100 startTotpEnrollment in one request: without a limit, 100 sealed secrets written.
async fn starting_enrolments_is_rate_limited(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let me = app.register("amina").await;
    let fields: Vec<String> = (0..10)
        .map(|i| format!("s{i}: startTotpEnrollment {{ secret }}"))
        .collect();
    let document = format!("mutation {{ {} }}", fields.join(" "));
    let answers = batch(&app, &me.access, &document, json!({})).await;
    let secrets = answers
        .iter()
        .filter_map(|a| a["data"].as_object())
        .flat_map(|d| {
            d.values()
                .filter(|v| v["secret"].is_string())
                .cloned()
                .collect::<Vec<_>>()
        })
        .count();
    eprintln!(
        "start: {secrets} secrets issued in one request; tally {:?}",
        tally(&answers)
    );
    assert!(secrets <= 10, "{secrets} enrolments written by one request");
}
