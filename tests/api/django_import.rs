//! `import-django-users` on an export made by Django itself
//! (`tests/fixtures/django/make_fixture.py` lists its accounts and passwords), and
//! signing in with the hashes Django wrote.
use std::process::Output;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::{
    backend_tests,
    cli::{assert_success, binary},
    helpers::{
        Backend, JWT_SECRET, MAIL_WAIT, TestApp, TestDatabase, as_pairs, error_code, mail_settings,
        spawn_app_on, tokens,
    },
    smtp_sink::SmtpSink,
};

backend_tests!(
    importing_reports_each_entry_and_a_second_run_imports_nothing,
    imported_accounts_keep_their_django_state,
    each_django_hash_signs_in_and_is_replaced_by_ours_on_the_first_success,
    our_own_format_with_weaker_argon2_parameters_is_upgraded_too,
    inactive_and_passwordless_accounts_do_not_sign_in,
    a_django_hash_locks_the_account_after_five_failures_like_ours,
    an_account_imported_without_a_password_sets_one_by_reset,
);

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/django/users.json"
);

/// The fixture's accounts that sign in, their passwords, and how Django stored them.
const DJANGO_LOGINS: [(&str, &str, &str); 4] = [
    (
        "amina",
        "amina's pbkdf2 passphrase",
        "pbkdf2_sha256$1000000$",
    ),
    (
        "yacine",
        "yacine's argon2 passphrase",
        "argon2$argon2id$v=19$m=102400,t=2,p=8$",
    ),
    ("lina", "lina's bcrypt passphrase", "bcrypt_sha256$$2b$12$"),
    (
        "weak.argon",
        "a weak argon2 passphrase",
        "argon2$argon2id$v=19$m=8192,t=1,p=1$",
    ),
];

/// Our own hashes: argon2id with the contract's parameters.
const OURS: &str = "$argon2id$v=19$m=19456,t=2,p=1$";

fn import(db_url: &str, file: &str) -> Output {
    let data_dir = tempfile::tempdir().unwrap();
    binary()
        .arg("import-django-users")
        .arg(file)
        .env("DATABASE_URL", db_url)
        .env("DATA_DIR", data_dir.path())
        .env("JWT_SECRET", JWT_SECRET)
        .output()
        .unwrap()
}

/// A server on a fresh database that the fixture was imported into, with `overrides`.
async fn imported_app(backend: Backend, overrides: &[(&str, &str)]) -> TestApp {
    let db = TestDatabase::new(backend).await;
    assert_success(&import(&db.url, FIXTURE));
    spawn_app_on(db, overrides).await
}

async fn sign_in(app: &TestApp, identifier: &str, password: &str) -> Value {
    app.login_raw(json!({ "username": identifier, "password": password }), &[])
        .await
}

async fn stored_hash(app: &TestApp, username: &str) -> String {
    let mut hashes = app
        .query_strings(&format!(
            "SELECT password_hash FROM users WHERE username = '{username}'"
        ))
        .await;
    assert_eq!(hashes.len(), 1, "{username}");
    hashes.remove(0)
}

async fn importing_reports_each_entry_and_a_second_run_imports_nothing(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let first = import(&db.url, FIXTURE);
    assert_success(&first);
    assert_eq!(
        String::from_utf8_lossy(&first.stdout),
        "imported amina (pk 1)\n\
         imported yacine (pk 2)\n\
         imported lina (pk 3)\n\
         imported admin (pk 4)\n\
         imported old.timer (pk 5)\n\
         imported weak.argon (pk 6)\n\
         imported sso.user (pk 7): no usable password in Django: a password reset sets one\n\
         imported legacy (pk 8): no usable password (md5 hashes are not supported): a password \
         reset sets one; timezone \"Mars/Olympus\" is unknown: Africa/Algiers instead\n\
         skipped amina.k (pk 9): amina already has this email address\n\
         skipped karim@home (pk 10): invalid username: A username may contain only letters, \
         digits and . _ - +\n\
         skipped rachid (pk 11): invalid email: Enter the address in plain ASCII letters \
         (international domains in their xn-- form).\n\
         ignored auth.group (pk 1): not a user\n\
         not carried over: first_name, groups, is_superuser, last_name, phone_number, \
         user_permissions\n\
         imported 8, skipped 3, ignored 1 (not users)\n"
    );

    let again = import(&db.url, FIXTURE);
    assert_success(&again);
    let mut expected: Vec<String> = [
        "amina (pk 1)",
        "yacine (pk 2)",
        "lina (pk 3)",
        "admin (pk 4)",
        "old.timer (pk 5)",
        "weak.argon (pk 6)",
        "sso.user (pk 7)",
        "legacy (pk 8)",
    ]
    .iter()
    .map(|entry| format!("skipped {entry}: already imported"))
    .collect();
    let first_stdout = String::from_utf8(first.stdout).unwrap();
    expected.extend(
        first_stdout
            .lines()
            .filter(|line| !line.starts_with("imported"))
            .map(str::to_owned),
    );
    expected.push("imported 0, skipped 11 (8 already imported), ignored 1 (not users)".into());
    assert_eq!(
        String::from_utf8(again.stdout)
            .unwrap()
            .lines()
            .collect::<Vec<_>>(),
        expected
    );

    let app = spawn_app_on(db, &[]).await;
    let count = app
        .query_strings("SELECT CAST(COUNT(*) AS TEXT) FROM users")
        .await;
    assert_eq!(count, ["8"]);
}

#[test]
fn a_file_that_cannot_be_read_or_parsed_fails_the_import() {
    let data_dir = tempfile::tempdir().unwrap();
    let not_json = data_dir.path().join("users.json");
    std::fs::write(&not_json, "{\"model\": \"accounts.user\"}").unwrap();
    let missing = data_dir.path().join("missing.json");
    for (file, message) in [
        (&missing, "cannot read"),
        (&not_json, "is not a dumpdata JSON export"),
    ] {
        let output = import(
            &format!(
                "sqlite://{}?mode=rwc",
                data_dir.path().join("db.sqlite").display()
            ),
            &file.to_string_lossy(),
        );
        assert!(!output.status.success());
        assert!(
            String::from_utf8_lossy(&output.stderr).contains(message),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

async fn imported_accounts_keep_their_django_state(backend: Backend) {
    let app = imported_app(backend, &[]).await;
    let admin = tokens(
        &sign_in(&app, "admin", "the admin's passphrase").await,
        "login",
    );
    let body = app
        .graphql(
            Some(&admin.access),
            "{ users(first: 20) { edges { node {
                username email isStaff isActive emailVerified phoneVerified language timezone
                emailNotifications smsNotifications pushNotifications dateJoined lastLogin
            } } } }",
            json!({}),
        )
        .await;
    let users: Vec<&Value> = body["data"]["users"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|edge| &edge["node"])
        .collect();
    // Newest first by date joined, as if each had registered here on that day.
    let usernames: Vec<&str> = users
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(
        usernames,
        [
            "sso.user",
            "weak.argon",
            "lina",
            "yacine",
            "amina",
            "admin",
            "old.timer",
            "legacy"
        ]
    );
    let user = |name: &str| *users.iter().find(|u| u["username"] == name).unwrap();
    let time = |v: &Value| v.as_str().map(|t| t.parse::<DateTime<Utc>>().unwrap());

    let amina = user("amina");
    assert_eq!(
        time(&amina["dateJoined"]),
        Some("2023-02-14T08:30:00Z".parse().unwrap())
    );
    assert_eq!(
        time(&amina["lastLogin"]),
        Some("2025-06-01T19:45:12.345Z".parse().unwrap())
    );
    assert_eq!(
        (
            &amina["email"],
            &amina["emailVerified"],
            &amina["isStaff"],
            &amina["isActive"]
        ),
        (
            &json!("amina@example.dz"),
            &json!(true),
            &json!(false),
            &json!(true)
        )
    );
    assert_eq!(
        (&amina["language"], &amina["timezone"]),
        (&json!("fr"), &json!("Africa/Algiers"))
    );

    let yacine = user("yacine");
    assert_eq!(
        [
            &yacine["language"],
            &yacine["timezone"],
            &yacine["emailNotifications"],
            &yacine["smsNotifications"],
            &yacine["pushNotifications"],
            &yacine["phoneVerified"],
            &yacine["lastLogin"],
        ],
        [
            &json!("en"),
            &json!("Europe/Paris"),
            &json!(false),
            &json!(true),
            &json!(false),
            &json!(true),
            &Value::Null
        ]
    );
    assert_eq!(user("lina")["emailVerified"], false);
    assert_eq!(user("admin")["isStaff"], true);
    assert_eq!(user("old.timer")["isActive"], false);
    // Any language tag is kept, "de" too (its mail is in French).
    let legacy = user("legacy");
    assert_eq!(
        (&legacy["language"], &legacy["timezone"]),
        (&json!("de"), &json!("Africa/Algiers"))
    );
}

async fn each_django_hash_signs_in_and_is_replaced_by_ours_on_the_first_success(backend: Backend) {
    let app = imported_app(backend, &[]).await;
    for (username, password, django_prefix) in DJANGO_LOGINS {
        let django_hash = stored_hash(&app, username).await;
        assert!(django_hash.starts_with(django_prefix), "{django_hash}");

        let wrong = sign_in(&app, username, &format!("{password}!")).await;
        assert_eq!(
            error_code(&wrong),
            Some("INVALID_CREDENTIALS"),
            "{username}"
        );
        assert_eq!(stored_hash(&app, username).await, django_hash);

        let signed_in = tokens(&sign_in(&app, username, password).await, "login");
        assert_eq!(app.whoami(&signed_in.access).await, Ok(signed_in.user_id));
        let ours = stored_hash(&app, username).await;
        assert!(ours.starts_with(OURS), "{username}: {ours}");

        // The new hash holds the same password, by username or email, and stays put.
        let email = format!("{username}@example.dz");
        tokens(&sign_in(&app, &email, password).await, "login");
        let wrong = sign_in(&app, &email, &format!("{password}!")).await;
        assert_eq!(
            error_code(&wrong),
            Some("INVALID_CREDENTIALS"),
            "{username}"
        );
        assert_eq!(stored_hash(&app, username).await, ours);
    }
}

async fn our_own_format_with_weaker_argon2_parameters_is_upgraded_too(backend: Backend) {
    let app = imported_app(backend, &[]).await;
    // Django's argon2 hash without its `argon2` prefix is a PHC string like ours,
    // with less memory and fewer passes.
    let django_hash = stored_hash(&app, "weak.argon").await;
    let weak_phc = django_hash.strip_prefix("argon2").unwrap();
    assert!(weak_phc.starts_with("$argon2id$v=19$m=8192,t=1,p=1$"));
    app.execute_sql(&format!(
        "UPDATE users SET password_hash = '{weak_phc}' WHERE username = 'weak.argon'"
    ))
    .await;

    let wrong = sign_in(&app, "weak.argon", "a weak argon2 passphrase?").await;
    assert_eq!(error_code(&wrong), Some("INVALID_CREDENTIALS"));
    assert_eq!(stored_hash(&app, "weak.argon").await, weak_phc);
    tokens(
        &sign_in(&app, "weak.argon", "a weak argon2 passphrase").await,
        "login",
    );
    let ours = stored_hash(&app, "weak.argon").await;
    assert!(ours.starts_with(OURS), "{ours}");
    tokens(
        &sign_in(&app, "weak.argon", "a weak argon2 passphrase").await,
        "login",
    );
}

async fn inactive_and_passwordless_accounts_do_not_sign_in(backend: Backend) {
    let app = imported_app(backend, &[]).await;
    let inactive = sign_in(&app, "old.timer", "an old timer's passphrase").await;
    assert_eq!(error_code(&inactive), Some("ACCOUNT_DISABLED"));
    let inactive = sign_in(&app, "old.timer", "not the passphrase").await;
    assert_eq!(error_code(&inactive), Some("INVALID_CREDENTIALS"));

    // Neither Django's unusable mark nor an MD5 hash is kept: nothing matches them.
    assert_eq!(stored_hash(&app, "sso.user").await, "!");
    assert_eq!(stored_hash(&app, "legacy").await, "!");
    for (username, password) in [
        ("sso.user", ""),
        ("sso.user", "!"),
        ("legacy", "a legacy md5 passphrase"),
        ("legacy", "!"),
    ] {
        let body = sign_in(&app, username, password).await;
        assert_eq!(
            error_code(&body),
            Some("INVALID_CREDENTIALS"),
            "{username} {password:?}"
        );
    }
}

async fn a_django_hash_locks_the_account_after_five_failures_like_ours(backend: Backend) {
    let app = imported_app(backend, &[]).await;
    for attempt in 1..=5 {
        let body = sign_in(&app, "lina", "not lina's passphrase").await;
        assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{attempt}");
    }
    let locked = sign_in(&app, "lina", "lina's bcrypt passphrase").await;
    assert_eq!(error_code(&locked), Some("ACCOUNT_LOCKED"));
    assert!(
        stored_hash(&app, "lina")
            .await
            .starts_with("bcrypt_sha256$")
    );
}

async fn an_account_imported_without_a_password_sets_one_by_reset(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    assert_success(&import(&db.url, FIXTURE));
    let sink = SmtpSink::start().await;
    let app = spawn_app_on(db, &as_pairs(&mail_settings(&sink, &[]))).await;
    let requested = app
        .graphql(
            None,
            "mutation { requestPasswordReset(email: \"legacy@example.dz\") }",
            json!({}),
        )
        .await;
    assert_eq!(
        requested["data"]["requestPasswordReset"], true,
        "{requested}"
    );
    let token = sink.wait_for(1, MAIL_WAIT).await[0].token("reset-password");
    let new_password = "a fresh start in 2026";
    let confirmed = app
        .graphql(
            None,
            "mutation($i: ConfirmPasswordResetInput!) { confirmPasswordReset(input: $i) }",
            json!({ "i": {
                "token": token, "newPassword": new_password, "newPasswordConfirm": new_password,
            }}),
        )
        .await;
    assert_eq!(
        confirmed["data"]["confirmPasswordReset"], true,
        "{confirmed}"
    );
    tokens(&sign_in(&app, "legacy", new_password).await, "login");
    assert!(stored_hash(&app, "legacy").await.starts_with(OURS));
}
