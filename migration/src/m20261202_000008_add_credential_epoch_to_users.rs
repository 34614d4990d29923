use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `credential_epoch` counts password changes: an access token carries the epoch it was
/// issued in and dies when the account's epoch moves on, on every replica and whatever
/// the clocks say. `failed_login_at` lets an account's failure count age exactly as an
/// unknown identifier's does (`login_attempts.updated_at`).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(integer(Users::CredentialEpoch).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(timestamp_with_time_zone_null(Users::FailedLoginAt))
                    .to_owned(),
            )
            .await?;
        // Tokens issued before this migration carry no epoch (read as 0). For accounts
        // whose password changed, some of them predate the change: start those accounts
        // at 1, so such tokens die (their holders refresh) instead of coming back.
        manager
            .exec_stmt(
                Query::update()
                    .table(Users::Table)
                    .value(Users::CredentialEpoch, 1)
                    .and_where(Expr::col(Users::PasswordChangedAt).is_not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Users::FailedLoginAt, Users::CredentialEpoch] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    CredentialEpoch,
    FailedLoginAt,
    PasswordChangedAt,
}
