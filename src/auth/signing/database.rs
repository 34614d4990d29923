//! The key ring in the database (`JWT_KEYS_STORE=database`), shared by every replica.
//!
//! Each row is a generation: published as soon as it exists, signing from its
//! `signs_from` until the next generation's (`signs_until`), then published for the
//! longest token lifetime any instance declared, and deleted. Generations are
//! numbered, and the number is unique: two instances rotating at once cannot both add
//! a key.
use std::time::Duration;

use anyhow::{Context as _, bail};
use chrono::{DateTime, DurationRound as _, TimeDelta, Utc};
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
    /// This instance's `ACCESS_TOKEN_TTL`, declared on every key.
    token_lifetime: Duration,
    /// Added to a retired key's publication: clock skew, and replicas that have not
    /// re-read the ring yet.
    margin: TimeDelta,
}

impl DatabaseKeys {
    pub fn new(
        db: DatabaseConnection,
        server_secret: &SecretString,
        access_ttl: Duration,
        keys_refresh: Duration,
    ) -> Self {
        Self {
            db,
            sealer: Sealer::new(server_secret, SealedPurpose::SigningKey),
            token_lifetime: access_ttl,
            margin: to_chrono(CLOCK_LEEWAY + keys_refresh),
        }
    }

    /// The keys whose tokens may still be alive; the first key when there is none. A
    /// row that does not open (tampered, or sealed under another secret) is left out
    /// and named in the log; only when none opens is it an error. One query, as a
    /// rule: keys past their publication are deleted, and this instance's token
    /// lifetime declared, only when the rows show it is needed.
    pub async fn load_or_create(
        &self,
        algorithm: SigningAlgorithm,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<RingKey>> {
        let mut rows = signing_keys::all(&self.db).await?;
        if rows.is_empty() {
            // Instances starting together race here; the generation decides.
            let txn = self.db.begin().await?;
            self.add(&txn, algorithm, 1, now).await?;
            txn.commit().await?;
            rows = signing_keys::all(&self.db).await?;
        }
        let mine = self.lifetime_secs();
        if rows.iter().any(|row| row.token_lifetime_secs < mine) {
            signing_keys::raise_token_lifetime(&self.db, mine).await?;
        }
        let published: Vec<_> = self.published(&rows, now).collect();
        let expired: Vec<String> = rows
            .iter()
            .filter(|row| !published.iter().any(|(kept, _)| kept.kid == row.kid))
            .map(|row| row.kid.clone())
            .collect();
        signing_keys::delete(&self.db, expired).await?;
        let mut keys = Vec::new();
        let mut refused = None;
        for (row, retired) in published {
            match self.open(row) {
                Ok(key) => keys.push(RingKey {
                    key,
                    signs_from: (!retired).then_some(row.signs_from),
                }),
                Err(err) => {
                    tracing::error!(kid = %row.kid, error = %err, "a signing key in the database does not open; left out");
                    refused.get_or_insert(err);
                }
            }
        }
        match refused {
            Some(err) if keys.is_empty() => Err(err),
            _ => Ok(keys),
        }
    }

    /// Adds the next generation, signing from `signs_from` (never before the newest
    /// key does). Refused when this instance cannot open the keys already there: it
    /// runs with another `JWT_SECRET` than the servers, and its key would open nowhere.
    pub async fn rotate(
        &self,
        algorithm: SigningAlgorithm,
        signs_from: DateTime<Utc>,
    ) -> anyhow::Result<(String, DateTime<Utc>)> {
        let txn = self.db.begin().await?;
        let rows = signing_keys::all(&txn).await?;
        for (row, _) in self.published(&rows, Utc::now()) {
            self.open(row)
                .context("refusing to add a key: this JWT_SECRET is not the one the servers use")?;
        }
        let (generation, signs_from) = match rows.last() {
            Some(newest) => (newest.generation + 1, signs_from.max(newest.signs_from)),
            None => (1, signs_from),
        };
        let Some((kid, signs_from)) = self.add(&txn, algorithm, generation, signs_from).await?
        else {
            bail!("another instance rotated at the same moment; run it again");
        };
        txn.commit().await?;
        Ok((kid, signs_from))
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
        txn.commit().await?;
        Ok(added.map(|(kid, _)| kid))
    }

    /// Withdraws a key at once: tokens it signed stop verifying on every replica at
    /// its next refresh. Only a key that has stopped signing can go: the one signing
    /// now, or one about to, would leave replicas signing with a key nobody publishes.
    pub async fn retire(&self, kid: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
        let rows = signing_keys::all(&self.db).await?;
        let Some(row) = rows.iter().find(|row| row.kid == kid) else {
            bail!("no key {kid} in the database");
        };
        if row.signs_until.is_none_or(|until| until > now) {
            bail!("{kid} signs now or is about to; rotate, and retire it once the next key signs");
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
    ) -> anyhow::Result<Option<(String, DateTime<Utc>)>> {
        // Whole milliseconds: what every backend stores exactly, and seals alike.
        let signs_from = signs_from.duration_trunc(TimeDelta::milliseconds(1))?;
        let entry = KeyEntry::generate(algorithm)?;
        let key = SigningKey::from_entry(&entry)?;
        let plaintext = serde_json::to_vec(&entry)?;
        let mut row = signing_key::Model {
            sealed_private_key: String::new(),
            kid: entry.kid.clone(),
            generation,
            algorithm: entry.alg.clone(),
            public_jwk: key.jwk.as_ref().map(|jwk| jwk.to_string()),
            created_at: Utc::now(),
            signs_from,
            signs_until: None,
            token_lifetime_secs: self.lifetime_secs(),
        };
        row.sealed_private_key = self.sealer.seal(&bound_to(&row), &plaintext)?;
        let added = signing_keys::insert_next(db, row).await?;
        Ok(added.then_some((entry.kid, signs_from)))
    }

    fn open(&self, row: &signing_key::Model) -> anyhow::Result<SigningKey> {
        let plaintext = self.sealer.open(&bound_to(row), &row.sealed_private_key)?;
        let entry: KeyEntry = serde_json::from_slice(&plaintext)
            .with_context(|| format!("signing key {}: not a key entry", row.kid))?;
        anyhow::ensure!(
            entry.kid == row.kid && entry.alg == row.algorithm,
            "signing key {}: the sealed key is another one's",
            row.kid
        );
        SigningKey::from_entry(&entry)
    }

    /// The rows still published at `now`, each with whether it has stopped signing.
    fn published<'a>(
        &self,
        rows: &'a [signing_key::Model],
        now: DateTime<Utc>,
    ) -> impl Iterator<Item = (&'a signing_key::Model, bool)> {
        let own = self.lifetime_secs();
        let margin = self.margin;
        rows.iter().filter_map(move |row| match row.signs_until {
            Some(until) if until <= now => {
                let lifetime = TimeDelta::seconds(row.token_lifetime_secs.max(own));
                (now <= until + lifetime + margin).then_some((row, true))
            }
            _ => Some((row, false)),
        })
    }

    fn lifetime_secs(&self) -> i64 {
        i64::try_from(self.token_lifetime.as_secs()).unwrap_or(i64::MAX)
    }
}

/// What a sealed key is bound to: which key, of which generation and algorithm, from
/// when. Someone who can write the table cannot move a sealed key onto another row,
/// nor make an old key sign again by renumbering it.
fn bound_to(row: &signing_key::Model) -> String {
    format!(
        "signing key {} (generation {}, {}, signs from {})",
        row.kid,
        row.generation,
        row.algorithm,
        row.signs_from.timestamp_millis()
    )
}
