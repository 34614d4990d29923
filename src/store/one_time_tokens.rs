//! Password-reset and email-verification tokens: only their hashes are stored, and a
//! token is used up by one conditional statement.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, prelude::Expr, sea_query::Query,
};

use crate::{
    domain::{TokenId, TokenPurpose, UserId},
    entities::{
        one_time_token::{self, Entity as Tokens},
        user::{self, Entity as Users},
    },
};

pub struct NewToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub purpose: TokenPurpose,
    pub nonce: String,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    /// For `TokenPurpose::EmailChange`: where the account moves.
    pub new_email: Option<String>,
}

pub async fn create(
    db: &impl ConnectionTrait,
    new: NewToken,
    now: DateTime<Utc>,
) -> Result<one_time_token::Model, DbErr> {
    one_time_token::ActiveModel {
        id: Set(new.id),
        user_id: Set(new.user_id),
        purpose: Set(new.purpose.as_str().to_owned()),
        nonce: Set(new.nonce),
        token_hash: Set(new.token_hash),
        created_at: Set(now),
        expires_at: Set(new.expires_at),
        used_at: Set(None),
        new_email: Set(new.new_email),
    }
    .insert(db)
    .await
}

pub async fn find(
    db: &impl ConnectionTrait,
    id: TokenId,
) -> Result<Option<one_time_token::Model>, DbErr> {
    Tokens::find_by_id(id).one(db).await
}

/// Retires the user's unused tokens of this purpose: asking again invalidates the
/// earlier token.
pub async fn supersede(
    db: &impl ConnectionTrait,
    user_id: UserId,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = Tokens::update_many()
        .col_expr(one_time_token::Column::UsedAt, Expr::val(Some(now)))
        .filter(one_time_token::Column::UserId.eq(user_id))
        .filter(one_time_token::Column::Purpose.eq(purpose.as_str()))
        .filter(one_time_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// The user of a token that is still usable: unused, unexpired, of this purpose.
/// Only a look-up; [`consume`] is what uses it up.
pub async fn find_live_with_user(
    db: &impl ConnectionTrait,
    token_hash: &str,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> Result<Option<(one_time_token::Model, user::Model)>, DbErr> {
    let found = Tokens::find()
        .filter(one_time_token::Column::TokenHash.eq(token_hash))
        .filter(one_time_token::Column::Purpose.eq(purpose.as_str()))
        .filter(one_time_token::Column::UsedAt.is_null())
        .filter(one_time_token::Column::ExpiresAt.gt(now))
        .find_also_related(Users)
        .one(db)
        .await?;
    Ok(found.and_then(|(token, user)| Some((token, user?))))
}

/// Uses a token up, in one conditional statement: of any number of concurrent callers
/// presenting the same token, exactly one sees `true`.
pub async fn consume(
    db: &impl ConnectionTrait,
    token_hash: &str,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = Tokens::update_many()
        .col_expr(one_time_token::Column::UsedAt, Expr::val(Some(now)))
        .filter(one_time_token::Column::TokenHash.eq(token_hash))
        .filter(one_time_token::Column::Purpose.eq(purpose.as_str()))
        .filter(one_time_token::Column::UsedAt.is_null())
        .filter(one_time_token::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Active users whose email is unverified and who hold no live verification token.
pub async fn users_awaiting_verification(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Vec<user::Model>, DbErr> {
    let holding_a_live_token = Query::select()
        .column(one_time_token::Column::UserId)
        .from(Tokens)
        .and_where(one_time_token::Column::Purpose.eq(TokenPurpose::EmailVerification.as_str()))
        .and_where(one_time_token::Column::UsedAt.is_null())
        .and_where(one_time_token::Column::ExpiresAt.gt(now))
        .to_owned();
    Users::find()
        .filter(user::Column::IsActive.eq(true))
        .filter(user::Column::EmailVerified.eq(false))
        .filter(user::Column::Id.not_in_subquery(holding_a_live_token))
        .all(db)
        .await
}
