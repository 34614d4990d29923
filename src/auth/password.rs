//! argon2id hashing with the contract's parameters, off the async executor.
use std::sync::Arc;

use anyhow::Context as _;
use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier as _, Version,
    password_hash::SaltString,
};
use rand::rngs::OsRng;
use tokio::sync::Semaphore;

use crate::domain::Password;

/// memory 19 MiB, 2 passes, 1 lane (OWASP's argon2id baseline).
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Mismatch,
    /// The password is right; `needs_rehash` when the stored hash is weaker than ours.
    Match {
        needs_rehash: bool,
    },
}

/// Hashes and verifies passwords on the blocking pool, at most `concurrency` at a time,
/// so a burst of logins queues here instead of starving refreshes and queries.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// A real hash of a random password: unknown users are verified against it so that
    /// "no such user" costs the same time as "wrong password".
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    pub fn new(concurrency: usize) -> anyhow::Result<Self> {
        let random = SaltString::generate(&mut OsRng);
        let dummy_hash = hash_blocking(random.as_str())?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: dummy_hash.into(),
        })
    }

    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let password = password.clone();
        self.run(move || hash_blocking(password.expose())).await?
    }

    /// Verifies against `stored`, or against the dummy hash when there is no account,
    /// which always answers `Mismatch`.
    pub async fn verify(
        &self,
        password: &Password,
        stored: Option<&str>,
    ) -> anyhow::Result<Verification> {
        let is_real = stored.is_some();
        let stored: Arc<str> = stored
            .map(Arc::from)
            .unwrap_or_else(|| self.dummy_hash.clone());
        let password = password.clone();
        let verification = self
            .run(move || verify_blocking(password.expose(), &stored))
            .await??;
        Ok(if is_real {
            verification
        } else {
            Verification::Mismatch
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .context("password hasher closed")?;
        tokio::task::spawn_blocking(work)
            .await
            .context("password hashing task failed")
    }
}

fn argon2() -> Argon2<'static> {
    let params =
        Params::new(MEMORY_KIB, PASSES, LANES, None).expect("constant argon2 params are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = argon2()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))?;
    Ok(hash.to_string())
}

fn verify_blocking(password: &str, stored: &str) -> anyhow::Result<Verification> {
    let parsed = PasswordHash::new(stored)
        .map_err(|e| anyhow::anyhow!("stored password hash does not parse: {e}"))?;
    match argon2().verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(Verification::Match {
            needs_rehash: is_weaker_than_ours(&parsed),
        }),
        Err(argon2::password_hash::Error::Password) => Ok(Verification::Mismatch),
        Err(e) => Err(anyhow::anyhow!("argon2 verification failed: {e}")),
    }
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
}
