//! Per-operation rate limits, keyed by client IP (an IPv6 client by its network) or
//! target account. Each GraphQL field execution calls `check` once per key, so aliases
//! and batches cannot multiply the allowance. In memory (GCRA, in tables of bounded
//! size) by default; in Redis (a fixed window per key) when replicas must share the
//! counters.
mod memory;
mod redis_counters;
#[cfg(test)]
mod tests;

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use ipnet::{IpNet, Ipv6Net};
use sha2::{Digest, Sha256};

use self::{
    memory::{Table, sweep_every_minute},
    redis_counters::RedisCounters,
};
pub use crate::config::Operation;
use crate::config::{Quota, RateLimitSettings};

/// What a limit is counted on.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    Ip(IpAddr),
    /// An email address, username or user id; only its digest is kept.
    Account(&'a str),
}

impl Scope<'_> {
    fn key(&self, ipv6_prefix_len: u8) -> String {
        match self {
            Self::Ip(ip) => format!("ip:{}", client_network(*ip, ipv6_prefix_len)),
            Self::Account(account) => {
                let digest = Sha256::digest(account.to_lowercase().as_bytes());
                format!("account:{}", crate::domain::hex(&digest[..16]))
            }
        }
    }
}

/// The network a client is counted by: an IPv4 address alone, an IPv6 address by its
/// prefix, since one host usually holds a whole /64 and would otherwise take a fresh
/// allowance from each of its 2^64 addresses. IPv4-mapped IPv6 is IPv4.
fn client_network(ip: IpAddr, ipv6_prefix_len: u8) -> IpNet {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpNet::from(IpAddr::V4(v4)),
        IpAddr::V6(v6) => Ipv6Net::new(v6, ipv6_prefix_len.min(128))
            .map(|net| net.trunc())
            .unwrap_or_else(|_| Ipv6Net::from(v6))
            .into(),
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
    recorded: Arc<Table>,
}

enum Counters {
    Memory(HashMap<Operation, Arc<Table>>),
    Redis(RedisCounters),
}

/// What one counter said.
pub(super) enum Hit {
    Allowed,
    Limited(Duration),
    /// Redis failed or did not answer in time.
    Unknown,
}

impl RateLimiter {
    pub fn in_memory(settings: RateLimitSettings) -> Self {
        let tables: HashMap<_, _> = Operation::ALL
            .into_iter()
            .filter_map(|op| Some((op, Arc::new(Table::new(settings.quota(op)?)))))
            .collect();
        let recorded = Arc::new(Table::once_a_minute());
        sweep_every_minute(
            tables
                .values()
                .chain([&recorded])
                .map(Arc::downgrade)
                .collect(),
        );
        Self {
            settings,
            counters: Counters::Memory(tables),
            recorded,
        }
    }

    /// Counters in the Redis at `url` (see `RedisCounters::connect`).
    pub async fn redis(
        settings: RateLimitSettings,
        url: &str,
        prefix: &str,
    ) -> anyhow::Result<Self> {
        let counters = RedisCounters::connect(url, prefix).await?;
        let recorded = Arc::new(Table::once_a_minute());
        sweep_every_minute(vec![Arc::downgrade(&recorded)]);
        Ok(Self {
            settings,
            counters: Counters::Redis(counters),
            recorded,
        })
    }

    /// Counts one execution of `operation` against each scope, in order, the client's
    /// IP first. The first scope that refuses ends the check: the scopes after it are
    /// neither counted nor tracked, so a client already refused cannot fill the
    /// tables with the identifiers it tries.
    pub async fn check(&self, operation: Operation, scopes: &[Scope<'_>]) -> Result<(), Limited> {
        let Some(quota) = self.settings.quota(operation) else {
            return Ok(());
        };
        for scope in scopes {
            let key = scope.key(self.settings.ipv6_prefix_len);
            match self.hit(operation, quota, &key).await {
                Hit::Allowed => {}
                Hit::Limited(retry_after) => {
                    tracing::warn!(operation = operation.name(), "rate limited");
                    return Err(Limited { retry_after });
                }
                // Redis is failing: one wait per request is enough.
                Hit::Unknown => return Ok(()),
            }
        }
        Ok(())
    }

    /// Whether a refusal of this client should go to the security trail now: once per
    /// client (IPv6: per network) and operation per minute, whatever identifiers it
    /// tries.
    pub fn worth_recording(&self, operation: Operation, client: Option<IpAddr>) -> bool {
        let client = client.map_or_else(
            || "ip:unknown".to_owned(),
            |ip| Scope::Ip(ip).key(self.settings.ipv6_prefix_len),
        );
        let key = format!("{}|{client}", operation.name());
        self.recorded.check(&key, Instant::now()).is_ok()
    }

    async fn hit(&self, operation: Operation, quota: Quota, key: &str) -> Hit {
        match &self.counters {
            Counters::Memory(tables) => match tables.get(&operation) {
                Some(table) => match table.check(key, Instant::now()) {
                    Ok(()) => Hit::Allowed,
                    Err(wait) => Hit::Limited(wait),
                },
                None => Hit::Allowed,
            },
            Counters::Redis(redis) => redis.hit(operation.name(), quota, key).await,
        }
    }

    /// Keys tracked in memory for `operation`, for tests.
    #[cfg(test)]
    fn tracked(&self, operation: Operation) -> usize {
        match &self.counters {
            Counters::Memory(tables) => tables.get(&operation).map_or(0, |t| t.tracked()),
            Counters::Redis(_) => 0,
        }
    }
}
