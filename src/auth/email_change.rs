//! Moving an account to another email address: asked for with the password, proven by
//! a link mailed to the new address, announced to the old one.
use sea_orm::TransactionTrait;
use serde_json::json;
use tracing::instrument;

use super::{
    AuthError, AuthService, ClientInfo, Principal, audit::About, notices::queue_notice, now,
    rate_limit::Operation, recovery::LiveLink,
};
use crate::{
    domain::{EmailAddress, InvalidInput, MailKind, Password, SecurityEventKind, TokenPurpose},
    entities::user,
    store,
};

impl AuthService {
    /// Mails a confirmation link to `new_email` and a notice to the current address.
    /// The password is checked as `login` checks it (rate limited, counted toward the
    /// lockout). Asking again replaces the earlier link.
    #[instrument(name = "request_email_change", skip_all, fields(user_id = %principal.user_id))]
    pub async fn request_email_change(
        &self,
        principal: &Principal,
        new_email: &str,
        password: String,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        let new_email = EmailAddress::parse(new_email).map_err(|e| e.in_field("newEmail"))?;
        let password = Password::parse(password, "password")?;
        // Each request mails the new address: counted per address too, so nobody can
        // flood someone else's mailbox from several accounts.
        self.rate_limit(
            Operation::RequestEmailChange,
            client,
            Some(&new_email.key()),
        )
        .await?;
        let user = self.me(principal).await?;
        self.reauthenticate(principal, &user, &password, "requestEmailChange", client)
            .await?;
        if new_email.key() == user.email_key {
            return Err(InvalidInput::new("newEmail", "error-email-unchanged").into());
        }
        let db = self.db();
        if store::users::email_taken(db, &new_email).await? {
            return Err(InvalidInput::new("newEmail", "error-email-taken").into());
        }
        let txn = db.begin().await?;
        self.queue_link_mail(
            &txn,
            &user,
            TokenPurpose::EmailChange,
            Some(&new_email),
            now(),
        )
        .await?;
        let notice = json!({ "newEmail": masked(&new_email) });
        queue_notice(&txn, &user, MailKind::EmailChangeRequested, Some(notice)).await?;
        txn.commit().await?;
        self.wake_mail_worker();
        Ok(())
    }

    /// Follows the link: the account moves to the address it was mailed to, verified.
    /// The address must still be free; links mailed to the old address (reset,
    /// verification) stop working.
    #[instrument(name = "confirm_email_change", skip_all, fields(user_id = tracing::field::Empty))]
    pub async fn confirm_email_change(
        &self,
        token: &str,
        client: &ClientInfo,
    ) -> Result<user::Model, AuthError> {
        let LiveLink {
            hash: token_hash,
            token,
            user,
        } = self
            .live_link(
                token,
                TokenPurpose::EmailChange,
                Operation::VerifyEmail,
                client,
            )
            .await?;
        let db = self.db();
        let now = now();
        let new_email = token
            .new_email
            .as_deref()
            .and_then(|raw| EmailAddress::parse(raw).ok())
            .ok_or(AuthError::InvalidToken)?;
        let txn = db.begin().await?;
        // The row lock first, as in the other link flows (see `confirm_password_reset`).
        store::users::lock(&txn, user.id).await?;
        if !store::one_time_tokens::consume(&txn, &token_hash, TokenPurpose::EmailChange, now)
            .await?
        {
            return Err(AuthError::InvalidToken);
        }
        store::users::change_email(&txn, user.id, &new_email).await?;
        for purpose in [TokenPurpose::PasswordReset, TokenPurpose::EmailVerification] {
            store::one_time_tokens::supersede(&txn, user.id, purpose, now).await?;
        }
        txn.commit().await?;
        let changed = About {
            user: Some(user.id),
            ..About::default()
        };
        self.record(SecurityEventKind::EmailChanged, client, changed)
            .await;
        store::users::find(db, user.id)
            .await?
            .ok_or(AuthError::NotFound)
    }
}

/// `a***@example.dz`: enough for the owner to recognise, not to read off a notice.
fn masked(email: &EmailAddress) -> String {
    let (local, domain) = email
        .as_str()
        .rsplit_once('@')
        .unwrap_or((email.as_str(), ""));
    let first: String = local.chars().take(1).collect();
    format!("{first}***@{domain}")
}
