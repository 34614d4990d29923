use super::*;

pub(super) fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::from_lookup(|k| map.get(k).cloned())
}

#[test]
fn defaults_follow_the_contract() {
    let s = settings(&[]).unwrap();
    assert_eq!(s.lifetimes.access_token, Duration::from_secs(3600));
    assert_eq!(
        s.lifetimes.remembered_session,
        Duration::from_secs(7 * 86400)
    );
    assert_eq!(s.lifetimes.session_max, Duration::from_secs(30 * 86400));
    assert_eq!(s.lifetimes.refresh_reuse_grace, Duration::from_secs(10));
    assert_eq!(s.max_sessions_per_user, 20);
    assert_eq!(s.jwt.issuer, "http://localhost:8000");
    assert_eq!(s.jwt.audience, "graphql-auth");
    assert!(s.graphql.graphiql);
    assert_eq!(s.lifetimes.password_reset_token, Duration::from_secs(3600));
    assert_eq!(
        s.lifetimes.email_verification_token,
        Duration::from_secs(48 * 3600)
    );
    assert!(!s.require_verified_email);
    assert!(s.mail.smtp_url.is_none() && !s.mail.to_log);
    assert_eq!(s.mfa.token_ttl, Duration::from_secs(300));
    assert_eq!(s.mfa.max_attempts, 5);
    assert_eq!(s.mfa.totp_issuer, "localhost");
    let s = settings(&[("PUBLIC_URL", "https://[::1]:8443/auth")]).unwrap();
    assert_eq!(s.mfa.totp_issuer, "graphql-auth");
    let s = settings(&[("PUBLIC_URL", "https://Auth.example.dz:8443/x")]).unwrap();
    assert_eq!(s.mfa.totp_issuer, "auth.example.dz");
}

#[test]
fn production_turns_the_playground_off_unless_asked() {
    let s = settings(&[("APP_ENV", "production")]).unwrap();
    assert!(!s.graphql.graphiql && !s.graphql.introspection);
    let s = settings(&[("APP_ENV", "production"), ("GRAPHIQL", "true")]).unwrap();
    assert!(s.graphql.graphiql);
}

#[test]
fn rate_limits_read_n_per_period_or_off() {
    let s = settings(&[("RATE_LIMIT_LOGIN", "3/sec"), ("RATE_LIMIT_REFRESH", "off")]).unwrap();
    assert_eq!(
        s.rate_limits.quota(Operation::Login),
        Some(Quota {
            count: 3,
            period: Duration::from_secs(1)
        })
    );
    assert_eq!(s.rate_limits.quota(Operation::Refresh), None);
    assert_eq!(
        s.rate_limits.quota(Operation::Register),
        Some(Quota {
            count: 10,
            period: Duration::from_secs(3600)
        })
    );
    assert!(settings(&[("RATE_LIMIT_LOGIN", "0/min")]).is_err());
    assert!(settings(&[("RATE_LIMIT_LOGIN", "lots")]).is_err());
}

#[test]
fn check_config_flags_what_is_unsafe() {
    let unsafe_findings = |pairs: &[(&str, &str)]| -> Vec<String> {
        check(&settings(pairs).unwrap())
            .into_iter()
            .filter(|(severity, _)| *severity == Severity::Unsafe)
            .map(|(_, message)| message)
            .collect()
    };
    assert!(unsafe_findings(&[("JWT_SECRET", "0123456789abcdef0123456789abcdef")]).is_empty());
    let found = unsafe_findings(&[
        ("JWT_SECRET", "short"),
        ("RATE_LIMIT_LOGIN", "off"),
        ("TRUSTED_PROXIES", "0.0.0.0/0"),
    ]);
    assert_eq!(found.len(), 3, "{found:?}");
    let found = unsafe_findings(&[
        ("APP_ENV", "production"),
        ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
    ]);
    assert!(
        found.iter().any(|m| m.contains("SMTP_URL"))
            && found.iter().any(|m| m.contains("https"))
            && found.iter().any(|m| m.contains("JWT_KEYS_FILE")),
        "{found:?}"
    );
    let with_keys = unsafe_findings(&[
        ("APP_ENV", "production"),
        ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ("JWT_KEYS_STORE", "database"),
    ]);
    assert!(!with_keys.iter().any(|m| m.contains("JWT_KEYS_FILE")));
    let introspection = |token: &str| {
        unsafe_findings(&[
            ("APP_ENV", "production"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ("INTROSPECTION_TOKEN", token),
        ])
        .into_iter()
        .filter(|m| m.contains("INTROSPECTION_TOKEN"))
        .count()
    };
    assert_eq!(introspection("too-short"), 1);
    assert_eq!(introspection(&"x".repeat(32)), 0);
}

#[test]
fn signing_settings_have_the_contract_defaults_and_refuse_the_rest() {
    let s = settings(&[]).unwrap();
    assert_eq!(s.jwt.algorithm, SigningAlgorithm::EdDsa);
    assert_eq!(s.jwt.keys_store, KeysStore::File);
    assert_eq!(s.jwt.rotation, None);
    assert_eq!(s.jwt.keys_refresh, Duration::from_secs(30));
    let s = settings(&[("JWT_ALGORITHM", "hs256"), ("SIGNING_KEY_ROTATION", "30d")]).unwrap();
    assert_eq!(s.jwt.algorithm, SigningAlgorithm::Hs256);
    assert_eq!(s.jwt.rotation, Some(Duration::from_secs(30 * 86_400)));
    assert_eq!(refused("JWT_ALGORITHM", "none"), "JWT_ALGORITHM");
    assert_eq!(refused("JWT_ALGORITHM", "RS256"), "JWT_ALGORITHM");
    assert_eq!(refused("JWT_KEYS_STORE", "vault"), "JWT_KEYS_STORE");
    assert_eq!(
        refused("SIGNING_KEY_ROTATION", "0s"),
        "SIGNING_KEY_ROTATION"
    );
    assert_eq!(
        refused("SIGNING_KEYS_REFRESH", "2m"),
        "SIGNING_KEYS_REFRESH"
    );
}

/// The variable a value is refused for.
#[test]
fn secrets_never_reach_a_debug_print() {
    let s = settings(&[
        ("DATABASE_URL", "postgres://app:hunter2-db@db.internal/auth"),
        ("REDIS_URL", "redis://:hunter2-redis@cache.internal:6379"),
        ("METRICS_TOKEN", "hunter2-metrics"),
        ("INTROSPECTION_TOKEN", "hunter2-introspection"),
        ("JWT_SECRET", "hunter2-jwt-0123456789abcdef0123456789"),
        ("SMTP_URL", "smtps://mailer:hunter2-smtp@smtp.example.dz"),
    ])
    .unwrap();
    let printed = format!("{s:?}");
    assert!(!printed.contains("hunter2"), "{printed}");
    assert!(s.database_url().contains("hunter2-db"));
}

#[test]
fn no_duration_goes_beyond_ten_years() {
    for variable in DURATIONS {
        assert_eq!(refused(variable, "100000000000d"), variable);
        assert_eq!(refused(variable, "3653d"), variable);
        assert!(settings(&[(variable, "10y")]).is_ok(), "{variable}=10y");
    }
}

#[test]
fn zero_is_refused_where_it_would_break_things() {
    for variable in [
        "ACCESS_TOKEN_TTL",
        "MFA_TOKEN_TTL",
        "REFRESH_TOKEN_TTL",
        "SHORT_SESSION_TTL",
        "SESSION_MAX_TTL",
        "PASSWORD_RESET_TTL",
        "EMAIL_VERIFICATION_TTL",
        "LOCKOUT_DURATION",
        "AUDIT_RETENTION",
        "MAIL_POLL_INTERVAL",
        "MAIL_RETRY_BASE",
    ] {
        assert_eq!(refused(variable, "0s"), variable);
    }
    // Where 0 means "none", it is a choice.
    for variable in [
        "REFRESH_REUSE_GRACE",
        "SESSION_CACHE_TTL",
        "SHUTDOWN_TIMEOUT",
    ] {
        assert!(settings(&[(variable, "0s")]).is_ok(), "{variable}=0s");
    }
}

#[test]
fn counts_out_of_range_name_their_variable() {
    for (variable, value) in [
        ("LOCKOUT_THRESHOLD", "0"),
        ("LOCKOUT_THRESHOLD", "-1"),
        ("LOCKOUT_THRESHOLD", "4294967296"),
        ("MAX_SESSIONS_PER_USER", "0"),
        ("MAX_SESSIONS_PER_USER", "18446744073709551615"),
        ("MAIL_MAX_ATTEMPTS", "0"),
        ("MAIL_MAX_ATTEMPTS", "1000"),
        ("DATABASE_POOL_SIZE", "0"),
        ("DATABASE_POOL_SIZE", "100000"),
        ("PASSWORD_HASH_CONCURRENCY", "0"),
        ("PASSWORD_HASH_CONCURRENCY", "18446744073709551615"),
        ("GRAPHQL_MAX_DEPTH", "0"),
        ("GRAPHQL_MAX_COMPLEXITY", "1000000000"),
        ("GRAPHQL_MAX_ALIASES", "-3"),
        ("GRAPHQL_MAX_ROOT_FIELDS", "0"),
        ("GRAPHQL_MAX_DIRECTIVES", "1000000"),
        ("GRAPHQL_INTROSPECTION_MAX_DEPTH", "0"),
        ("GRAPHQL_INTROSPECTION_MAX_COMPLEXITY", "0"),
        ("GRAPHQL_MAX_BATCH", "0"),
        ("MAX_BODY_BYTES", "0"),
        ("MAX_BODY_BYTES", "1000000000000"),
        ("RATE_LIMIT_IPV6_PREFIX", "129"),
        ("RATE_LIMIT_IPV6_PREFIX", "0"),
        ("RATE_LIMIT_LOGIN", "4294967295/sec"),
        ("RATE_LIMIT_REAUTHENTICATE", "-1/hour"),
        ("MFA_MAX_ATTEMPTS", "0"),
        ("MFA_MAX_ATTEMPTS", "1000"),
        ("TOTP_ISSUER", "Example: Auth"),
    ] {
        assert_eq!(refused(variable, value), variable, "{variable}={value}");
    }
    let s = settings(&[
        ("RATE_LIMIT_IPV6_PREFIX", "48"),
        ("GRAPHQL_MAX_ALIASES", "0"),
    ])
    .unwrap();
    assert_eq!(s.rate_limits.ipv6_prefix_len, 48);
    assert_eq!(s.graphql.max_aliases, 0);
}

#[test]
fn the_message_names_the_variable_and_the_range() {
    let err = settings(&[("ACCESS_TOKEN_TTL", "100000000000d")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid ACCESS_TOKEN_TTL=\"100000000000d\": must be from 1s to 10years"
    );
    let err = settings(&[("LOCKOUT_THRESHOLD", "0")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid LOCKOUT_THRESHOLD=\"0\": must be from 1 to 100"
    );
}

#[test]
fn cors_origins_are_scheme_host_and_port_only() {
    for bad in [
        "*",
        "https://*.example.dz",
        "null",
        "app.example.dz",
        "ftp://app.example.dz",
        "https://",
        "https://app.example.dz/",
        "https://app.example.dz/app",
        "https://app.example.dz?x=1",
        "https://user@app.example.dz",
        "https://app.example.dz:0",
        "https://app.example.dz:99999",
        "https://app.example.dz:https",
        "https://[::1",
        "https://[nope]:80",
        "https://app.exämple.dz",
        "https://app.example.dz, *",
    ] {
        assert_eq!(refused("CORS_ORIGINS", bad), "CORS_ORIGINS", "{bad}");
    }
    let s = settings(&[(
        "CORS_ORIGINS",
        "https://App.Example.dz, http://localhost:3000, http://[::1]:8080",
    )])
    .unwrap();
    assert_eq!(
        s.cors_origins,
        [
            "https://app.example.dz",
            "http://localhost:3000",
            "http://[::1]:8080"
        ]
    );
}

#[test]
fn public_url_is_an_http_url_links_can_be_appended_to() {
    for bad in [
        "auth.example.dz",
        "ftp://auth.example.dz",
        "https://",
        "https://auth.example.dz/?next=1",
        "https://auth.example.dz#top",
        "https://auth example.dz",
    ] {
        assert_eq!(refused("PUBLIC_URL", bad), "PUBLIC_URL", "{bad}");
    }
    let s = settings(&[("PUBLIC_URL", "https://example.dz/auth/")]).unwrap();
    assert_eq!(s.public_url, "https://example.dz/auth");
    assert_eq!(s.jwt.issuer, "https://example.dz/auth");
}

#[test]
fn a_bad_value_names_its_variable() {
    let err = settings(&[("LOCKOUT_DURATION", "soon")]).unwrap_err();
    assert_eq!(err.variable, "LOCKOUT_DURATION");
    let err = settings(&[("TRUSTED_PROXIES", "10.0.0.0/8, nope")]).unwrap_err();
    assert_eq!(err.variable, "TRUSTED_PROXIES");
}

/// Every `NAME=value` line of `.env.example`, commented out or not.
fn documented_settings() -> Vec<(String, String)> {
    let text = include_str!("../../.env.example");
    text.lines()
        .filter_map(|line| line.trim_start_matches("# ").split_once('='))
        .filter(|(name, _)| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .map(|(name, value)| (name.to_owned(), value.trim_matches('"').to_owned()))
        .collect()
}

#[test]
fn the_example_file_lists_every_setting_with_its_real_default() {
    let read = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let defaults = Settings::from_lookup(|key| {
        read.borrow_mut().insert(key.to_owned());
        None
    })
    .unwrap();
    let documented = documented_settings();
    let names: std::collections::BTreeSet<String> =
        documented.iter().map(|(name, _)| name.clone()).collect();
    assert_eq!(
        names,
        read.into_inner(),
        ".env.example and config.rs disagree"
    );
    // Written out, the example's values are the defaults themselves.
    let written: HashMap<String, String> = documented.into_iter().collect();
    let explicit = Settings::from_lookup(|key| written.get(key).cloned()).unwrap();
    assert_eq!(format!("{explicit:?}"), format!("{defaults:?}"));
}

pub(super) fn refused(variable: &str, value: &str) -> &'static str {
    match settings(&[(variable, value)]) {
        Ok(_) => panic!("{variable}={value:?} was accepted"),
        Err(err) => err.variable,
    }
}

const DURATIONS: [&str; 14] = [
    "ACCESS_TOKEN_TTL",
    "MFA_TOKEN_TTL",
    "REFRESH_TOKEN_TTL",
    "SHORT_SESSION_TTL",
    "SESSION_MAX_TTL",
    "REFRESH_REUSE_GRACE",
    "SESSION_CACHE_TTL",
    "PASSWORD_RESET_TTL",
    "EMAIL_VERIFICATION_TTL",
    "LOCKOUT_DURATION",
    "AUDIT_RETENTION",
    "MAIL_POLL_INTERVAL",
    "MAIL_RETRY_BASE",
    "SHUTDOWN_TIMEOUT",
];

#[test]
fn app_url_naming_the_public_url_differently_still_serves_the_pages() {
    let settings = |app_url: &str| {
        Settings::from_lookup(|key| match key {
            "PUBLIC_URL" => Some("https://auth.example.dz".into()),
            "APP_URL" => Some(app_url.into()),
            _ => None,
        })
        .expect("valid settings")
    };
    for same in ["HTTPS://Auth.Example.DZ/", "https://auth.example.dz:443"] {
        assert!(settings(same).serves_link_pages(), "{same}");
    }
    for elsewhere in [
        "https://app.example.dz",
        "https://auth.example.dz:8443",
        "https://auth.example.dz/app",
    ] {
        assert!(!settings(elsewhere).serves_link_pages(), "{elsewhere}");
    }
}
