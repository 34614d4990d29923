//! Database migrations, applied in order at start-up and by `graphql-auth migrate`.
//! One change per file; each has `up` and `down`. No seed data: accounts are created
//! through the API or `graphql-auth create-user`.
pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_users;
mod m20261125_000002_create_sessions;
mod m20261125_000003_create_one_time_tokens;
mod m20261125_000004_create_mail_outbox;
mod m20261125_000005_create_login_attempts;
mod m20261125_000006_create_security_events;
mod m20261125_000007_add_detail_to_mail_outbox;
mod m20261202_000008_add_credential_epoch_to_users;
mod m20261203_000009_create_signing_keys;
mod m20261203_000010_create_totp_factors;
mod m20261203_000011_create_recovery_codes;
mod m20261203_000012_create_mfa_challenges;
mod m20261203_000013_add_amr_to_sessions;
mod m20261203_000014_create_passkeys;
mod m20261203_000015_add_new_email_to_one_time_tokens;
mod m20261203_000016_erasable_trail_and_deleted_accounts;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_users::Migration),
            Box::new(m20261125_000002_create_sessions::Migration),
            Box::new(m20261125_000003_create_one_time_tokens::Migration),
            Box::new(m20261125_000004_create_mail_outbox::Migration),
            Box::new(m20261125_000005_create_login_attempts::Migration),
            Box::new(m20261125_000006_create_security_events::Migration),
            Box::new(m20261125_000007_add_detail_to_mail_outbox::Migration),
            Box::new(m20261202_000008_add_credential_epoch_to_users::Migration),
            Box::new(m20261203_000009_create_signing_keys::Migration),
            Box::new(m20261203_000010_create_totp_factors::Migration),
            Box::new(m20261203_000011_create_recovery_codes::Migration),
            Box::new(m20261203_000012_create_mfa_challenges::Migration),
            Box::new(m20261203_000013_add_amr_to_sessions::Migration),
            Box::new(m20261203_000014_create_passkeys::Migration),
            Box::new(m20261203_000015_add_new_email_to_one_time_tokens::Migration),
            Box::new(m20261203_000016_erasable_trail_and_deleted_accounts::Migration),
        ]
    }
}
