//! Every message in French, English or Arabic: the signed-in user's `language`, else
//! the request's `Accept-Language`, else French.
use serde_json::json;

use crate::{
    backend_tests,
    helpers::{Backend, MAIL_WAIT, spawn_app, spawn_app_with_mail},
};

backend_tests!(
    errors_speak_the_language_the_browser_asks_for,
    a_signed_in_user_s_language_wins_over_the_browser_s,
    refusals_before_graphql_runs_are_localized_too,
    arabic_mail_is_right_to_left,
);

const BAD_LOGIN: &str = r#"mutation { login(input: { username: "nobody", password: "wrong-password" }) { accessToken } }"#;

async fn errors_speak_the_language_the_browser_asks_for(backend: Backend) {
    let app = spawn_app(backend).await;
    let message =
        |body: serde_json::Value| body["errors"][0]["message"].as_str().unwrap().to_owned();
    for (header, expected) in [
        (
            None,
            "Le nom d'utilisateur, l'adresse e-mail ou le mot de passe est incorrect.",
        ),
        (
            Some("en-US,en;q=0.9"),
            "The username, email or password is incorrect.",
        ),
        (
            Some("de-DE, fr;q=0.5"),
            "Le nom d'utilisateur, l'adresse e-mail ou le mot de passe est incorrect.",
        ),
        (Some("ar-DZ"), ""),
    ] {
        let headers: Vec<(&str, &str)> =
            header.map(|h| ("accept-language", h)).into_iter().collect();
        let body = app.graphql_with(None, &headers, BAD_LOGIN, json!({})).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "INVALID_CREDENTIALS"
        );
        let text = message(body);
        if header == Some("ar-DZ") {
            assert!(
                text.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
                "{text}"
            );
        } else {
            assert_eq!(text, expected, "{header:?}");
        }
    }

    // Input errors with values in them, and the document's own errors (their detail
    // is for developers and stays English).
    let body = app
        .graphql_with(
            None,
            &[("accept-language", "en")],
            r#"mutation { register(input: { username: "a", email: "a@example.dz", password: "x", passwordConfirm: "x" }) { accessToken } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["message"],
        "A username has 3 to 150 characters."
    );
    let body = app
        .graphql_with(None, &[("accept-language", "fr")], "{ nope }", json!({}))
        .await;
    let text = body["errors"][0]["message"].as_str().unwrap();
    assert!(text.starts_with("Document refusé"), "{text}");
    assert!(text.contains("nope"), "{text}");
}

async fn a_signed_in_user_s_language_wins_over_the_browser_s(backend: Backend) {
    let app = spawn_app(backend).await;
    let amina = app.register("amina").await;
    app.graphql(
        Some(&amina.access),
        r#"mutation { updatePreferences(input: { language: "en-GB" }) { language } }"#,
        json!({}),
    )
    .await;
    let body = app
        .graphql_with(
            Some(&amina.access),
            &[("accept-language", "fr")],
            r#"mutation { changePassword(input: { currentPassword: "wrong-password", newPassword: "Tiz1-Ouzou-Kabylie", newPasswordConfirm: "Tiz1-Ouzou-Kabylie" }) { accessToken } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["message"], "The username, email or password is incorrect.",
        "{body}"
    );
}

async fn refusals_before_graphql_runs_are_localized_too(backend: Backend) {
    let app = spawn_app(backend).await;
    for (language, expected) in [
        (
            "en",
            "Send GraphQL requests as JSON with Content-Type: application/json.",
        ),
        ("fr", "Content-Type: application/json"),
    ] {
        let response = app
            .http
            .post(app.url("/graphql"))
            .header("content-type", "text/plain")
            .header("accept-language", language)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 415);
        let body: serde_json::Value = response.json().await.unwrap();
        let text = body["errors"][0]["message"].as_str().unwrap();
        assert!(text.contains(expected), "{language}: {text}");
        if language == "fr" {
            assert!(!text.starts_with("Send"), "{text}");
        }
    }
}

async fn arabic_mail_is_right_to_left(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    app.graphql(
        None,
        r#"mutation { register(input: { username: "salma", email: "salma@example.dz", password: "Tiz1-Ouzou-Kabylie", passwordConfirm: "Tiz1-Ouzou-Kabylie", language: "ar-DZ" }) { accessToken } }"#,
        json!({}),
    )
    .await;
    let mail = &sink.wait_for(1, MAIL_WAIT).await[0];
    let html = mail.html();
    assert!(html.contains("<html lang=\"ar\" dir=\"rtl\">"), "{html}");
    assert!(
        mail.subject()
            .chars()
            .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
        "{}",
        mail.subject()
    );
    assert!(mail.text().contains("salma"));
    assert!(
        mail.text().contains("Auth Test"),
        "the footer names MAIL_FROM's sender"
    );
    assert!(!mail.token("verify-email").is_empty());
}
