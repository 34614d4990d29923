//! The key ring in the database (`JWT_KEYS_STORE=database`), shared by every replica.
//!
//! Each row is a generation: published as soon as it exists, signing from its
//! `signs_from` until the next generation's comes, then published for one more access
//! token lifetime (its tokens may still be alive) and deleted. Generations are
//! numbered, and the number is unique: two instances rotating at once cannot both
//! add a key.
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, TransactionTrait};
use secrecy::SecretString;

use super::{KeyEntry, RingKey, SigningKey};
use crate::{
    auth::{
        sealing::{SealedPurpose, Sealer},
        to_chrono,
        tokens::CLOCK_LEEWAY,
    },
    config::SigningAlgorithm,
    entities::signing_key,
    store::signing_keys,
};

/// Scheduled rotation (`SIGNING_KEY_ROTATION`).
#[derive(Debug, Clone, Copy)]
pub struct Rotation {
    /// A new key signs this long after the last one started to.
    pub every: Duration,
    /// It is published this long before it signs, so verifiers that cache the key set
    /// (for its `max-age`) know it before they meet a token it signed.
    pub publish_ahead: Duration,
}

/// Only one instance rotates at a time on PostgreSQL; the others skip their turn.
const ROTATION_LOCK: i64 = 7_245_012_944;

pub struct DatabaseKeys {
    db: DatabaseConnection,
    sealer: Sealer,
    /// A retired key stays published this much longer than it signed.
    token_lifetime: chrono::Duration,
}

impl DatabaseKeys {
    pub fn new(db: DatabaseConnection, server_secret: &SecretString, access_ttl: Duration) -> Self {
        Self {
            db,
            sealer: Sealer::new(server_secret, SealedPurpose::SigningKey),
            token_lifetime: to_chrono(access_ttl + CLOCK_LEEWAY),
        }
    }

    /// The keys whose tokens may still be alive; the first key when there is none.
    pub async fn load_or_create(
        &self,
        algorithm: SigningAlgorithm,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<RingKey>> {
        let mut rows = signing_keys::all(&self.db).await?;
        if rows.is_empty() {
            // Instances starting together race here; the generation decides.
            self.add(&self.db, algorithm, 1, now).await?;
            rows = signing_keys::all(&self.db).await?;
        }
        self.published(&rows, now)
            .map(|(row, retired)| {
                let key = self.open(row)?;
                Ok(RingKey {
                    key,
                    signs_from: (!retired).then_some(row.signs_from),
                })
            })
            .collect()
    }

    /// Adds the next generation, signing from `signs_from` (never before the newest
    /// key does). Returns its `kid`.
    pub async fn rotate(
        &self,
        algorithm: SigningAlgorithm,
        signs_from: DateTime<Utc>,
    ) -> anyhow::Result<(String, DateTime<Utc>)> {
        let rows = signing_keys::all(&self.db).await?;
        let (generation, signs_from) = match rows.last() {
            Some(newest) => (newest.generation + 1, signs_from.max(newest.signs_from)),
            None => (1, signs_from),
        };
        match self
            .add(&self.db, algorithm, generation, signs_from)
            .await?
        {
            Some(kid) => Ok((kid, signs_from)),
            None => anyhow::bail!("another instance rotated at the same moment; run it again"),
        }
    }

    /// With `rotation`, adds the next key once the newest has signed for `every` less
    /// `publish_ahead`, and deletes keys no token can need any more. One instance does
    /// it; `None` when nothing was due (or another instance had it in hand).
    pub async fn rotate_if_due(
        &self,
        algorithm: SigningAlgorithm,
        rotation: &Rotation,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<String>> {
        let txn = self.db.begin().await?;
        if txn.get_database_backend() == DbBackend::Postgres {
            let statement = sea_orm::Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT pg_try_advisory_xact_lock({ROTATION_LOCK}) AS locked"),
            );
            let locked = txn
                .query_one_raw(statement)
                .await?
                .map(|row| row.try_get::<bool>("", "locked"))
                .transpose()?
                .unwrap_or(false);
            if !locked {
                return Ok(None);
            }
        }
        let rows = signing_keys::all(&txn).await?;
        let publish_ahead = to_chrono(rotation.publish_ahead);
        let due = rows.last().is_none_or(|newest| {
            newest.signs_from + to_chrono(rotation.every) <= now + publish_ahead
        });
        let mut added = None;
        if due {
            let generation = rows.last().map_or(1, |newest| newest.generation + 1);
            let signs_from = rows
                .last()
                .map_or(now, |newest| newest.signs_from)
                .max(now + publish_ahead);
            added = self.add(&txn, algorithm, generation, signs_from).await?;
        }
        let expired: Vec<String> = rows
            .iter()
            .filter(|row| {
                !self
                    .published(&rows, now)
                    .any(|(kept, _)| kept.kid == row.kid)
            })
            .map(|row| row.kid.clone())
            .collect();
        signing_keys::delete(&txn, expired).await?;
        txn.commit().await?;
        Ok(added)
    }

    /// Withdraws a key at once: tokens it signed stop verifying on every replica at
    /// its next refresh. The key signing now cannot be retired; rotate first.
    pub async fn retire(&self, kid: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
        let rows = signing_keys::all(&self.db).await?;
        if !rows.iter().any(|row| row.kid == kid) {
            anyhow::bail!("no key {kid} in the database");
        }
        if signing_now(&rows, now).is_some_and(|row| row.kid == kid) {
            anyhow::bail!("{kid} is the key signing now; rotate to a new key before retiring it");
        }
        signing_keys::delete(&self.db, vec![kid.to_owned()]).await?;
        Ok(())
    }

    async fn add(
        &self,
        db: &impl ConnectionTrait,
        algorithm: SigningAlgorithm,
        generation: i32,
        signs_from: DateTime<Utc>,
    ) -> anyhow::Result<Option<String>> {
        let entry = KeyEntry::generate(algorithm)?;
        let key = SigningKey::from_entry(&entry)?;
        let plaintext = serde_json::to_vec(&entry)?;
        let row = signing_key::Model {
            sealed_private_key: self
                .sealer
                .seal(&format!("signing key {}", entry.kid), &plaintext)?,
            kid: entry.kid.clone(),
            generation,
            algorithm: entry.alg.clone(),
            public_jwk: key.jwk.as_ref().map(|jwk| jwk.to_string()),
            created_at: Utc::now(),
            signs_from,
        };
        let added = signing_keys::insert(db, row).await?;
        Ok(added.then_some(entry.kid))
    }

    fn open(&self, row: &signing_key::Model) -> anyhow::Result<SigningKey> {
        let plaintext = self
            .sealer
            .open(&format!("signing key {}", row.kid), &row.sealed_private_key)?;
        let entry: KeyEntry = serde_json::from_slice(&plaintext)
            .with_context(|| format!("signing key {}: not a key entry", row.kid))?;
        anyhow::ensure!(
            entry.kid == row.kid,
            "signing key {}: the sealed key is another one's",
            row.kid
        );
        SigningKey::from_entry(&entry)
    }

    /// The rows still published at `now`, each with whether it has stopped signing.
    /// A key stops when the next generation starts, and is published one token
    /// lifetime longer.
    fn published<'a>(
        &self,
        rows: &'a [signing_key::Model],
        now: DateTime<Utc>,
    ) -> impl Iterator<Item = (&'a signing_key::Model, bool)> {
        let lifetime = self.token_lifetime;
        rows.iter().enumerate().filter_map(move |(i, row)| {
            match rows.get(i + 1).filter(|next| next.signs_from <= now) {
                None => Some((row, false)),
                Some(next) if now <= next.signs_from + lifetime => Some((row, true)),
                Some(_) => None,
            }
        })
    }
}

/// The newest key whose time to sign has come.
fn signing_now(rows: &[signing_key::Model], now: DateTime<Utc>) -> Option<&signing_key::Model> {
    rows.iter().rev().find(|row| row.signs_from <= now)
}
