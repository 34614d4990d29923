//! Two-step sign-in: TOTP enrolment, the second step of a login, recovery codes, and
//! the rules around them. Codes are computed here with totp-rs from the secret the API
//! hands out, as an authenticator app would.
use std::{
    collections::HashMap,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use serde_json::{Value, json};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::helpers::{AUTH_PAYLOAD, PASSWORD, TestApp, error_code};

mod attacks;
mod authenticator;
mod enrollment;
mod hostile;
mod passkey_attacks;
mod passkeys;
mod second_step;

pub const START: &str = "mutation { startTotpEnrollment { secret otpauthUri } }";
pub const CONFIRM: &str =
    "mutation($code: String!) { confirmTotpEnrollment(code: $code) { codes } }";
pub const ME: &str = "{ me { id mfaEnabled recoveryCodesLeft } }";

/// What an authenticator app computes from a secret.
pub struct Authenticator(TOTP);

impl Authenticator {
    pub fn from_secret(base32: &str) -> Self {
        let secret = Secret::Encoded(base32.to_owned()).to_bytes().unwrap();
        Self(TOTP::new(Algorithm::SHA1, 6, 1, 30, secret, None, String::new()).unwrap())
    }

    /// The code `steps` 30-second steps from now (negative: earlier).
    pub fn code(&self, steps: i64) -> String {
        let at = unix_now() + steps * 30;
        self.0.generate(at as u64)
    }

    /// Six digits that are the code of no step within two of now.
    pub fn wrong_code(&self) -> String {
        let near: Vec<String> = (-2..=2).map(|s| self.code(s)).collect();
        (0..)
            .map(|n| format!("{:06}", (n * 7919) % 1_000_000))
            .find(|c| !near.contains(c))
            .unwrap()
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Waits, if need be, until the current step has at least 6 s left, so that the server,
/// answering within them, sees the step the codes computed next are relative to.
pub async fn steady_clock() {
    let left = 30 - unix_now() % 30;
    if left < 6 {
        tokio::time::sleep(Duration::from_secs(left as u64 + 1)).await;
    }
}

pub async fn start(app: &TestApp, access: &str) -> Value {
    app.graphql(Some(access), START, json!({})).await
}

pub async fn confirm(app: &TestApp, access: &str, code: &str) -> Value {
    app.graphql(Some(access), CONFIRM, json!({ "code": code }))
        .await
}

/// Sets up TOTP for the caller: the authenticator, and the recovery codes shown once.
/// The current step's code confirms it, so the next code that signs in is a later one.
pub async fn enrol(app: &TestApp, access: &str) -> (Authenticator, Vec<String>) {
    let started = start(app, access).await;
    let secret = started["data"]["startTotpEnrollment"]["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("startTotpEnrollment failed: {started}"));
    let authenticator = Authenticator::from_secret(secret);
    steady_clock().await;
    let confirmed = confirm(app, access, &authenticator.code(0)).await;
    let codes = strings(&confirmed["data"]["confirmTotpEnrollment"]["codes"])
        .unwrap_or_else(|| panic!("confirmTotpEnrollment failed: {confirmed}"));
    (authenticator, codes)
}

pub fn strings(list: &Value) -> Option<Vec<String>> {
    list.as_array()?
        .iter()
        .map(|c| c.as_str().map(str::to_owned))
        .collect()
}

/// The `mfaToken` of a login that answered `MFA_REQUIRED`.
pub fn mfa_token(body: &Value) -> String {
    assert_eq!(error_code(body), Some("MFA_REQUIRED"), "{body}");
    body["errors"][0]["extensions"]["mfaToken"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Signs in with the right password up to the second step.
pub async fn first_step(app: &TestApp, username: &str) -> String {
    let body = app
        .login_raw(json!({ "username": username, "password": PASSWORD }), &[])
        .await;
    mfa_token(&body)
}

pub fn complete_login_field(alias: &str, token: &str, code: &str) -> String {
    format!(
        r#"{alias}: completeLogin(input: {{ mfaToken: "{token}", code: "{code}" }}) {{ accessToken }}"#
    )
}

pub async fn complete(app: &TestApp, token: &str, code: &str) -> Value {
    app.graphql(
        None,
        &format!(
            "mutation($i: CompleteLoginInput!) {{ completeLogin(input: $i) {{ {AUTH_PAYLOAD} }} }}"
        ),
        json!({ "i": { "mfaToken": token, "code": code } }),
    )
    .await
}

pub use crate::helpers::jwt_claims as claims;

/// Makes the last accepted code look minutes old, as the passing of time would, so a
/// test can sign in with codes of the current steps again.
pub async fn age_last_code(app: &TestApp) {
    app.execute_sql("UPDATE totp_factors SET last_used_step = last_used_step - 10")
        .await;
}

/// How many errors carried each code, over every answer of a batch.
pub fn tally(answers: &[Value]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for answer in answers {
        for error in answer["errors"].as_array().into_iter().flatten() {
            let code = error["extensions"]["code"].as_str().unwrap_or("NO CODE");
            *counts.entry(code.to_owned()).or_default() += 1;
        }
    }
    counts
}

/// The details of the security events of this kind, oldest first.
pub async fn event_details(app: &TestApp, kind: &str) -> Vec<String> {
    app.query_strings(&format!(
        "SELECT CAST(detail AS TEXT) FROM security_events WHERE kind = '{kind}' ORDER BY id"
    ))
    .await
}
