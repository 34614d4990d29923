use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, prelude::Expr, sea_query::Condition,
};

use crate::{
    domain::{AuthMethods, SessionId, UserId},
    entities::{
        session::{self, Entity as Sessions},
        user,
    },
};

/// Why a session ended; stored in `revoked_reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeReason {
    Logout,
    LogoutAll,
    RevokedByUser,
    RevokedByStaff,
    ReplacedBySameDevice,
    SessionLimit,
    PasswordChanged,
    PasswordReset,
    RefreshTokenReused,
    AccountDeactivated,
}

impl RevokeReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::LogoutAll => "logout_all",
            Self::RevokedByUser => "revoked_by_user",
            Self::RevokedByStaff => "revoked_by_staff",
            Self::ReplacedBySameDevice => "replaced_by_same_device",
            Self::SessionLimit => "session_limit",
            Self::PasswordChanged => "password_changed",
            Self::PasswordReset => "password_reset",
            Self::RefreshTokenReused => "refresh_token_reused",
            Self::AccountDeactivated => "account_deactivated",
        }
    }
}

pub struct NewSession {
    pub user_id: UserId,
    pub device_fingerprint: Option<String>,
    pub user_agent: Option<String>,
    pub ip_address: Option<String>,
    pub remember_me: bool,
    pub expires_at: DateTime<Utc>,
    pub max_expires_at: DateTime<Utc>,
    pub amr: AuthMethods,
}

pub async fn create(
    db: &impl ConnectionTrait,
    new: NewSession,
    now: DateTime<Utc>,
) -> Result<session::Model, DbErr> {
    session::ActiveModel {
        id: Set(SessionId::new()),
        user_id: Set(new.user_id),
        device_fingerprint: Set(new.device_fingerprint),
        user_agent: Set(new.user_agent),
        ip_address: Set(new.ip_address),
        remember_me: Set(new.remember_me),
        refresh_counter: Set(0),
        rotated_at: Set(None),
        created_at: Set(now),
        last_used_at: Set(now),
        expires_at: Set(new.expires_at),
        max_expires_at: Set(new.max_expires_at),
        revoked_at: Set(None),
        revoked_reason: Set(None),
        amr: Set(new.amr.as_str().to_owned()),
    }
    .insert(db)
    .await
}

pub async fn find(
    db: &impl ConnectionTrait,
    id: SessionId,
) -> Result<Option<session::Model>, DbErr> {
    Sessions::find_by_id(id).one(db).await
}

/// A session with its user, in one query: what every authenticated request checks.
pub async fn find_with_user(
    db: &impl ConnectionTrait,
    id: SessionId,
) -> Result<Option<(session::Model, user::Model)>, DbErr> {
    let found = Sessions::find_by_id(id)
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(session, user)| Some((session, user?))))
}

/// Active sessions of these users, most recently used first.
pub async fn active_for_users(
    db: &impl ConnectionTrait,
    user_ids: &[UserId],
    now: DateTime<Utc>,
) -> Result<Vec<session::Model>, DbErr> {
    Sessions::find()
        .filter(session::Column::UserId.is_in(user_ids.iter().map(UserId::as_uuid)))
        .filter(live_at(now))
        .order_by_desc(session::Column::LastUsedAt)
        .all(db)
        .await
}

/// A user's most recent sessions, ended ones included, newest first.
pub async fn recent_for_user(
    db: &impl ConnectionTrait,
    user_id: UserId,
    limit: u64,
) -> Result<Vec<session::Model>, DbErr> {
    Sessions::find()
        .filter(session::Column::UserId.eq(user_id))
        .order_by_desc(session::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await
}

/// Ends one session; `false` when it had already ended.
pub async fn revoke(
    db: &impl ConnectionTrait,
    id: SessionId,
    reason: RevokeReason,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = revoke_where(session::Column::Id.eq(id), reason, now)
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Ends every active session of a user, but `except` one; returns how many ended.
pub async fn revoke_all_for_user(
    db: &impl ConnectionTrait,
    user_id: UserId,
    except: Option<SessionId>,
    reason: RevokeReason,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut update =
        revoke_where(session::Column::UserId.eq(user_id), reason, now).filter(live_at(now));
    if let Some(keep) = except {
        update = update.filter(session::Column::Id.ne(keep));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Ends the active sessions a user has on this device.
pub async fn revoke_same_device(
    db: &impl ConnectionTrait,
    user_id: UserId,
    device_fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = revoke_where(
        session::Column::UserId.eq(user_id),
        RevokeReason::ReplacedBySameDevice,
        now,
    )
    .filter(session::Column::DeviceFingerprint.eq(device_fingerprint))
    .exec(db)
    .await?;
    Ok(result.rows_affected)
}

/// Ends the least recently used active sessions so that at most `keep` remain.
pub async fn trim_to(
    db: &impl ConnectionTrait,
    user_id: UserId,
    keep: u64,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let surplus: Vec<SessionId> = Sessions::find()
        .select_only()
        .column(session::Column::Id)
        .filter(session::Column::UserId.eq(user_id))
        .filter(live_at(now))
        .order_by_desc(session::Column::LastUsedAt)
        .order_by_desc(session::Column::Id)
        .into_tuple::<SessionId>()
        .all(db)
        .await?
        .into_iter()
        .skip(usize::try_from(keep).unwrap_or(usize::MAX))
        .collect();
    if surplus.is_empty() {
        return Ok(0);
    }
    let result = revoke_where(
        session::Column::Id.is_in(surplus),
        RevokeReason::SessionLimit,
        now,
    )
    .exec(db)
    .await?;
    Ok(result.rows_affected)
}

/// Moves a session's refresh counter from `from` to `from + 1`, sliding its expiry.
/// One conditional statement: of any number of concurrent callers presenting the same
/// token, exactly one sees `true`.
pub async fn rotate_refresh(
    db: &impl ConnectionTrait,
    id: SessionId,
    from: i64,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = Sessions::update_many()
        .col_expr(session::Column::RefreshCounter, Expr::val(from + 1))
        .col_expr(session::Column::RotatedAt, Expr::val(Some(now)))
        .col_expr(session::Column::LastUsedAt, Expr::val(now))
        .col_expr(session::Column::ExpiresAt, Expr::val(expires_at))
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::RefreshCounter.eq(from))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Sessions alive at `now`, in SQL: what `auth::session_state::is_live` says in Rust.
fn live_at(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(session::Column::RevokedAt.is_null())
        .add(session::Column::ExpiresAt.gt(now))
}

fn revoke_where(
    condition: sea_orm::sea_query::SimpleExpr,
    reason: RevokeReason,
    now: DateTime<Utc>,
) -> sea_orm::UpdateMany<Sessions> {
    Sessions::update_many()
        .col_expr(session::Column::RevokedAt, Expr::val(Some(now)))
        .col_expr(
            session::Column::RevokedReason,
            Expr::val(Some(reason.as_str())),
        )
        .filter(condition)
        .filter(session::Column::RevokedAt.is_null())
}
