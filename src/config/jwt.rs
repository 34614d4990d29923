//! Access tokens: the algorithm, where the signing keys live, how they rotate.
use std::{path::PathBuf, str::FromStr, time::Duration};

use secrecy::SecretString;

/// How long verifiers may cache `/.well-known/jwks.json` (its `Cache-Control`).
pub const JWKS_MAX_AGE: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
pub struct JwtSettings {
    /// An explicitly configured HS256 secret; without one, development generates one.
    pub secret: Option<SecretString>,
    /// A key ring file; when set, its current key signs access tokens (and the secret
    /// above only keys refresh, reset and verification tokens).
    pub keys_file: Option<PathBuf>,
    pub issuer: String,
    pub audience: String,
    /// What signs access tokens when no key ring is configured: a generated EdDSA
    /// key (the default) or the HS256 secret (`JWT_ALGORITHM`).
    pub algorithm: SigningAlgorithm,
    /// Where the key ring lives (`JWT_KEYS_STORE`).
    pub keys_store: KeysStore,
    /// `SIGNING_KEY_ROTATION`: a new key this often (database store only); `None`: off.
    pub rotation: Option<Duration>,
    /// How often each instance re-reads its key ring (`SIGNING_KEYS_REFRESH`).
    pub keys_refresh: Duration,
    /// A key made by scheduled rotation is published this long before it signs
    /// (`SIGNING_KEY_PUBLISH_AHEAD`): the JWKS `max-age`, so cached key sets have it.
    pub publish_ahead: Duration,
}

impl JwtSettings {
    /// How long a new database key is published before it signs: every replica has read
    /// it (one refresh) and, with the default, every cached key set holds it.
    pub fn signing_lead(&self) -> Duration {
        self.publish_ahead.max(self.keys_refresh)
    }
}

/// The algorithm of generated signing keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SigningAlgorithm {
    #[default]
    EdDsa,
    Es256,
    Hs256,
}

impl SigningAlgorithm {
    /// The JOSE name (`alg`), as key ring files and JWKs spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EdDsa => "EdDSA",
            Self::Es256 => "ES256",
            Self::Hs256 => "HS256",
        }
    }
}

impl FromStr for SigningAlgorithm {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "EDDSA" => Ok(Self::EdDsa),
            "ES256" => Ok(Self::Es256),
            "HS256" => Ok(Self::Hs256),
            _ => Err("use EdDSA, ES256 or HS256"),
        }
    }
}

/// Where signing keys are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeysStore {
    /// `JWT_KEYS_FILE`, or in development a file generated in `DATA_DIR`.
    #[default]
    File,
    /// The `signing_keys` table, private parts encrypted with a key derived from
    /// `JWT_SECRET`; every replica re-reads it.
    Database,
}

impl FromStr for KeysStore {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "file" => Ok(Self::File),
            "database" | "db" => Ok(Self::Database),
            _ => Err("use file or database"),
        }
    }
}
