//! Housekeeping that runs beside the server: pruning what is no longer needed.
use std::time::Duration;

use super::{AuthError, AuthService, now, to_chrono};
use crate::store;

impl AuthService {
    /// Prunes security events past `retention` (the chain stays verifiable from its
    /// new anchor), failure counts of unknown identifiers that no longer matter, and
    /// second steps of sign-ins and passkey ceremonies that can no longer be completed.
    pub async fn prune(&self, retention: Duration) -> Result<(), AuthError> {
        let now = now();
        let events = store::events::prune_before(self.db(), now - to_chrono(retention)).await?;
        let window = to_chrono(self.policy().lockout.window);
        let identifiers = store::lockout::forget_identifiers(self.db(), now - window, now).await?;
        let mfa_challenges = store::mfa_challenges::delete_expired(self.db(), now).await?;
        let passkey_challenges = store::passkeys::delete_expired_challenges(self.db(), now).await?;
        if events + identifiers + mfa_challenges + passkey_challenges > 0 {
            tracing::info!(
                events,
                identifiers,
                mfa_challenges,
                passkey_challenges,
                "pruned"
            );
        }
        Ok(())
    }

    /// Measures what verifying an imported hash costs, when accounts still hold one, so
    /// that failed checks are padded to it from the first (see `PasswordHasher`).
    pub async fn learn_imported_hash_cost(&self) -> Result<(), AuthError> {
        if let Some(stored) = store::users::find_imported_hash(self.db()).await? {
            self.0.hasher.learn_cost_of(&stored).await?;
        }
        Ok(())
    }

    /// Prunes every `min(retention / 2, 1 h)` until the process ends.
    pub fn spawn_pruning(&self, retention: Duration) {
        let auth = self.clone();
        let every = (retention / 2).clamp(Duration::from_secs(1), Duration::from_secs(3600));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(err) = auth.prune(retention).await {
                    tracing::warn!(error = ?err, "pruning failed; will retry");
                }
            }
        });
    }
}
