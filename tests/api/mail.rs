//! The mail outbox: languages, notices, and delivery that survives an SMTP outage,
//! a restart, and a second instance.
use std::time::Duration;

use graphql_auth::startup::Application;
use serde_json::json;

use crate::{
    backend_tests,
    helpers::{
        AUTH_PAYLOAD, Backend, MAIL_WAIT, PASSWORD, TestDatabase, as_pairs, mail_settings,
        spawn_app_on, spawn_app_with_mail, spawn_replica, test_settings, tokens,
    },
    smtp_sink::SmtpSink,
};

backend_tests!(
    messages_follow_the_users_language_in_text_and_html,
    changing_the_password_emails_a_notice,
    mail_queued_while_the_smtp_server_is_down_goes_out_once_it_is_back,
    mail_queued_before_a_restart_is_sent_once_by_the_next_instance,
    two_instances_on_one_database_send_each_message_once,
    a_sign_in_from_a_new_device_and_country_emails_the_owner,
);

/// Long enough for a worker polling every 200 ms to have sent anything still due.
const SETTLE: Duration = Duration::from_millis(400);

async fn register_in(app: &crate::helpers::TestApp, username: &str, language: Option<&str>) {
    let body = app
        .graphql(
            None,
            &format!("mutation($i: RegisterInput!) {{ register(input: $i) {{ {AUTH_PAYLOAD} }} }}"),
            json!({ "i": { "username": username, "email": format!("{username}@example.dz"),
                "password": PASSWORD, "passwordConfirm": PASSWORD, "language": language } }),
        )
        .await;
    tokens(&body, "register");
}

async fn messages_follow_the_users_language_in_text_and_html(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    register_in(&app, "amina", None).await;
    let french = sink.wait_for(1, MAIL_WAIT).await.remove(0);
    register_in(&app, "john", Some("en")).await;
    let english = sink.wait_for(2, MAIL_WAIT).await.remove(1);

    assert_eq!(french.to(), "amina@example.dz");
    assert_eq!(french.subject(), "Confirmez votre adresse e-mail");
    assert!(
        french.text().starts_with("Bonjour amina,"),
        "{}",
        french.text()
    );
    assert!(french.text().contains("valable 48 heures"));
    assert!(french.html().contains("<html lang=\"fr\" dir=\"ltr\">"));

    assert_eq!(english.to(), "john@example.dz");
    assert_eq!(english.subject(), "Confirm your email address");
    assert!(
        english.text().starts_with("Hello john,"),
        "{}",
        english.text()
    );
    assert!(english.text().contains("valid for 48 hours"));
    assert!(english.html().contains("<html lang=\"en\" dir=\"ltr\">"));

    for mail in [&french, &english] {
        assert!(
            mail.raw
                .to_ascii_lowercase()
                .contains("multipart/alternative"),
            "{}",
            mail.raw
        );
        let token = mail.token("verify-email");
        // The HTML part escapes `/` as `&#x2f;`, which browsers and mail clients read back.
        let html = mail.html().replace("&#x2f;", "/");
        assert!(html.contains(&format!(
            "href=\"http://auth.test/verify-email?token={token}\""
        )));
        assert!(
            mail.raw
                .contains("From: \"Auth Test\" <no-reply@auth.test>"),
            "{}",
            mail.raw
        );
    }
}

async fn changing_the_password_emails_a_notice(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    let amina = app.register("amina").await;
    sink.wait_for(1, MAIL_WAIT).await;
    let body = app
        .graphql(
            Some(&amina.access),
            &format!("mutation($i: ChangePasswordInput!) {{ changePassword(input: $i) {{ {AUTH_PAYLOAD} }} }}"),
            json!({ "i": { "currentPassword": PASSWORD,
                "newPassword": "a brand new passphrase", "newPasswordConfirm": "a brand new passphrase" } }),
        )
        .await;
    tokens(&body, "changePassword");
    let notice = &sink.wait_for(2, MAIL_WAIT).await[1];
    assert_eq!(notice.to(), "amina@example.dz");
    assert_eq!(notice.subject(), "Votre mot de passe a été modifié");
    assert!(notice.text().contains("vient d'être modifié"));
}

async fn mail_queued_while_the_smtp_server_is_down_goes_out_once_it_is_back(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    sink.set_refusing(true);
    app.register("amina").await;
    // Asked twice during the outage: only the live (second) link is worth sending.
    for _ in 0..2 {
        let body = app
            .graphql(
                None,
                "mutation { requestPasswordReset(email: \"amina@example.dz\") }",
                json!({}),
            )
            .await;
        assert_eq!(body["data"]["requestPasswordReset"], true, "{body}");
    }
    // At most three first attempts: a fourth refusal was a retry.
    sink.wait_for_refusals(4, MAIL_WAIT).await;
    assert!(sink.received().is_empty());

    sink.set_refusing(false);
    sink.wait_for(2, MAIL_WAIT).await;
    tokio::time::sleep(SETTLE).await;
    let mut received = sink.received();
    received.sort_by_key(|m| m.subject());
    let subjects: Vec<String> = received.iter().map(|m| m.subject()).collect();
    assert_eq!(
        subjects,
        [
            "Confirmez votre adresse e-mail",
            "Réinitialisation de votre mot de passe"
        ]
    );
    let new_password = "a brand new passphrase";
    let body = app
        .graphql(
            None,
            "mutation($i: ConfirmPasswordResetInput!) { confirmPasswordReset(input: $i) }",
            json!({ "i": { "token": received[1].token("reset-password"),
                "newPassword": new_password, "newPasswordConfirm": new_password } }),
        )
        .await;
    assert_eq!(body["data"]["confirmPasswordReset"], true, "{body}");
}

async fn mail_queued_before_a_restart_is_sent_once_by_the_next_instance(backend: Backend) {
    let down = SmtpSink::start().await;
    down.set_refusing(true);
    let first = spawn_app_on(
        TestDatabase::new(backend).await,
        &as_pairs(&mail_settings(&down, &[])),
    )
    .await;
    first.register("amina").await;
    down.wait_for_refusals(1, MAIL_WAIT).await;
    let db = first.stop().await;

    let up = SmtpSink::start().await;
    let second = spawn_app_on(db, &as_pairs(&mail_settings(&up, &[]))).await;
    let mail = up.wait_for(1, MAIL_WAIT).await.remove(0);
    assert_eq!(mail.to(), "amina@example.dz");
    // The link made by the second instance verifies the account.
    let body = second
        .graphql(
            None,
            "mutation($t: String!) { verifyEmail(token: $t) { emailVerified } }",
            json!({ "t": mail.token("verify-email") }),
        )
        .await;
    assert_eq!(body["data"]["verifyEmail"]["emailVerified"], true, "{body}");
    tokio::time::sleep(SETTLE).await;
    assert_eq!(up.received().len(), 1);
    assert!(down.received().is_empty());
}

async fn two_instances_on_one_database_send_each_message_once(backend: Backend) {
    let (first, sink) = spawn_app_with_mail(backend, &[("MAIL_POLL_INTERVAL", "20ms")]).await;
    let second = spawn_replica(
        &first,
        &as_pairs(&mail_settings(&sink, &[("MAIL_POLL_INTERVAL", "20ms")])),
    )
    .await;
    let names: Vec<String> = (0..6).map(|i| format!("user{i}")).collect();
    for (i, name) in names.iter().enumerate() {
        let app = if i % 2 == 0 { &first } else { &second };
        app.register(name).await;
    }
    sink.wait_for(names.len(), MAIL_WAIT).await;
    tokio::time::sleep(SETTLE).await;
    let mut recipients: Vec<String> = sink.received().iter().map(|m| m.to().to_owned()).collect();
    recipients.sort();
    let expected: Vec<String> = names.iter().map(|n| format!("{n}@example.dz")).collect();
    assert_eq!(recipients, expected);
}

#[tokio::test]
async fn production_refuses_to_write_mail_to_the_log_unless_asked() {
    let build = |overrides: &'static [(&'static str, &'static str)]| async move {
        let db = TestDatabase::new(Backend::Sqlite).await;
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut all = vec![("APP_ENV", "production"), ("JWT_KEYS_STORE", "database")];
        all.extend_from_slice(overrides);
        let result = Application::build(&test_settings(&db.url, data_dir.path(), &all)).await;
        result.err().map(|err| format!("{err:#}"))
    };
    let refused = build(&[]).await.expect("production without SMTP_URL fails");
    assert!(refused.contains("MAIL_TO_LOG=true"), "{refused}");
    assert_eq!(build(&[("MAIL_TO_LOG", "true")]).await, None);
    assert_eq!(build(&[("SMTP_URL", "smtp://127.0.0.1:2525")]).await, None);
    let bad = build(&[
        ("SMTP_URL", "http://mail.example.dz"),
        ("MAIL_TO_LOG", "true"),
    ])
    .await
    .expect("a non-SMTP URL fails");
    assert!(bad.contains("SMTP_URL"), "{bad}");
}

async fn a_sign_in_from_a_new_device_and_country_emails_the_owner(backend: Backend) {
    let geoip = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/geoip/test-city.mmdb"
    );
    let (app, sink) = spawn_app_with_mail(
        backend,
        &[("GEOIP_DB", geoip), ("TRUSTED_PROXIES", "127.0.0.1/32")],
    )
    .await;
    register_in(&app, "amina", Some("en")).await;
    sink.wait_for(1, MAIL_WAIT).await;
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0";
    let sign_in = |ip: &'static str| {
        let app = &app;
        async move {
            let body = app
                .login_raw(
                    json!({ "username": "amina", "password": PASSWORD }),
                    &[("User-Agent", firefox), ("X-Forwarded-For", ip)],
                )
                .await;
            tokens(&body, "login");
        }
    };
    sign_in("203.0.113.7").await;
    let notice = &sink.wait_for(2, MAIL_WAIT).await[1];
    assert_eq!(notice.subject(), "New sign-in to your account");
    let text = notice.part("text/plain").unwrap();
    for expected in [
        "Firefox on Linux",
        "Algiers, Algeria",
        "203.0.113.7",
        "http://auth.test/sessions",
    ] {
        assert!(text.contains(expected), "{expected} missing from {text}");
    }
    // The same browser in the same country again: nothing new to tell.
    sign_in("203.0.113.8").await;
    tokio::time::sleep(SETTLE).await;
    assert_eq!(sink.received().len(), 2);
    // The same browser in another country is new.
    sign_in("198.51.100.1").await;
    let received = sink.wait_for(3, MAIL_WAIT).await;
    assert!(
        received[2]
            .part("text/plain")
            .unwrap()
            .contains("Paris, France")
    );
}
