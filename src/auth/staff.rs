//! What staff can do for other people's accounts. The GraphQL `Staff` guard decides
//! who is staff; these flows only act, and leave a trail naming who acted.
use sea_orm::TransactionTrait;
use serde_json::json;

use super::{AuthError, AuthService, ClientInfo, Principal, audit::About, now};
use crate::{
    domain::{InvalidInput, SecurityEventKind, TokenPurpose, UserId, printable},
    entities::user,
    i18n::Message,
    store::{self, sessions::RevokeReason},
};

/// One page of accounts, newest first.
pub struct UserPage {
    pub users: Vec<user::Model>,
    pub has_next_page: bool,
}

impl AuthService {
    /// Accounts whose username or email contains `search`, newest first.
    pub async fn list_users(
        &self,
        search: Option<&str>,
        first: i32,
        after: Option<&str>,
    ) -> Result<UserPage, AuthError> {
        if !(0..=100).contains(&first) {
            return Err(InvalidInput::saying(
                "first",
                Message::new("error-page-size").with("max", 100),
            )
            .into());
        }
        let before = after
            .map(|cursor| {
                UserId::parse(cursor)
                    .ok_or_else(|| InvalidInput::new("after", "error-unknown-cursor"))
            })
            .transpose()?;
        let search = search.map(|s| printable(s, 254));
        let mut users =
            store::users::page(self.db(), search.as_deref(), before, first as u64 + 1).await?;
        let has_next_page = users.len() > first as usize;
        users.truncate(first as usize);
        Ok(UserPage {
            users,
            has_next_page,
        })
    }

    /// An account by id; a malformed id is simply not found.
    pub async fn find_user(&self, id: &str) -> Result<Option<user::Model>, AuthError> {
        let Some(id) = UserId::parse(id) else {
            return Ok(None);
        };
        Ok(store::users::find(self.db(), id).await?)
    }

    /// Clears an account's lock and failure count.
    pub async fn unlock_user(
        &self,
        staff: &Principal,
        id: &str,
        client: &ClientInfo,
    ) -> Result<user::Model, AuthError> {
        let user = self.find_user(id).await?.ok_or(AuthError::NotFound)?;
        store::lockout::unlock_user(self.db(), user.id).await?;
        let about = About::by_staff(staff, user.id, json!({}));
        self.record(SecurityEventKind::AccountUnlocked, client, about)
            .await;
        self.find_user(id).await?.ok_or(AuthError::NotFound)
    }

    /// Turns an account off: it cannot sign in, refresh or reset its password, and every
    /// session ends in the same transaction, so its access tokens stop working at once
    /// here and within the session cache's half second on other replicas. Staff cannot
    /// deactivate themselves (nobody might be left to undo it).
    pub async fn deactivate_user(
        &self,
        staff: &Principal,
        id: &str,
        client: &ClientInfo,
    ) -> Result<user::Model, AuthError> {
        let user = self.find_user(id).await?.ok_or(AuthError::NotFound)?;
        if user.id == staff.user_id {
            return Err(InvalidInput::new("id", "error-deactivate-self").into());
        }
        // One stolen staff session must not lock out the rest of the staff.
        if user.is_staff {
            return Err(InvalidInput::new("id", "error-deactivate-staff").into());
        }
        let txn = self.db().begin().await?;
        let changed = store::users::set_active(&txn, user.id, false).await?;
        let ended = store::sessions::revoke_all_for_user(
            &txn,
            user.id,
            None,
            RevokeReason::AccountDeactivated,
            now(),
        )
        .await?;
        // A pending move to another address must not wait for the account's return.
        store::one_time_tokens::supersede(&txn, user.id, TokenPurpose::EmailChange, now()).await?;
        txn.commit().await?;
        if changed {
            let about = About::by_staff(staff, user.id, json!({ "sessionsEnded": ended }));
            self.record(SecurityEventKind::AccountDeactivated, client, about)
                .await;
        }
        self.find_user(id).await?.ok_or(AuthError::NotFound)
    }

    /// Lets a deactivated account sign in again (its old sessions stay ended).
    pub async fn reactivate_user(
        &self,
        staff: &Principal,
        id: &str,
        client: &ClientInfo,
    ) -> Result<user::Model, AuthError> {
        // A deleted account is an empty row: there is nobody to let back in.
        let user = self
            .find_user(id)
            .await?
            .filter(|user| user.deleted_at.is_none())
            .ok_or(AuthError::NotFound)?;
        if store::users::set_active(self.db(), user.id, true).await? {
            let about = About::by_staff(staff, user.id, json!({}));
            self.record(SecurityEventKind::AccountReactivated, client, about)
                .await;
        }
        self.find_user(id).await?.ok_or(AuthError::NotFound)
    }

    /// Ends every session of an account; returns how many ended.
    pub async fn revoke_user_sessions(
        &self,
        staff: &Principal,
        id: &str,
        client: &ClientInfo,
    ) -> Result<u64, AuthError> {
        let user = self.find_user(id).await?.ok_or(AuthError::NotFound)?;
        let ended = store::sessions::revoke_all_for_user(
            self.db(),
            user.id,
            None,
            RevokeReason::RevokedByStaff,
            now(),
        )
        .await?;
        let about = About::by_staff(staff, user.id, json!({ "sessionsEnded": ended }));
        self.record(SecurityEventKind::SessionRevoked, client, about)
            .await;
        Ok(ended)
    }
}
