//! Registration, sign-in, password changes, preferences, guards.
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{AUTH_PAYLOAD, Backend, PASSWORD, TestApp, error_code, spawn_app, tokens},
};

backend_tests!(
    a_new_account_gets_the_contract_defaults,
    registration_refuses_bad_input_with_the_field_named,
    usernames_and_emails_are_unique_whatever_their_case,
    a_password_mismatch_or_weak_password_stores_nothing,
    login_accepts_a_username_or_an_email_in_any_case,
    a_wrong_password_and_an_unknown_user_get_the_same_answer,
    five_failures_lock_the_account_even_for_the_right_password,
    changing_the_password_ends_old_tokens_and_other_sessions,
    keeping_other_sessions_still_kills_their_old_access_tokens,
    change_password_checks_the_current_password_and_the_confirmation,
    preferences_change_only_the_fields_given,
    guarded_fields_need_a_live_session,
);

async fn register(app: &TestApp, input: Value) -> Value {
    app.graphql(
        None,
        &format!(
            "mutation($input: RegisterInput!) {{ register(input: $input) {{ {AUTH_PAYLOAD} }} }}"
        ),
        json!({ "input": input }),
    )
    .await
}

fn input(username: &str, email: &str, password: &str, confirm: &str) -> Value {
    json!({ "username": username, "email": email, "password": password, "passwordConfirm": confirm })
}

const ME: &str = "{ me { id username email emailVerified phoneVerified isStaff isActive language timezone \
                  emailNotifications smsNotifications pushNotifications dateJoined lastLogin lastLoginIp \
                  passwordChangedAt lockedUntil } }";

async fn a_new_account_gets_the_contract_defaults(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register("amina").await;
    let me = &app.graphql(Some(&tokens.access), ME, json!({})).await["data"]["me"];
    assert_eq!(me["username"], "amina");
    assert_eq!(me["email"], "amina@example.dz");
    assert_eq!(me["language"], "fr");
    assert_eq!(me["timezone"], "Africa/Algiers");
    assert_eq!(me["emailVerified"], false);
    assert_eq!(me["isStaff"], false);
    assert_eq!(me["isActive"], true);
    assert_eq!(me["lockedUntil"], Value::Null);
    assert!(me["dateJoined"].is_string());
    let body = register(
        &app,
        json!({ "username": "yacine", "email": "yacine@example.dz", "password": PASSWORD,
                "passwordConfirm": PASSWORD, "language": "en", "timezone": "Europe/Paris" }),
    )
    .await;
    let other = tokens_of(&body);
    let me = &app.graphql(Some(&other), ME, json!({})).await["data"]["me"];
    assert_eq!(
        (me["language"].as_str(), me["timezone"].as_str()),
        (Some("en"), Some("Europe/Paris"))
    );
}

fn tokens_of(body: &Value) -> String {
    tokens(body, "register").access
}

async fn registration_refuses_bad_input_with_the_field_named(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases = [
        (input("am", "a@example.dz", PASSWORD, PASSWORD), "username"),
        (
            input("amina<script>", "a@example.dz", PASSWORD, PASSWORD),
            "username",
        ),
        (input("amina", "not-an-email", PASSWORD, PASSWORD), "email"),
        (
            input("amina", "Amina <a@example.dz>", PASSWORD, PASSWORD),
            "email",
        ),
        (
            input("amina", "a@example.dz\u{0}", PASSWORD, PASSWORD),
            "email",
        ),
        (
            json!({ "username": "amina", "email": "a@example.dz", "password": PASSWORD,
                 "passwordConfirm": PASSWORD, "timezone": "Mars/Olympus" }),
            "timezone",
        ),
        (
            json!({ "username": "amina", "email": "a@example.dz", "password": PASSWORD,
                 "passwordConfirm": PASSWORD, "language": "english" }),
            "language",
        ),
    ];
    for (input, field) in cases {
        let body = register(&app, input.clone()).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{input}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{input}");
    }
}

async fn usernames_and_emails_are_unique_whatever_their_case(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register_with("Amina", "Amina@Example.dz", &[]).await;
    let body = register(&app, input("aMINA", "other@example.dz", PASSWORD, PASSWORD)).await;
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "username",
        "{body}"
    );
    let body = register(
        &app,
        input("someone", "AMINA@EXAMPLE.DZ", PASSWORD, PASSWORD),
    )
    .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "email", "{body}");
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"));
    // Two racing sign-ups with the same name: one account, one clean refusal.
    let (a, b) = tokio::join!(
        register(&app, input("twin", "twin1@example.dz", PASSWORD, PASSWORD)),
        register(&app, input("TWIN", "twin2@example.dz", PASSWORD, PASSWORD)),
    );
    let codes: Vec<_> = [&a, &b]
        .iter()
        .map(|r| error_code(r).map(str::to_owned))
        .collect();
    assert!(
        codes.contains(&None) && codes.contains(&Some("BAD_USER_INPUT".into())),
        "{a} {b}"
    );
}

async fn a_password_mismatch_or_weak_password_stores_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = register(
        &app,
        input("amina", "a@example.dz", PASSWORD, "something else"),
    )
    .await;
    assert_eq!(error_code(&body), Some("PASSWORD_MISMATCH"));
    let body = register(&app, input("amina", "a@example.dz", "short", "short")).await;
    assert_eq!(error_code(&body), Some("WEAK_PASSWORD"));
    assert_eq!(
        body["errors"][0]["extensions"]["reasons"],
        json!(["TOO_SHORT"])
    );
    let body = register(
        &app,
        input("amina", "a@example.dz", "amina-rocks-1", "amina-rocks-1"),
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["reasons"],
        json!(["SIMILAR_TO_USERNAME"])
    );
    // None of those created the account: the name is still free.
    let body = register(&app, input("amina", "a@example.dz", PASSWORD, PASSWORD)).await;
    assert!(
        body["data"]["register"]["accessToken"].is_string(),
        "{body}"
    );
}

async fn login_accepts_a_username_or_an_email_in_any_case(backend: Backend) {
    let app = spawn_app(backend).await;
    let registered = app.register("amina").await;
    for identifier in ["amina", "AMINA", "amina@example.dz", "Amina@Example.DZ"] {
        let signed_in = app.login(identifier, None).await;
        assert_eq!(signed_in.user_id, registered.user_id, "{identifier}");
    }
    let me = &app.graphql(Some(&registered.access), ME, json!({})).await["data"]["me"];
    assert_eq!(me["lastLoginIp"], "127.0.0.1");
    assert!(me["lastLogin"].is_string());
}

async fn a_wrong_password_and_an_unknown_user_get_the_same_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register("amina").await;
    let wrong = app
        .login_raw(
            json!({ "username": "amina", "password": "not the password" }),
            &[],
        )
        .await;
    let unknown = app
        .login_raw(
            json!({ "username": "nobody", "password": "not the password" }),
            &[],
        )
        .await;
    assert_eq!(error_code(&wrong), Some("INVALID_CREDENTIALS"));
    assert_eq!(wrong["errors"], unknown["errors"]);
}

async fn five_failures_lock_the_account_even_for_the_right_password(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register("amina").await;
    for _ in 0..5 {
        let body = app
            .login_raw(
                json!({ "username": "amina", "password": "wrong-password" }),
                &[],
            )
            .await;
        assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"));
    }
    let body = app
        .login_raw(json!({ "username": "amina", "password": PASSWORD }), &[])
        .await;
    assert_eq!(error_code(&body), Some("ACCOUNT_LOCKED"), "{body}");
    let retry = body["errors"][0]["extensions"]["retryAfterSeconds"]
        .as_u64()
        .unwrap();
    assert!((1790..=1800).contains(&retry), "{retry}");
}

async fn change_password(
    app: &TestApp,
    token: &str,
    current: &str,
    new: &str,
    confirm: &str,
    revoke_others: Option<bool>,
) -> Value {
    app.graphql(
        Some(token),
        &format!("mutation($input: ChangePasswordInput!) {{ changePassword(input: $input) {{ {AUTH_PAYLOAD} }} }}"),
        json!({ "input": { "currentPassword": current, "newPassword": new, "newPasswordConfirm": confirm,
                           "revokeOtherSessions": revoke_others } }),
    )
    .await
}

const NEW_PASSWORD: &str = "a brand new passphrase";

async fn changing_the_password_ends_old_tokens_and_other_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let laptop = app.register("amina").await;
    let phone = app.login("amina", Some("phone")).await;
    let body = change_password(
        &app,
        &laptop.access,
        PASSWORD,
        NEW_PASSWORD,
        NEW_PASSWORD,
        None,
    )
    .await;
    let fresh = tokens(&body, "changePassword");
    assert_eq!(app.whoami(&fresh.access).await, Ok(laptop.user_id.clone()));
    for old in [&laptop, &phone] {
        assert_eq!(app.whoami(&old.access).await, Err("UNAUTHENTICATED".into()));
        assert_eq!(
            error_code(&app.refresh_raw(&old.refresh).await),
            Some("INVALID_TOKEN")
        );
    }
    assert!(app.refresh_raw(&fresh.refresh).await["data"]["refresh"].is_object());
    let old_login = app
        .login_raw(json!({ "username": "amina", "password": PASSWORD }), &[])
        .await;
    assert_eq!(error_code(&old_login), Some("INVALID_CREDENTIALS"));
    let new_login = app
        .login_raw(
            json!({ "username": "amina", "password": NEW_PASSWORD }),
            &[],
        )
        .await;
    assert!(new_login["data"]["login"].is_object());
    let me = &app.graphql(Some(&fresh.access), ME, json!({})).await["data"]["me"];
    assert!(me["passwordChangedAt"].is_string());
}

async fn keeping_other_sessions_still_kills_their_old_access_tokens(backend: Backend) {
    let app = spawn_app(backend).await;
    let laptop = app.register("amina").await;
    let phone = app.login("amina", Some("phone")).await;
    let body = change_password(
        &app,
        &laptop.access,
        PASSWORD,
        NEW_PASSWORD,
        NEW_PASSWORD,
        Some(false),
    )
    .await;
    tokens(&body, "changePassword");
    assert_eq!(
        app.whoami(&phone.access).await,
        Err("UNAUTHENTICATED".into())
    );
    // The phone's session lives on: a refresh, in the same second, gets it a token
    // that works.
    let renewed = tokens(&app.refresh_raw(&phone.refresh).await, "refresh");
    assert_eq!(app.whoami(&renewed.access).await, Ok(phone.user_id));
}

async fn change_password_checks_the_current_password_and_the_confirmation(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    let body = change_password(
        &app,
        &me.access,
        "not my password",
        NEW_PASSWORD,
        NEW_PASSWORD,
        None,
    )
    .await;
    assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"));
    let body = change_password(&app, &me.access, PASSWORD, NEW_PASSWORD, "typo", None).await;
    assert_eq!(error_code(&body), Some("PASSWORD_MISMATCH"));
    let body = change_password(&app, &me.access, PASSWORD, "tiny", "tiny", None).await;
    assert_eq!(error_code(&body), Some("WEAK_PASSWORD"));
    // Nothing was used up: the session and the old password still work.
    assert!(app.whoami(&me.access).await.is_ok());
    app.login("amina", None).await;
}

async fn preferences_change_only_the_fields_given(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    let update = |input: Value| {
        let app = &app;
        let token = me.access.clone();
        async move {
            app.graphql(
                Some(&token),
                "mutation($input: PreferencesInput!) { updatePreferences(input: $input) { language timezone emailNotifications smsNotifications pushNotifications } }",
                json!({ "input": input }),
            )
            .await
        }
    };
    let body = update(json!({ "language": "en", "smsNotifications": true })).await;
    let user = &body["data"]["updatePreferences"];
    assert_eq!(user["language"], "en");
    assert_eq!(user["timezone"], "Africa/Algiers");
    assert_eq!(user["smsNotifications"], true);
    let body = update(json!({ "timezone": "Not/AZone" })).await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"));
    assert_eq!(body["errors"][0]["extensions"]["field"], "timezone");
    let body = update(json!({ "timezone": "America/Montreal" })).await;
    assert_eq!(
        body["data"]["updatePreferences"]["timezone"],
        "America/Montreal"
    );
    assert_eq!(body["data"]["updatePreferences"]["language"], "en");
}

async fn guarded_fields_need_a_live_session(backend: Backend) {
    let app = spawn_app(backend).await;
    for query in [
        "{ me { id } }",
        "{ sessions { id } }",
        "mutation { logoutAll }",
        "mutation { updatePreferences(input: { language: \"en\" }) { id } }",
    ] {
        let body = app.graphql(None, query, json!({})).await;
        assert_eq!(
            error_code(&body),
            Some("UNAUTHENTICATED"),
            "{query}: {body}"
        );
    }
}
