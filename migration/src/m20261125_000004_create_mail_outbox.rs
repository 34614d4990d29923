use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    m20261125_000001_create_users::Users, m20261125_000003_create_one_time_tokens::OneTimeTokens,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MailOutbox::Table)
                    .if_not_exists()
                    .col(pk_uuid(MailOutbox::Id))
                    // Which message; it is rendered when sent, in the user's language.
                    // A row never holds a token: the worker derives it from `token_id`.
                    .col(string_len(MailOutbox::Kind, 32))
                    .col(uuid(MailOutbox::UserId))
                    .col(string_len(MailOutbox::Recipient, 254))
                    .col(uuid_null(MailOutbox::TokenId))
                    .col(timestamp_with_time_zone(MailOutbox::CreatedAt))
                    .col(timestamp_with_time_zone(MailOutbox::NextAttemptAt))
                    .col(integer(MailOutbox::Attempts).default(0))
                    // A worker's claim; another instance may take the row once it passes.
                    .col(timestamp_with_time_zone_null(MailOutbox::LockedUntil))
                    .col(timestamp_with_time_zone_null(MailOutbox::SentAt))
                    .col(timestamp_with_time_zone_null(MailOutbox::FailedAt))
                    .col(string_len_null(MailOutbox::LastError, 255))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mail_outbox_user")
                            .from(MailOutbox::Table, MailOutbox::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mail_outbox_token")
                            .from(MailOutbox::Table, MailOutbox::TokenId)
                            .to(OneTimeTokens::Table, OneTimeTokens::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mail_outbox_due")
                    .table(MailOutbox::Table)
                    .col(MailOutbox::SentAt)
                    .col(MailOutbox::FailedAt)
                    .col(MailOutbox::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MailOutbox::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    Id,
    Kind,
    UserId,
    Recipient,
    TokenId,
    CreatedAt,
    NextAttemptAt,
    Attempts,
    LockedUntil,
    SentAt,
    FailedAt,
    LastError,
}
