use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .if_not_exists()
                    .col(pk_uuid(Sessions::Id))
                    .col(uuid(Sessions::UserId))
                    .col(string_len_null(Sessions::DeviceFingerprint, 255))
                    .col(string_len_null(Sessions::UserAgent, 512))
                    .col(string_len_null(Sessions::IpAddress, 45))
                    .col(boolean(Sessions::RememberMe))
                    // Refresh tokens are derived from (session id, counter) with a server
                    // secret, so only the counter is stored; `rotated_at` dates the last
                    // rotation for the reuse grace window.
                    .col(big_integer(Sessions::RefreshCounter).default(0))
                    .col(timestamp_with_time_zone_null(Sessions::RotatedAt))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::LastUsedAt))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .col(timestamp_with_time_zone(Sessions::MaxExpiresAt))
                    .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                    .col(string_len_null(Sessions::RevokedReason, 32))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sessions_user")
                            .from(Sessions::Table, Sessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_user_active")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .col(Sessions::RevokedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Sessions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    DeviceFingerprint,
    UserAgent,
    IpAddress,
    RememberMe,
    RefreshCounter,
    RotatedAt,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    MaxExpiresAt,
    RevokedAt,
    RevokedReason,
}
