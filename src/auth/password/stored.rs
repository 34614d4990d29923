//! A stored hash, parsed and verified: ours (argon2id) and the formats accounts arrive
//! with from Django (PBKDF2-SHA256, Argon2, BCryptSHA256), with bounded costs.
use std::time::Duration;

use argon2::{Algorithm, Block, Params, PasswordHash};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use super::{
    UNUSABLE, Verification,
    argon2id::{argon2_matches, is_weaker_than_ours},
};

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

/// Failures are never padded past this, whatever an imported hash costs.
pub(super) const MAX_FAILURE_FLOOR: Duration = Duration::from_secs(2);

/// Costs past these are refused as malformed: checking such a hash would hold a
/// hashing permit for seconds on every attempt (Django's defaults are 1,000,000
/// rounds, bcrypt cost 12, argon2 100 MiB).
pub(super) const MAX_PBKDF2_ROUNDS: u32 = 10_000_000;
pub(super) const MAX_BCRYPT_COST: u32 = 16;
pub(super) const MAX_ARGON2_MEMORY_KIB: u32 = 1024 * 1024;
pub(super) const MAX_ARGON2_PASSES: u32 = 32;

/// A stored hash, parsed.
pub(super) enum StoredHash<'a> {
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
    pub(super) fn parse(stored: &'a str) -> Result<Self, UnsupportedHash> {
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
    pub(super) fn argon2_blocks(&self) -> usize {
        match self {
            Self::Argon2 { hash, .. } => Params::try_from(hash).map_or(0, |p| p.block_count()),
            _ => 0,
        }
    }

    pub(super) fn scheme(&self) -> HashScheme {
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
pub(super) fn argon2_hash(phc: &str) -> Result<PasswordHash<'_>, ()> {
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
pub(super) fn verify_blocking(password: &str, stored: &str) -> anyhow::Result<Verification> {
    verify_with_memory(password, stored, &mut [])
}

pub(super) fn verify_with_memory(
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
