//! Staff tools, and that nobody else can reach them.
use serde_json::json;

use crate::{
    backend_tests,
    helpers::{Backend, PASSWORD, error_code, spawn_app},
};

backend_tests!(
    staff_fields_refuse_everyone_else,
    staff_can_see_a_lock_and_lift_it,
    staff_can_end_every_session_of_an_account,
);

const UNLOCK: &str = "mutation($id: ID!) { unlockUser(id: $id) { id lockedUntil } }";
const REVOKE_ALL: &str = "mutation($id: ID!) { revokeUserSessions(id: $id) }";
const USER: &str = "query($id: ID!) { user(id: $id) { username lockedUntil sessions { id } } }";

async fn staff_fields_refuse_everyone_else(backend: Backend) {
    let app = spawn_app(backend).await;
    let victim = app.register("amina").await;
    let member = app.register("mallory").await;
    for query in [UNLOCK, REVOKE_ALL, USER] {
        let vars = json!({ "id": victim.user_id });
        let body = app.graphql(Some(&member.access), query, vars.clone()).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{query}: {body}");
        let body = app.graphql(None, query, vars).await;
        assert_eq!(
            error_code(&body),
            Some("UNAUTHENTICATED"),
            "{query}: {body}"
        );
    }
    // A member cannot read another user's sessions through a session either.
    assert!(app.whoami(&victim.access).await.is_ok());
}

async fn staff_can_see_a_lock_and_lift_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let locked = app.register("amina").await;
    let admin = app.register("admin").await;
    app.promote_to_staff("admin").await;
    for i in 0..5 {
        app.login_raw(
            json!({ "username": "amina", "password": format!("wrong-{i}") }),
            &[],
        )
        .await;
    }
    let body = app
        .graphql(Some(&admin.access), USER, json!({ "id": locked.user_id }))
        .await;
    assert!(body["data"]["user"]["lockedUntil"].is_string(), "{body}");
    assert_eq!(
        body["data"]["user"]["sessions"].as_array().unwrap().len(),
        1
    );
    let body = app
        .graphql(Some(&admin.access), UNLOCK, json!({ "id": locked.user_id }))
        .await;
    assert!(
        body["data"]["unlockUser"]["lockedUntil"].is_null(),
        "{body}"
    );
    let login = app
        .login_raw(json!({ "username": "amina", "password": PASSWORD }), &[])
        .await;
    assert!(login["data"]["login"].is_object(), "{login}");
    for id in ["not-an-id".to_owned(), uuid::Uuid::new_v4().to_string()] {
        let body = app
            .graphql(Some(&admin.access), UNLOCK, json!({ "id": id }))
            .await;
        assert_eq!(error_code(&body), Some("NOT_FOUND"));
        let body = app
            .graphql(Some(&admin.access), USER, json!({ "id": id }))
            .await;
        assert!(
            body["data"]["user"].is_null() && body["errors"].is_null(),
            "{body}"
        );
    }
}

async fn staff_can_end_every_session_of_an_account(backend: Backend) {
    let app = spawn_app(backend).await;
    let laptop = app.register("amina").await;
    let phone = app.login("amina", Some("phone")).await;
    let admin = app.register("admin").await;
    app.promote_to_staff("admin").await;
    let body = app
        .graphql(
            Some(&admin.access),
            REVOKE_ALL,
            json!({ "id": laptop.user_id }),
        )
        .await;
    assert_eq!(body["data"]["revokeUserSessions"], 2, "{body}");
    for gone in [&laptop, &phone] {
        assert_eq!(
            app.whoami(&gone.access).await,
            Err("UNAUTHENTICATED".into())
        );
    }
    assert!(app.whoami(&admin.access).await.is_ok());
}
