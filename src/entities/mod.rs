//! SeaORM entities: the tables as the database sees them, no logic.
pub mod mail_outbox;
pub mod one_time_token;
pub mod session;
pub mod user;
