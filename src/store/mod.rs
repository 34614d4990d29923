//! Database queries. Constraint violations become domain errors here, so nothing
//! above this module ever looks at a `DbErr`.
pub mod erasure;
pub mod events;
pub mod lockout;
pub mod mfa_challenges;
pub mod one_time_tokens;
pub mod outbox;
pub mod passkeys;
pub mod second_factors;
pub mod sessions;
pub mod signing_keys;
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

/// How full the connection pool is.
#[derive(Debug, Clone, Copy)]
pub struct PoolStats {
    pub size: u32,
    pub idle: usize,
}

pub fn pool_stats(db: &sea_orm::DatabaseConnection) -> Option<PoolStats> {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            Some(PoolStats {
                size: pool.size(),
                idle: pool.num_idle(),
            })
        }
        sea_orm::DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            Some(PoolStats {
                size: pool.size(),
                idle: pool.num_idle(),
            })
        }
        _ => None,
    }
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
