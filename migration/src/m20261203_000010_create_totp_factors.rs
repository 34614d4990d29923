use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One authenticator app per account. The row exists from `startTotpEnrollment` on and
/// is active only once `confirmed_at` is set; a new enrolment replaces an unconfirmed
/// row, never a confirmed one.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TotpFactors::Table)
                    .if_not_exists()
                    .col(pk_uuid(TotpFactors::UserId))
                    // The shared secret, sealed (XChaCha20-Poly1305) with a key derived
                    // from JWT_SECRET and bound to the user id: a dump of this table
                    // computes no code.
                    .col(text(TotpFactors::SealedSecret))
                    .col(timestamp_with_time_zone(TotpFactors::CreatedAt))
                    .col(timestamp_with_time_zone_null(TotpFactors::ConfirmedAt))
                    // The last 30-second step whose code was accepted: a code is claimed
                    // by one conditional UPDATE that only a later step passes, so no code
                    // works twice, on any replica.
                    .col(big_integer_null(TotpFactors::LastUsedStep))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_totp_factors_user")
                            .from(TotpFactors::Table, TotpFactors::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TotpFactors::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum TotpFactors {
    Table,
    UserId,
    SealedSecret,
    CreatedAt,
    ConfirmedAt,
    LastUsedStep,
}
