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
                    .table(OneTimeTokens::Table)
                    .if_not_exists()
                    .col(pk_uuid(OneTimeTokens::Id))
                    .col(uuid(OneTimeTokens::UserId))
                    // "password_reset" or "email_verification".
                    .col(string_len(OneTimeTokens::Purpose, 32))
                    // The token is an HMAC of (purpose, id, nonce) under a key derived from
                    // the server secret; only its SHA-256 is stored for the look-up, so the
                    // rows alone replay nothing.
                    .col(string_len(OneTimeTokens::Nonce, 32))
                    .col(string_len_uniq(OneTimeTokens::TokenHash, 64))
                    .col(timestamp_with_time_zone(OneTimeTokens::CreatedAt))
                    .col(timestamp_with_time_zone(OneTimeTokens::ExpiresAt))
                    // Set when the token is used, or superseded by a newer one of its kind.
                    .col(timestamp_with_time_zone_null(OneTimeTokens::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_one_time_tokens_user")
                            .from(OneTimeTokens::Table, OneTimeTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_one_time_tokens_user_purpose")
                    .table(OneTimeTokens::Table)
                    .col(OneTimeTokens::UserId)
                    .col(OneTimeTokens::Purpose)
                    .col(OneTimeTokens::UsedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OneTimeTokens::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum OneTimeTokens {
    Table,
    Id,
    UserId,
    Purpose,
    Nonce,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}
