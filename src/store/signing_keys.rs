//! The `signing_keys` table: a database key ring, oldest generation first.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, SqlErr, prelude::Expr,
};

use crate::entities::signing_key::{self, Entity as SigningKeys};

pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<signing_key::Model>, DbErr> {
    SigningKeys::find()
        .order_by_asc(signing_key::Column::Generation)
        .all(db)
        .await
}

/// Adds a key and ends its predecessor's signing when it starts; `false` when another
/// instance added this generation first. Run it in a transaction.
pub async fn insert_next(
    db: &impl ConnectionTrait,
    key: signing_key::Model,
) -> Result<bool, DbErr> {
    let (generation, signs_from) = (key.generation, key.signs_from);
    match key.into_active_model().insert(db).await {
        Ok(_) => {}
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Ok(false);
        }
        Err(err) => return Err(err),
    }
    SigningKeys::update_many()
        .col_expr(signing_key::Column::SignsUntil, Expr::value(signs_from))
        .filter(signing_key::Column::Generation.lt(generation))
        .filter(signing_key::Column::SignsUntil.is_null())
        .exec(db)
        .await?;
    Ok(true)
}

/// Raises every key's publication margin to at least `seconds`: the instance with the
/// longest-lived tokens decides how long a retired key stays published.
pub async fn raise_token_lifetime(db: &impl ConnectionTrait, seconds: i64) -> Result<(), DbErr> {
    SigningKeys::update_many()
        .col_expr(signing_key::Column::TokenLifetimeSecs, Expr::value(seconds))
        .filter(signing_key::Column::TokenLifetimeSecs.lt(seconds))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete(db: &impl ConnectionTrait, kids: Vec<String>) -> Result<u64, DbErr> {
    if kids.is_empty() {
        return Ok(0);
    }
    let deleted = SigningKeys::delete_many()
        .filter(signing_key::Column::Kid.is_in(kids))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}
