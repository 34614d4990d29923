use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Deleting an account erases its personal data from the security trail and keeps the
/// chain verifiable: an event's client fields (identifier, IP, user agent) are chained
/// through a salted digest, so erasing them with their salt leaves the digest, which
/// no longer tells anything, to verify against. Events from before keep their old
/// chaining; erasing one of those leaves its stored hash to link the chain.
/// A deleted account keeps its row, emptied, so the trail's ids still name one row.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for column in [
            string_len_null(SecurityEvents::PersonalSalt, 32),
            string_len_null(SecurityEvents::PersonalDigest, 64),
            timestamp_with_time_zone_null(SecurityEvents::ErasedAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SecurityEvents::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(timestamp_with_time_zone_null(Users::DeletedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            SecurityEvents::PersonalSalt,
            SecurityEvents::PersonalDigest,
            SecurityEvents::ErasedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SecurityEvents::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::DeletedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum SecurityEvents {
    Table,
    PersonalSalt,
    PersonalDigest,
    ErasedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    DeletedAt,
}
