use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The hash the first event of the trail chains to.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SecurityEvents::Table)
                    .if_not_exists()
                    // Assigned from the chain head, in chain order, not by the database.
                    .col(big_integer(SecurityEvents::Id).primary_key())
                    .col(string_len(SecurityEvents::Kind, 40))
                    .col(uuid_null(SecurityEvents::UserId))
                    .col(uuid_null(SecurityEvents::SessionId))
                    .col(string_len_null(SecurityEvents::Identifier, 254))
                    .col(string_len_null(SecurityEvents::IpAddress, 45))
                    .col(string_len_null(SecurityEvents::UserAgent, 512))
                    .col(text(SecurityEvents::Detail))
                    .col(timestamp_with_time_zone(SecurityEvents::CreatedAt))
                    .col(string_len(SecurityEvents::PrevHash, 64))
                    .col(string_len(SecurityEvents::Hash, 64))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_security_events_user", SecurityEvents::UserId),
            ("idx_security_events_kind", SecurityEvents::Kind),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(SecurityEvents::Table)
                        .col(column)
                        .col(SecurityEvents::Id)
                        .to_owned(),
                )
                .await?;
        }
        // One row: the last event's id and hash, locked by every append so the chain
        // never forks; and the anchor that retention pruning leaves behind.
        manager
            .create_table(
                Table::create()
                    .table(AuditChain::Table)
                    .if_not_exists()
                    .col(integer(AuditChain::Id).primary_key())
                    .col(big_integer(AuditChain::LastId))
                    .col(string_len(AuditChain::LastHash, 64))
                    .col(big_integer(AuditChain::AnchorId))
                    .col(string_len(AuditChain::AnchorHash, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AuditChain::Table)
                    .columns([
                        AuditChain::Id,
                        AuditChain::LastId,
                        AuditChain::LastHash,
                        AuditChain::AnchorId,
                        AuditChain::AnchorHash,
                    ])
                    .values_panic([
                        1.into(),
                        0i64.into(),
                        GENESIS.into(),
                        0i64.into(),
                        GENESIS.into(),
                    ])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditChain::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SecurityEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SecurityEvents {
    Table,
    Id,
    Kind,
    UserId,
    SessionId,
    Identifier,
    IpAddress,
    UserAgent,
    Detail,
    CreatedAt,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditChain {
    Table,
    Id,
    LastId,
    LastHash,
    AnchorId,
    AnchorHash,
}
