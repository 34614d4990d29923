//! `refresh`: a refresh token traded for a new pair, with rotation, a grace window for
//! retries and reuse detection.
use serde_json::json;
use tracing::instrument;

use super::{
    AuthError, AuthService, ClientInfo, SignedIn, audit::About, now, rate_limit::Operation,
    session_state, to_chrono,
};
use crate::{domain::SecurityEventKind, entities::session, store};

impl AuthService {
    /// Trades a refresh token for a new pair. See `RefreshTokens` for the format and
    /// the contract's "Tokens and sessions" for the rules followed here.
    #[instrument(name = "refresh", skip_all)]
    pub async fn refresh(
        &self,
        refresh_token: &str,
        client: &ClientInfo,
    ) -> Result<SignedIn, AuthError> {
        self.rate_limit(Operation::Refresh, client, None).await?;
        let (session_id, presented) = self
            .0
            .refresh_tokens
            .decode(refresh_token)
            .ok_or(AuthError::InvalidToken)?;
        let db = self.db();
        // At most two rounds: a lost race re-reads the session once and then finds
        // the winner's rotation inside the grace window.
        for _ in 0..2 {
            let now = now();
            let (session, user) = store::sessions::find_with_user(db, session_id)
                .await?
                .ok_or(AuthError::InvalidToken)?;
            if !session_state::is_live(&session, now) || !user.is_active {
                return Err(AuthError::InvalidToken);
            }
            let current = session.refresh_counter;
            if presented == current {
                let expires_at =
                    self.session_expiry(session.remember_me, now, session.max_expires_at);
                if store::sessions::rotate_refresh(db, session_id, current, expires_at, now).await?
                {
                    let rotated = session::Model {
                        refresh_counter: current + 1,
                        rotated_at: Some(now),
                        last_used_at: now,
                        expires_at,
                        ..session
                    };
                    let signed_in = self.signed_in(&user, rotated, now)?;
                    self.record(SecurityEventKind::TokenRefreshed, client, signed_in.about())
                        .await;
                    return Ok(signed_in);
                }
                continue;
            }
            let grace = to_chrono(self.policy().lifetimes.refresh_reuse_grace);
            let within_grace = session.rotated_at.is_some_and(|at| now <= at + grace);
            if presented == current - 1 && within_grace {
                // The same successor its first use got, recomputed: no new token exists.
                let signed_in = self.signed_in(&user, session, now)?;
                let about = About {
                    detail: Some(json!({ "withinReuseGrace": true })),
                    ..signed_in.about()
                };
                self.record(SecurityEventKind::TokenRefreshed, client, about)
                    .await;
                return Ok(signed_in);
            }
            if presented < current {
                store::sessions::revoke(
                    db,
                    session_id,
                    store::sessions::RevokeReason::RefreshTokenReused,
                    now,
                )
                .await?;
                let about = About {
                    user: Some(user.id),
                    session: Some(session.id),
                    detail: Some(json!({ "presented": presented, "current": current })),
                    ..About::default()
                };
                self.record(SecurityEventKind::RefreshTokenReused, client, about)
                    .await;
                return Err(AuthError::TokenReused);
            }
            return Err(AuthError::InvalidToken);
        }
        Err(AuthError::InvalidToken)
    }
}
