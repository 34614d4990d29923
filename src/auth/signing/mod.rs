//! The keys that sign access tokens, and where they are kept.
//!
//! - `JWT_ALGORITHM=HS256` without a key ring: the server secret signs, as the first
//!   version did; nothing is published.
//! - A key ring file (`JWT_KEYS_FILE`; in development `DATA_DIR/jwt-keys.json`, created
//!   with one EdDSA key the first time).
//! - The database (`JWT_KEYS_STORE=database`): private halves sealed with a key derived
//!   from `JWT_SECRET`, shared by every replica, rotated on a schedule by one of them.
//!
//! Every instance re-reads its ring every `SIGNING_KEYS_REFRESH` (and soon after a
//! token names a key it does not know), so rotation and retirement need no restart.
pub mod database;
pub mod file;
mod key;

use std::{path::PathBuf, sync::Arc, time::Duration};

use anyhow::bail;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use secrecy::SecretString;
use tokio::sync::watch;

pub use key::{KeyEntry, SigningKey};

use super::tokens::AccessTokens;
use crate::config::{KeysStore, Settings, SigningAlgorithm};

/// A key of the ring, and from when it may sign: the newest whose time has come
/// signs; the others only verify. `None`: it never signs again.
pub struct RingKey {
    pub key: SigningKey,
    pub signs_from: Option<DateTime<Utc>>,
}

impl RingKey {
    pub fn signing(key: SigningKey) -> Self {
        Self {
            key,
            signs_from: Some(DateTime::UNIX_EPOCH),
        }
    }

    pub fn verifying(key: SigningKey) -> Self {
        Self {
            key,
            signs_from: None,
        }
    }
}

/// Where this deployment's signing keys come from.
pub enum KeySource {
    /// The server secret, HS256; fixed for the process's life.
    Secret(SecretString),
    /// `JWT_KEYS_FILE`: the operator's ring, never created or changed by the server.
    File(PathBuf),
    /// Development's ring in `DATA_DIR`, created when missing.
    GeneratedFile(PathBuf),
    Database(database::DatabaseKeys),
}

impl KeySource {
    /// Chooses the source the settings ask for. Production never generates a key on
    /// its own: every replica must sign with the same ones.
    pub fn from_settings(
        settings: &Settings,
        secret: &SecretString,
        db: &DatabaseConnection,
    ) -> anyhow::Result<Self> {
        let jwt = &settings.jwt;
        if jwt.rotation.is_some() && jwt.keys_store != KeysStore::Database {
            bail!("SIGNING_KEY_ROTATION needs JWT_KEYS_STORE=database, which every replica shares");
        }
        Ok(match (jwt.keys_store, &jwt.keys_file, jwt.algorithm) {
            (KeysStore::Database, _, _) => Self::Database(database::DatabaseKeys::new(
                db.clone(),
                secret,
                settings.lifetimes.access_token,
                jwt.keys_refresh,
            )),
            (KeysStore::File, Some(path), _) => Self::File(path.clone()),
            (KeysStore::File, None, SigningAlgorithm::Hs256) => Self::Secret(secret.clone()),
            (KeysStore::File, None, algorithm) if settings.is_production() => bail!(
                "APP_ENV=production signs with {} keys that every replica shares: set \
                 JWT_KEYS_FILE (rotate-signing-key creates one) or JWT_KEYS_STORE=database, \
                 or JWT_ALGORITHM=HS256",
                algorithm.as_str()
            ),
            (KeysStore::File, None, _) => Self::GeneratedFile(development_ring(settings)),
        })
    }

    /// The keys as they stand; the first load of a development ring or an empty
    /// database store creates the first key.
    pub async fn load(&self, algorithm: SigningAlgorithm) -> anyhow::Result<Vec<RingKey>> {
        match self {
            Self::Secret(secret) => Ok(vec![RingKey::signing(SigningKey::hs256(secret))]),
            Self::File(path) => read_ring(path, None).await,
            Self::GeneratedFile(path) => read_ring(path, Some(algorithm)).await,
            Self::Database(keys) => keys.load_or_create(algorithm, Utc::now()).await,
        }
    }

    /// The keys as they stand now. Unlike the first load, a development ring deleted
    /// meanwhile is not created again: the keys in use stay.
    async fn reload(&self, algorithm: SigningAlgorithm) -> anyhow::Result<Vec<RingKey>> {
        match self {
            Self::GeneratedFile(path) => read_ring(path, None).await,
            other => other.load(algorithm).await,
        }
    }
}

/// Reads a ring file off the executor; with `create`, makes it first when missing.
async fn read_ring(
    path: &std::path::Path,
    create: Option<SigningAlgorithm>,
) -> anyhow::Result<Vec<RingKey>> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || match create {
        Some(algorithm) => file::load_or_create(&path, algorithm),
        None => file::load(&path),
    })
    .await?
}

/// `DATA_DIR/jwt-keys.json`: where development keeps its ring, and where
/// `rotate-signing-key` writes when `JWT_KEYS_FILE` is unset.
pub fn development_ring(settings: &Settings) -> PathBuf {
    settings.data_dir.join("jwt-keys.json")
}

/// Keeps an instance's keys current: re-reads the ring every `interval` (and soon
/// after a token names an unknown key), and with `SIGNING_KEY_ROTATION` on a
/// database store, rotates when the newest key is due.
pub struct KeyRefresher {
    pub source: KeySource,
    pub tokens: Arc<AccessTokens>,
    pub algorithm: SigningAlgorithm,
    pub interval: Duration,
    pub rotation: Option<database::Rotation>,
}

/// However often tokens with unknown `kid`s arrive, the ring is read at most this
/// often on their account.
const MIN_RELOAD_SPACING: Duration = Duration::from_secs(1);

impl KeyRefresher {
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        if matches!(self.source, KeySource::Secret(_)) {
            return;
        }
        loop {
            tokio::select! {
                _ = stop.wait_for(|stop| *stop) => return,
                () = tokio::time::sleep(self.interval) => {}
                () = self.tokens.unknown_key_seen() => {}
            }
            self.refresh().await;
            // Tokens naming unknown keys may come in floods: one re-read a second at most.
            tokio::select! {
                _ = stop.wait_for(|stop| *stop) => return,
                () = tokio::time::sleep(MIN_RELOAD_SPACING.min(self.interval)) => {}
            }
        }
    }

    async fn refresh(&self) {
        if let (KeySource::Database(keys), Some(rotation)) = (&self.source, &self.rotation) {
            match keys
                .rotate_if_due(self.algorithm, rotation, Utc::now())
                .await
            {
                Ok(Some(kid)) => tracing::info!(%kid, "rotated the signing key on schedule"),
                Ok(None) => {}
                Err(err) => tracing::warn!(error = %err, "scheduled key rotation failed"),
            }
        }
        match self.source.reload(self.algorithm).await {
            Ok(keys) => self.tokens.replace_keys(keys),
            // The keys loaded before keep working; the next round tries again.
            Err(err) => tracing::warn!(error = %err, "could not re-read the signing keys"),
        }
    }
}
