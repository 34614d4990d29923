//! The binary's subcommands, run as a user would run them.
use std::{
    io::Write,
    process::{Command, Output, Stdio},
};

use serde_json::json;

use crate::{
    backend_tests,
    helpers::{
        Backend, JWT_SECRET, MAIL_WAIT, TestDatabase, as_pairs, mail_settings, spawn_app_on,
    },
    smtp_sink::SmtpSink,
};

backend_tests!(
    create_user_reads_the_password_from_stdin_and_the_account_signs_in,
    issue_verification_tokens_queues_one_mail_per_unverified_account_once,
);

pub(crate) fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_graphql-auth"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    command
}

async fn create_user_reads_the_password_from_stdin_and_the_account_signs_in(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let data_dir = tempfile::tempdir().unwrap();
    let data_dir_text = data_dir.path().to_string_lossy();
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("DATA_DIR", &*data_dir_text),
        ("JWT_SECRET", JWT_SECRET),
    ];
    let args = [
        "--username",
        "root-admin",
        "--email",
        "admin@example.dz",
        "--staff",
    ];
    let output = create_user(&env, &args, "a trusty passphrase");
    assert_success(&output);
    assert!(String::from_utf8_lossy(&output.stdout).contains("created user root-admin"));

    let app = spawn_app_on(db, &[]).await;
    let body = app
        .login_raw(
            json!({ "username": "admin@example.dz", "password": "a trusty passphrase" }),
            &[],
        )
        .await;
    let token = body["data"]["login"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"));
    let me = app
        .graphql(Some(token), "{ me { isStaff } }", json!({}))
        .await;
    assert_eq!(me["data"]["me"]["isStaff"], true);
}

/// Runs `create-user` with `env`, typing `password` on standard input as a person
/// would (never as an argument).
pub(crate) fn create_user(env: &[(&str, &str)], args: &[&str], password: &str) -> Output {
    let mut command = binary();
    command
        .arg("create-user")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(format!("{password}\n").as_bytes()).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

pub(crate) fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// An account made by `create-user` on this database: it gets no verification mail.
fn create_account(db_url: &str, data_dir: &std::path::Path, username: &str) {
    let data_dir = data_dir.to_string_lossy();
    let email = format!("{username}@example.dz");
    let env = [
        ("DATABASE_URL", db_url),
        ("DATA_DIR", &*data_dir),
        ("JWT_SECRET", JWT_SECRET),
    ];
    assert_success(&create_user(
        &env,
        &["--username", username, "--email", &email],
        "a decent passphrase",
    ));
}

async fn issue_verification_tokens_queues_one_mail_per_unverified_account_once(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let db_url = db.url.clone();
    let data_dir = tempfile::tempdir().unwrap();
    create_account(&db_url, data_dir.path(), "first-admin");
    create_account(&db_url, data_dir.path(), "second-admin");
    let sink = SmtpSink::start().await;
    let app = spawn_app_on(db, &as_pairs(&mail_settings(&sink, &[]))).await;
    // Registered through the API: it already holds a live link and gets no second one.
    app.register("amina").await;
    sink.wait_for(1, MAIL_WAIT).await;

    let issue = || {
        let output = binary()
            .arg("issue-verification-tokens")
            .env("DATABASE_URL", &db_url)
            .env("DATA_DIR", data_dir.path())
            .env("JWT_SECRET", JWT_SECRET)
            .output()
            .unwrap();
        assert_success(&output);
        String::from_utf8(output.stdout).unwrap()
    };
    assert_eq!(issue(), "queued 2 verification email(s)\n");
    assert_eq!(issue(), "queued 0 verification email(s)\n");

    let received = sink.wait_for(3, MAIL_WAIT).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let mut recipients: Vec<&str> = received[1..].iter().map(|m| m.to()).collect();
    recipients.sort();
    assert_eq!(
        recipients,
        ["first-admin@example.dz", "second-admin@example.dz"]
    );
    assert_eq!(sink.received().len(), 3);
    // The link queued by the command works on the server.
    let body = app
        .graphql(
            None,
            "mutation($t: String!) { verifyEmail(token: $t) { username emailVerified } }",
            json!({ "t": received[1].token("verify-email") }),
        )
        .await;
    assert_eq!(body["data"]["verifyEmail"]["emailVerified"], true, "{body}");
}

#[test]
fn create_user_refuses_a_weak_password() {
    let data_dir = tempfile::tempdir().unwrap();
    let data_dir_text = data_dir.path().to_string_lossy();
    let args = ["--username", "weakling", "--email", "w@example.dz"];
    let output = create_user(&[("DATA_DIR", &*data_dir_text)], &args, "short");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("TOO_SHORT"));
}

#[test]
fn production_refuses_to_start_without_a_strong_secret() {
    let data_dir = tempfile::tempdir().unwrap();
    for secret in [None, Some("too-short")] {
        let mut command = binary();
        command
            .args(["serve"])
            .env("APP_ENV", "production")
            .env("DATA_DIR", data_dir.path())
            .env("BIND_ADDR", "127.0.0.1:0");
        if let Some(secret) = secret {
            command.env("JWT_SECRET", secret);
        }
        let output = command.output().unwrap();
        assert!(!output.status.success(), "{secret:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("JWT_SECRET"),
            "{secret:?}"
        );
    }
}

#[test]
fn development_generates_a_signing_key_once_and_keeps_it() {
    let data_dir = tempfile::tempdir().unwrap();
    let migrated = binary()
        .arg("migrate")
        .env("DATA_DIR", data_dir.path())
        .output()
        .unwrap();
    assert_success(&migrated);
    let db_file = data_dir.path().join("graphql-auth.sqlite");
    assert!(
        db_file.exists(),
        "migrate creates the SQLite file in DATA_DIR"
    );
    // `migrate` needs no key; `create-user` does, and keeps the one it made.
    let data_dir_text = data_dir.path().to_string_lossy();
    let create = |name: &str| {
        let email = format!("{name}@example.dz");
        let args = ["--username", name, "--email", &email];
        assert_success(&create_user(
            &[("DATA_DIR", &*data_dir_text)],
            &args,
            "a decent passphrase",
        ));
        std::fs::read_to_string(data_dir.path().join("jwt-secret")).unwrap()
    };
    let first = create("first-user");
    let second = create("second-user");
    assert_eq!(first, second);
    assert!(first.len() >= 32);
}

#[test]
fn export_schema_prints_the_checked_in_schema() {
    let output = binary().arg("export-schema").output().unwrap();
    assert!(output.status.success());
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), checked_in);
}
