//! `check-config`: what the effective settings leave unsafe or worth a second look.
use secrecy::ExposeSecret;

use super::{JWKS_MAX_AGE, KeysStore, Settings, SigningAlgorithm, vars::is_readable_by_others};

/// How much a finding of `check-config` matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Leaves accounts or tokens exposed.
    Unsafe,
    /// Worth knowing; fine in some deployments.
    Note,
}

/// What the effective configuration leaves unsafe or worth a second look.
pub fn check(settings: &Settings) -> Vec<(Severity, String)> {
    use Severity::{Note, Unsafe};
    let mut findings = Vec::new();
    let mut add = |severity, message: &str| findings.push((severity, message.to_owned()));
    let production = settings.is_production();
    match &settings.jwt.secret {
        Some(secret) if secret.expose_secret().len() < 32 => add(
            Unsafe,
            "JWT_SECRET is shorter than 32 bytes: HS256 tokens can be brute-forced",
        ),
        None if production => add(Unsafe, "no JWT_SECRET: production will refuse to start"),
        None => add(
            Note,
            "no JWT_SECRET: a development key is generated in DATA_DIR",
        ),
        Some(_) => {}
    }
    if settings.mfa.passkeys.is_none() {
        add(
            Note,
            "passkeys are off: PUBLIC_URL's host is an IP address and WEBAUTHN_RP_ID is unset",
        );
    }
    let jwt = &settings.jwt;
    if jwt.keys_store == KeysStore::File && jwt.keys_file.is_none() {
        match jwt.algorithm {
            SigningAlgorithm::Hs256 => add(
                Note,
                "JWT_ALGORITHM=HS256: every service that checks access tokens needs JWT_SECRET",
            ),
            _ if production => add(
                Unsafe,
                "no JWT_KEYS_FILE or JWT_KEYS_STORE=database: production will refuse to start",
            ),
            _ => add(
                Note,
                "no JWT_KEYS_FILE: a development signing key is generated in DATA_DIR",
            ),
        }
    }
    if jwt.keys_store == KeysStore::Database && jwt.publish_ahead < JWKS_MAX_AGE {
        add(
            Note,
            "SIGNING_KEY_PUBLISH_AHEAD is under the JWKS max-age (5m): a new key may sign before gateways' cached key sets hold it",
        );
    }
    if let Some(path) = &jwt.keys_file
        && is_readable_by_others(path)
    {
        add(
            Unsafe,
            "JWT_KEYS_FILE can be read by other users: it holds private keys (chmod 600)",
        );
    }
    for (operation, quota) in settings.rate_limits.iter() {
        let name = operation.setting();
        if quota.is_none() {
            add(
                Unsafe,
                &format!("{name}=off: nothing slows down guessing and flooding"),
            );
        }
    }
    if settings
        .trusted_proxies
        .iter()
        .any(|net| net.prefix_len() == 0)
    {
        add(
            Unsafe,
            "TRUSTED_PROXIES trusts every address: any client can choose its IP with X-Forwarded-For",
        );
    }
    if settings.trusted_proxies.is_empty() && settings.public_url.starts_with("https://") {
        add(
            Note,
            "PUBLIC_URL is https but TRUSTED_PROXIES is empty: behind a TLS proxy, every client would share the proxy's IP for rate limits and the trail",
        );
    }
    if settings.lockout.threshold == 0 || settings.lockout.threshold > 20 {
        add(
            Unsafe,
            "LOCKOUT_THRESHOLD is 0 or above 20: lockout barely slows password guessing",
        );
    }
    if production {
        if settings.mail.smtp_url.is_none() {
            add(
                Unsafe,
                "no SMTP_URL in production: reset links would be written to the log",
            );
        }
        if !settings.public_url.starts_with("https://") {
            add(
                Unsafe,
                "PUBLIC_URL is not https: emailed links would travel in clear",
            );
        }
        if settings.graphql.graphiql || settings.graphql.introspection {
            add(Note, "GraphiQL or introspection is on in production");
        }
        if settings.metrics_token.is_none() {
            add(
                Note,
                "no METRICS_TOKEN: /metrics is readable by anyone who reaches it",
            );
        }
        if let Some(token) = &settings.introspection_token
            && token.expose_secret().len() < 32
        {
            add(
                Unsafe,
                "INTROSPECTION_TOKEN is shorter than 32 bytes: resource servers' secret can be guessed",
            );
        }
        if settings.is_sqlite() {
            add(
                Note,
                "SQLite in production: fine for one instance, not for replicas",
            );
        }
    }
    if settings.redis_url.is_none() {
        add(Note, "no REDIS_URL: rate limits are counted per instance");
    }
    findings
}
