//! Refresh-token rotation, the reuse grace window, and reuse detection.
use std::{collections::HashSet, time::Duration};

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::{
    backend_tests,
    helpers::{Backend, PASSWORD, error_code, spawn_app, spawn_app_with, tokens},
};

backend_tests!(
    a_refresh_returns_a_new_pair_for_the_same_session,
    a_token_presented_again_within_the_grace_window_gets_the_same_successor,
    a_token_replayed_after_the_grace_window_revokes_the_whole_session,
    concurrent_refreshes_of_one_token_mint_exactly_one_successor,
    an_unknown_or_forged_refresh_token_is_invalid,
    a_refresh_after_logout_is_invalid,
    sessions_slide_on_refresh_but_never_past_the_cap,
    remember_me_keeps_a_session_for_a_week,
);

fn time(v: &serde_json::Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

async fn a_refresh_returns_a_new_pair_for_the_same_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.register("amina").await;
    let body = app.refresh_raw(&first.refresh).await;
    let second = tokens(&body, "refresh");
    assert_ne!(second.refresh, first.refresh);
    assert_ne!(second.access, first.access);
    assert_eq!(second.session_id, first.session_id);
    assert_eq!(body["data"]["refresh"]["tokenType"], "Bearer");
    assert_eq!(app.whoami(&second.access).await, Ok(first.user_id.clone()));
    // The successor rotates in turn.
    let third = tokens(&app.refresh_raw(&second.refresh).await, "refresh");
    assert_ne!(third.refresh, second.refresh);
}

async fn a_token_presented_again_within_the_grace_window_gets_the_same_successor(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.register("amina").await;
    let a = tokens(&app.refresh_raw(&first.refresh).await, "refresh");
    let b = tokens(&app.refresh_raw(&first.refresh).await, "refresh");
    assert_eq!(a.refresh, b.refresh, "no second successor is created");
    assert_eq!(app.whoami(&b.access).await, Ok(first.user_id.clone()));
    // The successor is the one live token: it rotates normally.
    assert!(app.refresh_raw(&a.refresh).await["data"]["refresh"].is_object());
}

async fn a_token_replayed_after_the_grace_window_revokes_the_whole_session(backend: Backend) {
    let app = spawn_app_with(backend, &[("REFRESH_REUSE_GRACE", "1s")]).await;
    let first = app.register("amina").await;
    let other_device = app.login("amina", Some("phone")).await;
    let second = tokens(&app.refresh_raw(&first.refresh).await, "refresh");
    tokio::time::sleep(Duration::from_millis(1300)).await;

    let replay = app.refresh_raw(&first.refresh).await;
    assert_eq!(error_code(&replay), Some("TOKEN_REUSED"), "{replay}");
    // The whole session is gone: its newest refresh token and its access tokens too.
    assert_eq!(
        error_code(&app.refresh_raw(&second.refresh).await),
        Some("INVALID_TOKEN")
    );
    assert_eq!(
        app.whoami(&second.access).await,
        Err("UNAUTHENTICATED".into())
    );
    assert_eq!(
        app.whoami(&first.access).await,
        Err("UNAUTHENTICATED".into())
    );
    // Other sessions of the user are untouched.
    assert_eq!(app.whoami(&other_device.access).await, Ok(first.user_id));
}

async fn concurrent_refreshes_of_one_token_mint_exactly_one_successor(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.register("amina").await;
    let answers = futures::future::join_all((0..20).map(|_| app.refresh_raw(&first.refresh))).await;
    let successors: HashSet<String> = answers
        .iter()
        .map(|body| tokens(body, "refresh").refresh)
        .collect();
    assert_eq!(successors.len(), 1, "{successors:?}");
    // And it is a live token: it rotates once more.
    let successor = successors.into_iter().next().unwrap();
    assert!(app.refresh_raw(&successor).await["data"]["refresh"].is_object());
}

async fn an_unknown_or_forged_refresh_token_is_invalid(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.register("amina").await;
    let mut forged = first.refresh.clone().into_bytes();
    let last = forged.len() - 2;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    for token in [
        String::new(),
        "nope".into(),
        String::from_utf8(forged).unwrap(),
        first.access.clone(),
    ] {
        let body = app.refresh_raw(&token).await;
        assert_eq!(error_code(&body), Some("INVALID_TOKEN"), "{token}: {body}");
    }
    // None of that harmed the real session.
    assert!(app.refresh_raw(&first.refresh).await["data"]["refresh"].is_object());
}

async fn a_refresh_after_logout_is_invalid(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.register("amina").await;
    let body = app
        .graphql(Some(&first.access), "mutation { logout }", json!({}))
        .await;
    assert_eq!(body["data"]["logout"], true);
    assert_eq!(
        error_code(&app.refresh_raw(&first.refresh).await),
        Some("INVALID_TOKEN")
    );
}

async fn sessions_slide_on_refresh_but_never_past_the_cap(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[("SHORT_SESSION_TTL", "1h"), ("SESSION_MAX_TTL", "1h30m")],
    )
    .await;
    app.register("amina").await;
    let body = app
        .login_raw(json!({ "username": "amina", "password": PASSWORD }), &[])
        .await;
    let session = &body["data"]["login"]["session"];
    let created = time(&session["createdAt"]);
    let first_expiry = time(&session["expiresAt"]);
    assert_eq!((first_expiry - created).num_minutes(), 60);
    assert_eq!(
        time(&body["data"]["login"]["refreshTokenExpiresAt"]),
        first_expiry
    );

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let refreshed = app
        .refresh_raw(body["data"]["login"]["refreshToken"].as_str().unwrap())
        .await;
    let slid = time(&refreshed["data"]["refresh"]["session"]["expiresAt"]);
    assert!(slid > first_expiry, "a refresh slides the session");

    let capped = spawn_app_with(
        backend,
        &[("SHORT_SESSION_TTL", "1h"), ("SESSION_MAX_TTL", "30m")],
    )
    .await;
    capped.register("amina").await;
    let body = capped
        .login_raw(json!({ "username": "amina", "password": PASSWORD }), &[])
        .await;
    let created = time(&body["data"]["login"]["session"]["createdAt"]);
    let refreshed = capped
        .refresh_raw(body["data"]["login"]["refreshToken"].as_str().unwrap())
        .await;
    let expiry = time(&refreshed["data"]["refresh"]["session"]["expiresAt"]);
    assert_eq!((expiry - created).num_minutes(), 30, "never past the cap");
}

async fn remember_me_keeps_a_session_for_a_week(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register("amina").await;
    for (remember, hours) in [(true, 7 * 24), (false, 24)] {
        let body = app
            .login_raw(
                json!({ "username": "amina", "password": PASSWORD, "rememberMe": remember }),
                &[],
            )
            .await;
        let session = &body["data"]["login"]["session"];
        let lifetime = time(&session["expiresAt"]) - time(&session["createdAt"]);
        assert_eq!(lifetime.num_hours(), hours, "rememberMe: {remember}");
    }
}
