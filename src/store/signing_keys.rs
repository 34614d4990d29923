//! The `signing_keys` table: a database key ring, oldest generation first.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, SqlErr,
};

use crate::entities::signing_key::{self, Entity as SigningKeys};

pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<signing_key::Model>, DbErr> {
    SigningKeys::find()
        .order_by_asc(signing_key::Column::Generation)
        .all(db)
        .await
}

/// Adds a key; `false` when another instance added this generation first.
pub async fn insert(db: &impl ConnectionTrait, key: signing_key::Model) -> Result<bool, DbErr> {
    match key.into_active_model().insert(db).await {
        Ok(_) => Ok(true),
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Ok(false)
        }
        Err(err) => Err(err),
    }
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
