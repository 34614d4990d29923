//! In-memory counters: GCRA in tables of bounded size, one per operation.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError, Weak},
    time::{Duration, Instant},
};

use sha2::{Digest, Sha256};

use crate::config::Quota;

/// The most keys one in-memory table tracks: about 4 MB each. Past it, newcomers share
/// one allowance until keys are idle again (see `Table`).
const MAX_TRACKED_KEYS: usize = 100_000;
/// A table at its cap is swept for idle keys at most this often, so a flood of
/// newcomers cannot turn every request into a scan.
const SWEEP_AT_MOST_EVERY: Duration = Duration::from_secs(1);

/// GCRA counters for one quota: a burst of N, refilled evenly over the period.
///
/// The table is bounded. A key whose allowance is whole again carries no information
/// and is dropped by a sweep, once a minute, or sooner when the table is at its cap.
/// A key still in debt is never dropped to make room: dropping it would hand its owner
/// a fresh allowance, the very thing a flood of new keys would be after. While the
/// table is full of keys in debt, newcomers share one overflow allowance instead: the
/// clients already tracked keep their own, a flood of fresh identifiers or addresses
/// gets one allowance between them all, and memory stays bounded.
pub(super) struct Table {
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
    pub(super) fn new(quota: Quota) -> Self {
        Self::with_cap(quota, MAX_TRACKED_KEYS)
    }

    pub(super) fn once_a_minute() -> Self {
        Self::new(Quota {
            count: 1,
            period: Duration::from_secs(60),
        })
    }

    pub(super) fn with_cap(quota: Quota, max_keys: usize) -> Self {
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
    pub(super) fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
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

    pub(super) fn sweep(&self, now: Instant) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.sweep(now);
        // Give back what a past flood made the table grow to.
        if state.full_at.capacity() > 2 * state.full_at.len() + 1024 {
            state.full_at.shrink_to_fit();
        }
    }

    #[cfg(test)]
    pub(super) fn tracked(&self) -> usize {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.full_at.len()
    }

    #[cfg(test)]
    pub(super) fn sweeps(&self) -> u64 {
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
pub(super) fn sweep_every_minute(tables: Vec<Weak<Table>>) {
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
