//! Deleting one's own account: every session ends, the personal data goes, the trail
//! keeps what happened without who from where, and a last notice is mailed.
use sea_orm::TransactionTrait;
use serde_json::json;
use tracing::instrument;

use super::{AuthError, AuthService, ClientInfo, Principal, audit::About, now};
use crate::{
    domain::{MailKind, Password, SecurityEventKind},
    store::{self, outbox::NewMail},
};

impl AuthService {
    /// Deletes the caller's account once the password is checked as `login` checks it.
    /// The username and address are free again at once; access tokens stop working
    /// with their sessions.
    #[instrument(name = "delete_account", skip_all, fields(user_id = %principal.user_id))]
    pub async fn delete_account(
        &self,
        principal: &Principal,
        password: String,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        let password = Password::parse(password, "password")?;
        let user = self.me(principal).await?;
        self.reauthenticate(principal, &user, &password, "deleteAccount", client)
            .await?;
        let now = now();
        let txn = self.db().begin().await?;
        store::users::lock(&txn, user.id).await?;
        store::erasure::erase_account(&txn, user.id, now).await?;
        // Queued after the erasure (which drops unsent mail): the address is kept in
        // this one row until it is sent.
        let notice = NewMail {
            kind: MailKind::AccountDeleted,
            user_id: user.id,
            recipient: user.email.clone(),
            token_id: None,
            detail: Some(json!({ "username": user.username })),
        };
        store::outbox::queue(&txn, notice, now).await?;
        txn.commit().await?;
        self.wake_mail_worker();
        // Nothing about the client: the account's trail keeps no IP or user agent.
        let deleted = About {
            user: Some(user.id),
            ..About::default()
        };
        self.record(
            SecurityEventKind::AccountDeleted,
            &ClientInfo::default(),
            deleted,
        )
        .await;
        Ok(())
    }
}
