use sea_orm::entity::prelude::*;

use crate::domain::UserId;

#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: UserId,
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
    /// Set when the owner deleted the account: the row is kept, emptied of personal
    /// data, so ids in the trail still name it; it never signs in again.
    pub deleted_at: Option<DateTimeUtc>,
}

/// Everything but the password hash, which no log line may carry.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("user::Model")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("username_key", &self.username_key)
            .field("email", &self.email)
            .field("email_key", &self.email_key)
            .field("password_hash", &"[redacted]")
            .field("email_verified", &self.email_verified)
            .field("phone_verified", &self.phone_verified)
            .field("is_staff", &self.is_staff)
            .field("is_active", &self.is_active)
            .field("language", &self.language)
            .field("timezone", &self.timezone)
            .field("email_notifications", &self.email_notifications)
            .field("sms_notifications", &self.sms_notifications)
            .field("push_notifications", &self.push_notifications)
            .field("date_joined", &self.date_joined)
            .field("last_login", &self.last_login)
            .field("last_login_ip", &self.last_login_ip)
            .field("password_changed_at", &self.password_changed_at)
            .field("failed_login_count", &self.failed_login_count)
            .field("locked_until", &self.locked_until)
            .field("credential_epoch", &self.credential_epoch)
            .field("failed_login_at", &self.failed_login_at)
            .finish()
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_debug_print_leaves_the_password_hash_out() {
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
        let now = chrono::Utc::now();
        let user = super::Model {
            id: crate::domain::UserId::from(uuid::Uuid::nil()),
            username: "amina".into(),
            username_key: "amina".into(),
            email: "amina@example.dz".into(),
            email_key: "amina@example.dz".into(),
            password_hash: hash.into(),
            email_verified: false,
            phone_verified: false,
            is_staff: false,
            is_active: true,
            language: "fr".into(),
            timezone: "Africa/Algiers".into(),
            email_notifications: true,
            sms_notifications: false,
            push_notifications: false,
            date_joined: now,
            last_login: None,
            last_login_ip: None,
            password_changed_at: None,
            failed_login_count: 0,
            locked_until: None,
            credential_epoch: 0,
            failed_login_at: None,
            deleted_at: None,
        };
        let printed = format!("{user:?}");
        assert!(
            printed.contains("amina") && !printed.contains("argon2"),
            "{printed}"
        );
    }
}
