//! Three instances on one PostgreSQL and one Redis, as behind a load balancer: what one
//! of them learns (a revocation, a failed password, a request counted) binds the others.
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, PASSWORD, TestApp, as_pairs, error_code, postgres_admin_url, redis_url, spawn_app_with,
};

/// The three replicas, or `None` (and a note) without PostgreSQL and Redis to share.
async fn three_replicas(settings: &[(&str, &str)]) -> Option<[TestApp; 3]> {
    if postgres_admin_url().is_none() || redis_url().is_none() {
        eprintln!("skipped: set TEST_POSTGRES_URL and TEST_REDIS_URL to run replicas");
        return None;
    }
    let first = spawn_app_with(Backend::Postgres, settings).await;
    let second = first.replica(settings).await;
    let third = first.replica(settings).await;
    Some([first, second, third])
}

/// Settings every replica shares: the Redis counters, under a prefix of this test's own.
fn shared(prefix: &str, redis: &str) -> Vec<(String, String)> {
    vec![
        ("REDIS_URL".into(), redis.into()),
        ("REDIS_KEY_PREFIX".into(), prefix.into()),
    ]
}

fn unique_prefix() -> String {
    format!("test-{}", uuid::Uuid::new_v4().simple())
}

/// How long until `token` is refused on `app`, checking every 20 ms for up to 3 s.
async fn time_until_refused(app: &TestApp, token: &str, since: Instant) -> Duration {
    loop {
        match app.whoami(token).await {
            Err(code) => {
                assert_eq!(code, "UNAUTHENTICATED");
                return since.elapsed();
            }
            Ok(_) if since.elapsed() > Duration::from_secs(3) => {
                panic!("a revoked session still works on another replica after 3 s")
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_through_one_replica_is_refused_by_the_others_within_a_second() {
    let Some(redis) = redis_url() else { return };
    let settings = shared(&unique_prefix(), &redis);
    let Some([a, b, c]) = three_replicas(&as_pairs(&settings)).await else {
        return;
    };
    let laptop = a.register("amina").await;
    let phone = b.login("amina", Some("phone")).await;
    let tablet = c.login("amina", Some("tablet")).await;
    for app in [&a, &b, &c] {
        assert_eq!(app.whoami(&laptop.access).await, Ok(laptop.user_id.clone()));
    }

    // One session, revoked through B, while A and C keep serving it from their caches.
    let revoked = b
        .graphql(
            Some(&phone.access),
            "mutation($id: ID!) { revokeSession(id: $id) { id isActive } }",
            json!({ "id": laptop.session_id }),
        )
        .await;
    assert_eq!(
        revoked["data"]["revokeSession"]["isActive"],
        json!(false),
        "{revoked}"
    );
    let since = Instant::now();
    for app in [&a, &c] {
        let refused_after = time_until_refused(app, &laptop.access, since).await;
        assert!(refused_after < Duration::from_secs(1), "{refused_after:?}");
    }
    assert_eq!(c.whoami(&tablet.access).await, Ok(tablet.user_id.clone()));

    // Every session, through C.
    let ended = c
        .graphql(Some(&tablet.access), "mutation { logoutAll }", json!({}))
        .await;
    assert_eq!(ended["data"]["logoutAll"], json!(2), "{ended}");
    let since = Instant::now();
    for (app, token) in [
        (&a, &phone.access),
        (&b, &phone.access),
        (&a, &tablet.access),
    ] {
        let refused_after = time_until_refused(app, token, since).await;
        assert!(refused_after < Duration::from_secs(1), "{refused_after:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lockout_counts_the_attempts_made_through_every_replica() {
    let Some(redis) = redis_url() else { return };
    let mut settings = shared(&unique_prefix(), &redis);
    settings.push(("RATE_LIMIT_LOGIN".into(), "off".into()));
    let Some(replicas) = three_replicas(&as_pairs(&settings)).await else {
        return;
    };
    replicas[0].register("amina").await;
    let attempts = (0..30).map(|i| {
        replicas[i % 3].login_raw(
            json!({ "username": "amina", "password": format!("wrong-password-{i}") }),
            &[],
        )
    });
    let answers: Vec<Value> = join_all(attempts).await;
    let checked = answers
        .iter()
        .filter(|a| error_code(a) == Some("INVALID_CREDENTIALS"))
        .count();
    let locked = answers
        .iter()
        .filter(|a| error_code(a) == Some("ACCOUNT_LOCKED"))
        .count();
    assert_eq!((checked, locked), (5, 25), "{answers:?}");
    for app in &replicas {
        let body = app
            .login_raw(json!({ "username": "amina", "password": PASSWORD }), &[])
            .await;
        assert_eq!(error_code(&body), Some("ACCOUNT_LOCKED"), "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_count_the_requests_made_through_every_replica() {
    let Some(redis) = redis_url() else { return };
    let mut settings = shared(&unique_prefix(), &redis);
    settings.push(("RATE_LIMIT_LOGIN".into(), "4/min".into()));
    let Some([a, b, c]) = three_replicas(&as_pairs(&settings)).await else {
        return;
    };
    async fn attempt(app: &TestApp) -> Value {
        app.login_raw(
            json!({ "username": "nobody", "password": "not-the-password" }),
            &[],
        )
        .await
    }
    // Four through three replicas use up the allowance of the one client address.
    for app in [&a, &b, &c, &a] {
        assert_eq!(error_code(&attempt(app).await), Some("INVALID_CREDENTIALS"));
    }
    for app in [&b, &c, &a] {
        let body = attempt(app).await;
        assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
    }
}
