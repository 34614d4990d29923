//! Failures the service must ride out: its database going away and coming back, and its
//! own process killed mid-load.
use std::{
    io::{BufRead as _, BufReader},
    net::SocketAddr,
    process::{Child, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};

use crate::cli::binary;
use crate::{
    backend_tests,
    helpers::{
        Backend, JWT_SECRET, PASSWORD, TestApp, TestDatabase, error_code, postgres_admin_url,
        spawn_app_on,
    },
    pg_cluster::PrivateCluster,
};

backend_tests!(every_answered_write_survives_a_kill_9);

/// What a client saw for one request.
#[derive(Debug)]
enum Seen {
    Data,
    Error { code: String, message: String },
}

async fn ask(app: &TestApp, token: &str) -> Seen {
    let body = app
        .graphql(Some(token), "{ me { id } sessions { id } }", json!({}))
        .await;
    match error_code(&body) {
        None if body["data"]["me"]["id"].is_string() => Seen::Data,
        code => Seen::Error {
            code: code.unwrap_or("NO CODE").to_owned(),
            message: body["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        },
    }
}

async fn readiness(app: &TestApp) -> StatusCode {
    app.http
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("the server answers /readyz")
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_fails_cleanly_and_the_service_recovers_by_itself() {
    if postgres_admin_url().is_none() {
        eprintln!("skipped: set TEST_POSTGRES_URL to run the PostgreSQL outage test");
        return;
    }
    let cluster = PrivateCluster::start().expect("PostgreSQL's initdb and pg_ctl");
    let app = Arc::new(
        spawn_app_on(
            TestDatabase::external(cluster.url()),
            &[("RATE_LIMIT_LOGIN", "off")],
        )
        .await,
    );
    let me = app.register("amina").await;

    // Four clients ask without pause through the whole outage.
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (app, stop, token) = (app.clone(), stop.clone(), me.access.clone());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    seen.push(ask(&app, &token).await);
                }
                seen
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;

    cluster.stop();
    assert_eq!(readiness(&app).await, StatusCode::SERVICE_UNAVAILABLE);
    let login = app
        .login_raw(json!({ "username": "amina", "password": PASSWORD }), &[])
        .await;
    assert_eq!(error_code(&login), Some("INTERNAL"), "{login}");
    assert!(matches!(ask(&app, &me.access).await, Seen::Error { code, .. } if code == "INTERNAL"));

    cluster.resume();
    let resumed = Instant::now();
    while !matches!(ask(&app, &me.access).await, Seen::Data) {
        assert!(
            resumed.elapsed() < Duration::from_secs(15),
            "no recovery 15 s after the database came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(readiness(&app).await, StatusCode::OK);
    let bilal = app.register("bilal").await;
    assert_eq!(app.whoami(&bilal.access).await, Ok(bilal.user_id));

    stop.store(true, Ordering::Relaxed);
    let mut seen = Vec::new();
    for client in clients {
        seen.extend(client.await.expect("client task"));
    }
    let failed: Vec<_> = seen
        .iter()
        .filter_map(|s| match s {
            Seen::Error { code, message } => Some((code.as_str(), message.as_str())),
            Seen::Data => None,
        })
        .collect();
    assert!(!failed.is_empty(), "the clients never saw the outage");
    assert!(failed.len() < seen.len(), "the clients never saw an answer");
    for (code, message) in failed {
        assert_eq!(code, "INTERNAL", "{message}");
        // No Accept-Language: the default language, French, and nothing internal.
        assert_eq!(
            message,
            "Une erreur s'est produite de notre côté. Veuillez réessayer."
        );
    }
}

/// The service binary in a process of its own, so that it can be killed outright.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    fn start(db_url: &str, data_dir: &std::path::Path) -> Self {
        let mut child = binary()
            .arg("serve")
            .envs([
                ("DATABASE_URL", db_url),
                ("DATA_DIR", &*data_dir.to_string_lossy()),
                ("BIND_ADDR", "127.0.0.1:0"),
                ("JWT_SECRET", JWT_SECRET),
                ("LOG_FORMAT", "json"),
                ("RATE_LIMIT_REGISTER", "off"),
                ("RATE_LIMIT_REFRESH", "off"),
                ("RATE_LIMIT_LOGIN", "off"),
                // Long enough that the last answered token is honoured after a restart,
                // even when a later rotation committed but its answer was lost.
                ("REFRESH_REUSE_GRACE", "1h"),
            ])
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let mut lines = BufReader::new(child.stderr.take().expect("piped stderr")).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("the server logs where it listens")
                .expect("readable log");
            let Ok(entry) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if entry["message"] == "listening" {
                break entry["addr"]
                    .as_str()
                    .and_then(|a| a.parse().ok())
                    .expect("a listening address");
            }
        };
        // Keep draining the log so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, addr }
    }

    fn kill_9(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn post(http: &reqwest::Client, addr: SocketAddr, query: &str, variables: Value) -> Value {
    match http
        .post(format!("http://{addr}/graphql"))
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
    {
        Ok(response) => response.json().await.unwrap_or(Value::Null),
        Err(_) => Value::Null, // killed mid-request: no answer, nothing promised
    }
}

const REGISTER: &str =
    "mutation($input: RegisterInput!) { register(input: $input) { refreshToken } }";
const REFRESH: &str = "mutation($t: String!) { refresh(refreshToken: $t) { refreshToken } }";

async fn every_answered_write_survives_a_kill_9(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let data_dir = tempfile::tempdir().expect("temp dir");
    let server = ServerProcess::start(&db.url, data_dir.path());
    let addr = server.addr;
    let http = reqwest::Client::new();

    // Writers: each registers accounts one after another, then rotates the last one's
    // refresh token, remembering only what the server answered.
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..6)
        .map(|w| {
            let (http, stop) = (http.clone(), stop.clone());
            tokio::spawn(async move {
                let mut registered = Vec::new();
                let mut last_token: Option<String> = None;
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let answer = match (&last_token, n % 4) {
                        (Some(token), 1..) => {
                            post(&http, addr, REFRESH, json!({ "t": token })).await
                        }
                        _ => {
                            let name = format!("writer{w}-{n}");
                            let input = json!({
                                "username": name, "email": format!("{name}@example.dz"),
                                "password": PASSWORD, "passwordConfirm": PASSWORD,
                            });
                            let answer =
                                post(&http, addr, REGISTER, json!({ "input": input })).await;
                            if answer["data"]["register"].is_object() {
                                registered.push(name);
                            }
                            answer
                        }
                    };
                    let payload = answer["data"]
                        .as_object()
                        .and_then(|data| data.values().next())
                        .cloned();
                    if let Some(token) =
                        payload.and_then(|p| p["refreshToken"].as_str().map(str::to_owned))
                    {
                        last_token = Some(token);
                    }
                    n += 1;
                }
                (registered, last_token)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    server.kill_9();
    stop.store(true, Ordering::Relaxed);
    let mut registered = Vec::new();
    let mut tokens = Vec::new();
    for writer in writers {
        let (names, token) = writer.await.expect("writer task");
        registered.extend(names);
        tokens.extend(token);
    }
    assert!(
        registered.len() >= 6,
        "too little was written: {registered:?}"
    );

    let restarted = ServerProcess::start(&db.url, data_dir.path());
    let conn = Database::connect(&db.url).await.expect("connect");
    let stored: Vec<String> = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT username FROM users",
        ))
        .await
        .expect("read users")
        .iter()
        .map(|row| row.try_get("", "username").expect("username"))
        .collect();
    conn.close().await.ok();
    for name in &registered {
        assert!(stored.contains(name), "{name} was answered but is gone");
    }
    // The last refresh token each writer was given still trades: its rotation was kept.
    for token in tokens {
        let body = post(&http, restarted.addr, REFRESH, json!({ "t": token })).await;
        assert!(
            body["data"]["refresh"]["refreshToken"].is_string(),
            "{body}"
        );
    }
}
