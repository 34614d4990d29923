//! Attacks on the paths that check a password or a credential: a stolen access token
//! guessing through `changePassword`, identifiers made to tell accounts apart, counters
//! that age differently, a reset raced by a password change, tokens of the same second
//! as a change, and a slow client holding shutdown hostage.
use std::{collections::HashMap, time::Duration};

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::{
    backend_tests,
    helpers::{
        AUTH_PAYLOAD, Backend, MAIL_WAIT, PASSWORD, TestApp, error_code, spawn_app, spawn_app_with,
        spawn_app_with_mail, tokens,
    },
};

backend_tests!(
    aliased_and_batched_password_changes_get_at_most_five_checks,
    password_changes_are_rate_limited_per_user_across_addresses,
    a_correct_current_password_clears_earlier_failures,
    noisy_identifiers_are_answered_like_unknown_ones,
    account_and_unknown_counters_age_alike,
    long_identifiers_that_grow_when_lower_cased_are_plain_failures,
    a_token_refreshed_right_after_a_password_change_works_at_once,
    a_password_change_racing_a_reset_never_undoes_the_reset,
    refreshes_answered_from_the_grace_window_are_recorded,
    a_reset_request_answers_before_it_looks_the_address_up,
    shutdown_ends_within_its_timeout_despite_a_stalled_client,
);

const NEW_PASSWORD: &str = "a brand new passphrase";

fn change_password_field(alias: &str, current: &str) -> String {
    format!(
        r#"{alias}: changePassword(input: {{ currentPassword: "{current}", newPassword: "{NEW_PASSWORD}", newPasswordConfirm: "{NEW_PASSWORD}" }}) {{ accessToken }}"#
    )
}

async fn change_password(app: &TestApp, access: &str, current: &str) -> Value {
    let document = format!("mutation {{ {} }}", change_password_field("c", current));
    app.graphql(Some(access), &document, json!({})).await
}

/// How many errors carried each code, over every answer of a batch.
fn tally(answers: &[Value]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for answer in answers {
        for error in answer["errors"].as_array().into_iter().flatten() {
            let code = error["extensions"]["code"].as_str().unwrap_or("NO CODE");
            *counts.entry(code.to_owned()).or_default() += 1;
        }
    }
    counts
}

async fn post_batch(app: &TestApp, access: &str, batch: &[Value]) -> Vec<Value> {
    app.http
        .post(app.url("/graphql"))
        .bearer_auth(access)
        .json(&batch)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn wrong_password_events(app: &TestApp) -> usize {
    app.query_strings(
        "SELECT CAST(detail AS TEXT) FROM security_events WHERE kind = 'LOGIN_FAILED'",
    )
    .await
    .iter()
    .filter(|detail| detail.contains("wrong_password"))
    .count()
}

async fn aliased_and_batched_password_changes_get_at_most_five_checks(backend: Backend) {
    // Without the per-user rate limit, only the lockout stands in the way.
    let app = spawn_app_with(backend, &[("RATE_LIMIT_REAUTHENTICATE", "off")]).await;
    let stolen = app.register("amina").await;
    let document = format!(
        "mutation {{ {} }}",
        (0..10)
            .map(|i| change_password_field(&format!("guess{i}"), &format!("guess number {i}")))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let batch: Vec<Value> = (0..10).map(|_| json!({ "query": document })).collect();
    let answers = post_batch(&app, &stolen.access, &batch).await;
    let counts = tally(&answers);
    assert_eq!(counts.get("INVALID_CREDENTIALS"), Some(&5), "{counts:?}");
    assert_eq!(counts.get("ACCOUNT_LOCKED"), Some(&95), "{counts:?}");
    assert_eq!(wrong_password_events(&app).await, 5);
    // The lockout is the account's: the owner's own sign-in waits too, and a second
    // request guesses nothing more.
    let owner = app
        .login_raw(json!({ "username": "amina", "password": PASSWORD }), &[])
        .await;
    assert_eq!(error_code(&owner), Some("ACCOUNT_LOCKED"), "{owner}");
    let again = post_batch(&app, &stolen.access, &batch).await;
    assert_eq!(tally(&again).get("ACCOUNT_LOCKED"), Some(&100));
    assert_eq!(wrong_password_events(&app).await, 5);
}

async fn password_changes_are_rate_limited_per_user_across_addresses(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("RATE_LIMIT_REAUTHENTICATE", "3/hour"),
            ("LOCKOUT_THRESHOLD", "50"),
            ("TRUSTED_PROXIES", "127.0.0.1/32"),
        ],
    )
    .await;
    let stolen = app.register("amina").await;
    for i in 0..3 {
        let ip = format!("203.0.113.{i}");
        let document = format!("mutation {{ {} }}", change_password_field("c", "wrong one"));
        let body = app
            .graphql_with(
                Some(&stolen.access),
                &[("x-forwarded-for", &ip)],
                &document,
                json!({}),
            )
            .await;
        assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
    }
    // A fourth address does not buy a fourth guess for this account.
    let document = format!("mutation {{ {} }}", change_password_field("c", PASSWORD));
    let body = app
        .graphql_with(
            Some(&stolen.access),
            &[("x-forwarded-for", "198.51.100.9")],
            &document,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
    assert!(body["errors"][0]["extensions"]["retryAfterSeconds"].as_u64() > Some(0));
    assert_eq!(wrong_password_events(&app).await, 3);
}

async fn a_correct_current_password_clears_earlier_failures(backend: Backend) {
    let app = spawn_app_with(backend, &[("LOCKOUT_THRESHOLD", "3")]).await;
    let me = app.register("amina").await;
    for _ in 0..2 {
        let body = change_password(&app, &me.access, "not it").await;
        assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"));
    }
    let body = change_password(&app, &me.access, PASSWORD).await;
    assert!(body["data"]["c"]["accessToken"].is_string(), "{body}");
    // Two more failures would have locked a count that kept the first two.
    for _ in 0..2 {
        let body = app
            .login_raw(json!({ "username": "amina", "password": "not it" }), &[])
            .await;
        assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"));
    }
    let body = app
        .login_raw(
            json!({ "username": "amina", "password": NEW_PASSWORD }),
            &[],
        )
        .await;
    tokens(&body, "login");
}

async fn wrong_login(app: &TestApp, identifier: &str) -> Value {
    app.login_raw(
        json!({ "username": identifier, "password": "wrong password" }),
        &[],
    )
    .await
}

async fn noisy_identifiers_are_answered_like_unknown_ones(backend: Backend) {
    let app = spawn_app_with(backend, &[("RATE_LIMIT_LOGIN", "off")]).await;
    app.register("amina").await;
    // `amina` exists, `nadia` does not; each is tried with noise around it.
    for noise in ["\u{0}", "\u{200B}", "\u{FEFF}", "\n"] {
        for name in ["amina", "nadia"] {
            let noisy = format!("{name}{noise}");
            let answers: Vec<Option<String>> =
                futures::future::join_all((0..6).map(|_| wrong_login(&app, &noisy)))
                    .await
                    .iter()
                    .map(|body| error_code(body).map(str::to_owned))
                    .collect();
            let locked = answers
                .iter()
                .filter(|c| c.as_deref() == Some("ACCOUNT_LOCKED"))
                .count();
            // Five counted failures lock the noisy identifier itself…
            assert_eq!(locked, 1, "{name}{noise:?}: {answers:?}");
            // …and never the clean one, whether or not it names an account.
            let clean = wrong_login(&app, name).await;
            assert_eq!(
                error_code(&clean),
                Some("INVALID_CREDENTIALS"),
                "{name} after {noise:?}: {clean}"
            );
        }
        // Each round's clean failure is forgotten by the next success or lock; keep
        // the real account usable.
        app.login("amina", None).await;
    }
}

async fn account_and_unknown_counters_age_alike(backend: Backend) {
    // Counts older than the lockout window start over; the pruning of unknown
    // identifiers (every second here) must not make them age differently.
    let app = spawn_app_with(
        backend,
        &[
            ("LOCKOUT_THRESHOLD", "3"),
            ("LOCKOUT_WINDOW", "1s"),
            ("AUDIT_RETENTION", "2s"),
            ("RATE_LIMIT_LOGIN", "off"),
        ],
    )
    .await;
    app.register("amina").await;
    for name in ["amina", "nadia"] {
        for _ in 0..2 {
            assert_eq!(
                error_code(&wrong_login(&app, name).await),
                Some("INVALID_CREDENTIALS")
            );
        }
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    for name in ["amina", "nadia"] {
        // Attempts 3 and 4 of each count as 1 and 2: neither is locked…
        for _ in 0..2 {
            let body = wrong_login(&app, name).await;
            assert_eq!(
                error_code(&body),
                Some("INVALID_CREDENTIALS"),
                "{name}: {body}"
            );
        }
        // …and the third failure in a row locks both alike.
        wrong_login(&app, name).await;
        assert_eq!(
            error_code(&wrong_login(&app, name).await),
            Some("ACCOUNT_LOCKED"),
            "{name}"
        );
    }
}

async fn long_identifiers_that_grow_when_lower_cased_are_plain_failures(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register("amina").await;
    // 200 × `İ` is 400 bytes typed and 600 lower-cased: past every key column.
    let long = "İ".repeat(200);
    for identifier in [
        long.as_str(),
        &"A".repeat(5000),
        &format!("amina{}", "İ".repeat(120)),
    ] {
        let body = wrong_login(&app, identifier).await;
        assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
        let body = app
            .graphql(
                None,
                "mutation($e: String!) { requestPasswordReset(email: $e) }",
                json!({ "e": identifier }),
            )
            .await;
        assert_eq!(body["data"]["requestPasswordReset"], true, "{body}");
    }
}

async fn a_token_refreshed_right_after_a_password_change_works_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let replica = app.replica(&[]).await;
    let laptop = app.register("amina").await;
    let phone = app.login("amina", Some("phone")).await;
    // Warm the replica's session cache with the phone's pre-change state.
    assert!(replica.whoami(&phone.access).await.is_ok());
    let document = format!(
        "mutation {{ c: changePassword(input: {{ currentPassword: \"{PASSWORD}\", newPassword: \"{NEW_PASSWORD}\", newPasswordConfirm: \"{NEW_PASSWORD}\", revokeOtherSessions: false }}) {{ {AUTH_PAYLOAD} }} }}"
    );
    let changed = tokens(
        &app.graphql(Some(&laptop.access), &document, json!({}))
            .await,
        "c",
    );
    // The old tokens die at once here, and within the session cache's 500 ms on the
    // replica that had them cached.
    assert_eq!(
        app.whoami(&phone.access).await,
        Err("UNAUTHENTICATED".into())
    );
    assert_eq!(
        app.whoami(&laptop.access).await,
        Err("UNAUTHENTICATED".into())
    );
    let mut waited = Duration::ZERO;
    while replica.whoami(&phone.access).await.is_ok() {
        assert!(
            waited < Duration::from_secs(1),
            "the replica kept the old token"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += Duration::from_millis(20);
    }
    // In the same second, on both replicas: the new tokens work.
    let renewed = tokens(&app.refresh_raw(&phone.refresh).await, "refresh");
    for server in [&app, &replica] {
        assert_eq!(
            server.whoami(&changed.access).await,
            Ok(laptop.user_id.clone())
        );
        assert_eq!(
            server.whoami(&renewed.access).await,
            Ok(phone.user_id.clone())
        );
    }
}

async fn a_password_change_racing_a_reset_never_undoes_the_reset(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    let me = app.register("amina").await;
    sink.wait_for(1, MAIL_WAIT).await;
    let request = "mutation($e: String!) { requestPasswordReset(email: $e) }";
    app.graphql(None, request, json!({ "e": "amina@example.dz" }))
        .await;
    let token = sink.wait_for(2, MAIL_WAIT).await[1].token("reset-password");
    let reset = app.graphql(
        None,
        "mutation($i: ConfirmPasswordResetInput!) { confirmPasswordReset(input: $i) }",
        json!({ "i": { "token": token, "newPassword": "the reset passphrase", "newPasswordConfirm": "the reset passphrase" } }),
    );
    // Both start together; the change checks the old password, then hashes the new
    // one, while the reset commits.
    let (change, reset) = tokio::join!(change_password(&app, &me.access, PASSWORD), reset);
    assert_eq!(reset["data"]["confirmPasswordReset"], true, "{reset}");
    let reset_password = app
        .login_raw(
            json!({ "username": "amina", "password": "the reset passphrase" }),
            &[],
        )
        .await;
    if change["data"]["c"].is_object() {
        // The change won outright and the reset came after it: the reset stands.
        tokens(&reset_password, "login");
    } else {
        // Overtaken by the reset: before its check (the old password is wrong now) or
        // after it (the hash it verified is gone, and so is its session).
        let code = error_code(&change);
        assert!(
            matches!(code, Some("UNAUTHENTICATED" | "INVALID_CREDENTIALS")),
            "{change}"
        );
        tokens(&reset_password, "login");
    }
    let changed = app
        .login_raw(
            json!({ "username": "amina", "password": NEW_PASSWORD }),
            &[],
        )
        .await;
    assert_eq!(
        error_code(&changed),
        Some("INVALID_CREDENTIALS"),
        "{changed}"
    );
}

async fn refreshes_answered_from_the_grace_window_are_recorded(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    let first = tokens(&app.refresh_raw(&me.refresh).await, "refresh");
    let again = tokens(&app.refresh_raw(&me.refresh).await, "refresh");
    assert_eq!(first.refresh, again.refresh);
    let details = app
        .query_strings(
            "SELECT CAST(detail AS TEXT) FROM security_events WHERE kind = 'TOKEN_REFRESHED'",
        )
        .await;
    assert_eq!(details.len(), 2, "{details:?}");
    assert_eq!(
        details
            .iter()
            .filter(|d| d.contains("withinReuseGrace"))
            .count(),
        1,
        "{details:?}"
    );
}

async fn a_reset_request_answers_before_it_looks_the_address_up(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    app.register("amina").await;
    sink.wait_for(1, MAIL_WAIT).await;
    // Hold the database behind the server's back: PostgreSQL refuses every read of
    // `users`, SQLite every write. A request that looked the address up, or wrote the
    // trail, before answering could not answer until this is released.
    let holder = sea_orm::Database::connect(
        sea_orm::ConnectOptions::new(app.database_url())
            .max_connections(1)
            .to_owned(),
    )
    .await
    .unwrap();
    let lock = match backend {
        Backend::Sqlite => vec!["BEGIN EXCLUSIVE"],
        Backend::Postgres => vec!["BEGIN", "LOCK TABLE users IN ACCESS EXCLUSIVE MODE"],
    };
    for statement in lock {
        holder.execute_unprepared(statement).await.unwrap();
    }
    let request = "mutation($e: String!) { requestPasswordReset(email: $e) }";
    for email in ["amina@example.dz", "nobody@example.dz"] {
        let answer = tokio::time::timeout(
            Duration::from_secs(3),
            app.graphql(None, request, json!({ "e": email })),
        )
        .await
        .unwrap_or_else(|_| panic!("{email}: no answer while the database was held"));
        assert_eq!(answer["data"]["requestPasswordReset"], true, "{answer}");
    }
    holder.execute_unprepared("ROLLBACK").await.unwrap();
    // The work happened after the answers: the known address gets its link.
    let mail = &sink.wait_for(2, MAIL_WAIT).await[1];
    assert_eq!(mail.to(), "amina@example.dz");
    assert!(!mail.token("reset-password").is_empty());
}

async fn shutdown_ends_within_its_timeout_despite_a_stalled_client(backend: Backend) {
    let app = spawn_app_with(backend, &[("SHUTDOWN_TIMEOUT", "1s")]).await;
    // A request whose body never finishes: graceful shutdown alone would wait for it.
    let mut stalled = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    stalled
        .write_all(
            b"POST /graphql HTTP/1.1\r\nHost: auth.test\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"query\":",
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopped = tokio::time::timeout(Duration::from_secs(5), app.stop()).await;
    assert!(
        stopped.is_ok(),
        "the server outlived SHUTDOWN_TIMEOUT=1s by 4 s"
    );
    drop(stalled);
}
