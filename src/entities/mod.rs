//! SeaORM entities: the tables as the database sees them, no logic.
pub mod login_attempt;
pub mod session;
pub mod user;
