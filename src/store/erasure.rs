//! What deleting an account removes, in one place: every row that holds its personal
//! data goes, its own row is emptied (kept so the trail's ids still name one), and the
//! trail keeps its events without their client fields.
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, prelude::Expr,
    sea_query::ExprTrait,
};

use crate::{
    domain::UserId,
    entities::{
        mail_outbox, mfa_challenge, one_time_token, passkey, passkey_challenge, recovery_code,
        session, totp_factor, user,
    },
};

/// Empties the account in the caller's transaction. Its username and address are free
/// for anyone to register again at once.
pub async fn erase_account(
    db: &impl ConnectionTrait,
    id: UserId,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(id))
        .exec(db)
        .await?;
    one_time_token::Entity::delete_many()
        .filter(one_time_token::Column::UserId.eq(id))
        .exec(db)
        .await?;
    mfa_challenge::Entity::delete_many()
        .filter(mfa_challenge::Column::UserId.eq(id))
        .exec(db)
        .await?;
    passkey_challenge::Entity::delete_many()
        .filter(passkey_challenge::Column::UserId.eq(id))
        .exec(db)
        .await?;
    passkey::Entity::delete_many()
        .filter(passkey::Column::UserId.eq(id))
        .exec(db)
        .await?;
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(id))
        .exec(db)
        .await?;
    totp_factor::Entity::delete_many()
        .filter(totp_factor::Column::UserId.eq(id))
        .exec(db)
        .await?;
    // Mail not sent yet would carry the address and its links.
    mail_outbox::Entity::delete_many()
        .filter(mail_outbox::Column::UserId.eq(id))
        .exec(db)
        .await?;
    let placeholder = format!("deleted-{id}");
    user::Entity::update_many()
        .col_expr(user::Column::Username, Expr::val(placeholder.clone()))
        .col_expr(user::Column::UsernameKey, Expr::val(placeholder.clone()))
        .col_expr(
            user::Column::Email,
            Expr::val(format!("{placeholder}@deleted.invalid")),
        )
        .col_expr(
            user::Column::EmailKey,
            Expr::val(format!("{placeholder}@deleted.invalid")),
        )
        // No hash of any scheme starts with "!": nothing verifies against it.
        .col_expr(user::Column::PasswordHash, Expr::val("!deleted"))
        .col_expr(user::Column::EmailVerified, Expr::val(false))
        .col_expr(user::Column::PhoneVerified, Expr::val(false))
        .col_expr(user::Column::IsActive, Expr::val(false))
        .col_expr(user::Column::IsStaff, Expr::val(false))
        .col_expr(
            user::Column::LastLogin,
            Expr::val(Option::<DateTime<Utc>>::None),
        )
        .col_expr(user::Column::LastLoginIp, Expr::val(Option::<String>::None))
        .col_expr(
            user::Column::CredentialEpoch,
            Expr::col(user::Column::CredentialEpoch).add(1),
        )
        .col_expr(user::Column::DeletedAt, Expr::val(Some(now)))
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    super::events::erase_client_fields(db, id, now).await?;
    Ok(())
}
