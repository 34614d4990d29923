use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kid: String,
    pub generation: i32,
    pub algorithm: String,
    pub public_jwk: Option<String>,
    pub sealed_private_key: String,
    pub created_at: DateTimeUtc,
    pub signs_from: DateTimeUtc,
    pub signs_until: Option<DateTimeUtc>,
    pub token_lifetime_secs: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
