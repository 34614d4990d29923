//! argon2id hashing with the contract's parameters, off the async executor; and the
//! formats accounts arrive with from the Django service — PBKDF2-SHA256, Argon2 and
//! BCryptSHA256 — which verify until the first successful sign-in replaces them.
use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context as _;
use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::{Output, ParamsString, SaltString},
};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use rand::rngs::OsRng;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use tokio::sync::Semaphore;

use crate::domain::Password;

/// memory 19 MiB, 2 passes, 1 lane (OWASP's argon2id baseline).
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

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

/// The formats a stored hash can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashScheme {
    /// Ours: a PHC string, `$argon2id$v=19$m=19456,t=2,p=1$…`.
    Argon2,
    /// Django's `Argon2PasswordHasher`: `argon2` followed by a PHC string.
    DjangoArgon2,
    /// Django's `PBKDF2PasswordHasher`: `pbkdf2_sha256$<rounds>$<salt>$<base64>`.
    DjangoPbkdf2Sha256,
    /// Django's `BCryptSHA256PasswordHasher`: `bcrypt_sha256$` and bcrypt over the
    /// hex SHA-256 of the password.
    DjangoBcryptSha256,
    /// No password can match (Django's `!…`, or `UNUSABLE`).
    Unusable,
}

impl HashScheme {
    pub fn name(self) -> &'static str {
        match self {
            Self::Argon2 => "argon2",
            Self::DjangoArgon2 => "django argon2",
            Self::DjangoPbkdf2Sha256 => "pbkdf2_sha256",
            Self::DjangoBcryptSha256 => "bcrypt_sha256",
            Self::Unusable => "unusable",
        }
    }
}

/// A stored hash in no format we can check, or with costs out of bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnsupportedHash(String);

/// The format of `stored`, checked as thoroughly as verification will check it.
pub fn scheme_of(stored: &str) -> Result<HashScheme, UnsupportedHash> {
    StoredHash::parse(stored).map(|hash| hash.scheme())
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

/// argon2's working memory: 19 MiB per hash with our parameters. While every permit is
/// in use the buffers are kept and reused, so a login storm works in the same few
/// buffers instead of mapping and faulting in fresh memory for each attempt (which the
/// allocator's per-thread arenas then keep); once hashing is quiet they are freed.
#[derive(Clone, Default)]
struct WorkingMemory(Arc<Mutex<Vec<Vec<Block>>>>);

impl WorkingMemory {
    fn take(&self, blocks: usize) -> Vec<Block> {
        if blocks == 0 {
            return Vec::new();
        }
        let pooled = self.pool().pop().filter(|buffer| buffer.len() >= blocks);
        pooled.unwrap_or_else(|| fresh_memory(blocks))
    }

    fn give_back(&self, buffer: Vec<Block>, busy: bool) {
        let mut pool = self.pool();
        if !busy {
            // The storm is over: free what it left behind, this buffer included.
            pool.clear();
        } else if buffer.len() == OUR_BLOCKS {
            pool.push(buffer);
        }
    }

    fn pool(&self) -> std::sync::MutexGuard<'_, Vec<Vec<Block>>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// glibc's malloc serves requests of this size or more with a mapping of their own and
/// unmaps them on free, whatever it has learned; smaller ones (19 MiB included, once
/// a first one was freed) come from per-thread arenas that keep them after use.
const ALWAYS_MAPPED_BYTES: usize = 32 * 1024 * 1024 + 4096;

/// Working memory that goes back to the system when dropped: the buffer reserves an
/// always-mapped size, and only the blocks argon2 uses are ever touched, hence resident.
fn fresh_memory(blocks: usize) -> Vec<Block> {
    let reserve = blocks.max(ALWAYS_MAPPED_BYTES.div_ceil(size_of::<Block>()));
    let mut memory = Vec::with_capacity(reserve);
    memory.resize(blocks, Block::default());
    memory
}

/// Blocks (1 KiB each) that one hash with our parameters works in.
const OUR_BLOCKS: usize = MEMORY_KIB as usize;

fn our_params() -> Params {
    Params::new(MEMORY_KIB, PASSES, LANES, None).expect("constant argon2 params are valid")
}

fn hash_blocking(password: &str, memory: &mut [Block]) -> anyhow::Result<String> {
    let failed = |e: argon2::Error| anyhow::anyhow!("argon2 hashing failed: {e}");
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow::anyhow!("argon2 salt: {e}"))?;
    let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, our_params())
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut output, memory)
        .map_err(failed)?;
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&our_params())
            .map_err(|e| anyhow::anyhow!("argon2 params: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&output).map_err(|e| anyhow::anyhow!("argon2 output: {e}"))?),
    };
    Ok(phc.to_string())
}

/// Recomputes an argon2 PHC hash in `memory` (or in a buffer of its own when its
/// parameters need more) and compares in constant time.
fn argon2_matches(
    password: &str,
    hash: &PasswordHash<'_>,
    memory: &mut [Block],
) -> anyhow::Result<bool> {
    let malformed = || anyhow::anyhow!("argon2 hash parts do not parse");
    let params = Params::try_from(hash).map_err(|_| malformed())?;
    let algorithm = Algorithm::try_from(hash.algorithm).map_err(|_| malformed())?;
    let version = hash
        .version
        .map_or(Ok(Version::V0x13), Version::try_from)
        .map_err(|_| malformed())?;
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return Err(malformed());
    };
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(|_| malformed())?;
    let mut own;
    let memory = if memory.len() >= params.block_count() {
        memory
    } else {
        own = fresh_memory(params.block_count());
        &mut own[..]
    };
    let mut computed = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut computed, memory)
        .map_err(|e| anyhow::anyhow!("argon2 verification failed: {e}"))?;
    Ok(bool::from(computed.ct_eq(expected.as_bytes())))
}

/// Failures are never padded past this, whatever an imported hash costs.
const MAX_FAILURE_FLOOR: Duration = Duration::from_secs(2);

/// Costs past these are refused as malformed: checking such a hash would hold a
/// hashing permit for seconds on every attempt (Django's defaults are 1,000,000
/// rounds, bcrypt cost 12, argon2 100 MiB).
const MAX_PBKDF2_ROUNDS: u32 = 10_000_000;
const MAX_BCRYPT_COST: u32 = 16;
const MAX_ARGON2_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_ARGON2_PASSES: u32 = 32;

/// A stored hash, parsed.
enum StoredHash<'a> {
    Argon2 {
        hash: PasswordHash<'a>,
        /// Django's wrapping: a correct password is rehashed into ours whatever the costs.
        is_django: bool,
    },
    Pbkdf2Sha256 {
        rounds: u32,
        salt: &'a str,
        hash: [u8; 32],
    },
    /// The bcrypt part, `$2b$12$…`.
    BcryptSha256(&'a str),
    Unusable,
}

impl<'a> StoredHash<'a> {
    fn parse(stored: &'a str) -> Result<Self, UnsupportedHash> {
        let malformed = |scheme: &str| UnsupportedHash(format!("malformed {scheme} hash"));
        if stored.starts_with(UNUSABLE) {
            return Ok(Self::Unusable);
        }
        if stored.starts_with('$') {
            return Ok(Self::Argon2 {
                hash: argon2_hash(stored)
                    .map_err(|_| UnsupportedHash("not an argon2 PHC string we accept".into()))?,
                is_django: false,
            });
        }
        // Never echo the hash itself: Django's unsalted MD5 is bare hex, with no `$`.
        let Some((scheme, rest)) = stored.split_once('$') else {
            return Err(UnsupportedHash(match stored {
                "" => "an empty password hash".into(),
                _ => "hashes without an algorithm prefix are not supported".into(),
            }));
        };
        match scheme {
            // Django's argon2 hashes are `argon2` + `$argon2id$v=19$…`.
            "argon2" => Ok(Self::Argon2 {
                hash: argon2_hash(&stored["argon2".len()..])
                    .map_err(|_| malformed("django argon2"))?,
                is_django: true,
            }),
            "pbkdf2_sha256" => {
                let malformed = || malformed(scheme);
                let mut parts = rest.splitn(3, '$');
                let (Some(rounds), Some(salt), Some(hash)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err(malformed());
                };
                let rounds: u32 = rounds.parse().map_err(|_| malformed())?;
                let hash = STANDARD
                    .decode(hash)
                    .ok()
                    .and_then(|h| <[u8; 32]>::try_from(h).ok())
                    .ok_or_else(malformed)?;
                if !(1..=MAX_PBKDF2_ROUNDS).contains(&rounds) || salt.is_empty() {
                    return Err(malformed());
                }
                Ok(Self::Pbkdf2Sha256 { rounds, salt, hash })
            }
            "bcrypt_sha256" => {
                let parts: bcrypt::HashParts = rest.parse().map_err(|_| malformed(scheme))?;
                if parts.get_cost() > MAX_BCRYPT_COST {
                    return Err(malformed(scheme));
                }
                Ok(Self::BcryptSha256(rest))
            }
            other
                if other.len() <= 32
                    && other.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                Err(UnsupportedHash(format!("{other} hashes are not supported")))
            }
            _ => Err(UnsupportedHash(
                "hashes of an unknown algorithm are not supported".into(),
            )),
        }
    }

    /// The argon2 working memory a check of this hash needs; none for other schemes.
    fn argon2_blocks(&self) -> usize {
        match self {
            Self::Argon2 { hash, .. } => Params::try_from(hash).map_or(0, |p| p.block_count()),
            _ => 0,
        }
    }

    fn scheme(&self) -> HashScheme {
        match self {
            Self::Argon2 {
                is_django: false, ..
            } => HashScheme::Argon2,
            Self::Argon2 {
                is_django: true, ..
            } => HashScheme::DjangoArgon2,
            Self::Pbkdf2Sha256 { .. } => HashScheme::DjangoPbkdf2Sha256,
            Self::BcryptSha256(_) => HashScheme::DjangoBcryptSha256,
            Self::Unusable => HashScheme::Unusable,
        }
    }
}

/// A PHC argon2 string within our cost bounds.
fn argon2_hash(phc: &str) -> Result<PasswordHash<'_>, ()> {
    let hash = PasswordHash::new(phc).map_err(|_| ())?;
    // PHC makes both optional; a hash without them could never match.
    if hash.salt.is_none() || hash.hash.is_none() {
        return Err(());
    }
    Algorithm::try_from(hash.algorithm).map_err(|_| ())?;
    let params = Params::try_from(&hash).map_err(|_| ())?;
    if params.m_cost() > MAX_ARGON2_MEMORY_KIB || params.t_cost() > MAX_ARGON2_PASSES {
        return Err(());
    }
    Ok(hash)
}

#[cfg(test)]
fn verify_blocking(password: &str, stored: &str) -> anyhow::Result<Verification> {
    verify_with_memory(password, stored, &mut [])
}

fn verify_with_memory(
    password: &str,
    stored: &str,
    memory: &mut [Block],
) -> anyhow::Result<Verification> {
    let stored = StoredHash::parse(stored)
        .map_err(|e| anyhow::anyhow!("stored password hash does not parse: {e}"))?;
    let (is_match, needs_rehash) = match &stored {
        StoredHash::Argon2 { hash, is_django } => match argon2_matches(password, hash, memory)? {
            true => (true, *is_django || is_weaker_than_ours(hash)),
            false => (false, false),
        },
        StoredHash::Pbkdf2Sha256 { rounds, salt, hash } => {
            let computed = pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(
                password.as_bytes(),
                salt.as_bytes(),
                *rounds,
            );
            (bool::from(computed.ct_eq(hash)), true)
        }
        StoredHash::BcryptSha256(bcrypt_hash) => {
            // bcrypt reads at most 72 bytes; the 64-character hex digest is Django's
            // way around that.
            let digest = crate::domain::hex(&Sha256::digest(password.as_bytes()));
            let is_match = bcrypt::verify(digest, bcrypt_hash)
                .map_err(|e| anyhow::anyhow!("bcrypt verification failed: {e}"))?;
            (is_match, true)
        }
        StoredHash::Unusable => (false, false),
    };
    Ok(if is_match {
        Verification::Match { needs_rehash }
    } else {
        Verification::Mismatch
    })
}

fn is_weaker_than_ours(hash: &PasswordHash<'_>) -> bool {
    if hash.algorithm != argon2::ARGON2ID_IDENT {
        return true;
    }
    match Params::try_from(hash) {
        Ok(p) => p.m_cost() < MEMORY_KIB || p.t_cost() < PASSES,
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use argon2::PasswordHasher as _;

    use super::*;

    fn pw(s: &str) -> Password {
        Password::parse(s.to_owned(), "password").unwrap()
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hasher = PasswordHasher::new(2).unwrap();
        let hash = hasher.hash(&pw("s3cret-enough")).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_eq!(
            hasher
                .verify(&pw("s3cret-enough"), Some(&hash))
                .await
                .unwrap(),
            Verification::Match {
                needs_rehash: false
            }
        );
        assert_eq!(
            hasher
                .verify(&pw("s3cret-enougH"), Some(&hash))
                .await
                .unwrap(),
            Verification::Mismatch
        );
    }

    #[tokio::test]
    async fn no_account_never_matches() {
        let hasher = PasswordHasher::new(1).unwrap();
        assert_eq!(
            hasher.verify(&pw("anything"), None).await.unwrap(),
            Verification::Mismatch
        );
    }

    #[test]
    fn hashes_made_in_reused_memory_are_standard_argon2id() {
        let mut memory = vec![Block::default(); OUR_BLOCKS];
        let ours = hash_blocking("pw-long-enough", &mut memory).unwrap();
        let reference = Argon2::new(Algorithm::Argon2id, Version::V0x13, our_params());
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            argon2::PasswordVerifier::verify_password(&reference, b"pw-long-enough", &parsed)
                .is_ok()
        );
        // The same memory, dirty from the last hash, checks the reference's own hash.
        let salt = SaltString::generate(&mut OsRng);
        let theirs = reference
            .hash_password(b"pw-long-enough", &salt)
            .unwrap()
            .to_string();
        assert_eq!(
            verify_with_memory("pw-long-enough", &theirs, &mut memory).unwrap(),
            Verification::Match {
                needs_rehash: false
            }
        );
        assert_eq!(
            verify_with_memory("pw-long-enougH", &theirs, &mut memory).unwrap(),
            Verification::Mismatch
        );
    }

    #[test]
    fn weaker_argon2_parameters_ask_for_a_rehash() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 1, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let hash = weak
            .hash_password(b"pw-long-enough", &salt)
            .unwrap()
            .to_string();
        assert_eq!(
            verify_blocking("pw-long-enough", &hash).unwrap(),
            Verification::Match { needs_rehash: true }
        );
    }

    // Made by Django 5.2's own hashers (with costs lowered where Django allows it, to
    // keep these tests quick) from a password with non-ASCII letters.
    const DJANGO_PASSWORD: &str = "pâte à crêpes, 3 œufs";
    const DJANGO_PBKDF2: &str =
        "pbkdf2_sha256$1000$QoB7xz1kq0xSeQmfyn2dJ1$5WxBaonCJaM/ZEvOrWNc853rB4ge1Cm9Wdl3JWMann4=";
    const DJANGO_BCRYPT_SHA256: &str =
        "bcrypt_sha256$$2b$04$quliEUEyd4skdytn1c/qz.8rbSNedBtDUk/iogsVr76fhxd5FQ5oq";
    const DJANGO_ARGON2_WEAK: &str = "argon2$argon2id$v=19$m=256,t=1,p=1$QnNNVjFvRFpVQnp1cktZRjBBMFNkYQ$Rt1Xno1A5ZQzdnMI85ByVQmkIhzqzenpZi9E1XRxXNE";
    /// Django's default argon2 costs, stronger than ours in memory.
    const DJANGO_ARGON2: &str = "argon2$argon2id$v=19$m=102400,t=2,p=8$cWN3VGJRVWxraWxnNmw2VVFBVlJ2TQ$XbpsyDh5E81sg1UyPyhTyJ2g3esXG7ypj+IvH6zcCkI";

    #[test]
    fn django_formats_are_recognised() {
        let schemes = [
            (DJANGO_PBKDF2, HashScheme::DjangoPbkdf2Sha256),
            (DJANGO_BCRYPT_SHA256, HashScheme::DjangoBcryptSha256),
            (DJANGO_ARGON2_WEAK, HashScheme::DjangoArgon2),
            (DJANGO_ARGON2, HashScheme::DjangoArgon2),
            (&DJANGO_ARGON2["argon2".len()..], HashScheme::Argon2),
            (
                "!FYlEEPnOT3UZnuPzEcFSZz1Lza8mhMc0qIbZJTkF",
                HashScheme::Unusable,
            ),
            (UNUSABLE, HashScheme::Unusable),
        ];
        for (stored, scheme) in schemes {
            assert_eq!(scheme_of(stored), Ok(scheme), "{stored}");
        }
    }

    #[test]
    fn other_and_malformed_formats_are_unsupported() {
        let refused = [
            (
                "md5$nWSt6P1lVMGZHLoLkhiPUz$4c0d6ded931e98bdac174457c7a6c961",
                "md5 hashes are not supported",
            ),
            ("sha1$salt$0123", "sha1 hashes are not supported"),
            (
                "pbkdf2_sha1$260000$salt$AAAA",
                "pbkdf2_sha1 hashes are not supported",
            ),
            ("", "an empty password hash"),
            (
                "5f4dcc3b5aa765d61d8327deb882cf99",
                "hashes without an algorithm prefix are not supported",
            ),
            (
                "{SSHA}abc$def",
                "hashes of an unknown algorithm are not supported",
            ),
            ("pbkdf2_sha256$1000$salt", "malformed pbkdf2_sha256 hash"),
            (
                "pbkdf2_sha256$many$salt$5WxBaonCJaM/ZEvOrWNc853rB4ge1Cm9Wdl3JWMann4=",
                "malformed pbkdf2_sha256 hash",
            ),
            (
                "pbkdf2_sha256$1000$salt$not base64",
                "malformed pbkdf2_sha256 hash",
            ),
            (
                "pbkdf2_sha256$1000$salt$c2hvcnQ=",
                "malformed pbkdf2_sha256 hash",
            ),
            (
                "pbkdf2_sha256$99999999$QoB7xz1kq0xSeQmfyn2dJ1$5WxBaonCJaM/ZEvOrWNc853rB4ge1Cm9Wdl3JWMann4=",
                "malformed pbkdf2_sha256 hash",
            ),
            ("bcrypt_sha256$$2b$04$short", "malformed bcrypt_sha256 hash"),
            (
                "bcrypt_sha256$$2b$31$quliEUEyd4skdytn1c/qz.8rbSNedBtDUk/iogsVr76fhxd5FQ5oq",
                "malformed bcrypt_sha256 hash",
            ),
            (
                "argon2$argon2id$v=19$m=256,t=1",
                "malformed django argon2 hash",
            ),
            (
                "argon2$argon2id$v=19$m=4194304,t=1,p=1$QnNNVjFvRFpVQnp1cktZRjBBMFNkYQ$Rt1Xno1A5ZQzdnMI85ByVQmkIhzqzenpZi9E1XRxXNE",
                "malformed django argon2 hash",
            ),
            (
                "$scrypt$ln=16,r=8,p=1$c2FsdA$aGFzaA",
                "not an argon2 PHC string we accept",
            ),
        ];
        for (stored, reason) in refused {
            assert_eq!(
                scheme_of(stored).map_err(|e| e.to_string()),
                Err(reason.to_owned()),
                "{stored}"
            );
        }
    }

    #[test]
    fn django_hashes_verify_their_password_and_ask_for_a_rehash() {
        for stored in [
            DJANGO_PBKDF2,
            DJANGO_BCRYPT_SHA256,
            DJANGO_ARGON2_WEAK,
            DJANGO_ARGON2,
        ] {
            assert_eq!(
                verify_blocking(DJANGO_PASSWORD, stored).unwrap(),
                Verification::Match { needs_rehash: true },
                "{stored}"
            );
            assert_eq!(
                verify_blocking("pâte à crêpes, 3 oeufs", stored).unwrap(),
                Verification::Mismatch,
                "{stored}"
            );
        }
    }

    #[tokio::test]
    async fn failures_are_padded_to_what_an_imported_hash_costs() {
        let hasher = PasswordHasher::new(1).unwrap();
        assert_eq!(hasher.failure_floor(), Duration::ZERO);
        // Our own format teaches nothing: every failure already costs one argon2 check.
        hasher
            .learn_cost_of(&hash_blocking("x", &mut fresh_memory(OUR_BLOCKS)).unwrap())
            .await
            .unwrap();
        assert_eq!(hasher.failure_floor(), Duration::ZERO);
        hasher.learn_cost_of(DJANGO_PBKDF2).await.unwrap();
        assert!(hasher.failure_floor() > Duration::ZERO);
        // Requests teach it only while nothing was learned, and never past the cap.
        let hasher = PasswordHasher::new(1).unwrap();
        hasher.note_legacy_cost(Duration::from_millis(400));
        assert_eq!(hasher.failure_floor(), Duration::from_millis(400));
        hasher.note_legacy_cost(Duration::ZERO);
        hasher.note_legacy_cost(Duration::from_secs(1));
        assert_eq!(hasher.failure_floor(), Duration::from_millis(400));
        hasher.set_legacy_cost(Duration::from_secs(60));
        assert_eq!(hasher.failure_floor(), MAX_FAILURE_FLOOR);
        let started = tokio::time::Instant::now() - MAX_FAILURE_FLOOR - Duration::from_secs(1);
        // A failure that already took longer than the floor is answered at once.
        tokio::time::timeout(
            Duration::from_millis(100),
            hasher.answer_failure_after(started),
        )
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn an_unusable_password_never_matches() {
        let hasher = PasswordHasher::new(1).unwrap();
        for stored in [UNUSABLE, "!FYlEEPnOT3UZnuPzEcFSZz1Lza8mhMc0qIbZJTkF"] {
            assert_eq!(
                hasher.verify(&pw(""), Some(stored)).await.unwrap(),
                Verification::Mismatch
            );
            assert_eq!(
                hasher.verify(&pw(stored), Some(stored)).await.unwrap(),
                Verification::Mismatch
            );
        }
    }
}
