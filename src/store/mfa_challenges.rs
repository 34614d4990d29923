//! Sign-ins waiting for their second step. A challenge is found by its token's hash,
//! spends an attempt per code and is used up by conditional statements, so any
//! replica can complete what another started, once.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, prelude::Expr, sea_query::ExprTrait,
};
use uuid::Uuid;

use crate::{
    domain::UserId,
    entities::mfa_challenge::{self, Entity as Challenges},
};

pub struct NewChallenge {
    pub user_id: UserId,
    pub credential_epoch: i32,
    pub token_hash: String,
    pub device_fingerprint: Option<String>,
    pub remember_me: bool,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub attempts: i32,
    pub expires_at: DateTime<Utc>,
}

pub async fn create(
    db: &impl ConnectionTrait,
    new: NewChallenge,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    mfa_challenge::ActiveModel {
        id: Set(Uuid::now_v7()),
        token_hash: Set(new.token_hash),
        user_id: Set(new.user_id),
        credential_epoch: Set(new.credential_epoch),
        device_fingerprint: Set(new.device_fingerprint),
        remember_me: Set(new.remember_me),
        ip_address: Set(new.ip_address),
        user_agent: Set(new.user_agent),
        attempts_left: Set(new.attempts),
        created_at: Set(now),
        expires_at: Set(new.expires_at),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A challenge that can still be completed: unused, unexpired, attempts left. Only a
/// look-up: [`take_attempt`] and [`consume`] decide.
pub async fn find_live(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<mfa_challenge::Model>, DbErr> {
    Challenges::find()
        .filter(mfa_challenge::Column::TokenHash.eq(token_hash))
        .filter(mfa_challenge::Column::UsedAt.is_null())
        .filter(mfa_challenge::Column::ExpiresAt.gt(now))
        .filter(mfa_challenge::Column::AttemptsLeft.gt(0))
        .one(db)
        .await
}

/// Spends one attempt before a code is checked, in one statement: of any number of
/// concurrent codes, no more than the attempts left get checked. `None` when none was
/// left (or the challenge ended meanwhile); else how many remain.
pub async fn take_attempt(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<i32>, DbErr> {
    let rows = Challenges::update_many()
        .col_expr(
            mfa_challenge::Column::AttemptsLeft,
            Expr::col(mfa_challenge::Column::AttemptsLeft).sub(1),
        )
        .filter(mfa_challenge::Column::Id.eq(id))
        .filter(mfa_challenge::Column::UsedAt.is_null())
        .filter(mfa_challenge::Column::ExpiresAt.gt(now))
        .filter(mfa_challenge::Column::AttemptsLeft.gt(0))
        .exec_with_returning(db)
        .await?;
    Ok(rows.into_iter().next().map(|row| row.attempts_left))
}

/// Uses the challenge up: of concurrent completions exactly one sees `true`. (The
/// attempt a right code took may have been the last; that does not matter here.)
pub async fn consume(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = Challenges::update_many()
        .col_expr(mfa_challenge::Column::UsedAt, Expr::val(Some(now)))
        .filter(mfa_challenge::Column::Id.eq(id))
        .filter(mfa_challenge::Column::UsedAt.is_null())
        .filter(mfa_challenge::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Ends every pending sign-in of a user: its second factor changed under them.
pub async fn end_all_for_user(
    db: &impl ConnectionTrait,
    user_id: UserId,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    Challenges::update_many()
        .col_expr(mfa_challenge::Column::UsedAt, Expr::val(Some(now)))
        .filter(mfa_challenge::Column::UserId.eq(user_id))
        .filter(mfa_challenge::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets challenges that expired before `before`; they can never be completed.
pub async fn delete_expired(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = Challenges::delete_many()
        .filter(mfa_challenge::Column::ExpiresAt.lt(before))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
