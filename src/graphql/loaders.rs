//! Per-request DataLoaders: each batches the look-ups of one request into one query.
use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;

use super::error::ApiError;
use crate::{
    auth::{AuthService, MfaStatus},
    domain::UserId,
    entities::{passkey, session, user},
};

/// Users by id.
pub struct UserLoader(pub AuthService);

impl Loader<UserId> for UserLoader {
    type Value = user::Model;
    type Error = Arc<ApiError>;

    async fn load(&self, ids: &[UserId]) -> Result<HashMap<UserId, user::Model>, Self::Error> {
        let users = self
            .0
            .find_users(ids)
            .await
            .map_err(|e| Arc::new(e.into()))?;
        Ok(users.into_iter().map(|u| (u.id, u)).collect())
    }
}

/// The active sessions of each user, most recently used first.
pub struct ActiveSessionsLoader(pub AuthService);

impl Loader<UserId> for ActiveSessionsLoader {
    type Value = Vec<session::Model>;
    type Error = Arc<ApiError>;

    async fn load(
        &self,
        ids: &[UserId],
    ) -> Result<HashMap<UserId, Vec<session::Model>>, Self::Error> {
        let sessions = self
            .0
            .active_sessions(ids)
            .await
            .map_err(|e| Arc::new(e.into()))?;
        let mut by_user: HashMap<UserId, Vec<session::Model>> = HashMap::new();
        for s in sessions {
            by_user.entry(s.user_id).or_default().push(s);
        }
        Ok(by_user)
    }
}

/// The second-factor state of each user; users without one are absent.
pub struct MfaStatusLoader(pub AuthService);

impl Loader<UserId> for MfaStatusLoader {
    type Value = MfaStatus;
    type Error = Arc<ApiError>;

    async fn load(&self, ids: &[UserId]) -> Result<HashMap<UserId, MfaStatus>, Self::Error> {
        self.0
            .mfa_statuses(ids)
            .await
            .map_err(|e| Arc::new(e.into()))
    }
}

/// The passkeys of each user, oldest first; users without one are absent.
pub struct PasskeysLoader(pub AuthService);

impl Loader<UserId> for PasskeysLoader {
    type Value = Vec<passkey::Model>;
    type Error = Arc<ApiError>;

    async fn load(
        &self,
        ids: &[UserId],
    ) -> Result<HashMap<UserId, Vec<passkey::Model>>, Self::Error> {
        self.0
            .passkeys_of(ids)
            .await
            .map_err(|e| Arc::new(e.into()))
    }
}
