//! Multi-device sessions: listing, replacement, the cap, revocation, logout.
use serde_json::json;

use crate::{
    backend_tests,
    helpers::{Backend, PASSWORD, error_code, spawn_app, spawn_app_with, tokens},
};

backend_tests!(
    sessions_list_the_current_one_first_with_its_device,
    signing_in_again_on_the_same_device_replaces_its_session,
    the_device_fingerprint_header_is_used_when_the_input_has_none,
    the_least_recently_used_session_ends_at_the_cap,
    a_revoked_sessions_access_token_stops_working_at_once,
    another_users_session_cannot_be_revoked_and_answers_not_found,
    logout_ends_only_the_current_session,
    logout_all_ends_every_session_and_counts_them,
    user_sessions_and_session_user_resolve_through_loaders,
);

async fn sessions_list_the_current_one_first_with_its_device(backend: Backend) {
    let app = spawn_app(backend).await;
    let laptop = app.register("amina").await;
    let phone = app.login("amina", Some("phone-1")).await;
    let listed = app.sessions(&laptop.access).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["id"], laptop.session_id.as_str());
    assert_eq!(listed[0]["current"], true);
    assert_eq!(listed[1]["id"], phone.session_id.as_str());
    assert_eq!(listed[1]["current"], false);
    assert_eq!(listed[1]["deviceFingerprint"], "phone-1");
    assert_eq!(listed[1]["userAgent"], "api-tests/1.0");
    assert_eq!(listed[1]["ipAddress"], "127.0.0.1");
    assert!(
        listed
            .iter()
            .all(|s| s["isActive"] == true && s["user"]["id"] == laptop.user_id.as_str())
    );
    // From the phone, the phone is current.
    assert_eq!(
        app.sessions(&phone.access).await[0]["id"],
        phone.session_id.as_str()
    );
}

async fn signing_in_again_on_the_same_device_replaces_its_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.register("amina").await;
    let old = app.login("amina", Some("tablet")).await;
    let new = app.login("amina", Some("tablet")).await;
    assert_ne!(old.session_id, new.session_id);
    assert_eq!(app.whoami(&old.access).await, Err("UNAUTHENTICATED".into()));
    assert_eq!(
        error_code(&app.refresh_raw(&old.refresh).await),
        Some("INVALID_TOKEN")
    );
    let ids: Vec<_> = app
        .sessions(&first.access)
        .await
        .iter()
        .map(|s| s["id"].clone())
        .collect();
    assert_eq!(ids, vec![json!(first.session_id), json!(new.session_id)]);
}

async fn the_device_fingerprint_header_is_used_when_the_input_has_none(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register("amina").await;
    let login = |fp: &'static str| {
        let app = &app;
        async move {
            tokens(
                &app.login_raw(
                    json!({ "username": "amina", "password": PASSWORD }),
                    &[("Device-Fingerprint", fp)],
                )
                .await,
                "login",
            )
        }
    };
    let first = login("kiosk-7").await;
    let second = login("kiosk-7").await;
    assert_eq!(
        app.whoami(&first.access).await,
        Err("UNAUTHENTICATED".into())
    );
    let listed = app.sessions(&second.access).await;
    assert_eq!(listed[0]["deviceFingerprint"], "kiosk-7");
    // The input's own fingerprint wins over the header.
    let body = app
        .login_raw(
            json!({ "username": "amina", "password": PASSWORD, "deviceFingerprint": "from-input" }),
            &[("Device-Fingerprint", "kiosk-7")],
        )
        .await;
    let third = tokens(&body, "login");
    assert_eq!(app.whoami(&second.access).await, Ok(third.user_id.clone()));
}

async fn the_least_recently_used_session_ends_at_the_cap(backend: Backend) {
    let app = spawn_app_with(backend, &[("MAX_SESSIONS_PER_USER", "3")]).await;
    let oldest = app.register("amina").await;
    let b = app.login("amina", Some("b")).await;
    let c = app.login("amina", Some("c")).await;
    // Using the oldest session makes `b` the least recently used one.
    let oldest = tokens(&app.refresh_raw(&oldest.refresh).await, "refresh");
    let d = app.login("amina", Some("d")).await;
    assert_eq!(app.whoami(&b.access).await, Err("UNAUTHENTICATED".into()));
    for alive in [&oldest, &c, &d] {
        assert!(app.whoami(&alive.access).await.is_ok());
    }
    assert_eq!(app.sessions(&d.access).await.len(), 3);
}

async fn a_revoked_sessions_access_token_stops_working_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let laptop = app.register("amina").await;
    let phone = app.login("amina", Some("phone")).await;
    let body = app
        .graphql(
            Some(&laptop.access),
            "mutation($id: ID!) { revokeSession(id: $id) { id isActive } }",
            json!({ "id": phone.session_id }),
        )
        .await;
    assert_eq!(body["data"]["revokeSession"]["isActive"], false, "{body}");
    assert_eq!(
        app.whoami(&phone.access).await,
        Err("UNAUTHENTICATED".into())
    );
    assert_eq!(
        error_code(&app.refresh_raw(&phone.refresh).await),
        Some("INVALID_TOKEN")
    );
    assert!(app.whoami(&laptop.access).await.is_ok());
}

async fn another_users_session_cannot_be_revoked_and_answers_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let victim = app.register("amina").await;
    let attacker = app.register("mallory").await;
    let revoke = |id: String| {
        let app = &app;
        let token = attacker.access.clone();
        async move {
            app.graphql(
                Some(&token),
                "mutation($id: ID!) { revokeSession(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await
        }
    };
    let stolen = revoke(victim.session_id.clone()).await;
    let missing = revoke(uuid::Uuid::new_v4().to_string()).await;
    let malformed = revoke("not-a-uuid'; DROP TABLE sessions;--".into()).await;
    for body in [&stolen, &missing, &malformed] {
        assert_eq!(error_code(body), Some("NOT_FOUND"), "{body}");
    }
    assert_eq!(
        stolen["errors"][0]["message"],
        missing["errors"][0]["message"]
    );
    assert_eq!(app.whoami(&victim.access).await, Ok(victim.user_id));
}

async fn logout_ends_only_the_current_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let laptop = app.register("amina").await;
    let phone = app.login("amina", Some("phone")).await;
    let body = app
        .graphql(Some(&phone.access), "mutation { logout }", json!({}))
        .await;
    assert_eq!(body["data"]["logout"], true);
    assert_eq!(
        app.whoami(&phone.access).await,
        Err("UNAUTHENTICATED".into())
    );
    assert!(app.whoami(&laptop.access).await.is_ok());
    let body = app.graphql(None, "mutation { logout }", json!({})).await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
}

async fn logout_all_ends_every_session_and_counts_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let laptop = app.register("amina").await;
    let phone = app.login("amina", Some("phone")).await;
    let tablet = app.login("amina", Some("tablet")).await;
    let other_user = app.register("yacine").await;
    let body = app
        .graphql(Some(&laptop.access), "mutation { logoutAll }", json!({}))
        .await;
    assert_eq!(body["data"]["logoutAll"], 3, "{body}");
    for gone in [&laptop, &phone, &tablet] {
        assert_eq!(
            app.whoami(&gone.access).await,
            Err("UNAUTHENTICATED".into())
        );
    }
    assert!(app.whoami(&other_user.access).await.is_ok());
}

async fn user_sessions_and_session_user_resolve_through_loaders(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    app.login("amina", Some("phone")).await;
    let body = app
        .graphql(
            Some(&me.access),
            "{ me { username sessions { current user { username sessions { id } } } } }",
            json!({}),
        )
        .await;
    let sessions = body["data"]["me"]["sessions"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0]["current"], true);
    assert!(sessions.iter().all(|s| s["user"]["username"] == "amina"
        && s["user"]["sessions"].as_array().unwrap().len() == 2));
}
