//! Settings are checked at start: the real binary refuses a value out of range, naming
//! its variable, instead of starting and failing requests later.
use std::{
    process::{Output, Stdio},
    time::{Duration, Instant},
};

use crate::cli::binary;

/// Runs `serve` with `variable=value` on top of a working configuration, and gives it
/// a while to stop by itself: a server that starts is killed and reported.
fn serve_with(variable: &str, value: &str) -> Output {
    let data_dir = tempfile::tempdir().unwrap();
    let db_url = format!(
        "sqlite://{}?mode=rwc",
        data_dir.path().join("test.sqlite").display()
    );
    let mut child = binary()
        .arg("serve")
        // No stray .env file is read from here.
        .current_dir(data_dir.path())
        .env("DATA_DIR", data_dir.path())
        .env("DATABASE_URL", &db_url)
        .env("BIND_ADDR", "127.0.0.1:0")
        .env(variable, value)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!(
                "{variable}={value}: the service started anyway:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn the_service_refuses_to_start_on_a_value_out_of_range_and_names_it() {
    for (variable, value) in [
        ("CORS_ORIGINS", "*"),
        ("CORS_ORIGINS", "https://app.example.dz/path"),
        ("ACCESS_TOKEN_TTL", "100000000000d"),
        ("LOCKOUT_DURATION", "100000000000d"),
        ("LOCKOUT_THRESHOLD", "-1"),
        ("RATE_LIMIT_IPV6_PREFIX", "129"),
        ("PUBLIC_URL", "auth.example.dz"),
    ] {
        let output = serve_with(variable, value);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{variable}={value}: {stderr}");
        assert!(
            stderr.contains(&format!("invalid {variable}=")),
            "{variable}={value}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{variable}={value}: {stderr}");
    }
}
