//! What the rate limiter keeps and writes: one trail event per flooding client, and a
//! Redis that stalls neither hangs a sign-in nor the start.
use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use graphql_auth::startup::Application;
use serde_json::json;
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

use crate::{
    backend_tests,
    helpers::{Backend, PASSWORD, error_code, redis_url, spawn_app_with, test_settings},
};

backend_tests!(
    sixty_refused_reset_requests_with_different_emails_write_one_rate_limited_event,
    a_stalled_redis_does_not_hang_a_login,
);

const RESET: &str = "mutation($e: String!) { requestPasswordReset(email: $e) }";
const RATE_LIMITED_EVENTS: &str = "query { authEvents(kind: RATE_LIMITED, first: 100) { \
    edges { node { kind ipAddress } } } }";

async fn sixty_refused_reset_requests_with_different_emails_write_one_rate_limited_event(
    backend: Backend,
) {
    let app = spawn_app_with(backend, &[("RATE_LIMIT_REQUEST_PASSWORD_RESET", "5/hour")]).await;
    let admin = app.register("admin").await;
    app.promote_to_staff("admin").await;
    let mut refused = 0;
    for n in 0..65 {
        let email = format!("someone-{n}@example.dz");
        let body = app.graphql(None, RESET, json!({ "e": email })).await;
        match n {
            0..5 => assert_eq!(body["data"]["requestPasswordReset"], true, "{body}"),
            _ => {
                assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
                refused += 1;
            }
        }
    }
    assert_eq!(refused, 60);
    let body = app
        .graphql(Some(&admin.access), RATE_LIMITED_EVENTS, json!({}))
        .await;
    let events = body["data"]["authEvents"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(events.len(), 1, "sixty refusals, one event: {body}");
    assert_eq!(events[0]["node"]["ipAddress"], "127.0.0.1");
}

async fn a_stalled_redis_does_not_hang_a_login(backend: Backend) {
    let Some(redis) = redis_url() else {
        eprintln!("skipped: set TEST_REDIS_URL to test a stalled Redis");
        return;
    };
    let proxy = StallingProxy::start(&redis).await;
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    let app = spawn_app_with(
        backend,
        &[
            ("REDIS_URL", proxy.url.as_str()),
            ("REDIS_KEY_PREFIX", prefix.as_str()),
            ("RATE_LIMIT_LOGIN", "2/min"),
        ],
    )
    .await;
    app.register("amina").await;
    let login = || app.login_raw(json!({ "username": "amina", "password": PASSWORD }), &[]);
    for _ in 0..2 {
        let body = login().await;
        assert!(body["data"]["login"].is_object(), "{body}");
    }
    // Through Redis, the limit holds…
    assert_eq!(error_code(&login().await), Some("RATE_LIMITED"));

    // …and once Redis stops answering, sign-in goes on, unlimited (the lockout still
    // lives in the database), rather than waiting for an answer that never comes.
    proxy.stall();
    let body = tokio::time::timeout(Duration::from_secs(20), login())
        .await
        .expect("a login answers while Redis is stalled");
    assert!(body["data"]["login"].is_object(), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_start_fails_with_a_clear_message_when_redis_never_answers() {
    // One that accepts connections and never answers, and one that is not there.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let absent_addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    for addr in [silent_addr, absent_addr] {
        let data_dir = tempfile::tempdir().unwrap();
        let db_url = format!(
            "sqlite://{}?mode=rwc",
            data_dir.path().join("test.sqlite").display()
        );
        let url = format!("redis://{addr}");
        let settings = test_settings(&db_url, data_dir.path(), &[("REDIS_URL", url.as_str())]);
        let built = tokio::time::timeout(Duration::from_secs(20), Application::build(&settings))
            .await
            .unwrap_or_else(|_| panic!("the start against {addr} gives up by itself"));
        let Err(err) = built else {
            panic!("the service started against a Redis at {addr} that does not answer");
        };
        let message = format!("{err:#}");
        assert!(message.contains("REDIS_URL"), "{message}");
    }
}

/// A TCP proxy to a real Redis that can be made to stall: from then on it swallows what
/// either side sends, and holds new connections without an answer, as a hung Redis does.
struct StallingProxy {
    /// `REDIS_URL` for the service, through the proxy.
    url: String,
    is_stalled: Arc<AtomicBool>,
}

impl StallingProxy {
    async fn start(redis: &str) -> Self {
        let mut url = reqwest::Url::parse(redis).expect("TEST_REDIS_URL is a URL");
        let upstream = format!(
            "{}:{}",
            url.host_str().expect("TEST_REDIS_URL has a host"),
            url.port().unwrap_or(6379)
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        url.set_host(Some("127.0.0.1")).unwrap();
        url.set_port(Some(addr.port())).unwrap();
        let is_stalled = Arc::new(AtomicBool::new(false));
        let stalled = is_stalled.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, upstream.clone(), stalled.clone()));
            }
        });
        Self {
            url: url.to_string(),
            is_stalled,
        }
    }

    fn stall(&self) {
        self.is_stalled.store(true, Ordering::SeqCst);
    }
}

async fn relay(client: TcpStream, upstream: String, stalled: Arc<AtomicBool>) {
    let (from_client, to_client) = client.into_split();
    if stalled.load(Ordering::SeqCst) {
        pump(from_client, tokio::io::sink(), stalled).await;
        drop(to_client);
        return;
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (from_server, to_server) = server.into_split();
    tokio::join!(
        pump(from_client, to_server, stalled.clone()),
        pump(from_server, to_client, stalled),
    );
}

/// Copies `from` to `to` until either closes; while stalled, drops what it reads.
async fn pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    stalled: Arc<AtomicBool>,
) {
    let mut buffer = [0u8; 4096];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        if stalled.load(Ordering::SeqCst) {
            continue;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}
