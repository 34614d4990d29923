//! Signing keys in the database (`JWT_KEYS_STORE=database`): sealed at rest, shared by
//! three replicas, rotated and retired without a restart, on a schedule by one of them.
use std::time::{Duration, Instant};

use crate::cli::binary;
use crate::helpers::{
    Backend, JWT_SECRET, TestApp, kid_of, spawn_app_with, test_settings, tokens, within,
};

crate::backend_tests!(
    private_keys_are_sealed_and_open_only_with_the_same_secret,
    rotation_and_retirement_reach_every_replica_without_a_restart,
    scheduled_rotation_adds_one_key_per_period_and_keeps_retired_keys_while_their_tokens_live,
);

const STORE: (&str, &str) = ("JWT_KEYS_STORE", "database");

async fn three(settings: &[(&str, &str)], backend: Backend) -> [TestApp; 3] {
    let first = spawn_app_with(backend, settings).await;
    let second = first.replica(settings).await;
    let third = first.replica(settings).await;
    [first, second, third]
}

/// Runs `rotate-signing-key` or `retire-signing-key` as an operator would, against
/// `app`'s database, with `JWT_SECRET` and `env` (new keys sign after 200 ms unless
/// `env` says otherwise).
pub(crate) fn run_key_command(
    app: &TestApp,
    args: &[&str],
    env: &[(&str, &str)],
) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let mut command = binary();
    command
        .args(args)
        .env("DATABASE_URL", app.database_url())
        .env("DATA_DIR", dir.path())
        .env("JWT_SECRET", JWT_SECRET)
        .env("JWT_KEYS_STORE", "database")
        .env("SIGNING_KEYS_REFRESH", "200ms")
        .env("SIGNING_KEY_PUBLISH_AHEAD", "0s");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

/// The first word a successful key command printed: the kid.
pub(crate) fn printed_kid(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn key_command(app: &TestApp, args: &[&str]) -> String {
    printed_kid(&run_key_command(app, args, &[]))
}

async fn private_keys_are_sealed_and_open_only_with_the_same_secret(backend: Backend) {
    let app = spawn_app_with(backend, &[STORE]).await;
    let kids = app.published_kids().await;
    assert_eq!(kids.len(), 1);
    let me = app.register("amina").await;
    assert_eq!(kid_of(&me.access), kids[0]);

    let sealed = app
        .query_strings("SELECT sealed_private_key FROM signing_keys")
        .await;
    assert_eq!(sealed.len(), 1);
    assert!(!sealed[0].contains("PRIVATE KEY") && !sealed[0].contains("MC4CAQ"));
    let algorithm = app
        .query_strings("SELECT algorithm FROM signing_keys")
        .await;
    assert_eq!(algorithm, ["EdDSA"]);

    // An instance given another JWT_SECRET cannot open the keys and says so.
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(
        app.database_url(),
        dir.path(),
        &[
            STORE,
            ("JWT_SECRET", "another-secret-0123456789abcdef0123456789"),
        ],
    );
    let refused = graphql_auth::startup::Application::build(&settings).await;
    let message = format!("{:#}", refused.err().expect("the keys do not open"));
    assert!(
        message.contains("does not open with this JWT_SECRET"),
        "{message}"
    );
    // Nothing was lost or replaced: the first instance still signs with its key.
    assert_eq!(app.published_kids().await, kids);
}

async fn rotation_and_retirement_reach_every_replica_without_a_restart(backend: Backend) {
    let settings = [STORE, ("SIGNING_KEYS_REFRESH", "200ms")];
    let replicas = three(&settings, backend).await;
    let before = replicas[0].register("amina").await;
    let old_kid = kid_of(&before.access);

    let new_kid = key_command(&replicas[0], &["rotate-signing-key", "--alg", "ES256"]);
    assert_ne!(new_kid, old_kid);
    let rotated = Instant::now();
    for app in &replicas {
        within(
            Duration::from_secs(5),
            "the new key is published",
            || async { app.published_kids().await == [old_kid.clone(), new_kid.clone()] },
        )
        .await;
    }
    // The key signs 200 ms (one refresh) after the rotation: by then every replica has
    // it, and each signs with it and accepts every other one's tokens, and the old ones.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut fresh = Vec::new();
    for (i, app) in replicas.iter().enumerate() {
        let signed_in = app.login("amina", Some(&format!("device-{i}"))).await;
        assert_eq!(kid_of(&signed_in.access), new_kid);
        fresh.push(signed_in);
    }
    assert!(rotated.elapsed() < Duration::from_secs(60));
    for app in &replicas {
        for token in fresh.iter().chain([&before]) {
            assert_eq!(app.whoami(&token.access).await, Ok(before.user_id.clone()));
        }
    }

    key_command(&replicas[1], &["retire-signing-key", "--kid", &old_kid]);
    for app in &replicas {
        within(
            Duration::from_secs(5),
            "the retired key stops verifying",
            || async { app.whoami(&before.access).await.is_err() },
        )
        .await;
        assert_eq!(app.published_kids().await, vec![new_kid.clone()]);
        assert_eq!(
            app.whoami(&fresh[0].access).await,
            Ok(before.user_id.clone())
        );
    }
    // The session outlives its token's key: a refresh gets one the current key signed.
    let renewed = tokens(&replicas[2].refresh_raw(&before.refresh).await, "refresh");
    assert_eq!(kid_of(&renewed.access), new_kid);
}

async fn scheduled_rotation_adds_one_key_per_period_and_keeps_retired_keys_while_their_tokens_live(
    backend: Backend,
) {
    let settings = [
        STORE,
        ("SIGNING_KEY_ROTATION", "2s"),
        ("SIGNING_KEYS_REFRESH", "100ms"),
        ("SIGNING_KEY_PUBLISH_AHEAD", "0s"),
        ("ACCESS_TOKEN_TTL", "1s"),
    ];
    let started = Instant::now();
    let replicas = three(&settings, backend).await;
    let first = replicas[0].register("amina").await;
    let first_kid = kid_of(&first.access);

    // Well into the second period, the first key no longer signs but is still published
    // (its tokens are alive for 1 s plus 5 s of clock leeway after it stopped).
    within(
        Duration::from_secs(6),
        "a second key is published",
        || async { replicas[1].published_kids().await.len() >= 2 },
    )
    .await;
    // It signs one refresh interval (100 ms) after it was made.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let renewed = tokens(&replicas[1].refresh_raw(&first.refresh).await, "refresh");
    assert_ne!(kid_of(&renewed.access), first_kid);
    for app in &replicas {
        assert!(app.published_kids().await.contains(&first_kid));
    }

    // Three instances, one rotation per period: generations 1, 2, 3, … without gaps or
    // twins, and no more of them than periods elapsed.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let generations = replicas[0]
        .query_strings("SELECT CAST(generation AS TEXT) FROM signing_keys ORDER BY generation")
        .await;
    let generations: Vec<u32> = generations.iter().map(|g| g.parse().unwrap()).collect();
    let periods = started.elapsed().as_secs() as u32 / 2;
    let newest = *generations.last().unwrap();
    assert!(
        newest >= 2 && newest <= periods + 2,
        "{generations:?} after {periods} periods"
    );
    assert_eq!(
        generations,
        (generations[0]..=newest).collect::<Vec<_>>(),
        "consecutive generations"
    );

    // Once every token it signed has expired, the first key leaves the key set.
    for app in &replicas {
        within(
            Duration::from_secs(10),
            "the first key is withdrawn",
            || async { !app.published_kids().await.contains(&first_kid) },
        )
        .await;
    }
}
