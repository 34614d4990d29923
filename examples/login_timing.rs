//! Measures `login` latency for an unknown user, a wrong password, a locked account and
//! a wrong password for an account imported from Django (PBKDF2, 1,000,000 rounds), and
//! `requestPasswordReset` for a known and an unknown address; prints the medians side by
//! side: the cases of each must not be told apart by timing.
//!
//!     cargo run --release --example login_timing [-- ROUNDS]
//!
//! Runs the real service in-process on a fresh SQLite file and talks HTTP to it. The
//! three kinds are interleaved round by round so drift affects them alike.
use std::{collections::HashMap, time::Instant};

use graphql_auth::{config::Settings, startup::Application};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";
/// A hash Django 5.2 made (`tests/fixtures/django/users.json`): PBKDF2-SHA256, 10⁶ rounds.
const DJANGO_HASH: &str =
    "pbkdf2_sha256$1000000$Ibx8jZxKju0lsyEAQLHrZ3$ThecgZJj8jj7irJf7142sgaM7nXHV/YFkL6AGIL+FKY=";

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
        ("RATE_LIMIT_REQUEST_PASSWORD_RESET", "off".into()),
    ]);
    let settings = Settings::from_lookup(|k| vars.get(k).cloned())?;
    let database_url = settings.database_url();
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
    const RESET: &str = "mutation($i: String!) { requestPasswordReset(email: $i) }";
    let login = |username: String, password: &str| json!({ "i": { "username": username, "password": password } });

    // Accounts per wrong-password round (so none of them locks), one of ours and one
    // imported, and one locked account.
    for name in (0..rounds)
        .flat_map(|i| [format!("user{i}"), format!("django{i}")])
        .chain(["locked".to_owned()])
    {
        let input = json!({ "i": { "username": name, "email": format!("{name}@example.dz"),
                                   "password": PASSWORD, "passwordConfirm": PASSWORD } });
        call(REGISTER, input).await?;
    }
    let db = Database::connect(&database_url).await?;
    db.execute_unprepared(&format!(
        "UPDATE users SET password_hash = '{DJANGO_HASH}' WHERE username LIKE 'django%'"
    ))
    .await?;
    db.close().await?;
    for _ in 0..5 {
        call(LOGIN, login("locked".into(), "wrong password!")).await?;
    }
    // One failure to learn what an imported hash costs (a restarted server measures it
    // at start).
    call(LOGIN, login("django0".into(), "wrong password!")).await?;

    let mut samples: [(&str, &str, &str, Vec<f64>); 6] = [
        ("unknown user", LOGIN, "INVALID_CREDENTIALS", vec![]),
        ("wrong password", LOGIN, "INVALID_CREDENTIALS", vec![]),
        ("locked account", LOGIN, "ACCOUNT_LOCKED", vec![]),
        ("imported hash", LOGIN, "INVALID_CREDENTIALS", vec![]),
        ("reset: known", RESET, "", vec![]),
        ("reset: unknown", RESET, "", vec![]),
    ];
    for round in 0..rounds {
        let attempts = [
            login(format!("nobody{round}"), "wrong password!"),
            login(format!("user{round}"), "wrong password!"),
            login("locked".into(), "wrong password!"),
            login(format!("django{round}"), "wrong password!"),
            json!({ "i": format!("user{round}@example.dz") }),
            json!({ "i": format!("nobody{round}@example.dz") }),
        ];
        for ((_, query, expected, times), variables) in samples.iter_mut().zip(attempts) {
            let (ms, body) = call(query, variables).await?;
            let code = body["errors"][0]["extensions"]["code"]
                .as_str()
                .unwrap_or("");
            anyhow::ensure!(code == *expected, "expected {expected:?}, got {body}");
            times.push(ms);
        }
    }

    println!("login latency over {rounds} rounds (ms)");
    println!("{:<16} {:>8} {:>8} {:>8}", "case", "median", "p10", "p90");
    let mut medians = Vec::new();
    for (name, _, _, mut times) in samples {
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
    let spread = |medians: &[f64]| {
        medians.iter().cloned().fold(f64::MIN, f64::max)
            - medians.iter().cloned().fold(f64::MAX, f64::min)
    };
    println!(
        "largest difference between login medians: {:.2} ms; between reset medians: {:.2} ms",
        spread(&medians[..4]),
        spread(&medians[4..])
    );
    Ok(())
}
