//! What staff can do for other people's accounts. The GraphQL `Staff` guard decides
//! who is staff; these flows only act.
use super::{AuthError, AuthService, Principal, now};
use crate::{
    domain::UserId,
    entities::user,
    store::{self, sessions::RevokeReason},
};

impl AuthService {
    /// An account by id; a malformed id is simply not found.
    pub async fn find_user(&self, id: &str) -> Result<Option<user::Model>, AuthError> {
        let Some(id) = UserId::parse(id) else {
            return Ok(None);
        };
        Ok(store::users::find(self.db(), id).await?)
    }

    /// Clears an account's lock and failure count.
    pub async fn unlock_user(&self, staff: &Principal, id: &str) -> Result<user::Model, AuthError> {
        let user = self.find_user(id).await?.ok_or(AuthError::NotFound)?;
        store::lockout::unlock_user(self.db(), user.id.into()).await?;
        tracing::info!(staff_id = %staff.user_id, user_id = %user.id, "account unlocked by staff");
        self.find_user(id).await?.ok_or(AuthError::NotFound)
    }

    /// Ends every session of an account; returns how many ended.
    pub async fn revoke_user_sessions(
        &self,
        staff: &Principal,
        id: &str,
    ) -> Result<u64, AuthError> {
        let user = self.find_user(id).await?.ok_or(AuthError::NotFound)?;
        let ended = store::sessions::revoke_all_for_user(
            self.db(),
            user.id.into(),
            None,
            RevokeReason::RevokedByStaff,
            now(),
        )
        .await?;
        tracing::info!(staff_id = %staff.user_id, user_id = %user.id, ended, "sessions revoked by staff");
        Ok(ended)
    }
}
