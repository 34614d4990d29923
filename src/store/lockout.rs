//! Failed sign-in counting. Each attempt is counted in one statement *before* the
//! password is checked, so parallel attempts — separate requests, aliases, batches,
//! other replicas — can never get more than the threshold of checks before the lock.
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, UpdateMany,
    prelude::Expr,
    sea_query::{Condition, ExprTrait, IntoColumnRef, OnConflict},
};

use crate::{
    domain::UserId,
    entities::{
        login_attempt::{self, Entity as LoginAttempts},
        user::{self, Entity as Users},
    },
};

/// The lockout rule for one attempt.
#[derive(Debug, Clone, Copy)]
pub struct Attempt {
    pub threshold: u32,
    pub lock_until: DateTime<Utc>,
    /// A count last grown before this is forgotten: it starts over at this attempt.
    /// Accounts and unknown identifiers age alike, or pruning would tell them apart.
    pub forget_before: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

/// What counting an attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Locked: nothing was counted, and the password must not be checked.
    Refused,
    /// Counted; `locks_now` when this attempt reached the threshold.
    Counted { locks_now: bool },
}

impl Claim {
    fn of(locked_until: Option<Option<DateTime<Utc>>>) -> Self {
        match locked_until {
            None => Self::Refused,
            Some(locked_until) => Self::Counted {
                locks_now: locked_until.is_some(),
            },
        }
    }
}

/// The columns of one failure counter: the count, its lock, and when it last grew.
struct Counter<C> {
    count: C,
    locked_until: C,
    counted_at: C,
}

/// `(new count, new locked_until)` for a counter whose lock is absent or expired; an
/// expired lock, or a count older than `attempt.forget_before`, starts the count over.
/// SET expressions all read the old row.
fn counted<C: IntoColumnRef + Clone>(counter: Counter<C>, attempt: Attempt) -> (Expr, Expr) {
    let starts_over = Condition::any()
        .add(Expr::col(counter.locked_until).is_not_null())
        .add(Expr::col(counter.counted_at.clone()).is_null())
        .add(Expr::col(counter.counted_at).lt(attempt.forget_before));
    let attempts: Expr = Expr::case(starts_over, Expr::val(1))
        .finally(Expr::col(counter.count).add(1))
        .into();
    let lock: Expr = Expr::case(
        attempts.clone().gte(attempt.threshold as i32),
        Expr::val(Some(attempt.lock_until)),
    )
    .finally(Expr::val(Option::<DateTime<Utc>>::None))
    .into();
    (attempts, lock)
}

fn unlocked<C: IntoColumnRef + Clone>(locked_until: C, now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(Expr::col(locked_until.clone()).is_null())
        .add(Expr::col(locked_until).lte(now))
}

/// Counts an attempt on an account, unless it is locked.
pub async fn claim_for_user(
    db: &impl ConnectionTrait,
    id: UserId,
    attempt: Attempt,
) -> Result<Claim, DbErr> {
    let locked = (Users, user::Column::LockedUntil);
    let counter = Counter {
        count: (Users, user::Column::FailedLoginCount),
        locked_until: locked,
        counted_at: (Users, user::Column::FailedLoginAt),
    };
    let (attempts, lock) = counted(counter, attempt);
    let counted = Users::update_many()
        .col_expr(user::Column::FailedLoginCount, attempts)
        .col_expr(user::Column::LockedUntil, lock)
        .col_expr(user::Column::FailedLoginAt, Expr::val(Some(attempt.now)))
        .filter(user::Column::Id.eq(id))
        .filter(unlocked(locked, attempt.now))
        .exec_with_returning(db)
        .await?;
    Ok(Claim::of(
        counted.into_iter().next().map(|row| row.locked_until),
    ))
}

/// Counts an attempt on an identifier that names no account, exactly as for an account.
pub async fn claim_for_identifier(
    db: &impl ConnectionTrait,
    key: &str,
    attempt: Attempt,
) -> Result<Claim, DbErr> {
    let locked = (LoginAttempts, login_attempt::Column::LockedUntil);
    let counter = Counter {
        count: (LoginAttempts, login_attempt::Column::FailedCount),
        locked_until: locked,
        counted_at: (LoginAttempts, login_attempt::Column::UpdatedAt),
    };
    let (attempts, lock) = counted(counter, attempt);
    let first_lock = (1 >= attempt.threshold).then_some(attempt.lock_until);
    let first = login_attempt::ActiveModel {
        identifier_key: sea_orm::ActiveValue::Set(key.to_owned()),
        failed_count: sea_orm::ActiveValue::Set(1),
        locked_until: sea_orm::ActiveValue::Set(first_lock),
        updated_at: sea_orm::ActiveValue::Set(attempt.now),
    };
    let rows = LoginAttempts::insert(first)
        .on_conflict(
            OnConflict::column(login_attempt::Column::IdentifierKey)
                .value(login_attempt::Column::FailedCount, attempts)
                .value(login_attempt::Column::LockedUntil, lock)
                .value(login_attempt::Column::UpdatedAt, Expr::val(attempt.now))
                .action_and_where(unlocked(locked, attempt.now).into())
                .to_owned(),
        )
        .exec_with_returning_many(db)
        .await?;
    Ok(Claim::of(
        rows.into_iter().next().map(|row| row.locked_until),
    ))
}

/// Until when an account is locked, if it is.
pub async fn user_locked_until(
    db: &impl ConnectionTrait,
    id: UserId,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(Users::find_by_id(id)
        .select_only()
        .column(user::Column::LockedUntil)
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(db)
        .await?
        .flatten())
}

/// Until when an identifier without an account is locked, if it is.
pub async fn identifier_locked_until(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(LoginAttempts::find_by_id(key.to_owned())
        .one(db)
        .await?
        .and_then(|row| row.locked_until))
}

/// Forgets unknown identifiers that are neither locked nor tried since `before`. With
/// `before` at least the lockout's `forget_before`, this only frees storage: a count
/// that old would have started over anyway.
pub async fn forget_identifiers(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = LoginAttempts::delete_many()
        .filter(login_attempt::Column::UpdatedAt.lt(before))
        .filter(unlocked(
            (LoginAttempts, login_attempt::Column::LockedUntil),
            now,
        ))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Clears an account's lock and its failure count.
pub async fn unlock_user(db: &impl ConnectionTrait, id: UserId) -> Result<(), DbErr> {
    cleared(Users::update_many())
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// `update` also clears the lock and the failure count: for statements of other
/// modules that must do it atomically with their own change (a sign-in recorded).
pub(super) fn cleared(update: UpdateMany<Users>) -> UpdateMany<Users> {
    update
        .col_expr(user::Column::FailedLoginCount, Expr::val(0))
        .col_expr(
            user::Column::LockedUntil,
            Expr::val(Option::<DateTime<Utc>>::None),
        )
}

/// Gives back the attempt a right password counted when the sign-in goes on to a
/// second step: a right password is no failure, and the step that decides counts its
/// own. `set_the_lock` when that attempt was the one that locked the account: while a
/// lock holds no other attempt is counted, so lifting it undoes that attempt alone.
pub async fn refund_for_user(
    db: &impl ConnectionTrait,
    id: UserId,
    set_the_lock: bool,
) -> Result<(), DbErr> {
    let count = (Users, user::Column::FailedLoginCount);
    let less: Expr = Expr::case(Expr::col(count).gt(0), Expr::col(count).sub(1))
        .finally(Expr::val(0))
        .into();
    let mut refund = Users::update_many()
        .col_expr(user::Column::FailedLoginCount, less)
        .filter(user::Column::Id.eq(id));
    if set_the_lock {
        refund = refund
            .col_expr(
                user::Column::LockedUntil,
                Expr::val(Option::<DateTime<Utc>>::None),
            )
            .filter(user::Column::LockedUntil.is_not_null());
    }
    refund.exec(db).await?;
    Ok(())
}
