//! Passkeys and the WebAuthn ceremonies under way. A ceremony's challenge is used up by
//! one conditional statement before its answer is looked at, and a passkey's signature
//! counter only ever rises, so neither a replayed answer nor a cloned authenticator
//! gets through on any replica.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, SqlErr, prelude::Expr,
};
use uuid::Uuid;

use crate::{
    domain::{CeremonyId, PasskeyId, UserId},
    entities::{
        passkey::{self, Entity as Passkeys},
        passkey_challenge::{self, Entity as Challenges},
    },
};

/// Which ceremony a challenge belongs to; stored as its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceremony {
    Registration,
    SignIn,
}

impl Ceremony {
    fn name(self) -> &'static str {
        match self {
            Self::Registration => "registration",
            Self::SignIn => "sign_in",
        }
    }
}

pub struct NewPasskey {
    pub user_id: UserId,
    pub credential_hash: String,
    pub credential: String,
    pub sign_count: u32,
    pub name: Option<String>,
}

/// Stores a new passkey; `None` when its credential is registered already (to this
/// account or another).
pub async fn create(
    db: &impl ConnectionTrait,
    new: NewPasskey,
    now: DateTime<Utc>,
) -> Result<Option<passkey::Model>, DbErr> {
    let inserted = passkey::ActiveModel {
        id: Set(PasskeyId::new()),
        user_id: Set(new.user_id),
        credential_hash: Set(new.credential_hash),
        credential: Set(new.credential),
        sign_count: Set(i64::from(new.sign_count)),
        name: Set(new.name),
        created_at: Set(now),
        last_used_at: Set(None),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(model) => Ok(Some(model)),
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Ok(None),
        Err(err) => Err(err),
    }
}

/// The passkeys of each of `user_ids`, oldest first.
pub async fn for_users(
    db: &impl ConnectionTrait,
    user_ids: &[UserId],
) -> Result<HashMap<UserId, Vec<passkey::Model>>, DbErr> {
    let rows = Passkeys::find()
        .filter(passkey::Column::UserId.is_in(user_ids.iter().copied()))
        .order_by_asc(passkey::Column::CreatedAt)
        .order_by_asc(passkey::Column::Id)
        .all(db)
        .await?;
    let mut by_user: HashMap<UserId, Vec<passkey::Model>> = HashMap::new();
    for row in rows {
        by_user.entry(row.user_id).or_default().push(row);
    }
    Ok(by_user)
}

/// One user's passkeys, oldest first.
pub async fn for_user(
    db: &impl ConnectionTrait,
    user_id: UserId,
) -> Result<Vec<passkey::Model>, DbErr> {
    Ok(for_users(db, &[user_id])
        .await?
        .remove(&user_id)
        .unwrap_or_default())
}

pub async fn find_by_credential(
    db: &impl ConnectionTrait,
    credential_hash: &str,
) -> Result<Option<passkey::Model>, DbErr> {
    Passkeys::find()
        .filter(passkey::Column::CredentialHash.eq(credential_hash))
        .one(db)
        .await
}

/// Records a sign-in with the passkey: its new credential state and counter, only if
/// the counter rose past what is stored — or both are 0, as for authenticators that
/// keep no counter. False when another sign-in got there first with a counter as high:
/// two assertions with one counter value mean two copies of one key.
pub async fn record_use(
    db: &impl ConnectionTrait,
    id: PasskeyId,
    credential: String,
    sign_count: u32,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let count = i64::from(sign_count);
    let mut update = Passkeys::update_many()
        .col_expr(passkey::Column::Credential, Expr::val(credential))
        .col_expr(passkey::Column::SignCount, Expr::val(count))
        .col_expr(passkey::Column::LastUsedAt, Expr::val(Some(now)))
        .filter(passkey::Column::Id.eq(id));
    update = if count == 0 {
        update.filter(passkey::Column::SignCount.eq(0))
    } else {
        update.filter(passkey::Column::SignCount.lt(count))
    };
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// Deletes one of the user's passkeys; false when the user has none with that id.
pub async fn delete(
    db: &impl ConnectionTrait,
    user_id: UserId,
    id: PasskeyId,
) -> Result<bool, DbErr> {
    let result = Passkeys::delete_many()
        .filter(passkey::Column::Id.eq(id))
        .filter(passkey::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Deletes every passkey of the user, and the ceremonies under way; how many passkeys
/// there were.
pub async fn delete_all(db: &impl ConnectionTrait, user_id: UserId) -> Result<u64, DbErr> {
    Challenges::delete_many()
        .filter(passkey_challenge::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let result = Passkeys::delete_many()
        .filter(passkey::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

pub struct NewChallenge {
    pub ceremony: Ceremony,
    pub user_id: Option<UserId>,
    pub state: String,
    pub expires_at: DateTime<Utc>,
}

/// Stores a ceremony's state; its id is the `challengeId` handed to the client.
pub async fn create_challenge(
    db: &impl ConnectionTrait,
    new: NewChallenge,
    now: DateTime<Utc>,
) -> Result<CeremonyId, DbErr> {
    // Random, not time-ordered: the id is all a client holds of its ceremony.
    let id = CeremonyId::from(Uuid::new_v4());
    passkey_challenge::ActiveModel {
        id: Set(id),
        ceremony: Set(new.ceremony.name().to_owned()),
        user_id: Set(new.user_id),
        state: Set(new.state),
        created_at: Set(now),
        expires_at: Set(new.expires_at),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// Uses a live challenge of `ceremony` up and returns it: of any number of answers to
/// one challenge, on any replica, one gets it — before its answer is even parsed, so
/// a wrong answer burns the challenge too.
pub async fn take_challenge(
    db: &impl ConnectionTrait,
    id: CeremonyId,
    ceremony: Ceremony,
    now: DateTime<Utc>,
) -> Result<Option<passkey_challenge::Model>, DbErr> {
    let rows = Challenges::update_many()
        .col_expr(passkey_challenge::Column::UsedAt, Expr::val(Some(now)))
        .filter(passkey_challenge::Column::Id.eq(id))
        .filter(passkey_challenge::Column::Ceremony.eq(ceremony.name()))
        .filter(passkey_challenge::Column::UsedAt.is_null())
        .filter(passkey_challenge::Column::ExpiresAt.gt(now))
        .exec_with_returning(db)
        .await?;
    Ok(rows.into_iter().next())
}

/// Forgets challenges that expired before `before`.
pub async fn delete_expired_challenges(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = Challenges::delete_many()
        .filter(passkey_challenge::Column::ExpiresAt.lt(before))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
