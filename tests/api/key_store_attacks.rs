//! Attacks on the database key ring (`JWT_KEYS_STORE=database`): a shell with another
//! `JWT_SECRET`, rows someone rewrote, retirements out of order, replicas that disagree
//! on token lifetimes, floods of unknown `kid`s, instances racing at start.
use std::time::{Duration, Instant};

use reqwest::header;
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{
        Backend, JWT_SECRET, TestApp, TestDatabase, kid_of, spawn_app_with, test_settings, within,
    },
    key_store::{printed_kid, run_key_command},
    token_attacks::random_kid_token,
};

backend_tests!(
    unknown_kid_flood_rereads_the_database_ring_at_most_once_a_second,
    cli_rotate_with_another_jwt_secret_is_refused_instead_of_poisoning_the_ring,
    retiring_a_key_does_not_republish_an_older_withdrawn_key,
    a_replica_with_a_shorter_ttl_does_not_withdraw_keys_whose_tokens_live,
    a_cli_rotated_key_does_not_sign_before_cached_key_sets_know_it,
    three_instances_starting_at_once_on_an_empty_table_share_one_key,
);

const STORE: (&str, &str) = ("JWT_KEYS_STORE", "database");

/// A key command run with `secret` as the shell's `JWT_SECRET`.
fn key_command(app: &TestApp, secret: &str, args: &[&str]) -> std::process::Output {
    run_key_command(app, args, &[("JWT_SECRET", secret)])
}

fn first_word(output: &std::process::Output) -> String {
    printed_kid(output)
}

async fn unknown_kid_flood_rereads_the_database_ring_at_most_once_a_second(backend: Backend) {
    let app = spawn_app_with(backend, &[STORE]).await;
    // Background work (outbox polls, pruning) runs statements of its own: measure it.
    let idle_from = app.statements();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = app.statements() - idle_from;
    let before = app.statements();
    let started = Instant::now();
    let mut sent = 0;
    while started.elapsed() < Duration::from_secs(3) {
        let token = random_kid_token();
        let body = app.graphql(Some(&token), "{ me { id } }", json!({})).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{body}"
        );
        sent += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let statements = (app.statements() - before).saturating_sub(idle);
    eprintln!(
        "{sent} random-kid requests in {elapsed:.1}s: {statements} SQL statements beyond the {idle} of 3 idle seconds"
    );
    // One SELECT per re-read; at most one re-read a second (plus the one in flight).
    assert!(
        statements as f64 <= elapsed + 2.0,
        "{statements} statements for {sent} requests in {elapsed:.1}s"
    );
}

async fn cli_rotate_with_another_jwt_secret_is_refused_instead_of_poisoning_the_ring(
    backend: Backend,
) {
    let settings = [STORE, ("SIGNING_KEYS_REFRESH", "200ms")];
    let app = spawn_app_with(backend, &settings).await;
    let old = app.published_kids().await;
    let me = app.register("amina").await;
    // An operator's shell with another JWT_SECRET (say, staging's).
    let wrong = key_command(
        &app,
        "staging-secret-0123456789abcdef0123456789ab",
        &["rotate-signing-key"],
    );
    let cli_accepted = wrong.status.success();
    eprintln!(
        "rotate with another secret: success={cli_accepted} stdout={} stderr={}",
        String::from_utf8_lossy(&wrong.stdout),
        String::from_utf8_lossy(&wrong.stderr)
    );
    // A correct rotation afterwards never reaches the running server...
    let good = first_word(&key_command(&app, JWT_SECRET, &["rotate-signing-key"]));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let now_published = app.published_kids().await;
    // ...and a new replica (a deploy, an autoscaler) does not start.
    let dir = tempfile::tempdir().unwrap();
    let replica = graphql_auth::startup::Application::build(&test_settings(
        app.database_url(),
        dir.path(),
        &settings,
    ))
    .await;
    let replica_error = replica.err().map(|e| format!("{e:#}"));
    // The old key is suspected: the emergency retirement succeeds in the database...
    let retired = key_command(&app, JWT_SECRET, &["retire-signing-key", "--kid", &old[0]]);
    eprintln!(
        "retire {}: {}",
        old[0],
        String::from_utf8_lossy(&retired.stdout)
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    // ...but the running server never re-reads the ring: the old key still verifies.
    let after_retire = app.whoami(&me.access).await;
    eprintln!("token of the retired key, 2 s later: {after_retire:?}");
    eprintln!("published: before {old:?}, after {now_published:?}; good key {good}");
    eprintln!("new replica: {replica_error:?}");
    assert!(
        !cli_accepted
            && now_published.contains(&good)
            && replica_error.is_none()
            && after_retire.is_err(),
        "a key sealed with another JWT_SECRET was accepted and poisons the ring"
    );
}

async fn retiring_a_key_does_not_republish_an_older_withdrawn_key(backend: Backend) {
    let settings = [
        STORE,
        ("SIGNING_KEYS_REFRESH", "200ms"),
        ("ACCESS_TOKEN_TTL", "1s"),
    ];
    let app = spawn_app_with(backend, &settings).await;
    let first = app.published_kids().await[0].clone();
    let second = first_word(&key_command(&app, JWT_SECRET, &["rotate-signing-key"]));
    // The first key stops signing 200 ms later and leaves 1 s + 5 s after that.
    within(
        Duration::from_secs(15),
        "the first key is withdrawn",
        || async { !app.published_kids().await.contains(&first) },
    )
    .await;
    let third = first_word(&key_command(&app, JWT_SECRET, &["rotate-signing-key"]));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(app.published_kids().await, [second.clone(), third.clone()]);
    // The second key is suspected: retire it.
    first_word(&key_command(
        &app,
        JWT_SECRET,
        &["retire-signing-key", "--kid", &second],
    ));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let now = app.published_kids().await;
    assert_eq!(now, [third], "retiring {second} brought back {first}");
}

async fn a_replica_with_a_shorter_ttl_does_not_withdraw_keys_whose_tokens_live(backend: Backend) {
    let common = [
        STORE,
        ("SIGNING_KEY_ROTATION", "3s"),
        ("SIGNING_KEYS_REFRESH", "100ms"),
        ("SIGNING_KEY_PUBLISH_AHEAD", "0s"),
    ];
    let mut long = common.to_vec();
    long.push(("ACCESS_TOKEN_TTL", "1h"));
    let mut short = common.to_vec();
    short.push(("ACCESS_TOKEN_TTL", "1s"));
    let a = spawn_app_with(backend, &long).await;
    // A rolling deploy that changes ACCESS_TOKEN_TTL: old and new side by side.
    let b = a.replica(&short).await;
    let me = a.register("amina").await; // valid for an hour
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(14) {
        let on_a = a.whoami(&me.access).await;
        let on_b = b.whoami(&me.access).await;
        assert!(
            on_a.is_ok() && on_b.is_ok(),
            "after {:?} a live 1 h token fails: on A {on_a:?}, on B {on_b:?}; rows {:?}",
            started.elapsed(),
            a.query_strings("SELECT kid FROM signing_keys ORDER BY generation")
                .await
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn a_cli_rotated_key_does_not_sign_before_cached_key_sets_know_it(backend: Backend) {
    let settings = [STORE, ("SIGNING_KEYS_REFRESH", "200ms")];
    let app = spawn_app_with(backend, &settings).await;
    app.register("amina").await;
    // A resource server caches the key set: `max-age=300`.
    let response = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()[header::CACHE_CONTROL],
        "public, max-age=300"
    );
    let cached: Value = response.json().await.unwrap();
    // The default publication lead (SIGNING_KEY_PUBLISH_AHEAD=5m), not the tests' 0s.
    let rotated = run_key_command(
        &app,
        &["rotate-signing-key"],
        &[("SIGNING_KEY_PUBLISH_AHEAD", "5m")],
    );
    let new_kid = first_word(&rotated);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let fresh = app.login("amina", Some("phone")).await;
    let cached_kids: Vec<&str> = cached["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(
        cached_kids.contains(&kid_of(&fresh.access).as_str()),
        "2 s after the rotation the token is signed by {new_kid}, which a key set cached 2 s ago \
         (fresh for 300 s) does not hold: {cached_kids:?}"
    );
}

async fn three_instances_starting_at_once_on_an_empty_table_share_one_key(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let settings: Vec<_> = dirs
        .iter()
        .map(|d| test_settings(&db.url, d.path(), &[STORE]))
        .collect();
    let conn = graphql_auth::startup::connect(&settings[0]).await.unwrap();
    graphql_auth::startup::migrate(&conn).await.unwrap();
    let build = graphql_auth::startup::Application::build;
    let (a, b, c) = tokio::join!(
        build(&settings[0]),
        build(&settings[1]),
        build(&settings[2])
    );
    for (i, app) in [a, b, c].into_iter().enumerate() {
        if let Err(err) = app {
            panic!("instance {i} did not start: {err:#}");
        }
    }
    use sea_orm::{ConnectionTrait, Statement};
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT kid FROM signing_keys",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
}

/// PostgreSQL's own count of reads of `signing_keys`.
async fn ring_reads(app: &TestApp) -> i64 {
    tokio::time::sleep(Duration::from_millis(1500)).await; // stats are flushed lazily
    app.query_strings(
        "SELECT CAST(COALESCE(seq_scan, 0) + COALESCE(idx_scan, 0) AS TEXT) \
         FROM pg_stat_user_tables WHERE relname = 'signing_keys'",
    )
    .await[0]
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_counts_ring_reads_under_a_random_kid_flood() {
    if crate::helpers::postgres_admin_url().is_none() {
        return;
    }
    let app = spawn_app_with(Backend::Postgres, &[STORE]).await;
    let idle_from = ring_reads(&app).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let idle = ring_reads(&app).await - idle_from;
    let from = ring_reads(&app).await;
    let started = Instant::now();
    let mut sent = 0;
    let mut handles = Vec::new();
    for _ in 0..4 {
        let http = app.http.clone();
        let url = app.url("/graphql");
        handles.push(tokio::spawn(async move {
            let mut n = 0;
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(5) {
                http.post(&url)
                    .bearer_auth(random_kid_token())
                    .json(&json!({ "query": "{ me { id } }" }))
                    .send()
                    .await
                    .unwrap();
                n += 1;
            }
            n
        }));
    }
    for h in handles {
        sent += h.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let reads = ring_reads(&app).await - from;
    eprintln!(
        "idle 5 s: {idle} ring reads; flood of {sent} requests in {elapsed:.1}s: {reads} ring reads"
    );
    assert!(reads as f64 <= elapsed + 3.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_who_writes_the_table_can_neither_choose_the_signer_nor_add_a_key() {
    let settings = [STORE, ("SIGNING_KEYS_REFRESH", "200ms")];
    let app = spawn_app_with(Backend::Sqlite, &settings).await;
    let me = app.register("amina").await;
    let k1 = kid_of(&me.access);
    let k2 = first_word(&key_command(&app, JWT_SECRET, &["rotate-signing-key"]));
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(kid_of(&app.login("amina", Some("a")).await.access), k2);
    // The generation is sealed with the key: a renumbered old key no longer opens, and
    // is left out rather than made the signer again.
    app.execute_sql(&format!(
        "UPDATE signing_keys SET generation = 100 WHERE kid = '{k1}'"
    ))
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(kid_of(&app.login("amina", Some("b")).await.access), k2);
    assert_eq!(app.published_kids().await, vec![k2.clone()]);
    // A row sealed under another secret (what an attacker without JWT_SECRET can make)
    // is refused by the command, and left out if written by hand.
    let stranger = graphql_auth::auth::signing::database::DatabaseKeys::new(
        sea_orm::Database::connect(app.database_url())
            .await
            .unwrap(),
        &secrecy::SecretString::from("attacker-0123456789abcdef0123456789abcdef".to_owned()),
        Duration::from_secs(3600),
        Duration::from_millis(200),
    );
    let forged = stranger
        .rotate(
            graphql_auth::config::SigningAlgorithm::EdDsa,
            chrono::Utc::now(),
        )
        .await;
    assert!(forged.is_err(), "{forged:?}");
    // A sealed key moved onto another row does not open: with no key left that opens,
    // a new instance refuses to start; the running one keeps the keys it has.
    app.execute_sql(&format!(
        "UPDATE signing_keys SET sealed_private_key = \
         (SELECT sealed_private_key FROM signing_keys WHERE kid = '{k1}') WHERE kid = '{k2}'"
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let replica = graphql_auth::startup::Application::build(&test_settings(
        app.database_url(),
        dir.path(),
        &settings,
    ))
    .await;
    let refused = format!("{:#}", replica.err().expect("no key opens"));
    assert!(refused.contains("does not open"), "{refused}");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(kid_of(&app.login("amina", Some("c")).await.access), k2);
}
