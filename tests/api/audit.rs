//! The security trail: every event recorded, readable by its owner and by staff, and
//! tamper-evident through its hash chain.

use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use crate::cli::binary;
use crate::{
    backend_tests,
    helpers::{Backend, JWT_SECRET, PASSWORD, TestApp, error_code, spawn_app, spawn_app_with},
};

backend_tests!(
    a_user_reads_their_own_trail_newest_first_page_by_page,
    failed_sign_ins_lockouts_and_reuse_are_recorded_for_staff,
    staff_filters_the_trail_by_user_and_kind_and_nobody_else_can,
    the_chain_finds_an_altered_or_removed_event,
    old_events_are_pruned_and_the_rest_still_verifies,
    reset_requests_and_rate_limit_floods_are_recorded_once_each,
    concurrent_events_through_two_replicas_form_one_intact_chain,
);

const MY_EVENTS: &str = "query($first: Int, $after: String) { securityEvents(first: $first, after: $after) { \
    edges { cursor node { id kind createdAt ipAddress userAgent sessionId user { username } } } \
    pageInfo { hasNextPage hasPreviousPage endCursor } } }";

const AUTH_EVENTS: &str = "query($user: ID, $kind: SecurityEventKind, $first: Int) { \
    authEvents(userId: $user, kind: $kind, first: $first) { edges { node { kind user { username } } } } }";

fn kinds(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{connection}"))
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_user_reads_their_own_trail_newest_first_page_by_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    let phone = app.login("amina", Some("phone")).await;
    let refreshed = app.refresh_raw(&phone.refresh).await;
    let phone_access = refreshed["data"]["refresh"]["accessToken"]
        .as_str()
        .unwrap();
    app.graphql(Some(phone_access), "mutation { logout }", json!({}))
        .await;
    app.register("someone-else").await;

    let all = app
        .graphql(Some(&me.access), MY_EVENTS, json!({ "first": 10 }))
        .await;
    let page = &all["data"]["securityEvents"];
    assert_eq!(
        kinds(page),
        [
            "LOGGED_OUT",
            "TOKEN_REFRESHED",
            "LOGIN_SUCCEEDED",
            "EMAIL_VERIFICATION_SENT",
            "REGISTERED"
        ]
    );
    let newest = &page["edges"][0]["node"];
    assert_eq!(newest["ipAddress"], "127.0.0.1");
    assert_eq!(newest["userAgent"], "api-tests/1.0");
    assert_eq!(newest["sessionId"], phone.session_id.as_str());
    assert_eq!(newest["user"]["username"], "amina");

    let first = app
        .graphql(Some(&me.access), MY_EVENTS, json!({ "first": 3 }))
        .await;
    let first = &first["data"]["securityEvents"];
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let cursor = first["pageInfo"]["endCursor"].as_str().unwrap();
    let second = app
        .graphql(
            Some(&me.access),
            MY_EVENTS,
            json!({ "first": 3, "after": cursor }),
        )
        .await;
    let second = &second["data"]["securityEvents"];
    assert_eq!(kinds(second), ["EMAIL_VERIFICATION_SENT", "REGISTERED"]);
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);

    let bad = app
        .graphql(
            Some(&me.access),
            MY_EVENTS,
            json!({ "first": 3, "after": "nope" }),
        )
        .await;
    assert_eq!(error_code(&bad), Some("BAD_USER_INPUT"));
    let too_many = app
        .graphql(Some(&me.access), MY_EVENTS, json!({ "first": 1000 }))
        .await;
    assert_eq!(error_code(&too_many), Some("BAD_USER_INPUT"));
    let anonymous = app.graphql(None, MY_EVENTS, json!({})).await;
    assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"));
}

async fn staff(app: &TestApp) -> String {
    let admin = app.register("admin").await;
    app.promote_to_staff("admin").await;
    admin.access
}

async fn failed_sign_ins_lockouts_and_reuse_are_recorded_for_staff(backend: Backend) {
    let app = spawn_app_with(backend, &[("REFRESH_REUSE_GRACE", "1s")]).await;
    let amina = app.register("amina").await;
    for i in 0..5 {
        app.login_raw(
            json!({ "username": "amina", "password": format!("wrong-{i}") }),
            &[],
        )
        .await;
    }
    app.login_raw(
        json!({ "username": "ghost", "password": "whatever-1" }),
        &[],
    )
    .await;
    let rotated = app.refresh_raw(&amina.refresh).await;
    assert!(rotated["data"]["refresh"].is_object());
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    app.refresh_raw(&amina.refresh).await;
    let admin = staff(&app).await;

    let body = app
        .graphql(
            Some(&admin),
            AUTH_EVENTS,
            json!({ "kind": "LOGIN_FAILED", "first": 50 }),
        )
        .await;
    let failures = body["data"]["authEvents"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(failures.len(), 6, "{body}");
    assert!(
        failures[0]["node"]["user"].is_null(),
        "an unknown identifier has no user"
    );
    assert_eq!(failures[1]["node"]["user"]["username"], "amina");
    for kind in ["ACCOUNT_LOCKED", "REFRESH_TOKEN_REUSED"] {
        let body = app
            .graphql(Some(&admin), AUTH_EVENTS, json!({ "kind": kind }))
            .await;
        assert_eq!(kinds(&body["data"]["authEvents"]), [kind], "{body}");
    }
}

async fn staff_filters_the_trail_by_user_and_kind_and_nobody_else_can(backend: Backend) {
    let app = spawn_app(backend).await;
    let amina = app.register("amina").await;
    app.register("yacine").await;
    app.login("yacine", None).await;
    let admin = staff(&app).await;
    let body = app
        .graphql(Some(&admin), AUTH_EVENTS, json!({ "user": amina.user_id }))
        .await;
    assert_eq!(
        kinds(&body["data"]["authEvents"]),
        ["EMAIL_VERIFICATION_SENT", "REGISTERED"]
    );
    let body = app
        .graphql(Some(&admin), AUTH_EVENTS, json!({ "kind": "REGISTERED" }))
        .await;
    assert_eq!(kinds(&body["data"]["authEvents"]).len(), 3);
    let body = app
        .graphql(Some(&admin), AUTH_EVENTS, json!({ "user": "not-an-id" }))
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"));
    let body = app
        .graphql(Some(&amina.access), AUTH_EVENTS, json!({}))
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"));
}

pub fn verify(app: &TestApp) -> (bool, String) {
    let data_dir = tempfile::tempdir().unwrap();
    let output = binary()
        .arg("verify-audit-chain")
        .env("DATABASE_URL", app.database_url())
        .env("JWT_SECRET", JWT_SECRET)
        .env("DATA_DIR", data_dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

async fn the_chain_finds_an_altered_or_removed_event(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    for _ in 0..3 {
        app.login("amina", None).await;
    }
    app.graphql(Some(&me.access), "mutation { logoutAll }", json!({}))
        .await;
    let (ok, report) = verify(&app);
    assert!(ok && report.contains("intact: 6 events"), "{report}");

    let db = Database::connect(app.database_url()).await.unwrap();
    // Someone rewrites where a sign-in came from.
    db.execute_unprepared("UPDATE security_events SET ip_address = '203.0.113.66' WHERE id = 3")
        .await
        .unwrap();
    let (ok, report) = verify(&app);
    assert!(!ok && report.contains("broken at event 3"), "{report}");
    db.execute_unprepared("UPDATE security_events SET ip_address = '127.0.0.1' WHERE id = 3")
        .await
        .unwrap();
    assert!(verify(&app).0, "restoring the row restores the chain");
    // Someone deletes an event in the middle, then the newest one.
    db.execute_unprepared("DELETE FROM security_events WHERE id = 2")
        .await
        .unwrap();
    let (ok, report) = verify(&app);
    assert!(!ok && report.contains("broken at event 3"), "{report}");
    db.execute_unprepared("DELETE FROM security_events WHERE id >= 2")
        .await
        .unwrap();
    let (ok, report) = verify(&app);
    assert!(!ok && report.contains("truncated"), "{report}");
}

/// Appends are batched per instance (group commit), and two instances append to the
/// same chain: neither may fork it or lose an event.
async fn concurrent_events_through_two_replicas_form_one_intact_chain(backend: Backend) {
    let generous = [("RATE_LIMIT_LOGIN", "off"), ("RATE_LIMIT_REFRESH", "off")];
    let first = spawn_app_with(backend, &generous).await;
    let second = first.replica(&generous).await;
    first.register("amina").await;
    let devices: Vec<String> = (0..12).map(|i| format!("device-{i}")).collect();
    let mut sessions = Vec::new();
    // Four at a time: more parallel sign-ins of one account than the lockout threshold
    // are refused while the checks are in flight.
    for round in devices.chunks(4) {
        sessions.extend(
            futures::future::join_all(round.iter().enumerate().map(|(i, device)| {
                let app = if i % 2 == 0 { &first } else { &second };
                app.login("amina", Some(device))
            }))
            .await,
        );
    }
    let refreshed = futures::future::join_all(sessions.iter().enumerate().map(|(i, tokens)| {
        let app = if i % 2 == 0 { &second } else { &first };
        app.refresh_raw(&tokens.refresh)
    }))
    .await;
    for body in &refreshed {
        assert!(body["data"]["refresh"]["accessToken"].is_string(), "{body}");
    }
    // Registration and its verification mail, 12 sign-ins, 12 refreshes: each exactly
    // once, in one chain.
    let (ok, report) = verify(&first);
    assert!(ok && report.contains("intact: 26 events"), "{report}");
}

async fn old_events_are_pruned_and_the_rest_still_verifies(backend: Backend) {
    let app = spawn_app_with(backend, &[("AUDIT_RETENTION", "2s")]).await;
    let me = app.register("amina").await;
    app.login("amina", Some("phone")).await;
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    let body = app.graphql(Some(&me.access), MY_EVENTS, json!({})).await;
    assert_eq!(
        kinds(&body["data"]["securityEvents"]),
        Vec::<String>::new(),
        "{body}"
    );
    app.login_raw(json!({ "username": "amina", "password": PASSWORD }), &[])
        .await;
    let (ok, report) = verify(&app);
    assert!(ok && report.contains("intact: 1 events"), "{report}");
}

async fn reset_requests_and_rate_limit_floods_are_recorded_once_each(backend: Backend) {
    let app = spawn_app_with(backend, &[("RATE_LIMIT_LOGIN", "1/min")]).await;
    app.register("amina").await;
    for email in ["amina@example.dz", "nobody@example.dz"] {
        let body = app
            .graphql(
                None,
                "mutation($e: String!) { requestPasswordReset(email: $e) }",
                json!({ "e": email }),
            )
            .await;
        assert_eq!(body["data"]["requestPasswordReset"], true);
    }
    for _ in 0..6 {
        app.login_raw(
            json!({ "username": "amina", "password": "wrong password" }),
            &[],
        )
        .await;
    }
    let admin = staff(&app).await;
    let body = app
        .graphql(
            Some(&admin),
            AUTH_EVENTS,
            json!({ "kind": "PASSWORD_RESET_REQUESTED" }),
        )
        .await;
    let edges = body["data"]["authEvents"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    // Recorded after each answer, so in either order.
    let mut users: Vec<&Value> = edges
        .iter()
        .map(|e| &e["node"]["user"]["username"])
        .collect();
    users.sort_by_key(|u| u.is_null());
    assert_eq!(users, [&json!("amina"), &Value::Null], "{body}");
    let body = app
        .graphql(Some(&admin), AUTH_EVENTS, json!({ "kind": "RATE_LIMITED" }))
        .await;
    assert_eq!(
        kinds(&body["data"]["authEvents"]),
        ["RATE_LIMITED"],
        "five refusals, one event"
    );
}
