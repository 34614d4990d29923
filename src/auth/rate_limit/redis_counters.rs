//! Counters in Redis, shared by every replica: a fixed window per key.
use std::time::Duration;

use anyhow::Context as _;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::Hit;
use crate::config::Quota;

/// How long a rate-limit call may wait for Redis before the request goes on unlimited.
const REDIS_TIMEOUT: Duration = Duration::from_secs(1);
/// How long startup waits for Redis to answer before giving up.
const REDIS_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// One counter per key and window; the window starts with the first hit.
const FIXED_WINDOW: &str = r"
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {hits, redis.call('PTTL', KEYS[1])}
";

pub(super) struct RedisCounters {
    connection: ConnectionManager,
    prefix: String,
    script: redis::Script,
}

impl RedisCounters {
    /// Connects to the Redis at `url`, which must answer a PING within a few seconds:
    /// a Redis that accepts connections and never answers stops the start, rather
    /// than every later request.
    pub(super) async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
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
        Ok(Self {
            connection,
            prefix: prefix.to_owned(),
            script: redis::Script::new(FIXED_WINDOW),
        })
    }

    /// Counts one hit of `key` for `operation` against `quota`.
    pub(super) async fn hit(&self, operation: &str, quota: Quota, key: &str) -> Hit {
        let window_ms = u64::try_from(quota.period.as_millis()).unwrap_or(u64::MAX);
        let mut connection = self.connection.clone();
        let mut call = self
            .script
            .key(format!("{}:rate:{operation}:{key}", self.prefix));
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
