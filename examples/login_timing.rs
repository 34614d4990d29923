//! Measures `login` latency for an unknown user, a wrong password and a locked account,
//! and prints their medians side by side: the three must not be told apart by timing.
//!
//!     cargo run --release --example login_timing [-- ROUNDS]
//!
//! Runs the real service in-process on a fresh SQLite file and talks HTTP to it. The
//! three kinds are interleaved round by round so drift affects them alike.
use std::{collections::HashMap, time::Instant};

use graphql_auth::{config::Settings, startup::Application};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(60);
    let dir = tempfile::tempdir()?;
    let vars: HashMap<&str, String> = HashMap::from([
        ("DATA_DIR", dir.path().display().to_string()),
        ("BIND_ADDR", "127.0.0.1:0".into()),
        (
            "JWT_SECRET",
            "timing-secret-0123456789abcdef0123456789".into(),
        ),
        ("RATE_LIMIT_LOGIN", "off".into()),
        ("RATE_LIMIT_REGISTER", "off".into()),
    ]);
    let settings = Settings::from_lookup(|k| vars.get(k).cloned())?;
    let app = Application::build(&settings).await?;
    let url = format!("http://{}/graphql", app.local_addr());
    tokio::spawn(app.run_until(std::future::pending()));
    let http = reqwest::Client::new();

    let call = |query: &'static str, variables: Value| {
        let http = http.clone();
        let url = url.clone();
        async move {
            let started = Instant::now();
            let body: Value = http
                .post(&url)
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await?
                .json()
                .await?;
            anyhow::Ok((started.elapsed().as_secs_f64() * 1000.0, body))
        }
    };
    const REGISTER: &str = "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }";
    const LOGIN: &str = "mutation($i: LoginInput!) { login(input: $i) { accessToken } }";
    let login = |username: String, password: &str| json!({ "i": { "username": username, "password": password } });

    // One account per wrong-password round (so none of them locks) and one locked account.
    for name in (0..rounds)
        .map(|i| format!("user{i}"))
        .chain(["locked".to_owned()])
    {
        let input = json!({ "i": { "username": name, "email": format!("{name}@example.dz"),
                                   "password": PASSWORD, "passwordConfirm": PASSWORD } });
        call(REGISTER, input).await?;
    }
    for _ in 0..5 {
        call(LOGIN, login("locked".into(), "wrong password!")).await?;
    }

    let mut samples: [(&str, &str, Vec<f64>); 3] = [
        ("unknown user", "INVALID_CREDENTIALS", vec![]),
        ("wrong password", "INVALID_CREDENTIALS", vec![]),
        ("locked account", "ACCOUNT_LOCKED", vec![]),
    ];
    for round in 0..rounds {
        let attempts = [
            login(format!("nobody{round}"), "wrong password!"),
            login(format!("user{round}"), "wrong password!"),
            login("locked".into(), "wrong password!"),
        ];
        for ((_, expected, times), variables) in samples.iter_mut().zip(attempts) {
            let (ms, body) = call(LOGIN, variables).await?;
            let code = body["errors"][0]["extensions"]["code"]
                .as_str()
                .unwrap_or("none");
            anyhow::ensure!(code == *expected, "expected {expected}, got {body}");
            times.push(ms);
        }
    }

    println!("login latency over {rounds} rounds (ms)");
    println!("{:<16} {:>8} {:>8} {:>8}", "case", "median", "p10", "p90");
    let mut medians = Vec::new();
    for (name, _, mut times) in samples {
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        println!(
            "{name:<16} {:>8.2} {:>8.2} {:>8.2}",
            at(0.5),
            at(0.1),
            at(0.9)
        );
        medians.push(at(0.5));
    }
    let spread = medians.iter().cloned().fold(f64::MIN, f64::max)
        - medians.iter().cloned().fold(f64::MAX, f64::min);
    println!("largest difference between medians: {spread:.2} ms");
    Ok(())
}
