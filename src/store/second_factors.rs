//! TOTP factors and recovery codes. Whatever must happen once — an enrolment confirmed,
//! a time step claimed, a recovery code used — is one conditional statement, so
//! concurrent requests on any replica cannot both get it.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
    prelude::Expr,
    sea_query::{Condition, ExprTrait, OnConflict},
};
use uuid::Uuid;

use crate::{
    domain::UserId,
    entities::{
        recovery_code::{self, Entity as RecoveryCodes},
        totp_factor::{self, Entity as TotpFactors},
    },
};

/// What `User.mfaEnabled` and `User.recoveryCodesLeft` show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MfaStatus {
    pub totp_enabled: bool,
    pub recovery_codes_left: u64,
}

/// The user's enrolment, confirmed or not.
pub async fn find_totp(
    db: &impl ConnectionTrait,
    user_id: UserId,
) -> Result<Option<totp_factor::Model>, DbErr> {
    TotpFactors::find_by_id(user_id).one(db).await
}

/// The user's active (confirmed) factor.
pub async fn find_active_totp(
    db: &impl ConnectionTrait,
    user_id: UserId,
) -> Result<Option<totp_factor::Model>, DbErr> {
    Ok(find_totp(db, user_id)
        .await?
        .filter(|factor| factor.confirmed_at.is_some()))
}

/// Starts an enrolment with `sealed_secret`, replacing an unconfirmed one — never a
/// confirmed one. False when TOTP is already active (nothing was written).
pub async fn start_totp(
    db: &impl ConnectionTrait,
    user_id: UserId,
    sealed_secret: String,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let pending = totp_factor::ActiveModel {
        user_id: Set(user_id),
        sealed_secret: Set(sealed_secret),
        created_at: Set(now),
        confirmed_at: Set(None),
        last_used_step: Set(None),
    };
    let rows = TotpFactors::insert(pending)
        .on_conflict(
            OnConflict::column(totp_factor::Column::UserId)
                .update_columns([
                    totp_factor::Column::SealedSecret,
                    totp_factor::Column::CreatedAt,
                    totp_factor::Column::LastUsedStep,
                ])
                .action_and_where(
                    Expr::col((TotpFactors, totp_factor::Column::ConfirmedAt)).is_null(),
                )
                .to_owned(),
        )
        .exec_with_returning_many(db)
        .await?;
    Ok(!rows.is_empty())
}

/// Activates the enrolment whose secret is still `sealed_secret`, and claims `step`, so
/// the confirming code cannot sign in afterwards. False when another request confirmed
/// it first or a newer enrolment replaced that secret.
pub async fn confirm_totp(
    db: &impl ConnectionTrait,
    user_id: UserId,
    sealed_secret: &str,
    step: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = TotpFactors::update_many()
        .col_expr(totp_factor::Column::ConfirmedAt, Expr::val(Some(now)))
        .col_expr(totp_factor::Column::LastUsedStep, Expr::val(Some(step)))
        .filter(totp_factor::Column::UserId.eq(user_id))
        .filter(totp_factor::Column::ConfirmedAt.is_null())
        .filter(totp_factor::Column::SealedSecret.eq(sealed_secret))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Claims `step` for the active factor whose secret is `sealed_secret`: true only if no
/// code of this step or a later one was accepted before, so a code never works twice
/// and an older one never works after a newer.
pub async fn claim_totp_step(
    db: &impl ConnectionTrait,
    user_id: UserId,
    sealed_secret: &str,
    step: i64,
) -> Result<bool, DbErr> {
    let result = TotpFactors::update_many()
        .col_expr(totp_factor::Column::LastUsedStep, Expr::val(Some(step)))
        .filter(totp_factor::Column::UserId.eq(user_id))
        .filter(totp_factor::Column::ConfirmedAt.is_not_null())
        .filter(totp_factor::Column::SealedSecret.eq(sealed_secret))
        .filter(
            Condition::any()
                .add(totp_factor::Column::LastUsedStep.is_null())
                .add(totp_factor::Column::LastUsedStep.lt(step)),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Removes the user's TOTP factor (active or pending) and recovery codes. True when an
/// active factor was removed.
pub async fn delete_all(db: &impl ConnectionTrait, user_id: UserId) -> Result<bool, DbErr> {
    let active = TotpFactors::delete_many()
        .filter(totp_factor::Column::UserId.eq(user_id))
        .filter(totp_factor::Column::ConfirmedAt.is_not_null())
        .exec(db)
        .await?;
    TotpFactors::delete_many()
        .filter(totp_factor::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    RecoveryCodes::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(active.rows_affected == 1)
}

/// Replaces the user's recovery codes, used or not, with these hashes.
pub async fn replace_recovery_codes(
    db: &impl ConnectionTrait,
    user_id: UserId,
    code_hashes: Vec<String>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    RecoveryCodes::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let rows = code_hashes
        .into_iter()
        .map(|code_hash| recovery_code::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user_id),
            code_hash: Set(code_hash),
            created_at: Set(now),
            used_at: Set(None),
        });
    RecoveryCodes::insert_many(rows).exec(db).await?;
    Ok(())
}

/// Uses one of the user's unused recovery codes, in one conditional statement: of
/// concurrent uses of one code exactly one sees `true`.
pub async fn use_recovery_code(
    db: &impl ConnectionTrait,
    user_id: UserId,
    code_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = RecoveryCodes::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::val(Some(now)))
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::CodeHash.eq(code_hash))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Unused recovery codes of one user.
pub async fn recovery_codes_left(db: &impl ConnectionTrait, user_id: UserId) -> Result<u64, DbErr> {
    Ok(statuses(db, &[user_id])
        .await?
        .get(&user_id)
        .map_or(0, |status| status.recovery_codes_left))
}

/// The second-factor state of many users, in two queries; users without any are
/// absent.
pub async fn statuses(
    db: &impl ConnectionTrait,
    user_ids: &[UserId],
) -> Result<HashMap<UserId, MfaStatus>, DbErr> {
    let ids = || user_ids.iter().map(UserId::as_uuid);
    let enabled = TotpFactors::find()
        .select_only()
        .column(totp_factor::Column::UserId)
        .filter(totp_factor::Column::UserId.is_in(ids()))
        .filter(totp_factor::Column::ConfirmedAt.is_not_null())
        .into_tuple::<Uuid>()
        .all(db)
        .await?;
    let left = RecoveryCodes::find()
        .select_only()
        .column(recovery_code::Column::UserId)
        .column_as(recovery_code::Column::Id.count(), "left")
        .filter(recovery_code::Column::UserId.is_in(ids()))
        .filter(recovery_code::Column::UsedAt.is_null())
        .group_by(recovery_code::Column::UserId)
        .into_tuple::<(Uuid, i64)>()
        .all(db)
        .await?;
    let mut statuses: HashMap<UserId, MfaStatus> = HashMap::new();
    for id in enabled {
        statuses.entry(id.into()).or_default().totp_enabled = true;
    }
    for (id, left) in left {
        statuses.entry(id.into()).or_default().recovery_codes_left =
            u64::try_from(left).unwrap_or(0);
    }
    Ok(statuses)
}
