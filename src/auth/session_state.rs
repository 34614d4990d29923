//! Whether a session is alive, and whether a verified access token still works: the
//! rules `authenticate` (through the session cache), introspection (straight from the
//! database), `refresh` and `Session.isActive` all apply. The store's queries for live
//! sessions say the same in SQL (`store::sessions::live_at`).
use chrono::{DateTime, Utc};

use super::tokens::VerifiedAccess;
use crate::{
    domain::UserId,
    entities::{session, user},
};

/// Whether `session` can still be used at `now`: neither ended nor expired.
pub fn is_live(session: &session::Model, now: DateTime<Utc>) -> bool {
    is_alive(session.revoked_at.is_some(), session.expires_at, now)
}

fn is_alive(revoked: bool, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    !revoked && expires_at > now
}

/// What the rule needs of a session and its user.
#[derive(Debug, Clone, Copy)]
pub struct SessionState {
    pub user_id: UserId,
    pub revoked: bool,
    pub expires_at: DateTime<Utc>,
    pub user_active: bool,
    pub credential_epoch: i32,
    pub is_staff: bool,
    pub email_verified: bool,
}

impl SessionState {
    pub fn of(session: &session::Model, user: &user::Model) -> Self {
        Self {
            user_id: user.id,
            revoked: session.revoked_at.is_some(),
            expires_at: session.expires_at,
            user_active: user.is_active,
            credential_epoch: user.credential_epoch,
            is_staff: user.is_staff,
            email_verified: user.email_verified,
        }
    }

    /// Whether `token`, whose signature and claims are already checked, may act for
    /// this session: it dies with its session, with its account, and with a password
    /// change.
    pub fn admits(&self, token: &VerifiedAccess, now: DateTime<Utc>) -> bool {
        let is_alive = is_alive(self.revoked, self.expires_at, now);
        // A password change moves the account's epoch on: tokens issued before it die,
        // those issued after work at once, whatever the clocks of the replicas say.
        let predates_password_change = token.credential_epoch != self.credential_epoch;
        is_alive && self.user_active && self.user_id == token.user_id && !predates_password_change
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SessionId;

    fn live(now: DateTime<Utc>) -> (SessionState, VerifiedAccess) {
        let user_id = UserId::new();
        let state = SessionState {
            user_id,
            revoked: false,
            expires_at: now + chrono::Duration::hours(1),
            user_active: true,
            credential_epoch: 2,
            is_staff: false,
            email_verified: true,
        };
        let token = VerifiedAccess {
            user_id,
            session_id: SessionId::new(),
            credential_epoch: 2,
        };
        (state, token)
    }

    #[test]
    fn a_token_dies_with_its_session_its_account_and_a_password_change() {
        let now = Utc::now();
        let (state, token) = live(now);
        assert!(state.admits(&token, now));
        type Change = fn(&mut SessionState, &mut VerifiedAccess);
        let changes: [(&str, Change); 6] = [
            ("revoked", |s, _| s.revoked = true),
            ("expired", |s, _| s.expires_at = Utc::now()),
            ("account inactive", |s, _| s.user_active = false),
            ("another user", |_, t| t.user_id = UserId::new()),
            ("older epoch", |_, t| t.credential_epoch = 1),
            ("epoch the session has not seen", |_, t| {
                t.credential_epoch = 3
            }),
        ];
        for (what, change) in changes {
            let (mut state, mut token) = live(now);
            change(&mut state, &mut token);
            assert!(
                !state.admits(&token, now + chrono::Duration::seconds(1)),
                "{what}"
            );
        }
    }
}
