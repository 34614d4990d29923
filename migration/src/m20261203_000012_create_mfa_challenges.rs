use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Sign-ins waiting for their second step: what `login` knew (device, rememberMe,
/// client), so the session `completeLogin` opens — on any replica — is the one the
/// login asked for.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MfaChallenges::Table)
                    .if_not_exists()
                    .col(pk_uuid(MfaChallenges::Id))
                    // SHA-256 of the opaque 256-bit mfaToken, for the look-up; the token
                    // itself is only ever in the client's hands.
                    .col(string_len_uniq(MfaChallenges::TokenHash, 64))
                    .col(uuid(MfaChallenges::UserId))
                    // The account's credential epoch when its password was checked: a
                    // password change before the second step makes the challenge useless.
                    .col(integer(MfaChallenges::CredentialEpoch))
                    .col(string_len_null(MfaChallenges::DeviceFingerprint, 255))
                    .col(boolean(MfaChallenges::RememberMe))
                    .col(string_len_null(MfaChallenges::IpAddress, 45))
                    .col(string_len_null(MfaChallenges::UserAgent, 512))
                    // Each code presented takes one, before it is checked; at 0 the token
                    // is dead.
                    .col(integer(MfaChallenges::AttemptsLeft))
                    .col(timestamp_with_time_zone(MfaChallenges::CreatedAt))
                    .col(timestamp_with_time_zone(MfaChallenges::ExpiresAt))
                    .col(timestamp_with_time_zone_null(MfaChallenges::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mfa_challenges_user")
                            .from(MfaChallenges::Table, MfaChallenges::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_mfa_challenges_expires_at")
                    .table(MfaChallenges::Table)
                    .col(MfaChallenges::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MfaChallenges::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MfaChallenges {
    Table,
    Id,
    TokenHash,
    UserId,
    CredentialEpoch,
    DeviceFingerprint,
    RememberMe,
    IpAddress,
    UserAgent,
    AttemptsLeft,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}
