//! Sessions this instance checked moments ago, so a burst of requests carrying one
//! access token costs one database look-up instead of one each.
//!
//! An entry lives at most `ttl` (500 ms by default): a change made through another
//! replica — a revocation, a logout, a password change — is seen within that. A change
//! made through this instance is seen at once: the security event it records empties
//! the cache, and an entry read before that can no longer be stored.
use std::{
    collections::HashMap,
    sync::{
        Mutex, MutexGuard, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use super::session_state::SessionState;
use crate::domain::{SecurityEventKind, SessionId};

/// Beyond this many entries, expired ones are dropped (and all, if none had expired).
const MAX_ENTRIES: usize = 10_000;

pub struct SessionCache {
    ttl: Duration,
    /// Bumped by every invalidation; a look-up stores its result only if unchanged.
    generation: AtomicU64,
    entries: Mutex<HashMap<SessionId, (Instant, SessionState)>>,
}

/// A look-up in progress: remembers the generation it started in.
pub struct Ticket(u64);

impl SessionCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// A fresh entry, or a ticket to store what the database says.
    #[cfg(test)]
    pub fn get(&self, id: SessionId) -> Result<SessionState, Ticket> {
        self.get_at_epoch(id, i32::MIN)
    }

    /// A fresh entry that has seen at least `credential_epoch`: a token from a newer
    /// epoch than the entry knows was issued after a password change made through
    /// another replica, and must work at once, so the database is asked again.
    pub fn get_at_epoch(
        &self,
        id: SessionId,
        credential_epoch: i32,
    ) -> Result<SessionState, Ticket> {
        let ticket = Ticket(self.generation.load(Ordering::Acquire));
        match self.entries().get(&id) {
            Some((stored, state))
                if stored.elapsed() < self.ttl && state.credential_epoch >= credential_epoch =>
            {
                Ok(*state)
            }
            _ => Err(ticket),
        }
    }

    pub fn put(&self, ticket: Ticket, id: SessionId, state: SessionState) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries();
        // Checked under the lock that `invalidate` also takes: nothing read before an
        // invalidation is stored after it.
        if self.generation.load(Ordering::Acquire) != ticket.0 {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            entries.retain(|_, (stored, _)| stored.elapsed() < ttl);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(id, (Instant::now(), state));
    }

    /// Called for every security event this instance records.
    pub fn saw(&self, kind: SecurityEventKind) {
        if changes_sessions(kind) {
            let mut entries = self.entries();
            self.generation.fetch_add(1, Ordering::AcqRel);
            entries.clear();
        }
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<SessionId, (Instant, SessionState)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Events whose change can end a session or alter what its principal may do.
fn changes_sessions(kind: SecurityEventKind) -> bool {
    use SecurityEventKind as K;
    match kind {
        // A sign-in may replace the device's earlier session or end the least recently
        // used one; the rest end sessions or change the user's standing.
        K::LoginSucceeded
        | K::RefreshTokenReused
        | K::SessionRevoked
        | K::LoggedOut
        | K::LoggedOutAll
        | K::PasswordResetCompleted
        | K::PasswordChanged
        | K::EmailVerified
        | K::EmailChanged
        | K::AccountDeactivated
        | K::AccountReactivated
        | K::AccountDeleted => true,
        K::Registered
        | K::LoginFailed
        | K::AccountLocked
        | K::AccountUnlocked
        | K::TokenRefreshed
        | K::PasswordResetRequested
        | K::EmailVerificationSent
        | K::RateLimited
        | K::MfaEnabled
        | K::MfaDisabled
        | K::MfaFailed
        | K::RecoveryCodeUsed
        | K::PasskeyAdded
        | K::PasskeyRemoved => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserId;
    use chrono::Utc;

    fn state() -> SessionState {
        let now = Utc::now();
        SessionState {
            user_id: UserId::from(uuid::Uuid::new_v4()),
            revoked: false,
            expires_at: now,
            user_active: true,
            credential_epoch: 0,
            is_staff: false,
            email_verified: false,
        }
    }

    #[test]
    fn an_entry_serves_until_its_ttl_or_a_session_event() {
        let cache = SessionCache::new(Duration::from_secs(60));
        let id = SessionId::from(uuid::Uuid::new_v4());
        let Err(ticket) = cache.get(id) else {
            panic!("empty cache")
        };
        cache.put(ticket, id, state());
        assert!(cache.get(id).is_ok());
        cache.saw(SecurityEventKind::TokenRefreshed);
        assert!(cache.get(id).is_ok());
        cache.saw(SecurityEventKind::LoggedOut);
        assert!(cache.get(id).is_err());

        let short = SessionCache::new(Duration::from_millis(20));
        let Err(ticket) = short.get(id) else {
            panic!("empty cache")
        };
        short.put(ticket, id, state());
        std::thread::sleep(Duration::from_millis(30));
        assert!(short.get(id).is_err());
    }

    #[test]
    fn a_read_that_straddles_a_revocation_is_not_stored() {
        let cache = SessionCache::new(Duration::from_secs(60));
        let id = SessionId::from(uuid::Uuid::new_v4());
        let Err(ticket) = cache.get(id) else {
            panic!("empty cache")
        };
        cache.saw(SecurityEventKind::SessionRevoked);
        cache.put(ticket, id, state());
        assert!(cache.get(id).is_err());
    }
}
