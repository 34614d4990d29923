//! Account recovery: password reset and email verification by emailed one-time
//! tokens, and the notices sent when a password changes.
//!
//! Every message is queued in the outbox inside the transaction that makes it true
//! (the token, the new user, the new password), so it is sent exactly when that
//! commits; the worker in `crate::mail` delivers it off the request path.
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use secrecy::{ExposeSecret, SecretString};
use tracing::{Instrument as _, instrument};

use serde_json::json;

use super::{
    AuthError, AuthService, ClientInfo, Principal, audit::About,
    new_password::confirmed_new_password, notices::queue_notice, now, rate_limit::Operation,
    to_chrono, tokens::OneTimeTokens,
};
use crate::{
    domain::{EmailAddress, LoginIdentifier, MailKind, SecurityEventKind, TokenPurpose, Username},
    entities::{one_time_token, user},
    store::{
        self, one_time_tokens::NewToken, outbox::NewMail, sessions::RevokeReason, users::Replacing,
    },
};

pub struct ResetPassword {
    pub token: SecretString,
    pub new_password: String,
    pub new_password_confirm: String,
}

impl AuthService {
    /// Emails a reset link when an active account has this address; otherwise does
    /// nothing. The caller learns nothing either way: past the rate limit, the answer
    /// comes before the look-up, and the sending happens in the outbox worker.
    #[instrument(name = "request_password_reset", skip_all)]
    pub async fn request_password_reset(
        &self,
        email: &str,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        let identifier = LoginIdentifier::parse(email);
        self.rate_limit(
            Operation::RequestPasswordReset,
            client,
            Some(identifier.key()),
        )
        .await?;
        let auth = self.clone();
        let client = client.clone();
        let span = tracing::Span::current();
        self.0
            .background
            .spawn(
                async move {
                    if let Err(err) = auth.send_password_reset(identifier, &client).await {
                        // The caller has its answer; the log is the only place left.
                        tracing::error!(error = ?err, "password reset request failed");
                    }
                }
                .instrument(span),
            )
            .await;
        Ok(())
    }

    /// The part of a reset request done after answering.
    async fn send_password_reset(
        &self,
        identifier: LoginIdentifier,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        let db = self.db();
        let user = match identifier.account_key() {
            Some(key) => store::users::find_by_email(db, key).await?,
            None => None,
        };
        let requested = About {
            user: user.as_ref().map(|u| u.id),
            identifier: Some(identifier.key().to_owned()),
            ..About::default()
        };
        self.record(SecurityEventKind::PasswordResetRequested, client, requested)
            .await;
        let Some(user) = user.filter(|user| user.is_active) else {
            return Ok(());
        };
        let txn = db.begin().await?;
        self.queue_token_mail(&txn, &user, TokenPurpose::PasswordReset, now())
            .await?;
        txn.commit().await?;
        self.wake_mail_worker();
        tracing::info!(user_id = %user.id, "password reset requested");
        Ok(())
    }

    /// Sets a new password with an emailed reset token. The token is used up in the
    /// same transaction that changes the password, by one conditional statement, so of
    /// two concurrent requests with one token exactly one succeeds. A mismatch or a
    /// weak password uses nothing up. Ends every session, unlocks the account, and
    /// queues a notice.
    #[instrument(name = "confirm_password_reset", skip_all, fields(user_id = tracing::field::Empty))]
    pub async fn confirm_password_reset(
        &self,
        input: ResetPassword,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        let LiveLink {
            hash: token_hash,
            user,
            ..
        } = self
            .live_link(
                input.token.expose_secret(),
                TokenPurpose::PasswordReset,
                Operation::ConfirmPasswordReset,
                client,
            )
            .await?;
        let db = self.db();
        let new_password = confirmed_new_password(
            input.new_password,
            input.new_password_confirm,
            "newPassword",
            &Username::parse(&user.username)?,
            &EmailAddress::parse(&user.email)?,
        )?;
        let password_hash = self.0.hasher.hash(new_password.as_password()).await?;
        let user_id = user.id;
        let now = now();
        let txn = db.begin().await?;
        // The account's row lock first, as every flow that consumes or supersedes its
        // links takes it, so two of them cannot lock each other's tokens crosswise. A
        // concurrent use of the same token waits here, then finds it used.
        store::users::lock(&txn, user_id).await?;
        if !store::one_time_tokens::consume(&txn, &token_hash, TokenPurpose::PasswordReset, now)
            .await?
        {
            return Err(AuthError::InvalidToken);
        }
        store::users::set_password(&txn, user_id, password_hash, Replacing::Any, now).await?;
        store::lockout::unlock_user(&txn, user_id).await?;
        let ended = store::sessions::revoke_all_for_user(
            &txn,
            user_id,
            None,
            RevokeReason::PasswordReset,
            now,
        )
        .await?;
        queue_notice(&txn, &user, MailKind::PasswordResetCompleted, None).await?;
        txn.commit().await?;
        self.wake_mail_worker();
        let completed = About {
            user: Some(user.id),
            detail: Some(json!({ "sessionsEnded": ended, "unlocked": true })),
            ..About::default()
        };
        self.record(SecurityEventKind::PasswordResetCompleted, client, completed)
            .await;
        Ok(())
    }

    /// Marks the email of a verification token's account as verified; the token is
    /// used up.
    #[instrument(name = "verify_email", skip_all, fields(user_id = tracing::field::Empty))]
    pub async fn verify_email(
        &self,
        token: &str,
        client: &ClientInfo,
    ) -> Result<user::Model, AuthError> {
        let LiveLink {
            hash: token_hash,
            user,
            ..
        } = self
            .live_link(
                token,
                TokenPurpose::EmailVerification,
                Operation::VerifyEmail,
                client,
            )
            .await?;
        let db = self.db();
        let now = now();
        let user_id = user.id;
        let txn = db.begin().await?;
        store::users::lock(&txn, user_id).await?;
        if !store::one_time_tokens::consume(&txn, &token_hash, TokenPurpose::EmailVerification, now)
            .await?
        {
            return Err(AuthError::InvalidToken);
        }
        store::users::mark_email_verified(&txn, user_id).await?;
        txn.commit().await?;
        let verified = About {
            user: Some(user.id),
            ..About::default()
        };
        self.record(SecurityEventKind::EmailVerified, client, verified)
            .await;
        Ok(user::Model {
            email_verified: true,
            ..user
        })
    }

    /// Sends the caller a fresh verification link (the earlier one stops working);
    /// nothing when the email is already verified.
    #[instrument(name = "resend_verification_email", skip_all, fields(user_id = %principal.user_id))]
    pub async fn resend_verification_email(
        &self,
        principal: &Principal,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        let account = principal.user_id.to_string();
        self.rate_limit(Operation::ResendVerificationEmail, client, Some(&account))
            .await?;
        let user = self.me(principal).await?;
        if user.email_verified {
            return Ok(());
        }
        let txn = self.db().begin().await?;
        self.queue_token_mail(&txn, &user, TokenPurpose::EmailVerification, now())
            .await?;
        txn.commit().await?;
        self.wake_mail_worker();
        let sent = principal.about(Some(principal.session_id));
        self.record(SecurityEventKind::EmailVerificationSent, client, sent)
            .await;
        Ok(())
    }

    /// Queues a verification email for every active, unverified account that holds no
    /// live verification token, so running it again sends nothing twice. Returns how
    /// many were queued.
    pub async fn issue_verification_tokens(&self) -> Result<u64, AuthError> {
        let db = self.db();
        let users = store::one_time_tokens::users_awaiting_verification(db, now()).await?;
        let mut queued = 0;
        for user in users {
            let txn = db.begin().await?;
            self.queue_token_mail(&txn, &user, TokenPurpose::EmailVerification, now())
                .await?;
            txn.commit().await?;
            let sent = About {
                user: Some(user.id),
                detail: Some(json!({ "by": "issue-verification-tokens" })),
                ..About::default()
            };
            self.record(
                SecurityEventKind::EmailVerificationSent,
                &ClientInfo::default(),
                sent,
            )
            .await;
            queued += 1;
        }
        if queued > 0 {
            self.wake_mail_worker();
        }
        Ok(queued)
    }

    /// The live token of an emailed link and its active account, after the rate limit
    /// of `operation`; anything else is `INVALID_TOKEN`. Nothing is used up yet.
    pub(super) async fn live_link(
        &self,
        presented: &str,
        purpose: TokenPurpose,
        operation: Operation,
        client: &ClientInfo,
    ) -> Result<LiveLink, AuthError> {
        self.rate_limit(operation, client, None).await?;
        let hash = OneTimeTokens::hash_presented(presented).ok_or(AuthError::InvalidToken)?;
        let (token, user) =
            store::one_time_tokens::find_live_with_user(self.db(), &hash, purpose, now())
                .await?
                .filter(|(_, user)| user.is_active)
                .ok_or(AuthError::InvalidToken)?;
        tracing::Span::current().record("user_id", tracing::field::display(user.id));
        Ok(LiveLink { hash, token, user })
    }

    /// Inside the caller's transaction: retires the user's earlier token of this
    /// purpose, creates a new one, and queues the email that carries it.
    pub(super) async fn queue_token_mail(
        &self,
        txn: &impl ConnectionTrait,
        user: &user::Model,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<(), AuthError> {
        self.queue_link_mail(txn, user, purpose, None, now).await
    }

    /// `queue_token_mail`, and for an email change the address the link goes to (and
    /// the account will move to).
    pub(super) async fn queue_link_mail(
        &self,
        txn: &impl ConnectionTrait,
        user: &user::Model,
        purpose: TokenPurpose,
        new_email: Option<&EmailAddress>,
        now: DateTime<Utc>,
    ) -> Result<(), AuthError> {
        let user_id = user.id;
        let (ttl, kind) = match purpose {
            TokenPurpose::PasswordReset => (
                self.policy().lifetimes.password_reset_token,
                MailKind::PasswordReset,
            ),
            TokenPurpose::EmailVerification => (
                self.policy().lifetimes.email_verification_token,
                MailKind::EmailVerification,
            ),
            // It proves an address, as a verification link does.
            TokenPurpose::EmailChange => (
                self.policy().lifetimes.email_verification_token,
                MailKind::EmailChangeConfirmation,
            ),
        };
        // Two requests at once (a reset asked twice) would each supersede before the
        // other's token exists, and leave two live links.
        store::users::lock(txn, user_id).await?;
        // Read again under the lock: a change of address that committed since the
        // caller's read must not get a live link mailed to the old address, nor an
        // account deactivated or deleted since get one at all.
        let Some(user) = store::users::find(txn, user_id)
            .await?
            .filter(|user| user.is_active && user.deleted_at.is_none())
        else {
            return Ok(());
        };
        store::one_time_tokens::supersede(txn, user_id, purpose, now).await?;
        let issued = self.0.one_time_tokens.issue(purpose);
        store::one_time_tokens::create(
            txn,
            NewToken {
                id: issued.id,
                user_id,
                purpose,
                nonce: issued.nonce,
                token_hash: issued.hash,
                expires_at: now + to_chrono(ttl),
                new_email: new_email.map(|email| email.as_str().to_owned()),
            },
            now,
        )
        .await?;
        store::outbox::queue(
            txn,
            NewMail {
                kind,
                user_id,
                recipient: new_email.map_or_else(|| user.email.clone(), |e| e.as_str().to_owned()),
                token_id: Some(issued.id),
                detail: None,
            },
            now,
        )
        .await?;
        Ok(())
    }
}

/// What `live_link` found: the presented token's hash (to use it up by), its row and
/// its account.
pub(super) struct LiveLink {
    pub hash: String,
    pub token: one_time_token::Model,
    pub user: user::Model,
}
