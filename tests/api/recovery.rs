//! Password reset and email verification, from the emailed links.
use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{
        AUTH_PAYLOAD, Backend, MAIL_WAIT, PASSWORD, TestApp, error_code, spawn_app_with_mail,
        tokens,
    },
    smtp_sink::SmtpSink,
};

backend_tests!(
    registering_emails_a_link_that_verifies_the_address_once,
    a_reset_from_the_emailed_link_ends_every_session_and_unlocks_the_account,
    a_mismatched_or_weak_password_leaves_the_reset_token_usable,
    an_expired_reset_token_is_invalid,
    used_superseded_and_foreign_tokens_are_invalid,
    two_parallel_confirmations_with_one_token_let_exactly_one_through,
    unknown_and_disabled_addresses_get_true_and_no_mail,
    required_verification_guards_preferences_and_password_changes_until_verified,
);

const NEW_PASSWORD: &str = "a brand new passphrase";

async fn request_reset(app: &TestApp, email: &str) -> Value {
    app.graphql(
        None,
        "mutation($e: String!) { requestPasswordReset(email: $e) }",
        json!({ "e": email }),
    )
    .await
}

async fn confirm_reset(app: &TestApp, token: &str, password: &str, confirm: &str) -> Value {
    app.graphql(
        None,
        "mutation($i: ConfirmPasswordResetInput!) { confirmPasswordReset(input: $i) }",
        json!({ "i": { "token": token, "newPassword": password, "newPasswordConfirm": confirm } }),
    )
    .await
}

async fn verify_email(app: &TestApp, token: &str) -> Value {
    app.graphql(
        None,
        "mutation($t: String!) { verifyEmail(token: $t) { username emailVerified } }",
        json!({ "t": token }),
    )
    .await
}

async fn email_verified(app: &TestApp, access: &str) -> Value {
    app.graphql(Some(access), "{ me { emailVerified } }", json!({}))
        .await["data"]["me"]["emailVerified"]
        .clone()
}

async fn login_with(app: &TestApp, username: &str, password: &str) -> Value {
    app.login_raw(json!({ "username": username, "password": password }), &[])
        .await
}

/// Registers `username` and returns its tokens once its verification email arrived
/// as message number `nth` (1-based) of the sink.
async fn register_and_wait(app: &TestApp, sink: &SmtpSink, username: &str, nth: usize) {
    app.register(username).await;
    let mail = &sink.wait_for(nth, MAIL_WAIT).await[nth - 1];
    assert_eq!(mail.to(), format!("{username}@example.dz"));
}

/// The token of the `nth` message's link to `path`, waiting for it to arrive.
async fn nth_token(sink: &SmtpSink, nth: usize, path: &str) -> String {
    sink.wait_for(nth, MAIL_WAIT).await[nth - 1].token(path)
}

async fn registering_emails_a_link_that_verifies_the_address_once(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    let amina = app.register("amina").await;
    let mail = &sink.wait_for(1, MAIL_WAIT).await[0];
    assert_eq!(mail.to(), "amina@example.dz");
    assert_eq!(mail.subject(), "Confirmez votre adresse e-mail");
    let token = mail.token("verify-email");
    assert!(token.len() >= 22, "at least 128 bits: {token}");
    assert!(mail.html().contains(&format!("verify-email?token={token}")));
    // The link only shows a page: nothing but the mutation uses the token up.
    assert_eq!(email_verified(&app, &amina.access).await, false);

    let body = verify_email(&app, &token).await;
    assert_eq!(
        body["data"]["verifyEmail"],
        json!({ "username": "amina", "emailVerified": true }),
        "{body}"
    );
    assert_eq!(email_verified(&app, &amina.access).await, true);
    let again = verify_email(&app, &token).await;
    assert_eq!(error_code(&again), Some("INVALID_TOKEN"), "{again}");

    // Verified: asking for another link sends none. The next mail is the reset link.
    let body = app
        .graphql(
            Some(&amina.access),
            "mutation { resendVerificationEmail }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["resendVerificationEmail"], true, "{body}");
    request_reset(&app, "amina@example.dz").await;
    let mail = &sink.wait_for(2, MAIL_WAIT).await[1];
    assert_eq!(mail.subject(), "Réinitialisation de votre mot de passe");
}

async fn a_reset_from_the_emailed_link_ends_every_session_and_unlocks_the_account(
    backend: Backend,
) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    let first = app.register("amina").await;
    let second = app.login("amina", Some("laptop")).await;
    sink.wait_for(1, MAIL_WAIT).await;
    for _ in 0..5 {
        login_with(&app, "amina", "not the password").await;
    }
    let locked = login_with(&app, "amina", PASSWORD).await;
    assert_eq!(error_code(&locked), Some("ACCOUNT_LOCKED"), "{locked}");

    let body = request_reset(&app, "AMINA@example.dz").await;
    assert_eq!(body["data"]["requestPasswordReset"], true, "{body}");
    let mail = &sink.wait_for(2, MAIL_WAIT).await[1];
    assert_eq!(mail.to(), "amina@example.dz");
    let token = mail.token("reset-password");
    let body = confirm_reset(&app, &token, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(body["data"]["confirmPasswordReset"], true, "{body}");

    for old in [&first, &second] {
        assert_eq!(app.whoami(&old.access).await, Err("UNAUTHENTICATED".into()));
        let refreshed = app.refresh_raw(&old.refresh).await;
        assert_eq!(error_code(&refreshed), Some("INVALID_TOKEN"), "{refreshed}");
    }
    let fresh = login_with(&app, "amina", NEW_PASSWORD).await;
    let fresh = tokens(&fresh, "login");
    assert_eq!(app.whoami(&fresh.access).await, Ok(fresh.user_id.clone()));
    let old = login_with(&app, "amina", PASSWORD).await;
    assert_eq!(error_code(&old), Some("INVALID_CREDENTIALS"), "{old}");

    let notice = &sink.wait_for(3, MAIL_WAIT).await[2];
    assert_eq!(notice.to(), "amina@example.dz");
    assert_eq!(notice.subject(), "Votre mot de passe a été réinitialisé");
    assert!(!notice.text().contains("token="));
}

async fn a_mismatched_or_weak_password_leaves_the_reset_token_usable(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    register_and_wait(&app, &sink, "amina", 1).await;
    request_reset(&app, "amina@example.dz").await;
    let token = nth_token(&sink, 2, "reset-password").await;

    let body = confirm_reset(&app, &token, NEW_PASSWORD, "something else").await;
    assert_eq!(error_code(&body), Some("PASSWORD_MISMATCH"), "{body}");
    let body = confirm_reset(&app, &token, "short", "short").await;
    assert_eq!(error_code(&body), Some("WEAK_PASSWORD"), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["reasons"],
        json!(["TOO_SHORT"])
    );
    let body = confirm_reset(&app, &token, "amina-is-me", "amina-is-me").await;
    assert_eq!(error_code(&body), Some("WEAK_PASSWORD"), "{body}");

    let body = confirm_reset(&app, &token, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(body["data"]["confirmPasswordReset"], true, "{body}");
    let login = login_with(&app, "amina", NEW_PASSWORD).await;
    tokens(&login, "login");
}

async fn an_expired_reset_token_is_invalid(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[("PASSWORD_RESET_TTL", "1s")]).await;
    register_and_wait(&app, &sink, "amina", 1).await;
    request_reset(&app, "amina@example.dz").await;
    let mail = &sink.wait_for(2, MAIL_WAIT).await[1];
    assert!(mail.text().contains("1 seconde"), "{}", mail.text());
    let token = mail.token("reset-password");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let body = confirm_reset(&app, &token, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(error_code(&body), Some("INVALID_TOKEN"), "{body}");
    let login = login_with(&app, "amina", PASSWORD).await;
    tokens(&login, "login");
}

async fn used_superseded_and_foreign_tokens_are_invalid(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    register_and_wait(&app, &sink, "amina", 1).await;
    let verification = nth_token(&sink, 1, "verify-email").await;
    request_reset(&app, "amina@example.dz").await;
    let first = nth_token(&sink, 2, "reset-password").await;
    request_reset(&app, "amina@example.dz").await;
    let second = nth_token(&sink, 3, "reset-password").await;
    assert_ne!(first, second);

    let body = confirm_reset(&app, &first, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(
        error_code(&body),
        Some("INVALID_TOKEN"),
        "superseded: {body}"
    );
    // A token of the other kind is not a reset token, and the reverse.
    let body = confirm_reset(&app, &verification, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(
        error_code(&body),
        Some("INVALID_TOKEN"),
        "verification: {body}"
    );
    let body = verify_email(&app, &second).await;
    assert_eq!(error_code(&body), Some("INVALID_TOKEN"), "reset: {body}");
    for unknown in ["", "garbage!", &"A".repeat(43), &"A".repeat(5000)] {
        let body = confirm_reset(&app, unknown, NEW_PASSWORD, NEW_PASSWORD).await;
        assert_eq!(
            error_code(&body),
            Some("INVALID_TOKEN"),
            "{unknown:.20}: {body}"
        );
    }

    let body = confirm_reset(&app, &second, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(body["data"]["confirmPasswordReset"], true, "{body}");
    let body = confirm_reset(
        &app,
        &second,
        "yet another passphrase",
        "yet another passphrase",
    )
    .await;
    assert_eq!(error_code(&body), Some("INVALID_TOKEN"), "reused: {body}");
    let login = login_with(&app, "amina", NEW_PASSWORD).await;
    tokens(&login, "login");
}

async fn two_parallel_confirmations_with_one_token_let_exactly_one_through(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    register_and_wait(&app, &sink, "amina", 1).await;
    request_reset(&app, "amina@example.dz").await;
    let token = nth_token(&sink, 2, "reset-password").await;
    let (a, b) = tokio::join!(
        confirm_reset(
            &app,
            &token,
            "first parallel passphrase",
            "first parallel passphrase"
        ),
        confirm_reset(
            &app,
            &token,
            "second parallel passphrase",
            "second parallel passphrase"
        ),
    );
    let winners: Vec<&str> = [(&a, "first"), (&b, "second")]
        .iter()
        .filter(|(body, _)| body["data"]["confirmPasswordReset"] == true)
        .map(|(_, which)| *which)
        .collect();
    assert_eq!(winners.len(), 1, "{a} {b}");
    let loser = if winners[0] == "first" { &b } else { &a };
    assert_eq!(error_code(loser), Some("INVALID_TOKEN"), "{loser}");
    let password = format!("{} parallel passphrase", winners[0]);
    let login = login_with(&app, "amina", &password).await;
    tokens(&login, "login");
}

async fn unknown_and_disabled_addresses_get_true_and_no_mail(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    register_and_wait(&app, &sink, "carol", 1).await;
    app.execute_sql("UPDATE users SET is_active = false WHERE username = 'carol'")
        .await;
    for email in [
        "nobody@example.dz",
        "carol@example.dz",
        "not even an address",
    ] {
        let body = request_reset(&app, email).await;
        assert_eq!(
            body["data"]["requestPasswordReset"], true,
            "{email}: {body}"
        );
    }
    // Had any of them queued mail, it would be due before this one and sent first.
    register_and_wait(&app, &sink, "bob", 2).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let received = sink.received();
    assert_eq!(received.len(), 2, "{received:#?}");
}

async fn required_verification_guards_preferences_and_password_changes_until_verified(
    backend: Backend,
) {
    let (app, sink) = spawn_app_with_mail(backend, &[("REQUIRE_VERIFIED_EMAIL", "true")]).await;
    let amina = app.register("amina").await;
    let first = nth_token(&sink, 1, "verify-email").await;
    let update = "mutation { updatePreferences(input: { language: \"en\" }) { language } }";
    let change = format!(
        "mutation($i: ChangePasswordInput!) {{ changePassword(input: $i) {{ {AUTH_PAYLOAD} }} }}"
    );
    let change_input = json!({ "i": { "currentPassword": PASSWORD,
        "newPassword": NEW_PASSWORD, "newPasswordConfirm": NEW_PASSWORD } });

    let body = app.graphql(Some(&amina.access), update, json!({})).await;
    assert_eq!(error_code(&body), Some("EMAIL_NOT_VERIFIED"), "{body}");
    let body = app
        .graphql(Some(&amina.access), &change, change_input.clone())
        .await;
    assert_eq!(error_code(&body), Some("EMAIL_NOT_VERIFIED"), "{body}");
    // Without a session the answer stays UNAUTHENTICATED; `me` needs no verification.
    let body = app.graphql(None, update, json!({})).await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    assert_eq!(email_verified(&app, &amina.access).await, false);

    let body = app
        .graphql(
            Some(&amina.access),
            "mutation { resendVerificationEmail }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["resendVerificationEmail"], true, "{body}");
    let second = nth_token(&sink, 2, "verify-email").await;
    let body = verify_email(&app, &first).await;
    assert_eq!(
        error_code(&body),
        Some("INVALID_TOKEN"),
        "superseded: {body}"
    );
    let body = verify_email(&app, &second).await;
    assert_eq!(body["data"]["verifyEmail"]["emailVerified"], true, "{body}");

    let body = app.graphql(Some(&amina.access), update, json!({})).await;
    assert_eq!(
        body["data"]["updatePreferences"]["language"], "en",
        "{body}"
    );
    let body = app
        .graphql(Some(&amina.access), &change, change_input)
        .await;
    tokens(&body, "changePassword");
}
