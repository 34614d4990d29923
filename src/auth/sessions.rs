//! Who holds a token, and the sessions they can see and end.
use serde_json::json;

use super::{
    AuthError, AuthService, ClientInfo, Principal, audit::About, now, session_state::SessionState,
};
use crate::{
    domain::{SecurityEventKind, SessionId, UserId},
    entities::session,
    store::{self, sessions::RevokeReason},
};

impl AuthService {
    /// Resolves a bearer token to its principal: the signature and claims first, then
    /// the session, so a token dies with its session and with a password change.
    pub async fn authenticate(&self, access_token: &str) -> Result<Principal, AuthError> {
        let verified = self
            .0
            .access_tokens
            .verify(access_token)
            .ok_or(AuthError::Unauthenticated)?;
        let cached = self
            .0
            .sessions
            .get_at_epoch(verified.session_id, verified.credential_epoch);
        let state = match cached {
            Ok(cached) => cached,
            Err(ticket) => {
                let (session, user) =
                    store::sessions::find_with_user(self.db(), verified.session_id)
                        .await?
                        .ok_or(AuthError::Unauthenticated)?;
                let state = SessionState::of(&session, &user);
                self.0.sessions.put(ticket, verified.session_id, state);
                state
            }
        };
        if !state.admits(&verified, now()) {
            return Err(AuthError::Unauthenticated);
        }
        Ok(Principal {
            user_id: verified.user_id,
            session_id: verified.session_id,
            is_staff: state.is_staff,
            email_verified: state.email_verified,
        })
    }

    /// Active sessions of many users at once (one query), most recently used first.
    pub async fn active_sessions(
        &self,
        user_ids: &[UserId],
    ) -> Result<Vec<session::Model>, AuthError> {
        Ok(store::sessions::active_for_users(self.db(), user_ids, now()).await?)
    }

    /// Ends one of the caller's own sessions. Another user's session, or an id that
    /// does not parse, is answered exactly like one that does not exist.
    pub async fn revoke_session(
        &self,
        principal: &Principal,
        id: &str,
        client: &ClientInfo,
    ) -> Result<session::Model, AuthError> {
        let id = SessionId::parse(id).ok_or(AuthError::NotFound)?;
        let db = self.db();
        let session = store::sessions::find(db, id)
            .await?
            .filter(|s| s.user_id == principal.user_id)
            .ok_or(AuthError::NotFound)?;
        let now = now();
        let reason = RevokeReason::RevokedByUser;
        if !store::sessions::revoke(db, id, reason, now).await? {
            // Already ended: show it as it is.
            return Ok(session);
        }
        let about = principal.about(Some(session.id));
        self.record(SecurityEventKind::SessionRevoked, client, about)
            .await;
        // What the UPDATE wrote, without reading the row back.
        Ok(session::Model {
            revoked_at: Some(now),
            revoked_reason: Some(reason.as_str().to_owned()),
            ..session
        })
    }

    pub async fn logout(
        &self,
        principal: &Principal,
        client: &ClientInfo,
    ) -> Result<bool, AuthError> {
        store::sessions::revoke(self.db(), principal.session_id, RevokeReason::Logout, now())
            .await?;
        let about = principal.about(Some(principal.session_id));
        self.record(SecurityEventKind::LoggedOut, client, about)
            .await;
        Ok(true)
    }

    /// Ends every session of the caller, this one included; returns how many ended.
    pub async fn logout_all(
        &self,
        principal: &Principal,
        client: &ClientInfo,
    ) -> Result<u64, AuthError> {
        let ended = store::sessions::revoke_all_for_user(
            self.db(),
            principal.user_id,
            None,
            RevokeReason::LogoutAll,
            now(),
        )
        .await?;
        let about = About {
            detail: Some(json!({ "sessionsEnded": ended })),
            ..principal.about(Some(principal.session_id))
        };
        self.record(SecurityEventKind::LoggedOutAll, client, about)
            .await;
        Ok(ended)
    }
}
