//! The second step of a sign-in: no session before a right code, each code once on
//! every replica, the drift allowed, and the budgets wrong codes spend.
use std::time::Duration;

use serde_json::{Value, json};

use super::{
    age_last_code, claims, complete, complete_login_field, enrol, event_details, first_step,
    mfa_token, steady_clock, tally,
};
use crate::{
    backend_tests,
    helpers::{Backend, PASSWORD, error_code, spawn_app, spawn_app_with, tokens},
};

backend_tests!(
    a_login_of_an_enrolled_account_opens_no_session_until_a_right_code,
    a_code_is_accepted_once_on_every_replica,
    codes_one_step_off_are_accepted_and_two_steps_off_are_not,
    five_wrong_codes_kill_the_mfa_token_and_count_toward_the_lockout,
    sign_ins_that_stop_at_the_second_step_neither_lock_nor_forgive,
    aliased_and_batched_codes_get_no_more_checks_than_the_lockout_allows,
    an_expired_mfa_token_is_refused_and_costs_nothing,
    complete_login_is_rate_limited_per_account_across_addresses,
    a_password_change_ends_a_pending_second_step,
);

async fn a_login_of_an_enrolled_account_opens_no_session_until_a_right_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.register("amina").await;
    assert_eq!(claims(&first.access)["amr"], json!(["pwd"]));
    let (authenticator, _) = enrol(&app, &first.access).await;
    let ua = [("user-agent", "Firefox/133.0 (X11; Linux x86_64)")];
    let input = json!({ "username": "amina", "password": PASSWORD,
        "deviceFingerprint": "laptop-7", "rememberMe": true });
    let body = app.login_raw(input, &ua).await;
    assert!(body["data"].is_null(), "{body}");
    let extensions = &body["errors"][0]["extensions"];
    assert_eq!(extensions["methods"], json!(["TOTP", "RECOVERY_CODE"]));
    let token = mfa_token(&body);
    assert!(token.len() >= 43, "{token}");
    assert_eq!(app.sessions(&first.access).await.len(), 1, "no new session");
    let body = complete(&app, &token, &authenticator.code(1)).await;
    let signed_in = tokens(&body, "completeLogin");
    assert_eq!(claims(&signed_in.access)["amr"], json!(["pwd", "otp"]));
    assert_eq!(signed_in.user_id, first.user_id);
    // The session is the one the login asked for: its device, client and lifetime.
    let sessions = app.sessions(&signed_in.access).await;
    assert_eq!(sessions.len(), 2);
    let session = &sessions[0];
    assert_eq!(session["current"], true);
    assert_eq!(session["deviceFingerprint"], "laptop-7");
    assert_eq!(session["userAgent"], "Firefox/133.0 (X11; Linux x86_64)");
    let expires: chrono::DateTime<chrono::Utc> =
        session["expiresAt"].as_str().unwrap().parse().unwrap();
    assert!(
        expires > chrono::Utc::now() + chrono::Duration::days(6),
        "{session}"
    );
    // A refreshed token was signed in the same way.
    let refreshed = tokens(&app.refresh_raw(&signed_in.refresh).await, "refresh");
    assert_eq!(claims(&refreshed.access)["amr"], json!(["pwd", "otp"]));
    // The token was used up.
    let again = complete(&app, &token, &authenticator.code(1)).await;
    assert_eq!(error_code(&again), Some("INVALID_TOKEN"), "{again}");
}

async fn a_code_is_accepted_once_on_every_replica(backend: Backend) {
    let app = spawn_app(backend).await;
    let replica = app.replica(&[]).await;
    let me = app.register("amina").await;
    let (authenticator, _) = enrol(&app, &me.access).await;
    let code = authenticator.code(1);
    let token = first_step(&app, "amina").await;
    tokens(&complete(&app, &token, &code).await, "completeLogin");
    for server in [&replica, &app] {
        let token = first_step(server, "amina").await;
        let body = complete(server, &token, &code).await;
        assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
    }
    // Neither is an earlier code accepted after a later one: the confirming code.
    let token = first_step(&replica, "amina").await;
    let body = complete(&replica, &token, &authenticator.code(0)).await;
    assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
    let reused = event_details(&app, "MFA_FAILED").await;
    assert_eq!(reused.len(), 3, "{reused:?}");
    assert!(
        reused.iter().all(|d| d.contains("code_already_used")),
        "{reused:?}"
    );
}

async fn codes_one_step_off_are_accepted_and_two_steps_off_are_not(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    let (authenticator, _) = enrol(&app, &me.access).await;
    age_last_code(&app).await;
    let token = first_step(&app, "amina").await;
    steady_clock().await;
    for steps in [-2, 2] {
        let body = complete(&app, &token, &authenticator.code(steps)).await;
        assert_eq!(
            error_code(&body),
            Some("INVALID_CREDENTIALS"),
            "{steps}: {body}"
        );
    }
    tokens(
        &complete(&app, &token, &authenticator.code(-1)).await,
        "completeLogin",
    );
    let token = first_step(&app, "amina").await;
    steady_clock().await;
    tokens(
        &complete(&app, &token, &authenticator.code(1)).await,
        "completeLogin",
    );
}

async fn five_wrong_codes_kill_the_mfa_token_and_count_toward_the_lockout(backend: Backend) {
    let app = spawn_app_with(backend, &[("LOCKOUT_THRESHOLD", "7")]).await;
    let me = app.register("amina").await;
    let (authenticator, _) = enrol(&app, &me.access).await;
    let wrong = authenticator.wrong_code();
    let token = first_step(&app, "amina").await;
    for _ in 0..5 {
        let body = complete(&app, &token, &wrong).await;
        assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
    }
    let body = complete(&app, &token, &authenticator.code(1)).await;
    assert_eq!(error_code(&body), Some("INVALID_TOKEN"), "{body}");
    // The five count toward the lockout: two more wrong codes lock the account.
    let token = first_step(&app, "amina").await;
    for _ in 0..2 {
        let body = complete(&app, &token, &wrong).await;
        assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
    }
    let body = complete(&app, &token, &authenticator.code(1)).await;
    assert_eq!(error_code(&body), Some("ACCOUNT_LOCKED"), "{body}");
    assert!(body["errors"][0]["extensions"]["retryAfterSeconds"].as_u64() > Some(0));
    let body = app
        .login_raw(json!({ "username": "amina", "password": PASSWORD }), &[])
        .await;
    assert_eq!(error_code(&body), Some("ACCOUNT_LOCKED"), "{body}");
    let failed = event_details(&app, "MFA_FAILED").await;
    let wrong_codes = failed.iter().filter(|d| d.contains("wrong_code")).count();
    assert_eq!(wrong_codes, 7, "{failed:?}");
    assert_eq!(event_details(&app, "ACCOUNT_LOCKED").await.len(), 1);
}

async fn sign_ins_that_stop_at_the_second_step_neither_lock_nor_forgive(backend: Backend) {
    let app = spawn_app_with(backend, &[("LOCKOUT_THRESHOLD", "3")]).await;
    let me = app.register("amina").await;
    let (authenticator, _) = enrol(&app, &me.access).await;
    // A right password is no failure: abandoned second steps never lock the account…
    for _ in 0..6 {
        first_step(&app, "amina").await;
    }
    // …and no success either: the failures before it stay counted, with the codes'.
    for _ in 0..2 {
        let body = app
            .login_raw(json!({ "username": "amina", "password": "not it" }), &[])
            .await;
        assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
    }
    let token = first_step(&app, "amina").await;
    let body = complete(&app, &token, &authenticator.wrong_code()).await;
    assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
    let body = complete(&app, &token, &authenticator.code(1)).await;
    assert_eq!(error_code(&body), Some("ACCOUNT_LOCKED"), "{body}");
}

async fn aliased_and_batched_codes_get_no_more_checks_than_the_lockout_allows(backend: Backend) {
    // Without the rate limit, only the lockout stands in the way; three tokens hold
    // fifteen attempts between them.
    let app = spawn_app_with(backend, &[("RATE_LIMIT_COMPLETE_LOGIN", "off")]).await;
    let me = app.register("amina").await;
    let (authenticator, _) = enrol(&app, &me.access).await;
    let wrong = authenticator.wrong_code();
    let mut mfa_tokens = Vec::new();
    for _ in 0..3 {
        mfa_tokens.push(first_step(&app, "amina").await);
    }
    let document = format!(
        "mutation {{ {} }}",
        (0..10)
            .map(|i| complete_login_field(&format!("guess{i}"), &mfa_tokens[i % 3], &wrong))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let batch: Vec<Value> = (0..10).map(|_| json!({ "query": document })).collect();
    let answers: Vec<Value> = app
        .http
        .post(app.url("/graphql"))
        .json(&batch)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let counts = tally(&answers);
    assert_eq!(counts.get("INVALID_CREDENTIALS"), Some(&5), "{counts:?}");
    let refused =
        counts.get("ACCOUNT_LOCKED").unwrap_or(&0) + counts.get("INVALID_TOKEN").unwrap_or(&0);
    assert_eq!(refused, 95, "{counts:?}");
    let failed = event_details(&app, "MFA_FAILED").await;
    let checked = failed.iter().filter(|d| d.contains("wrong_code")).count();
    assert_eq!(checked, 5, "{failed:?}");
}

async fn an_expired_mfa_token_is_refused_and_costs_nothing(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[("MFA_TOKEN_TTL", "1s"), ("LOCKOUT_THRESHOLD", "1")],
    )
    .await;
    let me = app.register("amina").await;
    let (authenticator, _) = enrol(&app, &me.access).await;
    let token = first_step(&app, "amina").await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let body = complete(&app, &token, &authenticator.code(1)).await;
    assert_eq!(error_code(&body), Some("INVALID_TOKEN"), "{body}");
    // Nothing was counted (a single failure would have locked) nor used up.
    let token = first_step(&app, "amina").await;
    let body = complete(&app, &token, &authenticator.code(1)).await;
    tokens(&body, "completeLogin");
}

async fn complete_login_is_rate_limited_per_account_across_addresses(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("RATE_LIMIT_COMPLETE_LOGIN", "3/hour"),
            ("LOCKOUT_THRESHOLD", "50"),
            ("MFA_MAX_ATTEMPTS", "50"),
            ("TRUSTED_PROXIES", "127.0.0.1/32"),
        ],
    )
    .await;
    let me = app.register("amina").await;
    let (authenticator, _) = enrol(&app, &me.access).await;
    let token = first_step(&app, "amina").await;
    let document = format!(
        "mutation {{ {} }}",
        complete_login_field("c", &token, &authenticator.wrong_code())
    );
    for i in 0..4 {
        let ip = format!("203.0.113.{i}");
        let body = app
            .graphql_with(None, &[("x-forwarded-for", &ip)], &document, json!({}))
            .await;
        let expected = if i < 3 {
            "INVALID_CREDENTIALS"
        } else {
            "RATE_LIMITED"
        };
        assert_eq!(error_code(&body), Some(expected), "{ip}: {body}");
    }
}

async fn a_password_change_ends_a_pending_second_step(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    let (authenticator, _) = enrol(&app, &me.access).await;
    let pending = first_step(&app, "amina").await;
    let new_password = "a brand new passphrase";
    let change = format!(
        r#"mutation {{ changePassword(input: {{ currentPassword: "{PASSWORD}", newPassword: "{new_password}", newPasswordConfirm: "{new_password}" }}) {{ accessToken }} }}"#
    );
    let body = app.graphql(Some(&me.access), &change, json!({})).await;
    assert!(body["data"]["changePassword"].is_object(), "{body}");
    // The old password's sign-in opens nothing, and did not use the code up.
    let code = authenticator.code(1);
    let body = complete(&app, &pending, &code).await;
    assert_eq!(error_code(&body), Some("INVALID_TOKEN"), "{body}");
    let body = app
        .login_raw(
            json!({ "username": "amina", "password": new_password }),
            &[],
        )
        .await;
    let signed_in = tokens(
        &complete(&app, &mfa_token(&body), &code).await,
        "completeLogin",
    );
    assert_eq!(claims(&signed_in.access)["amr"], json!(["pwd", "otp"]));
}
