//! The authentication flows — sign-up, sign-in, refresh, sessions, account changes —
//! as plain Rust: no HTTP or GraphQL types, so they can be tested and reused alone.
mod account;
mod account_deletion;
mod audit;
mod background;
pub mod django_import;
mod email_change;
mod error;
mod introspection;
mod maintenance;
mod mfa;
mod new_password;
mod notices;
pub mod password;
mod password_check;
pub mod rate_limit;
mod recovery;
mod refresh;
pub(crate) mod sealing;
pub mod server_secret;
mod session_cache;
mod session_state;
mod sessions;
mod sign_in;
pub mod signing;
mod staff;
pub mod tokens;
mod trail_writer;

use std::{net::IpAddr, sync::Arc};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

pub use crate::store::second_factors::MfaStatus;
pub use account::{ChangePassword, NewAccount};
pub use audit::EventPage;
pub use error::{AuthError, MfaChallenge, SecondFactorRefusal};
pub use introspection::{Introspection, IntrospectionSecret};
pub use mfa::{
    CompleteLogin, FinishPasskey, PasskeyCeremonies, PasskeyChallenge, SecondFactorKeys,
    TotpEnrollment,
};
pub use recovery::ResetPassword;
pub use session_state::is_live as session_is_live;
pub use sign_in::{Credentials, SignedIn};
pub use staff::UserPage;

use crate::{
    config::{Lifetimes, LockoutSettings, MfaSettings, Settings},
    domain::{SecurityEventKind, SessionId, UserId},
};
use password::PasswordHasher;
use rate_limit::{Operation, RateLimiter, Scope};
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

impl Principal {
    /// The caller's user and the session an event concerns, for the security trail.
    fn about(&self, session: Option<SessionId>) -> audit::About {
        audit::About {
            user: Some(self.user_id),
            session,
            ..audit::About::default()
        }
    }
}

/// The rules the flows follow, from configuration.
#[derive(Debug, Clone)]
pub struct Policy {
    pub lifetimes: Lifetimes,
    pub lockout: LockoutSettings,
    pub mfa: MfaSettings,
    pub max_sessions_per_user: u64,
    pub require_verified_email: bool,
}

impl Policy {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            lifetimes: settings.lifetimes,
            lockout: settings.lockout,
            mfa: settings.mfa.clone(),
            max_sessions_per_user: settings.max_sessions_per_user.max(1),
            require_verified_email: settings.require_verified_email,
        }
    }
}

/// The entry point of every flow; cheap to clone.
#[derive(Clone)]
pub struct AuthService(Arc<Inner>);

/// What the flows are built from; `startup` assembles it from the settings.
pub struct AuthParts {
    pub db: DatabaseConnection,
    pub hasher: PasswordHasher,
    pub access_tokens: Arc<AccessTokens>,
    pub refresh_tokens: RefreshTokens,
    pub limiter: RateLimiter,
    pub one_time_tokens: OneTimeTokens,
    /// Seals TOTP secrets and keys recovery-code hashes.
    pub second_factors: SecondFactorKeys,
    /// `None` while passkeys are off.
    pub passkeys: Option<PasskeyCeremonies>,
    pub policy: Policy,
    pub geoip: Option<crate::geoip::GeoIp>,
}

struct Inner {
    db: DatabaseConnection,
    hasher: PasswordHasher,
    access_tokens: Arc<AccessTokens>,
    refresh_tokens: RefreshTokens,
    limiter: RateLimiter,
    one_time_tokens: OneTimeTokens,
    second_factors: SecondFactorKeys,
    passkeys: Option<PasskeyCeremonies>,
    policy: Policy,
    geoip: Option<crate::geoip::GeoIp>,
    /// Woken after a transaction that queued mail commits.
    mail_queued: Arc<Notify>,
    /// Recently checked sessions, for requests that only need to know who calls.
    sessions: session_cache::SessionCache,
    /// Appends the security events of every request, batched.
    trail: trail_writer::TrailWriter,
    /// Work started after answering; shutdown waits for it.
    background: background::Background,
}

impl AuthService {
    pub fn new(parts: AuthParts) -> Self {
        let sessions = session_cache::SessionCache::new(parts.policy.lifetimes.session_cache);
        let trail = trail_writer::TrailWriter::new(parts.db.clone());
        Self(Arc::new(Inner {
            trail,
            db: parts.db,
            hasher: parts.hasher,
            access_tokens: parts.access_tokens,
            refresh_tokens: parts.refresh_tokens,
            limiter: parts.limiter,
            one_time_tokens: parts.one_time_tokens,
            passkeys: parts.passkeys,
            second_factors: parts.second_factors,
            policy: parts.policy,
            geoip: parts.geoip,
            mail_queued: Arc::new(Notify::new()),
            sessions,
            background: background::Background::default(),
        }))
    }

    /// Waits for the work flows started after answering (shutdown calls it).
    pub async fn finish_background_work(&self) {
        self.0.background.finish().await;
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.0.db
    }

    /// Where a stored client address is; `None` without a geo-IP database, or for an
    /// address it does not know.
    pub fn locate(&self, ip: &str) -> Option<crate::geoip::Location> {
        self.0.geoip.as_ref()?.locate(ip.parse().ok()?)
    }

    /// The public signing keys as a JSON Web Key Set, serialized, with its `ETag`.
    pub fn published_keys(&self) -> Arc<tokens::PublishedKeys> {
        self.0.access_tokens.published_keys()
    }

    pub fn pool_stats(&self) -> Option<crate::store::PoolStats> {
        crate::store::pool_stats(&self.0.db)
    }

    fn policy(&self) -> &Policy {
        &self.0.policy
    }

    /// Counts this execution of `operation` against the client's IP and, where one
    /// applies, the target account. The IP comes first: a client it refuses is not
    /// counted against (nor tracked for) the accounts it tries.
    async fn rate_limit(
        &self,
        operation: Operation,
        client: &ClientInfo,
        account: Option<&str>,
    ) -> Result<(), AuthError> {
        let mut scopes = Vec::with_capacity(2);
        scopes.extend(client.ip.map(Scope::Ip));
        scopes.extend(account.map(Scope::Account));
        let Err(limited) = self.0.limiter.check(operation, &scopes).await else {
            return Ok(());
        };
        // One event per client IP and operation per minute, whatever identifiers it
        // tries, is enough to see a flood without letting the flood write the trail.
        if self.0.limiter.worth_recording(operation, client.ip) {
            let about = audit::About {
                detail: Some(serde_json::json!({ "operation": operation.name() })),
                ..audit::About::default()
            };
            self.record(SecurityEventKind::RateLimited, client, about)
                .await;
        }
        Err(AuthError::RateLimited {
            retry_after: limited.retry_after,
        })
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
