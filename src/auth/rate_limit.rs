//! Per-operation rate limits, keyed by client IP (an IPv6 client by its network) or
//! target account. Each GraphQL field execution calls `check` once per key, so aliases
//! and batches cannot multiply the allowance. In memory (GCRA, in tables of bounded
//! size) by default; in Redis (a fixed window per key) when replicas must share the
//! counters.
use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex, PoisonError, Weak},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use ipnet::{IpNet, Ipv6Net};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sha2::{Digest, Sha256};

pub use crate::config::Operation;
use crate::config::{Quota, RateLimitSettings};

/// The most keys one in-memory table tracks: about 4 MB each. Past it, newcomers share
/// one allowance until keys are idle again (see `Table`).
const MAX_TRACKED_KEYS: usize = 100_000;
/// A table at its cap is swept for idle keys at most this often, so a flood of
/// newcomers cannot turn every request into a scan.
const SWEEP_AT_MOST_EVERY: Duration = Duration::from_secs(1);
/// How long a rate-limit call may wait for Redis before the request goes on unlimited.
const REDIS_TIMEOUT: Duration = Duration::from_secs(1);
/// How long startup waits for Redis to answer before giving up.
const REDIS_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

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
    Redis {
        connection: ConnectionManager,
        prefix: String,
        script: redis::Script,
    },
}

/// What one counter said.
enum Hit {
    Allowed,
    Limited(Duration),
    /// Redis failed or did not answer in time.
    Unknown,
}

/// One counter per key and window; the window starts with the first hit.
const FIXED_WINDOW: &str = r"
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {hits, redis.call('PTTL', KEYS[1])}
";

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

    /// Counters in the Redis at `url`, which must answer a PING within a few seconds:
    /// a Redis that accepts connections and never answers stops the start, rather
    /// than every later request.
    pub async fn redis(
        settings: RateLimitSettings,
        url: &str,
        prefix: &str,
    ) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).context("REDIS_URL does not parse")?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_CONNECT_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT));
        let connect = async {
            let mut connection = ConnectionManager::new_with_config(client, config).await?;
            redis::cmd("PING")
                .query_async::<()>(&mut connection)
                .await?;
            Ok::<_, redis::RedisError>(connection)
        };
        let connection = tokio::time::timeout(REDIS_CONNECT_TIMEOUT, connect)
            .await
            .map_err(|_| {
                anyhow::anyhow!(
                    "Redis (REDIS_URL) did not answer within {}s",
                    REDIS_CONNECT_TIMEOUT.as_secs()
                )
            })?
            .context("connecting to Redis (REDIS_URL)")?;
        let recorded = Arc::new(Table::once_a_minute());
        sweep_every_minute(vec![Arc::downgrade(&recorded)]);
        Ok(Self {
            settings,
            counters: Counters::Redis {
                connection,
                prefix: prefix.to_owned(),
                script: redis::Script::new(FIXED_WINDOW),
            },
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
            Counters::Redis {
                connection,
                prefix,
                script,
            } => {
                let window_ms = u64::try_from(quota.period.as_millis()).unwrap_or(u64::MAX);
                let mut connection = connection.clone();
                let mut call = script.key(format!("{prefix}:rate:{}:{key}", operation.name()));
                let call = call.arg(window_ms);
                let answer = tokio::time::timeout(
                    REDIS_TIMEOUT,
                    call.invoke_async::<(u64, i64)>(&mut connection),
                )
                .await;
                // Failing open keeps sign-in available while Redis is down or stalled;
                // account lockout still holds, since it lives in the database.
                match answer {
                    Ok(Ok((hits, ttl_ms))) if hits > u64::from(quota.count) => {
                        Hit::Limited(Duration::from_millis(ttl_ms.max(1).unsigned_abs()))
                    }
                    Ok(Ok(_)) => Hit::Allowed,
                    Ok(Err(err)) => {
                        tracing::error!(error = %err, "rate limiter: Redis unavailable; not limiting");
                        Hit::Unknown
                    }
                    Err(_) => {
                        tracing::error!(
                            timeout_ms = REDIS_TIMEOUT.as_millis(),
                            "rate limiter: Redis did not answer in time; not limiting"
                        );
                        Hit::Unknown
                    }
                }
            }
        }
    }

    /// Keys tracked in memory for `operation`, for tests.
    #[cfg(test)]
    fn tracked(&self, operation: Operation) -> usize {
        match &self.counters {
            Counters::Memory(tables) => tables.get(&operation).map_or(0, |t| t.tracked()),
            Counters::Redis { .. } => 0,
        }
    }
}

/// GCRA counters for one quota: a burst of N, refilled evenly over the period.
///
/// The table is bounded. A key whose allowance is whole again carries no information
/// and is dropped by a sweep, once a minute, or sooner when the table is at its cap.
/// A key still in debt is never dropped to make room: dropping it would hand its owner
/// a fresh allowance, the very thing a flood of new keys would be after. While the
/// table is full of keys in debt, newcomers share one overflow allowance instead: the
/// clients already tracked keep their own, a flood of fresh identifiers or addresses
/// gets one allowance between them all, and memory stays bounded.
struct Table {
    /// The debt one request adds: period / count.
    emission: Duration,
    /// How far ahead a key's debt may run and still be let through: the burst less one.
    tolerance: Duration,
    max_keys: usize,
    state: Mutex<TableState>,
}

struct TableState {
    /// Per key digest, when its allowance is whole again (GCRA's theoretical arrival
    /// time). Digests keep every entry the same small size, whatever the key.
    full_at: HashMap<u128, Instant>,
    /// The same, shared by the newcomers that found the table full.
    overflow: Option<Instant>,
    last_sweep: Option<Instant>,
    /// Sweeps so far: a flood must not turn requests into scans.
    sweeps: u64,
}

impl Table {
    fn new(quota: Quota) -> Self {
        Self::with_cap(quota, MAX_TRACKED_KEYS)
    }

    fn once_a_minute() -> Self {
        Self::new(Quota {
            count: 1,
            period: Duration::from_secs(60),
        })
    }

    fn with_cap(quota: Quota, max_keys: usize) -> Self {
        let count = quota.count.max(1);
        let emission = (quota.period / count).max(Duration::from_nanos(1));
        Self {
            emission,
            tolerance: emission.saturating_mul(count - 1),
            max_keys,
            state: Mutex::new(TableState {
                full_at: HashMap::new(),
                overflow: None,
                last_sweep: None,
                sweeps: 0,
            }),
        }
    }

    /// Counts one request of `key` at `now`, or says how long it must wait. A refused
    /// request adds no debt.
    fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let digest = digest(key);
        let mut guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let state = &mut *guard;
        let is_new = !state.full_at.contains_key(&digest);
        if is_new && state.full_at.len() >= self.max_keys {
            let swept_lately = state
                .last_sweep
                .is_some_and(|at| now.saturating_duration_since(at) < SWEEP_AT_MOST_EVERY);
            if !swept_lately {
                state.sweep(now);
            }
        }
        let slot = if is_new && state.full_at.len() >= self.max_keys {
            state.overflow.get_or_insert(now)
        } else {
            state.full_at.entry(digest).or_insert(now)
        };
        let debt = slot.saturating_duration_since(now);
        if debt > self.tolerance {
            return Err(debt - self.tolerance);
        }
        *slot = now.max(*slot) + self.emission;
        Ok(())
    }

    fn sweep(&self, now: Instant) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.sweep(now);
        // Give back what a past flood made the table grow to.
        if state.full_at.capacity() > 2 * state.full_at.len() + 1024 {
            state.full_at.shrink_to_fit();
        }
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.full_at.len()
    }

    #[cfg(test)]
    fn sweeps(&self) -> u64 {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .sweeps
    }
}

impl TableState {
    /// Drops the keys whose allowance is whole again.
    fn sweep(&mut self, now: Instant) {
        let before = self.full_at.len();
        self.full_at.retain(|_, full_at| *full_at > now);
        if self.overflow.is_some_and(|full_at| full_at <= now) {
            self.overflow = None;
        }
        self.last_sweep = Some(now);
        self.sweeps += 1;
        let dropped = before - self.full_at.len();
        if dropped > 0 {
            tracing::debug!(
                dropped,
                kept = self.full_at.len(),
                sweeps = self.sweeps,
                "rate limiter: idle keys dropped"
            );
        }
    }
}

/// 128 bits of SHA-256: collisions would take 2^64 keys.
fn digest(key: &str) -> u128 {
    let hash = Sha256::digest(key.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    u128::from_be_bytes(bytes)
}

/// Sweeps the tables once a minute, for as long as any of them lives.
fn sweep_every_minute(tables: Vec<Weak<Table>>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let live: Vec<Arc<Table>> = tables.iter().filter_map(Weak::upgrade).collect();
            if live.is_empty() {
                return;
            }
            let now = Instant::now();
            for table in live {
                table.sweep(now);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(login: &str) -> RateLimitSettings {
        RateLimitSettings::only(&[(Operation::Login, login.parse().unwrap())])
    }

    fn ip(text: &str) -> Scope<'static> {
        Scope::Ip(text.parse().unwrap())
    }

    #[tokio::test]
    async fn the_burst_is_the_count_and_the_next_hit_waits() {
        let limiter = RateLimiter::in_memory(limits("3/min"));
        let ip = ip("192.0.2.1");
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

    #[tokio::test]
    async fn ipv6_clients_are_counted_by_their_network() {
        let limiter = RateLimiter::in_memory(limits("2/min"));
        for address in ["2001:db8:1:1::1", "2001:db8:1:1:ffff:ffff:ffff:ffff"] {
            assert!(
                limiter
                    .check(Operation::Login, &[ip(address)])
                    .await
                    .is_ok()
            );
        }
        // A third address of the same /64 finds the allowance spent…
        let same_network = ip("2001:db8:1:1:abcd::7");
        assert!(
            limiter
                .check(Operation::Login, &[same_network])
                .await
                .is_err()
        );
        // …while the next /64 has its own.
        assert!(
            limiter
                .check(Operation::Login, &[ip("2001:db8:1:2::1")])
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn an_ipv4_mapped_address_is_the_ipv4_client() {
        let limiter = RateLimiter::in_memory(limits("1/min"));
        assert!(
            limiter
                .check(Operation::Login, &[ip("192.0.2.9")])
                .await
                .is_ok()
        );
        assert!(
            limiter
                .check(Operation::Login, &[ip("::ffff:192.0.2.9")])
                .await
                .is_err()
        );
        // Mapped addresses are not one /64 either: the neighbour is another client.
        assert!(
            limiter
                .check(Operation::Login, &[ip("::ffff:192.0.2.10")])
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_refused_ip_does_not_count_or_track_the_accounts_it_tries() {
        let limiter = RateLimiter::in_memory(limits("2/min"));
        let client = ip("198.51.100.4");
        let names: Vec<String> = (0..50).map(|n| format!("user{n}@example.dz")).collect();
        let mut refused = 0;
        for name in &names {
            let scopes = [client, Scope::Account(name)];
            refused += usize::from(limiter.check(Operation::Login, &scopes).await.is_err());
        }
        assert_eq!(refused, 48);
        // The IP and the two accounts tried while it was allowed: nothing else.
        assert_eq!(limiter.tracked(Operation::Login), 3);
        // And those 48 accounts were never counted: from another client they are fresh.
        let elsewhere = [ip("198.51.100.5"), Scope::Account(&names[49])];
        assert!(limiter.check(Operation::Login, &elsewhere).await.is_ok());
    }

    #[tokio::test]
    async fn a_refusal_is_worth_recording_once_a_minute_per_client_and_operation() {
        let limiter = RateLimiter::in_memory(limits("1/min"));
        let client: IpAddr = "203.0.113.8".parse().unwrap();
        assert!(limiter.worth_recording(Operation::Login, Some(client)));
        for _ in 0..10 {
            assert!(!limiter.worth_recording(Operation::Login, Some(client)));
        }
        // Another address of the same IPv6 /64 is the same client; a third is not.
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        let v6_neighbour: IpAddr = "2001:db8::2".parse().unwrap();
        assert!(limiter.worth_recording(Operation::Login, Some(v6)));
        assert!(!limiter.worth_recording(Operation::Login, Some(v6_neighbour)));
        assert!(limiter.worth_recording(Operation::Register, Some(client)));
        assert!(limiter.worth_recording(Operation::Login, None));
        assert!(!limiter.worth_recording(Operation::Login, None));
    }

    const HOURLY: Quota = Quota {
        count: 1,
        period: Duration::from_secs(3600),
    };

    #[test]
    fn a_full_table_keeps_every_debt_and_newcomers_share_one_allowance() {
        let table = Table::with_cap(HOURLY, 10);
        let now = Instant::now();
        for n in 0..10 {
            assert!(table.check(&format!("ip:{n}"), now).is_ok());
        }
        // A flood of new keys: one allowance between them all, and no growth.
        let let_through = (10..1000)
            .filter(|n| table.check(&format!("ip:{n}"), now).is_ok())
            .count();
        assert_eq!(let_through, 1);
        assert_eq!(table.tracked(), 10);
        // The keys already tracked kept their debt: the flood evicted none of them.
        for n in 0..10 {
            assert!(table.check(&format!("ip:{n}"), now).is_err());
        }
        // Once their allowance is whole again, they make room for newcomers.
        let later = now + Duration::from_secs(3601);
        assert!(table.check("ip:newcomer", later).is_ok());
        assert_eq!(table.tracked(), 1);
    }

    #[test]
    fn a_flood_on_a_full_table_sweeps_at_most_once_a_second() {
        let table = Table::with_cap(HOURLY, 10);
        let now = Instant::now();
        for n in 0..10_000 {
            let _ = table.check(&format!("ip:{n}"), now);
        }
        assert_eq!(table.sweeps(), 1);
        let _ = table.check("ip:another", now + Duration::from_millis(999));
        assert_eq!(table.sweeps(), 1);
        let _ = table.check("ip:another", now + Duration::from_secs(1));
        assert_eq!(table.sweeps(), 2);
    }

    #[test]
    fn a_sweep_drops_only_keys_whose_allowance_is_whole() {
        let table = Table::with_cap("2/min".parse().unwrap(), 100);
        let start = Instant::now();
        assert!(table.check("idle", start).is_ok());
        assert!(table.check("busy", start + Duration::from_secs(25)).is_ok());
        assert!(table.check("busy", start + Duration::from_secs(25)).is_ok());
        table.sweep(start + Duration::from_secs(31));
        assert_eq!(table.tracked(), 1);
        assert!(
            table
                .check("busy", start + Duration::from_secs(31))
                .is_err()
        );
    }
}
