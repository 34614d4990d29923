use sea_orm::entity::prelude::*;

use crate::domain::{SessionId, UserId};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "security_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub kind: String,
    pub user_id: Option<UserId>,
    pub session_id: Option<SessionId>,
    pub identifier: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub detail: String,
    pub created_at: DateTimeUtc,
    pub prev_hash: String,
    pub hash: String,
    /// Random, per event: makes `personal_digest` unguessable. Erased with the fields.
    pub personal_salt: Option<String>,
    /// SHA-256 of the salt, identifier, IP and user agent; what the chain covers of
    /// them. `None` for events from before erasable trails.
    pub personal_digest: Option<String>,
    /// When the client fields were erased (the account was deleted).
    pub erased_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
