use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Passkeys (WebAuthn credentials) and the ceremonies under way: a challenge is kept
/// server-side, so whichever replica receives the browser's answer can finish it, once.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Passkeys::Table)
                    .if_not_exists()
                    .col(pk_uuid(Passkeys::Id))
                    .col(uuid(Passkeys::UserId))
                    // SHA-256 (hex) of the authenticator's credential id, up to 1023 bytes
                    // itself: unique across every account, so one credential can never sign
                    // in to two, and short enough for any backend's unique index.
                    .col(string_len_uniq(Passkeys::CredentialHash, 64))
                    // The verified credential (public key, flags, counter) as the WebAuthn
                    // library serialises it. Public material: nothing here signs.
                    .col(text(Passkeys::Credential))
                    // The signature counter, apart, so raising it is one conditional
                    // statement: a counter that goes back shows a cloned authenticator.
                    .col(big_integer(Passkeys::SignCount))
                    .col(string_len_null(Passkeys::Name, 120))
                    .col(timestamp_with_time_zone(Passkeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(Passkeys::LastUsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_passkeys_user")
                            .from(Passkeys::Table, Passkeys::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_passkeys_user_id")
                    .table(Passkeys::Table)
                    .col(Passkeys::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PasskeyChallenges::Table)
                    .if_not_exists()
                    // The challengeId the client echoes: random (v4), not a sequence.
                    .col(pk_uuid(PasskeyChallenges::Id))
                    // `registration` or `sign_in`.
                    .col(string_len(PasskeyChallenges::Ceremony, 16))
                    // Registration: the account adding a key. Sign-in: the account named
                    // by username, when there was one.
                    .col(uuid_null(PasskeyChallenges::UserId))
                    // The library's ceremony state (the challenge, the policy).
                    .col(text(PasskeyChallenges::State))
                    .col(timestamp_with_time_zone(PasskeyChallenges::CreatedAt))
                    .col(timestamp_with_time_zone(PasskeyChallenges::ExpiresAt))
                    .col(timestamp_with_time_zone_null(PasskeyChallenges::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_passkey_challenges_user")
                            .from(PasskeyChallenges::Table, PasskeyChallenges::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_passkey_challenges_expires_at")
                    .table(PasskeyChallenges::Table)
                    .col(PasskeyChallenges::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PasskeyChallenges::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Passkeys::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Passkeys {
    Table,
    Id,
    UserId,
    CredentialHash,
    Credential,
    SignCount,
    Name,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum PasskeyChallenges {
    Table,
    Id,
    Ceremony,
    UserId,
    State,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}
