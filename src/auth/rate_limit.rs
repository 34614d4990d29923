//! Per-operation rate limits, keyed by client IP or target account. Each GraphQL field
//! execution calls `check` once per key, so aliases and batches cannot multiply the
//! allowance. In memory (GCRA, via governor) by default; in Redis (a fixed window per
//! key) when replicas must share the counters.
use std::{
    collections::HashMap,
    net::IpAddr,
    num::NonZeroU32,
    sync::{Arc, Weak},
    time::Duration,
};

use anyhow::Context as _;
use governor::{
    DefaultKeyedRateLimiter, Quota as Gcra, RateLimiter as Governor,
    clock::{Clock, DefaultClock},
};
use sha2::{Digest, Sha256};

use crate::config::{Quota, RateLimitSettings};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Login,
    Register,
    Refresh,
    RequestPasswordReset,
    ConfirmPasswordReset,
    VerifyEmail,
    ResendVerificationEmail,
    /// A field that checks the signed-in caller's password again.
    Reauthenticate,
}

impl Operation {
    const ALL: [Self; 8] = [
        Self::Login,
        Self::Register,
        Self::Refresh,
        Self::RequestPasswordReset,
        Self::ConfirmPasswordReset,
        Self::VerifyEmail,
        Self::ResendVerificationEmail,
        Self::Reauthenticate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Register => "register",
            Self::Refresh => "refresh",
            Self::RequestPasswordReset => "request_password_reset",
            Self::ConfirmPasswordReset => "confirm_password_reset",
            Self::VerifyEmail => "verify_email",
            Self::ResendVerificationEmail => "resend_verification_email",
            Self::Reauthenticate => "reauthenticate",
        }
    }

    fn quota(self, settings: &RateLimitSettings) -> Option<Quota> {
        match self {
            Self::Login => settings.login,
            Self::Register => settings.register,
            Self::Refresh => settings.refresh,
            Self::RequestPasswordReset => settings.request_password_reset,
            Self::ConfirmPasswordReset => settings.confirm_password_reset,
            Self::VerifyEmail => settings.verify_email,
            Self::ResendVerificationEmail => settings.resend_verification_email,
            Self::Reauthenticate => settings.reauthenticate,
        }
    }
}

/// What a limit is counted on.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    Ip(IpAddr),
    /// An email address, username or user id; only its digest is kept.
    Account(&'a str),
}

impl Scope<'_> {
    fn key(&self) -> String {
        match self {
            Self::Ip(ip) => format!("ip:{ip}"),
            Self::Account(account) => {
                let digest = Sha256::digest(account.to_lowercase().as_bytes());
                let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
                format!("account:{hex}")
            }
        }
    }
}

/// Over the limit: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub retry_after: Duration,
}

pub struct RateLimiter {
    settings: RateLimitSettings,
    counters: Counters,
    /// Lets through one "rate limited" event per client and operation per minute.
    recorded: DefaultKeyedRateLimiter<String>,
}

enum Counters {
    Memory(Arc<HashMap<Operation, DefaultKeyedRateLimiter<String>>>),
    Redis {
        connection: redis::aio::ConnectionManager,
        prefix: String,
    },
}

/// One counter per key and window; the window starts with the first hit.
const FIXED_WINDOW: &str = r"
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {hits, redis.call('PTTL', KEYS[1])}
";

impl RateLimiter {
    pub fn in_memory(settings: RateLimitSettings) -> Self {
        let limiters: HashMap<_, _> = Operation::ALL
            .into_iter()
            .filter_map(|op| Some((op, Governor::keyed(gcra(op.quota(&settings)?)))))
            .collect();
        let limiters = Arc::new(limiters);
        forget_idle_keys(Arc::downgrade(&limiters));
        Self {
            settings,
            counters: Counters::Memory(limiters),
            recorded: Governor::keyed(Gcra::per_minute(NonZeroU32::MIN)),
        }
    }

    pub async fn redis(
        settings: RateLimitSettings,
        url: &str,
        prefix: &str,
    ) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).context("REDIS_URL does not parse")?;
        let connection = redis::aio::ConnectionManager::new(client)
            .await
            .context("connecting to Redis (REDIS_URL)")?;
        Ok(Self {
            settings,
            counters: Counters::Redis {
                connection,
                prefix: prefix.to_owned(),
            },
            recorded: Governor::keyed(Gcra::per_minute(NonZeroU32::MIN)),
        })
    }

    /// Counts one execution of `operation` against each scope.
    pub async fn check(&self, operation: Operation, scopes: &[Scope<'_>]) -> Result<(), Limited> {
        let Some(quota) = operation.quota(&self.settings) else {
            return Ok(());
        };
        let mut longest_wait = None;
        for scope in scopes {
            if let Some(wait) = self.hit(operation, quota, &scope.key()).await {
                longest_wait = longest_wait.max(Some(wait));
            }
        }
        match longest_wait {
            None => Ok(()),
            Some(retry_after) => {
                tracing::warn!(operation = operation.name(), "rate limited");
                Err(Limited { retry_after })
            }
        }
    }

    /// Whether a refusal for these scopes should go to the security trail now.
    pub fn worth_recording(&self, operation: Operation, scopes: &[Scope<'_>]) -> bool {
        let key = scopes
            .iter()
            .fold(operation.name().to_owned(), |key, scope| {
                key + "|" + &scope.key()
            });
        self.recorded.check_key(&key).is_ok()
    }

    /// `Some(wait)` when this hit is over the limit.
    async fn hit(&self, operation: Operation, quota: Quota, key: &str) -> Option<Duration> {
        match &self.counters {
            Counters::Memory(limiters) => {
                let limiter = limiters.get(&operation)?;
                limiter
                    .check_key(&key.to_owned())
                    .err()
                    .map(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
            }
            Counters::Redis { connection, prefix } => {
                let window_ms = u64::try_from(quota.period.as_millis()).unwrap_or(u64::MAX);
                let result: redis::RedisResult<(u64, i64)> = redis::Script::new(FIXED_WINDOW)
                    .key(format!("{prefix}:rate:{}:{key}", operation.name()))
                    .arg(window_ms)
                    .invoke_async(&mut connection.clone())
                    .await;
                match result {
                    Ok((hits, ttl_ms)) if hits > u64::from(quota.count) => {
                        Some(Duration::from_millis(ttl_ms.max(1) as u64))
                    }
                    Ok(_) => None,
                    Err(err) => {
                        // Failing open keeps sign-in available while Redis is down;
                        // account lockout still holds, since it lives in the database.
                        tracing::error!(error = %err, "rate limiter: Redis unavailable; not limiting");
                        None
                    }
                }
            }
        }
    }
}

/// N per period as a GCRA: a burst of N, refilled evenly over the period.
fn gcra(quota: Quota) -> Gcra {
    let count = NonZeroU32::new(quota.count).unwrap_or(NonZeroU32::MIN);
    let interval = (quota.period / count.get()).max(Duration::from_nanos(1));
    Gcra::with_period(interval)
        .unwrap_or_else(|| Gcra::per_second(count))
        .allow_burst(count)
}

/// Drops the state of keys that are back to a full allowance, once a minute, for as
/// long as the limiter lives.
fn forget_idle_keys(limiters: Weak<HashMap<Operation, DefaultKeyedRateLimiter<String>>>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let Some(limiters) = limiters.upgrade() else {
                return;
            };
            for limiter in limiters.values() {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(login: &str) -> RateLimitSettings {
        let quota = login.parse().ok();
        RateLimitSettings {
            login: quota,
            register: None,
            refresh: None,
            request_password_reset: None,
            confirm_password_reset: None,
            verify_email: None,
            resend_verification_email: None,
            reauthenticate: None,
            ipv6_prefix_len: 64,
        }
    }

    #[tokio::test]
    async fn the_burst_is_the_count_and_the_next_hit_waits() {
        let limiter = RateLimiter::in_memory(limits("3/min"));
        let ip = Scope::Ip("192.0.2.1".parse().unwrap());
        for _ in 0..3 {
            assert!(limiter.check(Operation::Login, &[ip]).await.is_ok());
        }
        let limited = limiter.check(Operation::Login, &[ip]).await.unwrap_err();
        assert!(
            limited.retry_after > Duration::from_secs(15)
                && limited.retry_after <= Duration::from_secs(20)
        );
        // Another IP, and an operation without a limit, are unaffected.
        let other = Scope::Ip("192.0.2.2".parse().unwrap());
        assert!(limiter.check(Operation::Login, &[other]).await.is_ok());
        assert!(limiter.check(Operation::Register, &[ip]).await.is_ok());
    }
}
