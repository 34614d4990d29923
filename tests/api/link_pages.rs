//! The pages behind mail links when `APP_URL` is the service itself: a GET shows a
//! button and uses nothing up (mail scanners open links), the POST completes the step
//! through the same flows, and everything is localized and locked down by its CSP.
use serde_json::json;

use crate::{
    backend_tests,
    helpers::{
        Backend, MAIL_WAIT, PASSWORD, TestApp, TestDatabase, spawn_app_with_mail, test_settings,
    },
};

backend_tests!(
    a_verification_link_is_only_used_by_its_button,
    a_reset_page_shows_weak_password_reasons_and_keeps_its_form,
    a_hostile_token_is_escaped_and_a_long_one_refused,
    the_sessions_page_mails_a_reset_link,
    with_app_url_elsewhere_links_lead_there_and_the_pages_are_gone,
    another_site_cannot_post_a_page_s_form,
    an_oversized_form_is_refused_and_its_connection_closed,
);

async fn page(app: &TestApp, path: &str, language: &str) -> reqwest::Response {
    app.http
        .get(app.url(path))
        .header("accept-language", language)
        .send()
        .await
        .unwrap()
}

async fn submit(app: &TestApp, path: &str, language: &str, form: &[(&str, &str)]) -> (u16, String) {
    let response = app
        .http
        .post(app.url(path))
        .header("accept-language", language)
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn email_verified(app: &TestApp, access: &str) -> bool {
    app.graphql(Some(access), "{ me { emailVerified } }", json!({}))
        .await["data"]["me"]["emailVerified"]
        .as_bool()
        .unwrap()
}

async fn a_verification_link_is_only_used_by_its_button(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    let amina = app.register("amina").await;
    let token = sink.wait_for(1, MAIL_WAIT).await[0].token("verify-email");

    // Opened twice, as a scanner and then the person would: still unused.
    for _ in 0..2 {
        let response = page(
            &app,
            &format!("/verify-email?token={token}"),
            "fr-DZ,fr;q=0.9",
        )
        .await;
        assert_eq!(response.status(), 200);
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("form-action 'self'"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        let html = response.text().await.unwrap();
        assert!(html.contains("<html lang=\"fr\" dir=\"ltr\">"), "{html}");
        assert!(html.contains("Confirmer mon adresse"), "{html}");
        assert!(html.contains(&format!("name=\"token\" value=\"{token}\"")));
        assert!(
            !html.contains("<script"),
            "no scripts on a page that holds a token"
        );
    }
    assert!(
        !email_verified(&app, &amina.access).await,
        "a GET used the link up"
    );

    let (status, html) = submit(&app, "/verify-email", "ar", &[("token", &token)]).await;
    assert_eq!(status, 200);
    assert!(html.contains("dir=\"rtl\""), "{html}");
    assert!(html.contains("class=\"notice done\""), "{html}");
    assert!(email_verified(&app, &amina.access).await);

    // The button again: the link is spent, and the page says so in English.
    let (_, html) = submit(&app, "/verify-email", "en-GB", &[("token", &token)]).await;
    assert!(
        html.contains("This link is invalid, expired or already used."),
        "{html}"
    );
    assert!(!html.contains("<form"), "a dead link offers no button");
}

async fn a_reset_page_shows_weak_password_reasons_and_keeps_its_form(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    app.register("amina").await;
    sink.wait_for(1, MAIL_WAIT).await;
    app.graphql(
        None,
        "mutation { requestPasswordReset(email: \"amina@example.dz\") }",
        json!({}),
    )
    .await;
    let token = sink.wait_for(2, MAIL_WAIT).await[1].token("reset-password");

    let html = page(&app, &format!("/reset-password?token={token}"), "en")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("type=\"password\"") && html.contains("autocomplete=\"new-password\""));

    let weak = [
        ("token", token.as_str()),
        ("new_password", "amina"),
        ("new_password_confirm", "amina"),
    ];
    let (status, html) = submit(&app, "/reset-password", "en", &weak).await;
    assert_eq!(status, 200);
    assert!(html.contains("Choose a stronger password."), "{html}");
    assert!(
        html.contains("It is too short: use at least 8 characters."),
        "{html}"
    );
    assert!(html.contains("It contains your username."), "{html}");
    assert!(
        html.contains(&format!("value=\"{token}\"")),
        "the form stays, with its token"
    );

    let mismatch = [
        ("token", token.as_str()),
        ("new_password", "Tiz1-Ouzou-Kabylie"),
        ("new_password_confirm", "other"),
    ];
    let (_, html) = submit(&app, "/reset-password", "fr", &mismatch).await;
    assert!(html.contains("class=\"notice error\""), "{html}");
    assert!(html.contains("<form"), "{html}");

    let good = [
        ("token", token.as_str()),
        ("new_password", "Tiz1-Ouzou-Kabylie"),
        ("new_password_confirm", "Tiz1-Ouzou-Kabylie"),
    ];
    let (_, html) = submit(&app, "/reset-password", "en", &good).await;
    assert!(html.contains("class=\"notice done\""), "{html}");
    let login = app
        .login_raw(
            json!({ "username": "amina", "password": "Tiz1-Ouzou-Kabylie" }),
            &[],
        )
        .await;
    assert!(login["errors"].is_null(), "{login}");
    let old = app
        .login_raw(json!({ "username": "amina", "password": PASSWORD }), &[])
        .await;
    assert_eq!(
        old["errors"][0]["extensions"]["code"],
        "INVALID_CREDENTIALS"
    );
}

async fn a_hostile_token_is_escaped_and_a_long_one_refused(backend: Backend) {
    let (app, _sink) = spawn_app_with_mail(backend, &[]).await;
    let hostile = "%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    let html = page(&app, &format!("/verify-email?token={hostile}"), "en")
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");

    let long = "a".repeat(1024);
    let html = page(&app, &format!("/confirm-email-change?token={long}"), "en")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("This link is incomplete"), "{html}");
    assert!(!html.contains(&long));

    // Not a form at all, or no token: the page says so, never a 4xx/5xx body.
    let response = app
        .http
        .post(app.url("/reset-password"))
        .header("content-type", "application/json")
        .header("accept-language", "en")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("incomplete"));
    let (status, html) = submit(&app, "/verify-email", "en", &[("token", "made-up")]).await;
    assert_eq!(status, 200);
    assert!(html.contains("This link is invalid"), "{html}");
}

async fn the_sessions_page_mails_a_reset_link(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    app.register("amina").await;
    sink.wait_for(1, MAIL_WAIT).await;
    let html = page(&app, "/sessions", "ar").await.text().await.unwrap();
    assert!(html.contains("type=\"email\""), "{html}");
    assert!(!html.contains("name=\"token\""), "{html}");
    let (_, html) = submit(&app, "/sessions", "ar", &[("email", "amina@example.dz")]).await;
    assert!(html.contains("class=\"notice done\""), "{html}");
    let mails = sink.wait_for(2, MAIL_WAIT).await;
    assert!(!mails[1].token("reset-password").is_empty());
    // The same answer for an address nobody uses: the page tells nothing away.
    let (_, unknown) = submit(&app, "/sessions", "ar", &[("email", "nobody@example.dz")]).await;
    assert_eq!(unknown, html);
}

async fn with_app_url_elsewhere_links_lead_there_and_the_pages_are_gone(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[("APP_URL", "https://app.example.dz/")]).await;
    app.register("amina").await;
    let text = sink.wait_for(1, MAIL_WAIT).await[0].text();
    assert!(
        text.contains("https://app.example.dz/verify-email?token="),
        "{text}"
    );
    assert_eq!(
        page(&app, "/verify-email?token=x", "en").await.status(),
        404
    );
    assert_eq!(page(&app, "/assets/pages.css", "en").await.status(), 404);
}

/// A form on another site, posting to a page while its reader is signed in to nothing
/// here, would still spend their link or mail them a reset: browsers say where a POST
/// comes from, and only this origin's own pages may send one.
async fn another_site_cannot_post_a_page_s_form(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    let amina = app.register("amina").await;
    let token = sink.wait_for(1, MAIL_WAIT).await[0].token("verify-email");
    let post = |path: &'static str,
                form: Vec<(&'static str, String)>,
                from: [(&'static str, &'static str); 1]| {
        let mut request = app
            .http
            .post(app.url(path))
            .header("accept-language", "en")
            .form(&form);
        for (name, value) in from {
            request = request.header(name, value);
        }
        request.send()
    };
    let verify = || vec![("token", token.clone())];
    let cross_site = [
        [("sec-fetch-site", "cross-site")],
        [("sec-fetch-site", "same-site")],
        [("origin", "https://evil.example")],
        [("origin", "http://auth.test.evil.example")],
    ];
    for from in cross_site {
        let response = post("/verify-email", verify(), from).await.unwrap();
        assert_eq!(response.status(), 403, "{from:?}");
        let html = response.text().await.unwrap();
        assert!(html.contains("You are not allowed to do this."), "{html}");
        let response = post(
            "/sessions",
            vec![("email", "amina@example.dz".into())],
            from,
        )
        .await
        .unwrap();
        assert_eq!(response.status(), 403, "{from:?}");
    }
    assert!(
        !email_verified(&app, &amina.access).await,
        "the link is unspent"
    );

    // The page's own button: same origin, or `Origin: null` under `no-referrer`.
    let sessions = vec![("email", "amina@example.dz".into())];
    let response = post("/sessions", sessions, [("origin", "null")])
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    sink.wait_for(2, MAIL_WAIT).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.received().len(), 2, "the refused posts mailed nothing");
    let response = post(
        "/verify-email",
        verify(),
        [("sec-fetch-site", "same-origin")],
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert!(email_verified(&app, &amina.access).await);
}

async fn an_oversized_form_is_refused_and_its_connection_closed(backend: Backend) {
    let (app, _sink) = spawn_app_with_mail(backend, &[("MAX_BODY_BYTES", "4096")]).await;
    let response = app
        .http
        .post(app.url("/sessions"))
        .form(&[("email", "a".repeat(10_000))])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(response.headers()["connection"], "close");
}

/// A replaced layout that cannot render stops the start, rather than every mail and
/// page after it.
#[tokio::test]
async fn a_layout_that_does_not_render_stops_the_start() {
    for layout in ["pages/page.html", "mail/message.html", "mail/message.txt"] {
        let templates = tempfile::tempdir().unwrap();
        let path = templates.path().join(layout);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{{ title | no_such_filter }}").unwrap();
        let db = TestDatabase::new(Backend::Sqlite).await;
        let data = tempfile::tempdir().unwrap();
        let dir = templates.path().to_string_lossy().into_owned();
        let settings = test_settings(&db.url, data.path(), &[("TEMPLATES_DIR", &dir)]);
        let refused = graphql_auth::startup::Application::build(&settings).await;
        let err = format!("{:#}", refused.err().expect("the start is refused"));
        assert!(err.contains(layout), "{layout}: {err}");
    }
}
