//! The transactional mail outbox: a message is queued in the same transaction as what
//! it announces, and delivered later by the worker in `crate::mail`. Several service
//! instances may run workers: a row is claimed with one conditional statement.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, prelude::Expr, sea_query::Condition,
    sea_query::ExprTrait,
};

use crate::{
    domain::{MailId, MailKind, TokenId, UserId},
    entities::mail_outbox::{self, Entity as Outbox},
};

pub struct NewMail {
    pub kind: MailKind,
    pub user_id: UserId,
    pub recipient: String,
    /// The token a link in the message carries.
    pub token_id: Option<TokenId>,
    /// What else the message says, as a JSON object (never a token).
    pub detail: Option<serde_json::Value>,
}

/// Queues a message, due at once.
pub async fn queue(
    db: &impl ConnectionTrait,
    new: NewMail,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    mail_outbox::ActiveModel {
        id: Set(MailId::new()),
        kind: Set(new.kind.as_str().to_owned()),
        user_id: Set(new.user_id),
        recipient: Set(new.recipient),
        token_id: Set(new.token_id),
        created_at: Set(now),
        next_attempt_at: Set(now),
        attempts: Set(0),
        locked_until: Set(None),
        sent_at: Set(None),
        failed_at: Set(None),
        last_error: Set(None),
        detail: Set(new.detail.map(|d| d.to_string())),
    }
    .insert(db)
    .await?;
    metrics::counter!("mail_total", "outcome" => "queued").increment(1);
    Ok(())
}

/// Unsent, unfailed, unclaimed messages whose time has come, oldest first.
fn claimable(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(mail_outbox::Column::SentAt.is_null())
        .add(mail_outbox::Column::FailedAt.is_null())
        .add(mail_outbox::Column::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(mail_outbox::Column::LockedUntil.is_null())
                .add(mail_outbox::Column::LockedUntil.lt(now)),
        )
}

pub async fn find_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<MailId>, DbErr> {
    let ids = Outbox::find()
        .select_only()
        .column(mail_outbox::Column::Id)
        .filter(claimable(now))
        .order_by_asc(mail_outbox::Column::NextAttemptAt)
        .limit(limit)
        .into_tuple::<MailId>()
        .all(db)
        .await?;
    Ok(ids)
}

/// Claims a due message until `lease_until` and counts the attempt, in one conditional
/// statement: of several workers only one gets the row. `None` when another won.
pub async fn claim(
    db: &impl ConnectionTrait,
    id: MailId,
    lease_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<mail_outbox::Model>, DbErr> {
    let result = Outbox::update_many()
        .col_expr(
            mail_outbox::Column::LockedUntil,
            Expr::val(Some(lease_until)),
        )
        .col_expr(
            mail_outbox::Column::Attempts,
            Expr::col(mail_outbox::Column::Attempts).add(1),
        )
        .filter(mail_outbox::Column::Id.eq(id))
        .filter(claimable(now))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Ok(None);
    }
    Outbox::find_by_id(id).one(db).await
}

pub async fn mark_sent(
    db: &impl ConnectionTrait,
    id: MailId,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    Outbox::update_many()
        .col_expr(mail_outbox::Column::SentAt, Expr::val(Some(now)))
        .col_expr(
            mail_outbox::Column::LockedUntil,
            Expr::val(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            mail_outbox::Column::LastError,
            Expr::val(Option::<String>::None),
        )
        .filter(mail_outbox::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// A failed attempt: try again at `next_attempt_at`.
pub async fn reschedule(
    db: &impl ConnectionTrait,
    id: MailId,
    next_attempt_at: DateTime<Utc>,
    error: &str,
) -> Result<(), DbErr> {
    release_after_failure(
        db,
        id,
        mail_outbox::Column::NextAttemptAt,
        next_attempt_at,
        error,
    )
    .await
}

/// The last attempt failed too, or the message cannot be sent at all: give up.
pub async fn mark_failed(
    db: &impl ConnectionTrait,
    id: MailId,
    now: DateTime<Utc>,
    error: &str,
) -> Result<(), DbErr> {
    release_after_failure(db, id, mail_outbox::Column::FailedAt, now, error).await
}

/// Unclaims a message whose attempt failed, noting the error and setting `column`
/// (when to try again, or when it was given up) to `at`.
async fn release_after_failure(
    db: &impl ConnectionTrait,
    id: MailId,
    column: mail_outbox::Column,
    at: DateTime<Utc>,
    error: &str,
) -> Result<(), DbErr> {
    Outbox::update_many()
        .col_expr(column, Expr::val(at))
        .col_expr(
            mail_outbox::Column::LockedUntil,
            Expr::val(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            mail_outbox::Column::LastError,
            Expr::val(Some(error.to_owned())),
        )
        .filter(mail_outbox::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
