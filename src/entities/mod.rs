//! SeaORM entities: the tables as the database sees them, no logic.
pub mod audit_chain;
pub mod login_attempt;
pub mod mail_outbox;
pub mod mfa_challenge;
pub mod one_time_token;
pub mod passkey;
pub mod passkey_challenge;
pub mod recovery_code;
pub mod security_event;
pub mod session;
pub mod signing_key;
pub mod totp_factor;
pub mod user;
