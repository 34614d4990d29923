//! Input that cannot be a code or a token gets a clear refusal, costs nothing, and never
//! reaches the database as anything but a look-up.
use serde_json::json;

use super::{complete, confirm, enrol, first_step, start};
use crate::{
    backend_tests,
    helpers::{Backend, error_code, spawn_app_with, tokens},
};

backend_tests!(hostile_codes_and_tokens_get_clear_refusals_and_spend_nothing);

const HOSTILE_CODES: [&str; 9] = [
    "",
    "abcdef",
    "١٢٣٤٥٦",
    "12345\u{0}6",
    "😀😀😀😀😀😀",
    "' OR 1=1 --",
    "123 45",
    "ABCDE-FGHI9",
    "\u{202E}654321",
];

async fn hostile_codes_and_tokens_get_clear_refusals_and_spend_nothing(backend: Backend) {
    // With a threshold of 1, any counted attempt would lock the account.
    let app = spawn_app_with(
        backend,
        &[
            ("LOCKOUT_THRESHOLD", "1"),
            ("RATE_LIMIT_COMPLETE_LOGIN", "100/min"),
        ],
    )
    .await;
    let me = app.register("amina").await;
    let (authenticator, _) = enrol(&app, &me.access).await;
    let token = first_step(&app, "amina").await;
    let long = "1".repeat(1024);
    let codes = HOSTILE_CODES.iter().copied().chain([long.as_str()]);
    for code in codes.clone() {
        let body = complete(&app, &token, code).await;
        assert_eq!(
            error_code(&body),
            Some("BAD_USER_INPUT"),
            "{code:?}: {body}"
        );
        assert_eq!(body["errors"][0]["extensions"]["field"], "code", "{body}");
    }
    let long_token = "A".repeat(1024);
    for bad_token in [
        "",
        "x",
        long_token.as_str(),
        "../../etc/passwd",
        &"é".repeat(40),
        &token[1..],
    ] {
        let body = complete(&app, bad_token, &authenticator.code(1)).await;
        assert_eq!(
            error_code(&body),
            Some("INVALID_TOKEN"),
            "{bad_token:?}: {body}"
        );
    }
    // A code and a token out of place: the wrong way round, and a JSON number.
    let body = complete(&app, &authenticator.code(1), &token).await;
    assert_eq!(error_code(&body), Some("INVALID_TOKEN"), "{body}");
    let body = app
        .graphql(
            None,
            "mutation($i: CompleteLoginInput!) { completeLogin(input: $i) { accessToken } }",
            json!({ "i": { "mfaToken": token, "code": 123456 } }),
        )
        .await;
    assert_eq!(
        error_code(&body),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{body}"
    );
    // None of it spent an attempt, of the token or of the lockout.
    tokens(
        &complete(&app, &token, &authenticator.code(1)).await,
        "completeLogin",
    );
    // Confirmation refuses the same input alike.
    let other = app.register("nadia").await;
    let started = start(&app, &other.access).await;
    assert!(
        started["data"]["startTotpEnrollment"]["secret"].is_string(),
        "{started}"
    );
    for code in codes.chain(["ABCDE-FGHIJ"]) {
        let body = confirm(&app, &other.access, code).await;
        assert_eq!(
            error_code(&body),
            Some("BAD_USER_INPUT"),
            "{code:?}: {body}"
        );
    }
}
