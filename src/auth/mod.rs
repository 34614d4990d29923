//! The authentication flows — sign-up, sign-in, refresh, sessions, account changes —
//! as plain Rust: no HTTP or GraphQL types, so they can be tested and reused alone.
mod account;
mod error;
pub mod keys;
pub mod password;
mod recovery;
mod sessions;
mod sign_in;
pub mod tokens;

use std::{net::IpAddr, sync::Arc};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

pub use account::{ChangePassword, NewAccount};
pub use error::AuthError;
pub use recovery::ResetPassword;
pub use sign_in::{Credentials, SignedIn};

use crate::{
    config::{Lifetimes, LockoutSettings, Settings},
    domain::{SessionId, UserId},
};
use password::PasswordHasher;
use tokens::{AccessTokens, OneTimeTokens, RefreshTokens};

/// Who is asking, as far as the transport can tell.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// From the `Device-Fingerprint` header; an input's own field wins over it.
    pub device_fingerprint: Option<String>,
}

/// The caller behind a valid access token whose session is still alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub is_staff: bool,
    pub email_verified: bool,
}

/// The rules the flows follow, from configuration.
#[derive(Debug, Clone)]
pub struct Policy {
    pub lifetimes: Lifetimes,
    pub lockout: LockoutSettings,
    pub max_sessions_per_user: u64,
    pub require_verified_email: bool,
}

impl Policy {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            lifetimes: settings.lifetimes,
            lockout: settings.lockout,
            max_sessions_per_user: settings.max_sessions_per_user.max(1),
            require_verified_email: settings.require_verified_email,
        }
    }
}

/// The entry point of every flow; cheap to clone.
#[derive(Clone)]
pub struct AuthService(Arc<Inner>);

struct Inner {
    db: DatabaseConnection,
    hasher: PasswordHasher,
    access_tokens: AccessTokens,
    refresh_tokens: RefreshTokens,
    one_time_tokens: OneTimeTokens,
    policy: Policy,
    /// Woken after a transaction that queued mail commits.
    mail_queued: Arc<Notify>,
}

impl AuthService {
    pub fn new(
        db: DatabaseConnection,
        hasher: PasswordHasher,
        access_tokens: AccessTokens,
        refresh_tokens: RefreshTokens,
        one_time_tokens: OneTimeTokens,
        policy: Policy,
    ) -> Self {
        Self(Arc::new(Inner {
            db,
            hasher,
            access_tokens,
            refresh_tokens,
            one_time_tokens,
            policy,
            mail_queued: Arc::new(Notify::new()),
        }))
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.0.db
    }

    fn policy(&self) -> &Policy {
        &self.0.policy
    }

    /// Whether fields marked for it need a verified email (`REQUIRE_VERIFIED_EMAIL`).
    pub fn requires_verified_email(&self) -> bool {
        self.0.policy.require_verified_email
    }

    /// Notified whenever a flow has queued mail, so the outbox worker need not wait
    /// for its next poll.
    pub fn mail_queued(&self) -> Arc<Notify> {
        self.0.mail_queued.clone()
    }

    /// Call after the commit: a worker woken earlier would not see the row yet.
    fn wake_mail_worker(&self) {
        self.0.mail_queued.notify_one();
    }
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

fn to_chrono(d: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}
