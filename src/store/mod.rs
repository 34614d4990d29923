//! Database queries. Constraint violations become domain errors here, so nothing
//! above this module ever looks at a `DbErr`.
pub mod one_time_tokens;
pub mod outbox;
pub mod sessions;
pub mod users;

use sea_orm::{DbErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("username already taken")]
    UsernameTaken,
    #[error("email already taken")]
    EmailTaken,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Names the unique key a failed insert collided with, by the constraint's column.
fn unique_violation(err: DbErr) -> StoreError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) if detail.contains("username_key") => {
            StoreError::UsernameTaken
        }
        Some(SqlErr::UniqueConstraintViolation(detail)) if detail.contains("email_key") => {
            StoreError::EmailTaken
        }
        _ => StoreError::Db(err),
    }
}
