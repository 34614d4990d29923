//! SeaORM entities: the tables as the database sees them, no logic.
pub mod session;
pub mod user;
