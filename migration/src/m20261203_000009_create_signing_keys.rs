use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SigningKeys::Table)
                    .if_not_exists()
                    .col(string_len(SigningKeys::Kid, 64).primary_key())
                    // 1, 2, 3, …: two instances rotating at once both try the next
                    // number, and the unique index lets only one of them in.
                    .col(integer_uniq(SigningKeys::Generation))
                    .col(string_len(SigningKeys::Algorithm, 16))
                    // The public half as a JWK; none for HS256, whose key is secret.
                    .col(text_null(SigningKeys::PublicJwk))
                    // The private key, sealed (XChaCha20-Poly1305) with a key derived
                    // from JWT_SECRET: a dump of this table signs nothing.
                    .col(text(SigningKeys::SealedPrivateKey))
                    .col(timestamp_with_time_zone(SigningKeys::CreatedAt))
                    // Published from creation; signs from here until `signs_until`, set
                    // when the next generation is added (its `signs_from`).
                    .col(timestamp_with_time_zone(SigningKeys::SignsFrom))
                    .col(timestamp_with_time_zone_null(SigningKeys::SignsUntil))
                    // The longest access-token lifetime any instance declared: a key
                    // that stopped signing stays published that much longer.
                    .col(big_integer(SigningKeys::TokenLifetimeSecs))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SigningKeys::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Kid,
    Generation,
    Algorithm,
    PublicJwk,
    SealedPrivateKey,
    CreatedAt,
    SignsFrom,
    SignsUntil,
    TokenLifetimeSecs,
}
