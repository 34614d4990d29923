//! Introspection sees a token die the moment its session, account or password does,
//! whichever replica made the change: it reads the database, never a cache.
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{AUTH_PAYLOAD, Backend, PASSWORD, TestApp, tokens},
    introspection::{inactive, introspect, introspection_app},
};

backend_tests!(
    introspection_sees_an_expired_token_as_inactive,
    introspection_sees_logout_revocation_password_change_and_deactivation_at_once,
    introspection_sees_a_revocation_made_through_another_replica_at_once,
);

async fn introspection_sees_an_expired_token_as_inactive(backend: Backend) {
    let app = introspection_app(backend, &[("ACCESS_TOKEN_TTL", "2s")]).await;
    let me = app.register("amina").await;
    // `exp` is in whole seconds: between 1 and 2 s from now.
    assert_eq!(introspect(&app, &me.access).await["active"], true);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(introspect(&app, &me.access).await, inactive());
}

async fn change_password(app: &TestApp, token: &str, revoke_others: bool) -> Value {
    let new = "a brand new passphrase";
    app.graphql(
        Some(token),
        &format!("mutation($input: ChangePasswordInput!) {{ changePassword(input: $input) {{ {AUTH_PAYLOAD} }} }}"),
        json!({ "input": { "currentPassword": PASSWORD, "newPassword": new,
                           "newPasswordConfirm": new, "revokeOtherSessions": revoke_others } }),
    )
    .await
}

async fn introspection_sees_logout_revocation_password_change_and_deactivation_at_once(
    backend: Backend,
) {
    let app = introspection_app(backend, &[]).await;
    let laptop = app.register("amina").await;
    let phone = app.login("amina", Some("phone")).await;
    let tablet = app.login("amina", Some("tablet")).await;
    let body = app
        .graphql(Some(&laptop.access), "mutation { logout }", json!({}))
        .await;
    assert_eq!(body["data"]["logout"], true, "{body}");
    assert_eq!(introspect(&app, &laptop.access).await, inactive(), "logout");

    let body = app
        .graphql(
            Some(&tablet.access),
            "mutation($id: ID!) { revokeSession(id: $id) { id } }",
            json!({ "id": phone.session_id }),
        )
        .await;
    assert!(body["data"]["revokeSession"].is_object(), "{body}");
    assert_eq!(introspect(&app, &phone.access).await, inactive(), "revoked");
    assert_eq!(introspect(&app, &tablet.access).await["active"], true);

    // The desk's session outlives the change; its token from before it does not.
    let desk = app.login("amina", Some("desk")).await;
    let changed = change_password(&app, &tablet.access, false).await;
    let fresh = tokens(&changed, "changePassword");
    for old in [&tablet.access, &desk.access] {
        assert_eq!(introspect(&app, old).await, inactive(), "password changed");
    }
    assert_eq!(introspect(&app, &fresh.access).await["active"], true);

    // Deactivation as staff or an operator would do it, behind the service's back.
    app.execute_sql("UPDATE users SET is_active = false").await;
    assert_eq!(
        introspect(&app, &fresh.access).await,
        inactive(),
        "deactivated"
    );
}

async fn introspection_sees_a_revocation_made_through_another_replica_at_once(backend: Backend) {
    // Sessions cached for minutes: introspection that trusted the cache would fail here.
    let cached = ("SESSION_CACHE_TTL", "10m");
    let a = introspection_app(backend, &[cached]).await;
    let b = a.replica(&[cached]).await;
    let me = a.register("amina").await;
    assert_eq!(a.whoami(&me.access).await, Ok(me.user_id.clone()));
    assert_eq!(introspect(&a, &me.access).await["active"], true);
    let body = b
        .graphql(Some(&me.access), "mutation { logout }", json!({}))
        .await;
    assert_eq!(body["data"]["logout"], true, "{body}");
    assert_eq!(introspect(&a, &me.access).await, inactive());

    let phone = b.login("amina", Some("phone")).await;
    let tablet = a.login("amina", Some("tablet")).await;
    for token in [&phone.access, &tablet.access] {
        assert!(a.whoami(token).await.is_ok());
        assert_eq!(introspect(&a, token).await["active"], true);
    }
    let ended = b
        .graphql(Some(&phone.access), "mutation { logoutAll }", json!({}))
        .await;
    assert_eq!(ended["data"]["logoutAll"], 2, "{ended}");
    for token in [&phone.access, &tablet.access] {
        assert_eq!(introspect(&a, token).await, inactive());
    }
}
