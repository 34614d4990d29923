//! Spawns the real application on a random port with a database of its own.
use std::{collections::HashMap, net::SocketAddr};

use graphql_auth::{config::Settings, startup::Application};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::smtp_sink::SmtpSink;

pub const PASSWORD: &str = "correct horse battery staple";
/// The signing secret every test server uses, so tests can forge tokens with it.
pub const JWT_SECRET: &str = "test-secret-0123456789abcdef0123456789abcdef";

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named test once per backend: `sqlite::name` always, `postgres::name`
/// against a fresh database on the server `TEST_POSTGRES_URL` names (skipped without
/// it, except under `CI=true`, where it fails).
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::helpers::postgres_admin_url().is_none() {
                        eprintln!("skipped: set TEST_POSTGRES_URL to run on PostgreSQL");
                        return;
                    }
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )*
        }
    };
}

/// The PostgreSQL server for tests, or `None` to skip them; under `CI=true` its absence
/// fails the test instead, so CI can never pass by skipping.
pub fn postgres_admin_url() -> Option<String> {
    service_url("TEST_POSTGRES_URL")
}

/// The Redis for tests, or `None` to skip them; under `CI=true` its absence fails.
pub fn redis_url() -> Option<String> {
    service_url("TEST_REDIS_URL")
}

fn service_url(variable: &str) -> Option<String> {
    let url = std::env::var(variable).ok().filter(|u| !u.is_empty());
    if url.is_none() && is_ci() {
        panic!("{variable} is unset under CI=true: this test must run, not skip");
    }
    url
}

/// Whether this is CI, where no test may skip.
pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A database made for one test and removed after it, even when the test fails.
pub struct TestDatabase {
    pub url: String,
    postgres: Option<(String, String)>,
    _dir: TempDir,
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => Self {
                url: format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("test.sqlite").display()
                ),
                postgres: None,
                _dir: dir,
            },
            Backend::Postgres => {
                let admin = postgres_admin_url().expect("TEST_POSTGRES_URL");
                let name = format!("gqa_test_{}", uuid::Uuid::new_v4().simple());
                let conn = Database::connect(&admin)
                    .await
                    .expect("connect to PostgreSQL");
                conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                conn.close().await.ok();
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                Self {
                    url: format!("{base}/{name}"),
                    postgres: Some((admin, name)),
                    _dir: dir,
                }
            }
        }
    }
}

impl TestDatabase {
    /// A database someone else made and removes, such as a private cluster's.
    pub fn external(url: String) -> Self {
        Self {
            url,
            postgres: None,
            _dir: tempfile::tempdir().expect("temp dir"),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop may run inside a runtime; a thread of its own can block on a new one.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(conn) = Database::connect(&admin).await {
                    let _ = conn
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    /// The database the server uses; kept so it outlives the server. `None` for a
    /// second instance on another app's database.
    db: Option<TestDatabase>,
    db_url: String,
    _data_dir: TempDir,
    shutdown: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    statements: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

/// Starts the server with the contract's defaults, changed by `overrides`.
pub async fn spawn_app_with(backend: Backend, overrides: &[(&str, &str)]) -> TestApp {
    let db = TestDatabase::new(backend).await;
    spawn_app_on(db, overrides).await
}

pub fn test_settings(
    db_url: &str,
    data_dir: &std::path::Path,
    overrides: &[(&str, &str)],
) -> Settings {
    let mut vars: HashMap<String, String> = [
        ("DATABASE_URL", db_url),
        ("DATA_DIR", &*data_dir.to_string_lossy()),
        ("BIND_ADDR", "127.0.0.1:0"),
        ("JWT_SECRET", JWT_SECRET),
        ("PUBLIC_URL", "http://auth.test"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in overrides {
        vars.insert(k.to_string(), v.to_string());
    }
    Settings::from_lookup(|k| vars.get(k).cloned()).expect("valid test settings")
}

pub async fn spawn_app_on(db: TestDatabase, overrides: &[(&str, &str)]) -> TestApp {
    let url = db.url.clone();
    start(Some(db), url, overrides).await
}

/// Another instance of the service on `first`'s database, as a second replica would
/// be. Keep `first` alive for as long as this one runs.
pub async fn spawn_replica(first: &TestApp, overrides: &[(&str, &str)]) -> TestApp {
    // Replicas sign with the same keys: the ring the first one generated.
    let ring = first.key_ring_path();
    let ring = ring.to_string_lossy();
    let mut settings = vec![("JWT_KEYS_FILE", &*ring)];
    settings.extend_from_slice(overrides);
    start(None, first.db_url.clone(), &settings).await
}

async fn start(db: Option<TestDatabase>, db_url: String, overrides: &[(&str, &str)]) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let settings = test_settings(&db_url, data_dir.path(), overrides);
    let app = Application::build(&settings)
        .await
        .expect("application builds");
    let addr = app.local_addr();
    let statements = app.statement_counter();
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    TestApp {
        addr,
        http: reqwest::Client::builder()
            .user_agent("api-tests/1.0")
            .build()
            .expect("HTTP client"),
        db,
        db_url,
        _data_dir: data_dir,
        shutdown,
        server,
        statements,
    }
}

/// Tokens and ids from an `AuthPayload`.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub session_id: String,
    pub user_id: String,
}

pub const AUTH_PAYLOAD: &str = "accessToken refreshToken tokenType accessTokenExpiresAt refreshTokenExpiresAt \
     user { id username } session { id current createdAt expiresAt }";

impl TestApp {
    /// Another instance of the service on the same database: a replica.
    pub async fn replica(&self, overrides: &[(&str, &str)]) -> TestApp {
        spawn_replica(self, overrides).await
    }

    /// Gives an account staff rights, as an operator would with `create-user --staff`.
    pub async fn promote_to_staff(&self, username: &str) {
        self.execute_sql(&format!(
            "UPDATE users SET is_staff = true WHERE username = '{username}'"
        ))
        .await;
    }

    /// SQL statements the server has run so far.
    pub fn statements(&self) -> u64 {
        self.statements.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn database_url(&self) -> &str {
        &self.db_url
    }

    /// The development key ring this instance generated (unless told to use another).
    pub fn key_ring_path(&self) -> std::path::PathBuf {
        self._data_dir.path().join("jwt-keys.json")
    }

    /// `claims` signed with this server's own EdDSA key, read from its ring, under the
    /// `kid` of `genuine`: a forgery only the claims can give away.
    pub fn sign_as_server(&self, genuine: &str, claims: &Value) -> String {
        use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
        use jsonwebtoken::{Algorithm, EncodingKey, Header};
        let kid = kid_of(genuine);
        let ring: Value =
            serde_json::from_str(&std::fs::read_to_string(self.key_ring_path()).unwrap()).unwrap();
        let entry = ring["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid.as_str())
            .unwrap_or_else(|| panic!("{kid} is not in the ring"));
        assert_eq!(entry["alg"], "EdDSA");
        let pem = entry["private_key"].as_str().unwrap();
        let key = ed25519_dalek::SigningKey::from_pkcs8_pem(pem).unwrap();
        let der = key.to_pkcs8_der().unwrap();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid);
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(der.as_bytes())).unwrap()
    }

    /// The `kid`s `/.well-known/jwks.json` lists, in order.
    pub async fn published_kids(&self) -> Vec<String> {
        let jwks: Value = self
            .http
            .get(self.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Shuts the server down as SIGTERM would (requests and the mail being sent are
    /// finished) and hands back its database for the next instance.
    pub async fn stop(self) -> TestDatabase {
        drop(self.http);
        let _ = self.shutdown.send(());
        tokio::time::timeout(std::time::Duration::from_secs(10), self.server)
            .await
            .expect("the server stops within 10 s")
            .expect("the server task does not panic")
            .expect("the server stops cleanly");
        self.db.expect("stop the instance that owns the database")
    }

    /// Runs SQL on the app's database behind its back, for states the API cannot reach.
    pub async fn execute_sql(&self, sql: &str) {
        let conn = Database::connect(&self.db_url)
            .await
            .expect("connect to the test database");
        conn.execute_unprepared(sql).await.expect("SQL runs");
        conn.close().await.ok();
    }

    /// The first column of each row `sql` selects, as text, read behind the server's back.
    pub async fn query_strings(&self, sql: &str) -> Vec<String> {
        let conn = Database::connect(&self.db_url)
            .await
            .expect("connect to the test database");
        let statement = Statement::from_string(conn.get_database_backend(), sql);
        let rows = conn.query_all_raw(statement).await.expect("SQL runs");
        conn.close().await.ok();
        rows.iter()
            .map(|row| row.try_get_by_index::<String>(0).expect("a text column"))
            .collect()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// POSTs a GraphQL request as JSON and returns the response body.
    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.graphql_with(token, &[], query, variables).await
    }

    pub async fn graphql_with(
        &self,
        token: Option<&str>,
        headers: &[(&str, &str)],
        query: &str,
        variables: Value,
    ) -> Value {
        let mut request = self
            .http
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.expect("request sent");
        assert!(
            response.status().is_success(),
            "unexpected HTTP status {}",
            response.status()
        );
        response.json().await.expect("JSON response")
    }

    pub async fn register(&self, username: &str) -> Tokens {
        self.register_with(username, &format!("{username}@example.dz"), &[])
            .await
    }

    pub async fn register_with(
        &self,
        username: &str,
        email: &str,
        headers: &[(&str, &str)],
    ) -> Tokens {
        let body = self
            .graphql_with(
                None,
                headers,
                &format!("mutation($input: RegisterInput!) {{ register(input: $input) {{ {AUTH_PAYLOAD} }} }}"),
                json!({ "input": {
                    "username": username, "email": email,
                    "password": PASSWORD, "passwordConfirm": PASSWORD,
                }}),
            )
            .await;
        tokens(&body, "register")
    }

    pub async fn login_raw(&self, input: Value, headers: &[(&str, &str)]) -> Value {
        self.graphql_with(
            None,
            headers,
            &format!(
                "mutation($input: LoginInput!) {{ login(input: $input) {{ {AUTH_PAYLOAD} }} }}"
            ),
            json!({ "input": input }),
        )
        .await
    }

    pub async fn login(&self, identifier: &str, fingerprint: Option<&str>) -> Tokens {
        let body = self
            .login_raw(
                json!({ "username": identifier, "password": PASSWORD, "deviceFingerprint": fingerprint }),
                &[],
            )
            .await;
        tokens(&body, "login")
    }

    pub async fn refresh_raw(&self, refresh_token: &str) -> Value {
        self.graphql(
            None,
            &format!("mutation($t: String!) {{ refresh(refreshToken: $t) {{ {AUTH_PAYLOAD} }} }}"),
            json!({ "t": refresh_token }),
        )
        .await
    }

    /// `me { id }` with this token: the user id, or the error code.
    pub async fn whoami(&self, access_token: &str) -> Result<String, String> {
        let body = self
            .graphql(Some(access_token), "{ me { id } }", json!({}))
            .await;
        match body["data"]["me"]["id"].as_str() {
            Some(id) => Ok(id.to_owned()),
            None => Err(error_code(&body).unwrap_or("NO CODE").to_owned()),
        }
    }

    pub async fn sessions(&self, access_token: &str) -> Vec<Value> {
        let body = self
            .graphql(
                Some(access_token),
                "{ sessions { id current isActive deviceFingerprint userAgent ipAddress lastUsedAt expiresAt user { id } } }",
                json!({}),
            )
            .await;
        body["data"]["sessions"]
            .as_array()
            .unwrap_or_else(|| panic!("sessions failed: {body}"))
            .clone()
    }
}

pub fn tokens(body: &Value, field: &str) -> Tokens {
    let payload = &body["data"][field];
    let text = |v: &Value| {
        v.as_str()
            .unwrap_or_else(|| panic!("{field} failed: {body}"))
            .to_owned()
    };
    Tokens {
        access: text(&payload["accessToken"]),
        refresh: text(&payload["refreshToken"]),
        session_id: text(&payload["session"]["id"]),
        user_id: text(&payload["user"]["id"]),
    }
}

/// The `extensions.code` of the first error.
/// Part `index` of a JWT (0: header, 1: claims), decoded and unverified.
fn jwt_part(token: &str, index: usize) -> Value {
    use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
    let raw = token.split('.').nth(index).expect("a JWT has three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(raw).unwrap()).unwrap()
}

/// A JWT's header, unverified.
pub fn jwt_header(token: &str) -> Value {
    jwt_part(token, 0)
}

/// A JWT's claims, unverified.
pub fn jwt_claims(token: &str) -> Value {
    jwt_part(token, 1)
}

/// The `kid` in a JWT's header.
pub fn kid_of(token: &str) -> String {
    jwt_header(token)["kid"].as_str().unwrap().to_owned()
}

/// Waits until `check` holds, checking every 50 ms; panics after `limit`, naming `what`.
pub async fn within<F: std::future::Future<Output = bool>>(
    limit: std::time::Duration,
    what: &str,
    check: impl Fn() -> F,
) {
    let started = std::time::Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// How long a test waits for mail before it fails.
pub const MAIL_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Settings that make the outbox worker send to `sink` and quick enough for tests,
/// with `overrides` on top.
pub fn mail_settings(sink: &SmtpSink, overrides: &[(&str, &str)]) -> Vec<(String, String)> {
    // Later pairs win: `test_settings` applies them in order.
    [
        ("SMTP_URL", sink.url().as_str()),
        ("MAIL_FROM", "Auth Test <no-reply@auth.test>"),
        ("MAIL_POLL_INTERVAL", "200ms"),
        ("MAIL_RETRY_BASE", "100ms"),
    ]
    .iter()
    .chain(overrides)
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Borrows owned settings in the shape `spawn_app_on` takes.
pub fn as_pairs(settings: &[(String, String)]) -> Vec<(&str, &str)> {
    settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// A server whose mail goes to a fresh SMTP sink, with `overrides` on top.
pub async fn spawn_app_with_mail(
    backend: Backend,
    overrides: &[(&str, &str)],
) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let settings = mail_settings(&sink, overrides);
    let app = spawn_app_on(TestDatabase::new(backend).await, &as_pairs(&settings)).await;
    (app, sink)
}
