//! The workloads W1–W5 and the users they need, driven over real HTTP connections.
use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use hdrhistogram::Histogram;
use rand::{Rng as _, SeedableRng as _, rngs::StdRng};
use serde_json::json;

use crate::client::{Answer, Connection, graphql};

pub const PASSWORD: &str = "Quiet-Orbit-Lantern-42";

const REGISTER: &str =
    "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }";
const LOGIN: &str =
    "mutation($input: LoginInput!) { login(input: $input) { accessToken refreshToken } }";
const REFRESH: &str =
    "mutation($t: String!) { refresh(refreshToken: $t) { accessToken refreshToken } }";
const SESSIONS: &str =
    "{ sessions { id deviceName ipAddress userAgent lastUsedAt expiresAt current } }";
const TYPENAME: &str = "{ __typename }";

fn username(i: usize) -> String {
    format!("bench{i}")
}

/// Registers `bench0…bench{users-1}` over a few connections.
pub async fn seed_users(addr: SocketAddr, users: usize) -> anyhow::Result<()> {
    const CONNECTIONS: usize = 4;
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|c| {
            tokio::spawn(async move {
                let mut conn = Connection::open(addr).await?;
                for i in (c..users).step_by(CONNECTIONS) {
                    register(&mut conn, &username(i)).await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(())
}

async fn register(conn: &mut Connection, name: &str) -> anyhow::Result<()> {
    let input = json!({
        "username": name, "email": format!("{name}@example.com"),
        "password": PASSWORD, "passwordConfirm": PASSWORD,
    });
    let answer = conn
        .post(&graphql(REGISTER, json!({ "input": input })), None)
        .await?;
    expect_ok(&answer, "register")
}

fn expect_ok(answer: &Answer, what: &str) -> anyhow::Result<()> {
    if !answer.is_ok() {
        bail!(
            "{what} failed: {} {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
    }
    Ok(())
}

/// Signs `user` in from `device`; answers (access, refresh).
pub async fn login(
    conn: &mut Connection,
    user: &str,
    device: &str,
) -> anyhow::Result<(String, String)> {
    let input = json!({ "username": user, "password": PASSWORD, "deviceFingerprint": device });
    let answer = conn
        .post(&graphql(LOGIN, json!({ "input": input })), None)
        .await?;
    expect_ok(&answer, "login")?;
    tokens(&answer, "login")
}

fn tokens(answer: &Answer, field: &str) -> anyhow::Result<(String, String)> {
    let json = answer.json()?;
    let pair = &json["data"][field];
    let access = pair["accessToken"].as_str().context("no accessToken")?;
    let refresh = pair["refreshToken"].as_str().context("no refreshToken")?;
    Ok((access.to_owned(), refresh.to_owned()))
}

/// What one simulated client does, request after request, on its own connection.
pub enum Client {
    /// W1: `login` as a random user out of `users`.
    Login { users: usize, rng: Box<StdRng> },
    /// W2: `refresh`, each answer's token used once for the next request.
    Refresh { user: String, token: String },
    /// W3: `sessions` with a Bearer token.
    Sessions { access: Arc<str> },
    /// W4: `{ __typename }`, the framework's floor.
    Typename,
    /// W6: `POST /oauth/introspect` of a live access token, as a resource server asks.
    Introspect { form: Bytes, caller_token: Arc<str> },
}

impl Client {
    /// Introspects `access` with the server's `INTROSPECTION_TOKEN`.
    pub fn introspect(access: &str, caller_token: Arc<str>) -> Self {
        Self::Introspect {
            form: Bytes::from(format!("token={access}&token_type_hint=access_token")),
            caller_token,
        }
    }

    pub fn login(users: usize, seed: u64) -> Self {
        Self::Login {
            users,
            rng: Box::new(StdRng::seed_from_u64(seed)),
        }
    }

    /// Signs `user` in to hold the session whose refresh tokens it will rotate.
    pub async fn refresh(addr: SocketAddr, user: usize) -> anyhow::Result<Self> {
        let user = username(user);
        let mut conn = Connection::open(addr).await?;
        let (_, token) = login(&mut conn, &user, &format!("refresh-{user}")).await?;
        Ok(Self::Refresh { user, token })
    }

    /// One request; `Ok(false)` when the server answered with an error.
    async fn step(&mut self, conn: &mut Connection) -> anyhow::Result<bool> {
        match self {
            Self::Login { users, rng } => {
                let user = username(rng.gen_range(0..*users));
                let input = json!({ "username": user, "password": PASSWORD });
                let answer = conn
                    .post(&graphql(LOGIN, json!({ "input": input })), None)
                    .await?;
                Ok(answer.is_ok())
            }
            Self::Refresh { user, token } => {
                let answer = conn
                    .post(&graphql(REFRESH, json!({ "t": token })), None)
                    .await?;
                if answer.is_ok() {
                    *token = tokens(&answer, "refresh")?.1;
                    return Ok(true);
                }
                // A broken chain would stall this client: sign in again, count the error.
                *token = login(conn, user, &format!("refresh-{user}")).await?.1;
                Ok(false)
            }
            Self::Sessions { access } => {
                static BODY: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
                let body = BODY.get_or_init(|| graphql(SESSIONS, json!({})));
                Ok(conn.post(body, Some(access)).await?.is_ok())
            }
            Self::Typename => {
                static BODY: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
                let body = BODY.get_or_init(|| graphql(TYPENAME, json!({})));
                Ok(conn.post(body, None).await?.is_ok())
            }
            Self::Introspect { form, caller_token } => {
                let answer = conn
                    .post_form("/oauth/introspect", form, caller_token)
                    .await?;
                // A live token is the point: `{"active": false}` counts as an error.
                Ok(answer.status == hyper::StatusCode::OK
                    && answer.json()?["active"] == serde_json::Value::Bool(true))
            }
        }
    }
}

/// A user with five sessions, signed in from five devices; answers the last access token.
pub async fn user_with_five_sessions(addr: SocketAddr, users: usize) -> anyhow::Result<Arc<str>> {
    let mut conn = Connection::open(addr).await?;
    let user = username(users); // one past the W1 pool, so W1 never touches its sessions
    register(&mut conn, &user).await?;
    let mut access = String::new();
    for device in 0..5 {
        access = login(&mut conn, &user, &format!("device-{device}"))
            .await?
            .0;
    }
    Ok(access.into())
}

/// What a run measured.
pub struct Stats {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Microseconds.
    pub latency: Histogram<u64>,
}

impl Stats {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    pub fn p50_ms(&self) -> f64 {
        self.latency.value_at_quantile(0.50) as f64 / 1000.0
    }

    pub fn p99_ms(&self) -> f64 {
        self.latency.value_at_quantile(0.99) as f64 / 1000.0
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid histogram bounds")
}

/// Runs every client on its own connection for `duration`.
pub async fn drive(
    addr: SocketAddr,
    clients: Vec<Client>,
    duration: Duration,
) -> anyhow::Result<Stats> {
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|mut client| {
            tokio::spawn(async move {
                let mut conn = Connection::open(addr).await?;
                let mut latency = histogram();
                let (mut requests, mut errors) = (0u64, 0u64);
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let ok = client.step(&mut conn).await?;
                    latency.saturating_record(sent.elapsed().as_micros() as u64);
                    requests += 1;
                    errors += u64::from(!ok);
                }
                anyhow::Ok((requests, errors, latency))
            })
        })
        .collect();
    let mut stats = Stats {
        requests: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latency: histogram(),
    };
    for task in tasks {
        let (requests, errors, latency) = task.await??;
        stats.requests += requests;
        stats.errors += errors;
        stats.latency.add(latency)?;
    }
    stats.elapsed = start.elapsed();
    Ok(stats)
}
