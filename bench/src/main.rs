//! Load driver for `bench/run.sh`: against a running server it seeds users, measures
//! this machine's raw argon2id rate, runs W1–W6 and reports requests/s, latency,
//! errors and the server's peak RSS; `targets` compares a SQLite and a PostgreSQL run
//! with the targets of BENCHMARKS.md.
mod client;
mod rss;
mod workloads;

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context as _;
use argon2::{Argon2, PasswordHash, PasswordVerifier as _};
use clap::{Parser, Subcommand};
use graphql_auth::{auth::password::PasswordHasher, domain::Password};
use serde_json::{Value, json};

use crate::{
    rss::PeakSampler,
    workloads::{Client, PASSWORD, Stats, drive, seed_users, user_with_five_sessions},
};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// argon2id verifications per second with the service's parameters, one thread per core.
    Argon2 {
        #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
        duration: Duration,
    },
    /// Seeds users and runs W1–W6 against a server; prints a table, writes a JSON summary.
    Suite {
        /// The server's address (POST /graphql).
        #[arg(long)]
        addr: SocketAddr,
        /// The server's process id, to read its resident memory.
        #[arg(long)]
        server_pid: Option<u32>,
        /// A name for the run, e.g. the backend.
        #[arg(long, default_value = "run")]
        label: String,
        /// Users for W1 to pick from.
        #[arg(long, default_value_t = 1000)]
        users: usize,
        #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
        duration: Duration,
        /// Connections for W2, W3 and W4.
        #[arg(long, default_value_t = 32)]
        connections: usize,
        /// Connections for W1 (and W1's storm in W5).
        #[arg(long, default_value_t = 8)]
        login_connections: usize,
        #[arg(long)]
        json_out: Option<PathBuf>,
        /// Run only these, e.g. `w3,w4` (for profiling one workload).
        #[arg(long, value_delimiter = ',', default_value = "w1,w2,w3,w4,w5,w6")]
        workloads: Vec<String>,
        /// The server's `INTROSPECTION_TOKEN`, for W6.
        #[arg(long, env = "INTROSPECTION_TOKEN")]
        introspection_token: Option<String>,
    },
    /// Compares a SQLite and a PostgreSQL summary with the targets.
    Targets { sqlite: PathBuf, postgres: PathBuf },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Argon2 { duration } => {
            let rate = argon2_rate(duration).await?;
            println!("argon2id verifications/s: {rate:.1}");
        }
        Command::Suite {
            addr,
            server_pid,
            label,
            users,
            duration,
            connections,
            login_connections,
            json_out,
            workloads,
            introspection_token,
        } => {
            let summary = suite(
                addr,
                server_pid,
                &label,
                users,
                duration,
                connections,
                login_connections,
                &workloads,
                introspection_token.as_deref(),
            )
            .await?;
            if let Some(path) = json_out {
                std::fs::write(&path, serde_json::to_string_pretty(&summary)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
        Command::Targets { sqlite, postgres } => {
            let read = |path: &PathBuf| -> anyhow::Result<Value> {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                Ok(serde_json::from_str(&text)?)
            };
            print_targets(&read(&sqlite)?, &read(&postgres)?);
        }
    }
    Ok(())
}

/// Verifies the service's own hash of a password on every core at once, as fast as it can.
async fn argon2_rate(duration: Duration) -> anyhow::Result<f64> {
    let password = Password::parse(PASSWORD.to_owned(), "password")
        .map_err(|_| anyhow::anyhow!("the benchmark password is invalid"))?;
    let hash = PasswordHasher::new(1)?.hash(&password).await?;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (hash, done, stop) = (hash.clone(), done.clone(), stop.clone());
            std::thread::spawn(move || {
                let parsed = PasswordHash::new(&hash).expect("our own hash parses");
                while !stop.load(Ordering::Relaxed) {
                    Argon2::default()
                        .verify_password(PASSWORD.as_bytes(), &parsed)
                        .expect("the password matches");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker
            .join()
            .map_err(|_| anyhow::anyhow!("argon2 worker panicked"))?;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64())
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn row(name: &str, stats: &Stats, peak_kib: u64) -> Value {
    println!(
        "| {name} | {:>9.0} | {:>7.2} | {:>7.2} | {:>6} | {:>7.1} |",
        stats.per_second(),
        stats.p50_ms(),
        stats.p99_ms(),
        stats.errors,
        mib(peak_kib)
    );
    json!({
        "requests_per_second": stats.per_second(),
        "requests": stats.requests,
        "errors": stats.errors,
        "p50_ms": stats.p50_ms(),
        "p99_ms": stats.p99_ms(),
        "peak_rss_mib": mib(peak_kib),
    })
}

/// Runs `clients()` twice: a short warm-up, then the measured run under the RSS sampler.
async fn measure(
    addr: SocketAddr,
    pid: Option<u32>,
    duration: Duration,
    clients: impl Fn() -> Vec<Client>,
) -> anyhow::Result<(Stats, u64)> {
    drive(addr, clients(), Duration::from_secs(1)).await?;
    let sampler = PeakSampler::start(pid);
    let stats = drive(addr, clients(), duration).await?;
    Ok((stats, sampler.finish().await))
}

#[allow(clippy::too_many_arguments)]
async fn suite(
    addr: SocketAddr,
    pid: Option<u32>,
    label: &str,
    users: usize,
    duration: Duration,
    connections: usize,
    login_connections: usize,
    workloads: &[String],
    introspection_token: Option<&str>,
) -> anyhow::Result<Value> {
    let wants = |w: &str| workloads.iter().any(|x| x.eq_ignore_ascii_case(w));
    let idle_start = pid.and_then(rss::current_kib).unwrap_or(0);
    println!("## {label}\n");
    println!("idle RSS at start: {:.1} MiB", mib(idle_start));
    let seeding = Instant::now();
    seed_users(addr, users).await?;
    let access = user_with_five_sessions(addr, users).await?;
    println!(
        "seeded {users} users in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    let argon2 = argon2_rate(Duration::from_secs(5)).await?;
    println!("raw argon2id verifications/s (all cores): {argon2:.1}\n");

    println!("| workload | req/s | p50 ms | p99 ms | errors | peak RSS MiB |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let logins = |seed: u64| -> Vec<Client> {
        (0..login_connections)
            .map(|c| Client::login(users, seed + c as u64))
            .collect()
    };
    let sessions = || -> Vec<Client> {
        (0..connections)
            .map(|_| Client::Sessions {
                access: access.clone(),
            })
            .collect()
    };

    let mut results = serde_json::Map::new();
    if wants("w4") {
        let (w4, peak) = measure(addr, pid, duration, || {
            (0..connections).map(|_| Client::Typename).collect()
        })
        .await?;
        results.insert("w4".into(), row("W4 `{ __typename }`", &w4, peak));
    }
    if wants("w3") || wants("w5") {
        let (w3, peak) = measure(addr, pid, duration, sessions).await?;
        results.insert("w3".into(), row("W3 `sessions` (Bearer)", &w3, peak));
    }
    if wants("w6") {
        let caller: Arc<str> = introspection_token
            .context("W6 needs the server's INTROSPECTION_TOKEN (--introspection-token)")?
            .into();
        let (w6, peak) = measure(addr, pid, duration, || {
            (0..connections)
                .map(|_| Client::introspect(&access, caller.clone()))
                .collect()
        })
        .await?;
        results.insert("w6".into(), row("W6 `/oauth/introspect`", &w6, peak));
    }
    if wants("w2") {
        // Each refresh client holds a session of its own (no warm-up: its chain would
        // carry on from where the warm-up left it anyway).
        let mut refreshers = Vec::with_capacity(connections);
        for user in 0..connections {
            refreshers.push(Client::refresh(addr, user % users).await?);
        }
        let sampler = PeakSampler::start(pid);
        let w2 = drive(addr, refreshers, duration).await?;
        let peak = sampler.finish().await;
        results.insert("w2".into(), row("W2 `refresh` (rotation)", &w2, peak));
    }
    if wants("w1") {
        let (w1, peak) = measure(addr, pid, duration, || logins(1)).await?;
        results.insert("w1".into(), row("W1 `login`", &w1, peak));
    }
    if wants("w5") {
        let sampler = PeakSampler::start(pid);
        let (storm, w5) = tokio::join!(
            drive(addr, logins(1000), duration),
            drive(addr, sessions(), duration)
        );
        let peak = sampler.finish().await;
        results.insert("w5".into(), row("W5 W3 during a W1 storm", &w5?, peak));
        results.insert(
            "w5_storm".into(),
            row("   (the W1 storm itself)", &storm?, peak),
        );
    }

    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_end = pid.and_then(rss::current_kib).unwrap_or(0);
    println!("\nidle RSS after the run: {:.1} MiB", mib(idle_end));
    results.insert("label".into(), json!(label));
    results.insert("argon2_per_second".into(), json!(argon2));
    results.insert("idle_rss_start_mib".into(), json!(mib(idle_start)));
    results.insert("idle_rss_end_mib".into(), json!(mib(idle_end)));
    let summary = Value::Object(results);
    print_ratios(&summary);
    Ok(summary)
}

/// The ratios the targets are about, for one run.
fn print_ratios(run: &Value) {
    let rate = |w: &str| run[w]["requests_per_second"].as_f64().unwrap_or(0.0);
    let p99 = |w: &str| run[w]["p99_ms"].as_f64().unwrap_or(f64::NAN);
    println!(
        "{}: W1 / raw argon2id {:.0}%, W3 / W4 {:.0}%, W5 p99 / W3 p99 {:.1}×, W6 / W3 {:.0}%\n",
        run["label"].as_str().unwrap_or("?"),
        100.0 * rate("w1") / run["argon2_per_second"].as_f64().unwrap_or(f64::NAN),
        100.0 * rate("w3") / rate("w4"),
        p99("w5") / p99("w3"),
        100.0 * rate("w6") / rate("w3"),
    );
}

fn print_targets(sqlite: &Value, postgres: &Value) {
    let rate = |run: &Value, w: &str| run[w]["requests_per_second"].as_f64().unwrap_or(0.0);
    let p99 = |run: &Value, w: &str| run[w]["p99_ms"].as_f64().unwrap_or(f64::INFINITY);
    let number = |run: &Value, key: &str| run[key].as_f64().unwrap_or(f64::INFINITY);
    let peak = |run: &Value| {
        ["w1", "w2", "w3", "w4", "w5", "w6"]
            .iter()
            .map(|w| run[*w]["peak_rss_mib"].as_f64().unwrap_or(f64::INFINITY))
            .fold(0.0, f64::max)
    };
    let mut rows = Vec::new();
    for run in [sqlite, postgres] {
        let name = run["label"].as_str().unwrap_or("?");
        let argon2 = number(run, "argon2_per_second");
        rows.push((
            format!("{name}: W1 ≥ 90% of raw argon2id ({argon2:.1}/s)"),
            format!("{:.0}%", 100.0 * rate(run, "w1") / argon2),
            rate(run, "w1") >= 0.9 * argon2,
        ));
        rows.push((
            format!("{name}: W3 ≥ 50% of W4 ({:.0}/s)", rate(run, "w4")),
            format!("{:.0}%", 100.0 * rate(run, "w3") / rate(run, "w4")),
            rate(run, "w3") >= 0.5 * rate(run, "w4"),
        ));
        rows.push((
            format!("{name}: W5 p99 ≤ 5× W3 p99 ({:.2} ms)", p99(run, "w3")),
            format!(
                "{:.2} ms ({:.1}×)",
                p99(run, "w5"),
                p99(run, "w5") / p99(run, "w3")
            ),
            p99(run, "w5") <= 5.0 * p99(run, "w3"),
        ));
        rows.push((
            format!("{name}: W6 ≥ 80% of W3 ({:.0}/s)", rate(run, "w3")),
            format!(
                "{:.0}% (p99 {:.2} ms)",
                100.0 * rate(run, "w6") / rate(run, "w3"),
                p99(run, "w6")
            ),
            rate(run, "w6") >= 0.8 * rate(run, "w3"),
        ));
        let idle = number(run, "idle_rss_start_mib").max(number(run, "idle_rss_end_mib"));
        rows.push((
            format!("{name}: RSS ≤ 30 MiB idle"),
            format!("{idle:.1} MiB"),
            idle <= 30.0,
        ));
        rows.push((
            format!("{name}: RSS ≤ 100 MiB under load"),
            format!("{:.1} MiB", peak(run)),
            peak(run) <= 100.0,
        ));
    }
    rows.push((
        "sqlite: W2 ≥ 4,000 req/s".into(),
        format!("{:.0}", rate(sqlite, "w2")),
        rate(sqlite, "w2") >= 4000.0,
    ));
    rows.push((
        "sqlite: W3 ≥ 10,000 req/s".into(),
        format!("{:.0}", rate(sqlite, "w3")),
        rate(sqlite, "w3") >= 10_000.0,
    ));
    rows.push((
        "postgres: W3 within 2× of SQLite's".into(),
        format!("{:.0}", rate(postgres, "w3")),
        rate(postgres, "w3") * 2.0 >= rate(sqlite, "w3"),
    ));
    println!("| target | measured | met |\n| --- | ---: | :---: |");
    for (target, measured, met) in rows {
        println!(
            "| {target} | {measured} | {} |",
            if met { "yes" } else { "**no**" }
        );
    }
}
