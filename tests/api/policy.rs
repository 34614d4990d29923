//! The password policy and language tags of Revision 2: random passwords pass, common
//! ones are refused, over-long new passwords are weak (not bad input), and any short
//! BCP 47 tag is a language, mail falling back to French.
use serde_json::{Value, json};

use crate::{
    backend_tests,
    cli::{assert_success, create_user},
    helpers::{
        AUTH_PAYLOAD, Backend, MAIL_WAIT, PASSWORD, TestApp, error_code, spawn_app_with,
        spawn_app_with_mail, tokens,
    },
};

backend_tests!(
    random_passwords_of_eight_characters_are_accepted_and_sign_in,
    common_passwords_are_refused_as_too_common_and_store_nothing,
    a_new_password_over_1024_bytes_is_too_long_in_register_change_and_reset,
    a_checked_password_over_1024_bytes_is_still_bad_input,
    language_tags_are_accepted_in_canonical_case_and_echoed_by_me,
    anything_but_a_short_language_tag_is_bad_user_input_on_language,
    english_and_arabic_tags_get_their_mail_and_other_tags_french_mail,
);

const NO_REGISTER_LIMIT: (&str, &str) = ("RATE_LIMIT_REGISTER", "off");

/// `PASSWORD` padded to exactly `bytes` bytes: strong, so only its length can refuse it.
fn padded(bytes: usize) -> String {
    format!("{PASSWORD}{}", "x".repeat(bytes - PASSWORD.len()))
}

async fn register(app: &TestApp, input: Value) -> Value {
    app.graphql(
        None,
        &format!("mutation($i: RegisterInput!) {{ register(input: $i) {{ {AUTH_PAYLOAD} }} }}"),
        json!({ "i": input }),
    )
    .await
}

async fn register_with_password(app: &TestApp, username: &str, password: &str) -> Value {
    register(
        app,
        json!({ "username": username, "email": format!("{username}@example.dz"),
                "password": password, "passwordConfirm": password }),
    )
    .await
}

async fn register_with_language(app: &TestApp, username: &str, language: &str) -> Value {
    register(
        app,
        json!({ "username": username, "email": format!("{username}@example.dz"),
                "password": PASSWORD, "passwordConfirm": PASSWORD, "language": language }),
    )
    .await
}

async fn update_language(app: &TestApp, access: &str, language: &str) -> Value {
    app.graphql(
        Some(access),
        "mutation($i: PreferencesInput!) { updatePreferences(input: $i) { language } }",
        json!({ "i": { "language": language } }),
    )
    .await
}

async fn my_language(app: &TestApp, access: &str) -> Value {
    app.graphql(Some(access), "{ me { language } }", json!({}))
        .await["data"]["me"]["language"]
        .clone()
}

async fn change_password(app: &TestApp, access: &str, new: &str, confirm: &str) -> Value {
    app.graphql(
        Some(access),
        &format!("mutation($i: ChangePasswordInput!) {{ changePassword(input: $i) {{ {AUTH_PAYLOAD} }} }}"),
        json!({ "i": { "currentPassword": PASSWORD, "newPassword": new, "newPasswordConfirm": confirm } }),
    )
    .await
}

fn assert_weak(body: &Value, reason: &str, context: &str) {
    assert_eq!(error_code(body), Some("WEAK_PASSWORD"), "{context}: {body}");
    let reasons = body["errors"][0]["extensions"]["reasons"]
        .as_array()
        .unwrap_or_else(|| panic!("{context}: no reasons in {body}"));
    assert!(reasons.contains(&json!(reason)), "{context}: {reasons:?}");
}

async fn random_passwords_of_eight_characters_are_accepted_and_sign_in(backend: Backend) {
    let app = spawn_app_with(backend, &[NO_REGISTER_LIMIT]).await;
    for (username, password) in [
        ("amina", "k7#Qm2!x"),
        ("yacine", "qzmkvwpt"),
        ("lina", "Rb4vN9tz"),
    ] {
        let body = register_with_password(&app, username, password).await;
        tokens(&body, "register");
        let login = app
            .login_raw(json!({ "username": username, "password": password }), &[])
            .await;
        tokens(&login, "login");
    }
}

async fn common_passwords_are_refused_as_too_common_and_store_nothing(backend: Backend) {
    let app = spawn_app_with(backend, &[NO_REGISTER_LIMIT]).await;
    // The last two are only on the 20k list: zxcvbn alone would let them through.
    for password in [
        "password1",
        "azerty123",
        "Passw0rd!",
        "PASSWORD1",
        "bambolina",
        "Doodlebug1",
    ] {
        let body = register_with_password(&app, "amina", password).await;
        assert_weak(&body, "TOO_COMMON", password);
    }
    let body = register_with_password(&app, "amina", PASSWORD).await;
    tokens(&body, "register");
}

async fn a_new_password_over_1024_bytes_is_too_long_in_register_change_and_reset(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[NO_REGISTER_LIMIT]).await;
    let too_long = padded(1025);
    let body = register_with_password(&app, "amina", &too_long).await;
    assert_weak(&body, "TOO_LONG", "register");
    // The confirmation is compared first: a mismatch is answered before the policy.
    let body = register(
        &app,
        json!({ "username": "amina", "email": "amina@example.dz",
                "password": too_long, "passwordConfirm": padded(1026) }),
    )
    .await;
    assert_eq!(error_code(&body), Some("PASSWORD_MISMATCH"), "{body}");
    // 1024 bytes is within the limit.
    let at_limit = register_with_password(&app, "yacine", &padded(1024)).await;
    tokens(&at_limit, "register");
    let amina = tokens(
        &register_with_password(&app, "amina", PASSWORD).await,
        "register",
    );
    sink.wait_for(2, MAIL_WAIT).await;

    let body = change_password(&app, &amina.access, &too_long, &too_long).await;
    assert_weak(&body, "TOO_LONG", "changePassword");
    // Nothing was changed: the session and the old password still work.
    assert!(app.whoami(&amina.access).await.is_ok());
    let login = app
        .login_raw(json!({ "username": "amina", "password": PASSWORD }), &[])
        .await;
    tokens(&login, "login");

    app.graphql(
        None,
        "mutation($e: String!) { requestPasswordReset(email: $e) }",
        json!({ "e": "amina@example.dz" }),
    )
    .await;
    let mails = sink.wait_for(3, MAIL_WAIT).await;
    let token = mails
        .iter()
        .find(|mail| mail.text().contains("/reset-password?token="))
        .unwrap_or_else(|| panic!("no reset mail"))
        .token("reset-password");
    let confirm = |password: String| {
        let app = &app;
        let token = token.clone();
        async move {
            app.graphql(
                None,
                "mutation($i: ConfirmPasswordResetInput!) { confirmPasswordReset(input: $i) }",
                json!({ "i": { "token": token, "newPassword": password, "newPasswordConfirm": password } }),
            )
            .await
        }
    };
    let body = confirm(too_long.clone()).await;
    assert_weak(&body, "TOO_LONG", "confirmPasswordReset");
    // The refusal used nothing up: the same link still sets a good password.
    let body = confirm("a brand new passphrase".into()).await;
    assert_eq!(body["data"]["confirmPasswordReset"], true, "{body}");
}

async fn a_checked_password_over_1024_bytes_is_still_bad_input(backend: Backend) {
    let app = spawn_app_with(backend, &[]).await;
    let amina = app.register("amina").await;
    let body = app
        .login_raw(
            json!({ "username": "amina", "password": padded(1025) }),
            &[],
        )
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "password");
    let body = app
        .graphql(
            Some(&amina.access),
            &format!("mutation($i: ChangePasswordInput!) {{ changePassword(input: $i) {{ {AUTH_PAYLOAD} }} }}"),
            json!({ "i": { "currentPassword": padded(1025),
                "newPassword": "a brand new passphrase", "newPasswordConfirm": "a brand new passphrase" } }),
        )
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "currentPassword");
}

async fn language_tags_are_accepted_in_canonical_case_and_echoed_by_me(backend: Backend) {
    let app = spawn_app_with(backend, &[NO_REGISTER_LIMIT]).await;
    for (username, language, stored) in [
        ("amina", "kab", "kab"),
        ("john", "en-GB", "en-GB"),
        ("salma", "ar", "ar"),
        ("mei", "ZH-hant-tw", "zh-Hant-TW"),
    ] {
        let me = tokens(
            &register_with_language(&app, username, language).await,
            "register",
        );
        assert_eq!(my_language(&app, &me.access).await, stored, "{language}");
    }
    let me = app.register("karim").await;
    assert_eq!(my_language(&app, &me.access).await, "fr");
    for (language, stored) in [("kab", "kab"), ("en-gb", "en-GB"), ("es-419", "es-419")] {
        let body = update_language(&app, &me.access, language).await;
        assert_eq!(
            body["data"]["updatePreferences"]["language"], stored,
            "{body}"
        );
        assert_eq!(my_language(&app, &me.access).await, stored);
    }
}

async fn anything_but_a_short_language_tag_is_bad_user_input_on_language(backend: Backend) {
    let app = spawn_app_with(backend, &[NO_REGISTER_LIMIT]).await;
    let me = app.register("amina").await;
    update_language(&app, &me.access, "kab").await;
    for language in [
        "english-please",
        "x",
        "english",
        "en-US-posix",
        "abcdefghijk",
        "en\u{0}",
        "fr\n",
        "e\u{7}n",
        "\u{202e}ar",
        "fr_DZ",
        "",
    ] {
        assert_language_refused(
            &register_with_language(&app, "newcomer", language).await,
            language,
        );
        assert_language_refused(&update_language(&app, &me.access, language).await, language);
    }
    // Nothing was stored: no account for the newcomer, and the tag set first is kept.
    tokens(
        &app.graphql(
            None,
            &format!("mutation($i: RegisterInput!) {{ register(input: $i) {{ {AUTH_PAYLOAD} }} }}"),
            json!({ "i": { "username": "newcomer", "email": "newcomer@example.dz",
                "password": PASSWORD, "passwordConfirm": PASSWORD } }),
        )
        .await,
        "register",
    );
    assert_eq!(my_language(&app, &me.access).await, "kab");
}

async fn english_and_arabic_tags_get_their_mail_and_other_tags_french_mail(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[NO_REGISTER_LIMIT]).await;
    tokens(
        &register_with_language(&app, "john", "en-GB").await,
        "register",
    );
    tokens(
        &register_with_language(&app, "amina", "kab").await,
        "register",
    );
    tokens(
        &register_with_language(&app, "salma", "ar").await,
        "register",
    );
    let mails = sink.wait_for(3, MAIL_WAIT).await;
    let mail_to = |username: &str| {
        mails
            .iter()
            .find(|mail| mail.to() == format!("{username}@example.dz"))
            .unwrap_or_else(|| panic!("no mail to {username}"))
    };
    let english = mail_to("john");
    assert_eq!(english.subject(), "Confirm your email address");
    assert!(
        english.text().starts_with("Hello john,"),
        "{}",
        english.text()
    );
    assert!(english.html().contains("<html lang=\"en\" dir=\"ltr\">"));
    let french = mail_to("amina");
    assert_eq!(french.subject(), "Confirmez votre adresse e-mail");
    assert!(french.html().contains("<html lang=\"fr\" dir=\"ltr\">"));
    let arabic = mail_to("salma");
    assert!(arabic.html().contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert_ne!(arabic.subject(), french.subject());
}

/// `create-user` answers an over-long password as the API does: too long, not bad input.
#[test]
fn create_user_refuses_a_password_over_1024_bytes_as_too_long() {
    let data_dir = tempfile::tempdir().unwrap();
    let data_dir_text = data_dir.path().to_string_lossy();
    let env = [("DATA_DIR", &*data_dir_text)];
    let args = ["--username", "longpass", "--email", "l@example.dz"];
    let output = create_user(&env, &args, &padded(1025));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("TOO_LONG"), "{stderr}");
    let output = create_user(&env, &args, "azerty123");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("TOO_COMMON"), "{stderr}");
    assert_success(&create_user(&env, &args, &padded(1024)));
}

/// `BAD_USER_INPUT` naming the `language` field.
fn assert_language_refused(body: &Value, language: &str) {
    assert_eq!(
        error_code(body),
        Some("BAD_USER_INPUT"),
        "{language:?}: {body}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "language",
        "{language:?}"
    );
}
