use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    prelude::Expr,
    sea_query::{Condition, ExprTrait, LikeExpr},
};
use uuid::{NoContext, Timestamp, Uuid};

use super::{StoreError, unique_violation};
use crate::{
    domain::{EmailAddress, Language, Timezone, TokenPurpose, UserId, Username},
    entities::user::{self, Entity as Users},
};

pub struct NewUser {
    pub username: Username,
    pub email: EmailAddress,
    pub password_hash: String,
    pub language: Language,
    pub timezone: Timezone,
    pub is_staff: bool,
}

/// An account carried over from another system, with its state and history.
pub struct ImportedUser {
    pub account: NewUser,
    pub email_verified: bool,
    pub phone_verified: bool,
    pub is_active: bool,
    pub email_notifications: bool,
    pub sms_notifications: bool,
    pub push_notifications: bool,
    pub date_joined: DateTime<Utc>,
    pub last_login: Option<DateTime<Utc>>,
}

pub async fn create(
    db: &impl ConnectionTrait,
    new: NewUser,
    now: DateTime<Utc>,
) -> Result<user::Model, StoreError> {
    new_row(UserId::new(), new, now)
        .insert(db)
        .await
        .map_err(unique_violation)
}

/// Inserts an imported account. Its id is time-ordered by `date_joined`, as a
/// registration's is by its moment, so listings stay newest first.
pub async fn create_imported(
    db: &impl ConnectionTrait,
    imported: ImportedUser,
) -> Result<user::Model, StoreError> {
    let joined = imported.date_joined;
    let id = match u64::try_from(joined.timestamp()) {
        Ok(seconds) => UserId::from(Uuid::new_v7(Timestamp::from_unix(
            NoContext,
            seconds,
            joined.timestamp_subsec_nanos(),
        ))),
        Err(_) => UserId::new(),
    };
    let mut row = new_row(id, imported.account, joined);
    row.email_verified = Set(imported.email_verified);
    row.phone_verified = Set(imported.phone_verified);
    row.is_active = Set(imported.is_active);
    row.email_notifications = Set(imported.email_notifications);
    row.sms_notifications = Set(imported.sms_notifications);
    row.push_notifications = Set(imported.push_notifications);
    row.last_login = Set(imported.last_login);
    row.insert(db).await.map_err(unique_violation)
}

fn new_row(id: UserId, new: NewUser, now: DateTime<Utc>) -> user::ActiveModel {
    user::ActiveModel {
        deleted_at: Set(None),
        id: Set(id),
        username: Set(new.username.as_str().to_owned()),
        username_key: Set(new.username.key()),
        email: Set(new.email.as_str().to_owned()),
        email_key: Set(new.email.key()),
        password_hash: Set(new.password_hash),
        email_verified: Set(false),
        phone_verified: Set(false),
        is_staff: Set(new.is_staff),
        is_active: Set(true),
        language: Set(new.language.code().to_owned()),
        timezone: Set(new.timezone.name().to_owned()),
        email_notifications: Set(true),
        sms_notifications: Set(false),
        push_notifications: Set(true),
        date_joined: Set(now),
        last_login: Set(None),
        last_login_ip: Set(None),
        password_changed_at: Set(None),
        failed_login_count: Set(0),
        locked_until: Set(None),
        credential_epoch: Set(0),
        failed_login_at: Set(None),
    }
}

pub async fn find(db: &impl ConnectionTrait, id: UserId) -> Result<Option<user::Model>, DbErr> {
    Users::find_by_id(id).one(db).await
}

pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: &[UserId],
) -> Result<Vec<user::Model>, DbErr> {
    Users::find()
        .filter(user::Column::Id.is_in(ids.iter().map(UserId::as_uuid)))
        .all(db)
        .await
}

/// Which of the two unique keys are already in use.
pub async fn taken_keys(
    db: &impl ConnectionTrait,
    username: &Username,
    email: &EmailAddress,
) -> Result<Option<StoreError>, DbErr> {
    let clash = Users::find()
        .filter(
            Condition::any()
                .add(user::Column::UsernameKey.eq(username.key()))
                .add(user::Column::EmailKey.eq(email.key())),
        )
        .one(db)
        .await?;
    Ok(clash.map(|u| {
        if u.username_key == username.key() {
            StoreError::UsernameTaken
        } else {
            StoreError::EmailTaken
        }
    }))
}

/// The account a sign-in key names: a username's or an email address's key.
pub async fn find_by_login(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<user::Model>, DbErr> {
    Users::find()
        .filter(
            Condition::any()
                .add(user::Column::UsernameKey.eq(key))
                .add(user::Column::EmailKey.eq(key)),
        )
        .one(db)
        .await
}

/// The account whose email has this look-up key (`EmailAddress::key_of`).
pub async fn find_by_email(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<user::Model>, DbErr> {
    Users::find()
        .filter(user::Column::EmailKey.eq(key))
        .one(db)
        .await
}

/// A successful sign-in: the failure count starts over.
/// Only while the account is still in `credential_epoch`, the one whose password was
/// checked: a sign-in with the old password that a change or reset overtook opens no
/// session. False when nothing was written.
pub async fn record_login(
    db: &impl ConnectionTrait,
    id: UserId,
    credential_epoch: i32,
    ip: Option<String>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = super::lockout::cleared(Users::update_many())
        .col_expr(user::Column::LastLogin, Expr::val(Some(now)))
        .col_expr(user::Column::LastLoginIp, Expr::val(ip))
        .filter(user::Column::Id.eq(id))
        .filter(user::Column::CredentialEpoch.eq(credential_epoch))
        // A deactivation or deletion that committed after the password check wins.
        .filter(user::Column::IsActive.eq(true))
        .filter(user::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Replaces the stored hash without touching `password_changed_at`: used when a
/// correct password's hash is upgraded to our parameters. Only while `previous` is
/// still stored, so a password changed meanwhile is not undone; false if it was.
pub async fn upgrade_password_hash(
    db: &impl ConnectionTrait,
    id: UserId,
    previous: &str,
    hash: String,
) -> Result<bool, DbErr> {
    let result = Users::update_many()
        .col_expr(user::Column::PasswordHash, Expr::val(hash))
        .filter(user::Column::Id.eq(id))
        .filter(user::Column::PasswordHash.eq(previous))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Turns the account on or off (staff); false when it was already so.
pub async fn set_active(
    db: &impl ConnectionTrait,
    id: UserId,
    active: bool,
) -> Result<bool, DbErr> {
    let result = Users::update_many()
        .col_expr(user::Column::IsActive, Expr::val(active))
        .filter(user::Column::Id.eq(id))
        .filter(user::Column::IsActive.eq(!active))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Takes the account's row lock for the rest of the caller's transaction (a write that
/// changes nothing), so that work on one account's rows — superseding a token and
/// issuing the next — runs one transaction at a time on every backend.
pub async fn lock(db: &impl ConnectionTrait, id: UserId) -> Result<(), DbErr> {
    Users::update_many()
        .col_expr(user::Column::Id, Expr::col(user::Column::Id))
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// One stored hash in a format other than ours (an imported Django hash), if any
/// account still has one.
pub async fn find_imported_hash(db: &impl ConnectionTrait) -> Result<Option<String>, DbErr> {
    Users::find()
        .select_only()
        .column(user::Column::PasswordHash)
        .filter(user::Column::PasswordHash.not_like("$argon2id$%"))
        .filter(user::Column::PasswordHash.not_like("!%"))
        .into_tuple::<String>()
        .one(db)
        .await
}

/// Which stored hash a new password may replace.
#[derive(Debug, Clone, Copy)]
pub enum Replacing<'a> {
    /// Whatever is stored: a reset proved control of the mailbox, not of the password.
    Any,
    /// Only this hash, the one just verified: a password changed meanwhile (a reset
    /// racing a `changePassword`) is never undone.
    Verified(&'a str),
}

/// Stores a new password hash and moves the credential epoch on, so every access token
/// issued before stops working, and voids a pending change of email address (asked for
/// with the old password, maybe by whoever the new one locks out). Returns the new
/// epoch, or `None` when `replacing` no longer matches (nothing was written).
pub async fn set_password(
    db: &impl ConnectionTrait,
    id: UserId,
    hash: String,
    replacing: Replacing<'_>,
    now: DateTime<Utc>,
) -> Result<Option<i32>, DbErr> {
    let mut update = Users::update_many()
        .col_expr(user::Column::PasswordHash, Expr::val(hash))
        .col_expr(user::Column::PasswordChangedAt, Expr::val(Some(now)))
        .col_expr(
            user::Column::CredentialEpoch,
            Expr::col(user::Column::CredentialEpoch).add(1),
        )
        .filter(user::Column::Id.eq(id));
    if let Replacing::Verified(previous) = replacing {
        update = update.filter(user::Column::PasswordHash.eq(previous));
    }
    let Some(row) = update.exec_with_returning(db).await?.into_iter().next() else {
        return Ok(None);
    };
    super::one_time_tokens::supersede(db, id, TokenPurpose::EmailChange, now).await?;
    Ok(Some(row.credential_epoch))
}

/// Moves the account to `email`, verified (the link that proves it was followed). The
/// unique index decides a race with a registration or another change: `EmailTaken`.
pub async fn change_email(
    db: &impl ConnectionTrait,
    id: UserId,
    email: &EmailAddress,
) -> Result<(), StoreError> {
    Users::update_many()
        .col_expr(user::Column::Email, Expr::val(email.as_str()))
        .col_expr(user::Column::EmailKey, Expr::val(email.key()))
        .col_expr(user::Column::EmailVerified, Expr::val(true))
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await
        .map_err(unique_violation)?;
    Ok(())
}

/// Whether another account holds `email` already.
pub async fn email_taken(db: &impl ConnectionTrait, email: &EmailAddress) -> Result<bool, DbErr> {
    Ok(Users::find()
        .filter(user::Column::EmailKey.eq(email.key()))
        .one(db)
        .await?
        .is_some())
}

pub async fn mark_email_verified(db: &impl ConnectionTrait, id: UserId) -> Result<(), DbErr> {
    Users::update_many()
        .col_expr(user::Column::EmailVerified, Expr::val(true))
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The preferences a person changed; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct PreferenceChanges {
    pub language: Option<Language>,
    pub timezone: Option<Timezone>,
    pub email_notifications: Option<bool>,
    pub sms_notifications: Option<bool>,
    pub push_notifications: Option<bool>,
}

pub async fn update_preferences(
    db: &impl ConnectionTrait,
    current: user::Model,
    changes: PreferenceChanges,
) -> Result<user::Model, DbErr> {
    let mut row: user::ActiveModel = current.into();
    if let Some(language) = changes.language {
        row.language = Set(language.code().to_owned());
    }
    if let Some(timezone) = changes.timezone {
        row.timezone = Set(timezone.name().to_owned());
    }
    if let Some(on) = changes.email_notifications {
        row.email_notifications = Set(on);
    }
    if let Some(on) = changes.sms_notifications {
        row.sms_notifications = Set(on);
    }
    if let Some(on) = changes.push_notifications {
        row.push_notifications = Set(on);
    }
    row.update(db).await
}

/// Accounts newest first (ids are time-ordered), strictly before `before`, whose
/// username or email contains `search` (case-insensitive), at most `limit`.
pub async fn page(
    db: &impl ConnectionTrait,
    search: Option<&str>,
    before: Option<UserId>,
    limit: u64,
) -> Result<Vec<user::Model>, DbErr> {
    let mut query = Users::find().order_by_desc(user::Column::Id);
    if let Some(search) = search.map(str::to_lowercase).filter(|s| !s.is_empty()) {
        // `%` and `_` typed by a person are letters, not wildcards.
        let escaped: String = search
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let pattern = || LikeExpr::new(format!("%{escaped}%")).escape('\\');
        query = query.filter(
            Condition::any()
                .add(user::Column::UsernameKey.like(pattern()))
                .add(user::Column::EmailKey.like(pattern())),
        );
    }
    if let Some(before) = before {
        query = query.filter(user::Column::Id.lt(before));
    }
    query.limit(limit).all(db).await
}
