use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub username: String,
    #[sea_orm(unique)]
    pub username_key: String,
    pub email: String,
    #[sea_orm(unique)]
    pub email_key: String,
    pub password_hash: String,
    pub email_verified: bool,
    pub phone_verified: bool,
    pub is_staff: bool,
    pub is_active: bool,
    pub language: String,
    pub timezone: String,
    pub email_notifications: bool,
    pub sms_notifications: bool,
    pub push_notifications: bool,
    pub date_joined: DateTimeUtc,
    pub last_login: Option<DateTimeUtc>,
    pub last_login_ip: Option<String>,
    pub password_changed_at: Option<DateTimeUtc>,
    pub failed_login_count: i32,
    pub locked_until: Option<DateTimeUtc>,
    /// Moves on with every password change; access tokens of an earlier epoch are dead.
    pub credential_epoch: i32,
    /// When `failed_login_count` last grew; older counts start over.
    pub failed_login_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::session::Entity")]
    Session,
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
