//! argon2id hashing with the contract's parameters, off the async executor; and the
//! formats accounts arrive with from the Django service — PBKDF2-SHA256, Argon2 and
//! BCryptSHA256 — which verify until the first successful sign-in replaces them.
//!
//! - this file: the hashing pool (`PasswordHasher`), its permits and the floor that pads
//!   failures;
//! - `argon2id`: our parameters, and the working memory hashes reuse;
//! - `stored`: a stored hash parsed and verified, whichever scheme wrote it.
mod argon2id;
mod stored;
#[cfg(test)]
mod tests;

pub use stored::{HashScheme, UnsupportedHash, scheme_of};

use argon2id::{OUR_BLOCKS, WorkingMemory, fresh_memory, hash_blocking};
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use stored::{MAX_FAILURE_FLOOR, StoredHash, verify_with_memory};

use anyhow::Context as _;
use argon2::{Block, password_hash::SaltString};
use rand::rngs::OsRng;
use tokio::sync::Semaphore;

use crate::domain::Password;

/// memory 19 MiB, 2 passes, 1 lane (OWASP's argon2id baseline).
pub(super) const MEMORY_KIB: u32 = 19 * 1024;
pub(super) const PASSES: u32 = 2;
pub(super) const LANES: u32 = 1;

/// What an account without a usable password stores: Django's mark for one (it
/// follows it with random text). Nothing hashes to it, so no password matches.
pub const UNUSABLE: &str = "!";

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Mismatch,
    /// The password is right; `needs_rehash` when the stored hash is weaker than ours
    /// or of another format.
    Match {
        needs_rehash: bool,
    },
}

/// Hashes and verifies passwords on the blocking pool, at most `concurrency` at a time,
/// so a burst of logins queues here instead of starving refreshes and queries.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    memory: WorkingMemory,
    /// A real hash of a random password: unknown users are verified against it so that
    /// "no such user" costs the same time as "wrong password".
    dummy_hash: Arc<str>,
    /// How long an imported (Django) hash takes to verify, in nanoseconds, measured once:
    /// every failed check is answered no sooner, or a wrong password for such an
    /// account (PBKDF2's million rounds) would take longer than an unknown identifier.
    legacy_cost_nanos: Arc<AtomicU64>,
}

impl PasswordHasher {
    pub fn new(concurrency: usize) -> anyhow::Result<Self> {
        let random = SaltString::generate(&mut OsRng);
        let dummy_hash = hash_blocking(random.as_str(), &mut fresh_memory(OUR_BLOCKS))?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            memory: WorkingMemory::default(),
            dummy_hash: dummy_hash.into(),
            legacy_cost_nanos: Arc::default(),
        })
    }

    /// Waits until a failed check begun at `started` has taken as long as verifying the
    /// slowest stored format this instance has seen.
    pub async fn answer_failure_after(&self, started: tokio::time::Instant) {
        tokio::time::sleep_until(started + self.failure_floor()).await;
    }

    /// What a failed check is padded to: the smoothed cost of an imported hash, or
    /// nothing while none has been seen.
    pub fn failure_floor(&self) -> Duration {
        Duration::from_nanos(self.legacy_cost_nanos.load(Ordering::Relaxed))
    }

    /// Learns what verifying a hash like `stored` costs, from a check of a random
    /// password against it; startup calls it with one of the imported hashes so the
    /// first failed sign-in is already padded.
    pub async fn learn_cost_of(&self, stored: &str) -> anyhow::Result<()> {
        let blocks = match StoredHash::parse(stored) {
            // Ours: every failure already costs one such check.
            Ok(hash) if hash.scheme() == HashScheme::Argon2 => return Ok(()),
            Ok(hash) => hash.argon2_blocks(),
            Err(err) => anyhow::bail!("stored password hash does not parse: {err}"),
        };
        let random = SaltString::generate(&mut OsRng);
        let probe = Password::parse(random.as_str().to_owned(), "password")
            .map_err(|_| anyhow::anyhow!("a salt is a short password"))?;
        let (outcome, took) = self.verify_timed(probe, stored.into(), blocks).await?;
        outcome?;
        self.set_legacy_cost(took);
        Ok(())
    }

    /// Verifies on the blocking pool; the time is the verification's alone, without
    /// the wait for a permit.
    async fn verify_timed(
        &self,
        password: Password,
        stored: Arc<str>,
        blocks: usize,
    ) -> anyhow::Result<(anyhow::Result<Verification>, Duration)> {
        self.run(blocks, move |memory| {
            let started = Instant::now();
            let verification = verify_with_memory(password.expose(), &stored, memory);
            (verification, started.elapsed())
        })
        .await
    }

    fn set_legacy_cost(&self, took: Duration) {
        let took = took.min(MAX_FAILURE_FLOOR);
        self.legacy_cost_nanos.store(
            u64::try_from(took.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// A verification of an imported hash by a request teaches the floor only while
    /// nothing was learned at start: requests must not be able to move it (an
    /// attacker choosing what to check would otherwise steer the padding).
    fn note_legacy_cost(&self, took: Duration) {
        if self.legacy_cost_nanos.load(Ordering::Relaxed) == 0 {
            self.set_legacy_cost(took);
        }
    }

    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let password = password.clone();
        self.run(OUR_BLOCKS, move |memory| {
            hash_blocking(password.expose(), memory)
        })
        .await?
    }

    /// Verifies against `stored`, or against the dummy hash when there is no account
    /// or it has no usable password, which always answers `Mismatch`.
    pub async fn verify(
        &self,
        password: &Password,
        stored: Option<&str>,
    ) -> anyhow::Result<Verification> {
        let stored = stored.filter(|s| !s.starts_with(UNUSABLE));
        let is_real = stored.is_some();
        let stored: Arc<str> = stored
            .map(Arc::from)
            .unwrap_or_else(|| self.dummy_hash.clone());
        let parsed = StoredHash::parse(&stored);
        let blocks = parsed.as_ref().map_or(0, |hash| hash.argon2_blocks());
        let is_legacy = parsed.is_ok_and(|hash| hash.scheme() != HashScheme::Argon2);
        let (verification, took) = self.verify_timed(password.clone(), stored, blocks).await?;
        if is_legacy {
            self.note_legacy_cost(took);
        }
        let verification = verification?;
        Ok(if is_real {
            verification
        } else {
            Verification::Mismatch
        })
    }

    /// Runs `work` on the blocking pool with `blocks` of argon2 working memory.
    async fn run<T: Send + 'static>(
        &self,
        blocks: usize,
        work: impl FnOnce(&mut [Block]) -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .context("password hasher closed")?;
        let mut memory = self.memory.take(blocks);
        let (outcome, memory) = tokio::task::spawn_blocking(move || (work(&mut memory), memory))
            .await
            .context("password hashing task failed")?;
        // Every permit taken: others are hashing, and more are likely queued.
        let busy = self.permits.available_permits() == 0;
        self.memory.give_back(memory, busy);
        Ok(outcome)
    }
}
