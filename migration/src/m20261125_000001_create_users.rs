use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(pk_uuid(Users::Id))
                    .col(string_len(Users::Username, 150))
                    // Lower-cased copies carry the unique indexes, so uniqueness is
                    // case-insensitive on every backend without collation tricks.
                    .col(string_len_uniq(Users::UsernameKey, 150))
                    .col(string_len(Users::Email, 254))
                    .col(string_len_uniq(Users::EmailKey, 254))
                    .col(string(Users::PasswordHash))
                    .col(boolean(Users::EmailVerified).default(false))
                    .col(boolean(Users::PhoneVerified).default(false))
                    .col(boolean(Users::IsStaff).default(false))
                    .col(boolean(Users::IsActive).default(true))
                    .col(string_len(Users::Language, 16))
                    .col(string_len(Users::Timezone, 64))
                    .col(boolean(Users::EmailNotifications).default(true))
                    .col(boolean(Users::SmsNotifications).default(false))
                    .col(boolean(Users::PushNotifications).default(true))
                    .col(timestamp_with_time_zone(Users::DateJoined))
                    .col(timestamp_with_time_zone_null(Users::LastLogin))
                    .col(string_len_null(Users::LastLoginIp, 45))
                    .col(timestamp_with_time_zone_null(Users::PasswordChangedAt))
                    .col(integer(Users::FailedLoginCount).default(0))
                    .col(timestamp_with_time_zone_null(Users::LockedUntil))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    Username,
    UsernameKey,
    Email,
    EmailKey,
    PasswordHash,
    EmailVerified,
    PhoneVerified,
    IsStaff,
    IsActive,
    Language,
    Timezone,
    EmailNotifications,
    SmsNotifications,
    PushNotifications,
    DateJoined,
    LastLogin,
    LastLoginIp,
    PasswordChangedAt,
    FailedLoginCount,
    LockedUntil,
}
