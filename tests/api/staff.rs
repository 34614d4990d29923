//! Staff tools, and that nobody else can reach them.
use serde_json::json;

use crate::{
    backend_tests,
    helpers::{Backend, PASSWORD, error_code, spawn_app, spawn_app_with},
};

backend_tests!(
    staff_fields_refuse_everyone_else,
    staff_can_see_a_lock_and_lift_it,
    staff_can_end_every_session_of_an_account,
    staff_list_and_search_users_page_by_page,
    listing_users_with_their_sessions_costs_a_constant_number_of_queries,
);

const USERS: &str = "query($first: Int, $after: String, $search: String) { users(first: $first, after: $after, search: $search) { \
    edges { cursor node { username sessions { id current user { username } } } } pageInfo { hasNextPage endCursor } } }";

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

fn usernames(body: &serde_json::Value) -> Vec<String> {
    body["data"]["users"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| e["node"]["username"].as_str().unwrap().to_owned())
        .collect()
}

async fn staff_list_and_search_users_page_by_page(backend: Backend) {
    let app = spawn_app(backend).await;
    for name in ["amina", "yacine", "karim", "amine"] {
        app.register(name).await;
    }
    let admin = app.register("admin").await;
    app.promote_to_staff("admin").await;
    let body = app
        .graphql(Some(&admin.access), USERS, json!({ "first": 2 }))
        .await;
    assert_eq!(usernames(&body), ["admin", "amine"]);
    let cursor = body["data"]["users"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap();
    let body = app
        .graphql(
            Some(&admin.access),
            USERS,
            json!({ "first": 10, "after": cursor }),
        )
        .await;
    assert_eq!(usernames(&body), ["karim", "yacine", "amina"]);
    assert_eq!(body["data"]["users"]["pageInfo"]["hasNextPage"], false);
    let body = app
        .graphql(Some(&admin.access), USERS, json!({ "search": "AMIN" }))
        .await;
    assert_eq!(usernames(&body), ["amine", "amina"]);
    let body = app
        .graphql(Some(&admin.access), USERS, json!({ "search": "%" }))
        .await;
    assert_eq!(
        usernames(&body),
        Vec::<String>::new(),
        "LIKE wildcards are matched literally"
    );
    let member = app.login("amina", None).await;
    let body = app.graphql(Some(&member.access), USERS, json!({})).await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"));
}

async fn listing_users_with_their_sessions_costs_a_constant_number_of_queries(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[("RATE_LIMIT_REGISTER", "off"), ("RATE_LIMIT_LOGIN", "off")],
    )
    .await;
    let admin = app.register("admin").await;
    app.promote_to_staff("admin").await;
    let mut costs = Vec::new();
    for batch in 0..2 {
        for i in 0..(5 * (batch + 1)) {
            let name = format!("user{batch}x{i}");
            app.register(&name).await;
            app.login(&name, Some("second-device")).await;
        }
        let before = app.statements();
        let body = app
            .graphql(Some(&admin.access), USERS, json!({ "first": 50 }))
            .await;
        costs.push(app.statements() - before);
        let listed = body["data"]["users"]["edges"].as_array().unwrap();
        assert!(
            listed
                .iter()
                .filter(|e| e["node"]["sessions"].as_array().unwrap().len() == 2)
                .count()
                >= 5
        );
    }
    assert_eq!(costs[0], costs[1], "statements per request: {costs:?}");
    assert!(costs[0] <= 4, "{costs:?}");
}
