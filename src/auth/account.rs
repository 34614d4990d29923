//! Creating accounts and changing them: register, change password, preferences.
use sea_orm::TransactionTrait;
use tracing::instrument;

use serde_json::json;

use super::{
    AuthError, AuthService, ClientInfo, Principal, SignedIn,
    audit::About,
    new_password::confirmed_new_password,
    notices::queue_notice,
    now,
    rate_limit::Operation,
    sign_in::{SignInDevice, device_of},
};
use crate::{
    domain::{
        AuthMethods, EmailAddress, Language, MailKind, NewPassword, Password, SecurityEventKind,
        Timezone, TokenPurpose, UserId, Username,
    },
    entities::user,
    store::{
        self,
        sessions::RevokeReason,
        users::{NewUser, PreferenceChanges, Replacing},
    },
};

pub struct NewAccount {
    pub username: String,
    pub email: String,
    pub password: String,
    pub password_confirm: String,
    pub device_fingerprint: Option<String>,
    pub language: Option<String>,
    pub timezone: Option<String>,
}

pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
    pub new_password_confirm: String,
    pub revoke_other_sessions: bool,
}

fn optional<T>(
    raw: Option<String>,
    parse: impl Fn(&str) -> Result<T, crate::domain::InvalidInput>,
) -> Result<Option<T>, AuthError> {
    Ok(raw.as_deref().map(parse).transpose()?)
}

impl AuthService {
    /// Creates an account and signs it in on the calling device. The verification
    /// email is queued in the same transaction as the account.
    #[instrument(name = "register", skip_all)]
    pub async fn register(
        &self,
        input: NewAccount,
        client: &ClientInfo,
    ) -> Result<SignedIn, AuthError> {
        self.rate_limit(Operation::Register, client, None).await?;
        let username = Username::parse(&input.username)?;
        let email = EmailAddress::parse(&input.email)?;
        let language = optional(input.language, Language::parse)?.unwrap_or_default();
        let timezone = optional(input.timezone, Timezone::parse)?.unwrap_or_default();
        let password = confirmed_new_password(
            input.password,
            input.password_confirm,
            "password",
            &username,
            &email,
        )?;
        let db = self.db();
        if let Some(taken) = store::users::taken_keys(db, &username, &email).await? {
            return Err(taken.into());
        }
        let password_hash = self.0.hasher.hash(password.as_password()).await?;
        let now = now();
        let txn = db.begin().await?;
        let user = store::users::create(
            &txn,
            NewUser {
                username,
                email,
                password_hash,
                language,
                timezone,
                is_staff: false,
            },
            now,
        )
        .await?;
        let device = SignInDevice {
            fingerprint: device_of(input.device_fingerprint, client),
            remember_me: false,
            client: client.clone(),
        };
        let signed_in = self
            .start_session(&txn, &user, device, AuthMethods::Password, now)
            .await?;
        self.queue_token_mail(&txn, &user, TokenPurpose::EmailVerification, now)
            .await?;
        txn.commit().await?;
        self.wake_mail_worker();
        self.record(SecurityEventKind::Registered, client, signed_in.about())
            .await;
        self.record(
            SecurityEventKind::EmailVerificationSent,
            client,
            signed_in.about(),
        )
        .await;
        Ok(signed_in)
    }

    /// Creates an account from the command line; the password passes the same policy.
    pub async fn create_user(
        &self,
        username: &str,
        email: &str,
        password: String,
        is_staff: bool,
    ) -> Result<user::Model, AuthError> {
        let username = Username::parse(username)?;
        let email = EmailAddress::parse(email)?;
        let password =
            NewPassword::parse(Password::parse(password, "password")?, &username, &email)
                .map_err(AuthError::WeakPassword)?;
        let password_hash = self.0.hasher.hash(password.as_password()).await?;
        let user = store::users::create(
            self.db(),
            NewUser {
                username,
                email,
                password_hash,
                language: Language::default(),
                timezone: Timezone::default(),
                is_staff,
            },
            now(),
        )
        .await?;
        Ok(user)
    }

    pub async fn me(&self, principal: &Principal) -> Result<user::Model, AuthError> {
        store::users::find(self.db(), principal.user_id)
            .await?
            .ok_or(AuthError::Unauthenticated)
    }

    /// Changes the password and signs the current device in afresh: its old session
    /// and every access token issued before the change stop working; other sessions end
    /// too unless `revoke_other_sessions` is false. A notice email is queued.
    #[instrument(name = "change_password", skip_all, fields(user_id = %principal.user_id))]
    pub async fn change_password(
        &self,
        principal: &Principal,
        input: ChangePassword,
        client: &ClientInfo,
    ) -> Result<SignedIn, AuthError> {
        let user = self.me(principal).await?;
        let username = Username::parse(&user.username)?;
        let email = EmailAddress::parse(&user.email)?;
        let current = Password::parse(input.current_password, "currentPassword")?;
        let new_password = confirmed_new_password(
            input.new_password,
            input.new_password_confirm,
            "newPassword",
            &username,
            &email,
        )?;
        self.reauthenticate(principal, &user, &current, "changePassword", client)
            .await?;
        let hash = self.0.hasher.hash(new_password.as_password()).await?;
        let now = now();
        let db = self.db();
        let current_session = store::sessions::find(db, principal.session_id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        let txn = db.begin().await?;
        // The first statement takes the user's row: a reset committing meanwhile has
        // replaced the hash just verified, and then nothing here may overwrite it.
        let replacing = Replacing::Verified(&user.password_hash);
        let Some(credential_epoch) =
            store::users::set_password(&txn, principal.user_id, hash, replacing, now).await?
        else {
            return Err(AuthError::Unauthenticated);
        };
        // Re-checked inside the transaction: a session ended meanwhile (a reset, a
        // logout elsewhere) is not signed in afresh.
        if !store::sessions::revoke(
            &txn,
            principal.session_id,
            RevokeReason::PasswordChanged,
            now,
        )
        .await?
        {
            return Err(AuthError::Unauthenticated);
        }
        if input.revoke_other_sessions {
            store::sessions::revoke_all_for_user(
                &txn,
                principal.user_id,
                None,
                RevokeReason::PasswordChanged,
                now,
            )
            .await?;
        }
        let user = user::Model {
            credential_epoch,
            ..user
        };
        let device = SignInDevice {
            fingerprint: current_session.device_fingerprint,
            remember_me: current_session.remember_me,
            client: ClientInfo {
                user_agent: client.user_agent.clone().or(current_session.user_agent),
                ..client.clone()
            },
        };
        // Signed in afresh the way the session it replaces was.
        let amr = AuthMethods::parse(&current_session.amr);
        let signed_in = self.start_session(&txn, &user, device, amr, now).await?;
        queue_notice(&txn, &user, MailKind::PasswordChanged, None).await?;
        txn.commit().await?;
        self.wake_mail_worker();
        let about = About {
            detail: Some(json!({ "otherSessionsEnded": input.revoke_other_sessions })),
            ..signed_in.about()
        };
        self.record(SecurityEventKind::PasswordChanged, client, about)
            .await;
        Ok(signed_in)
    }

    pub async fn update_preferences(
        &self,
        principal: &Principal,
        language: Option<String>,
        timezone: Option<String>,
        email_notifications: Option<bool>,
        sms_notifications: Option<bool>,
        push_notifications: Option<bool>,
    ) -> Result<user::Model, AuthError> {
        let changes = PreferenceChanges {
            language: optional(language, Language::parse)?,
            timezone: optional(timezone, Timezone::parse)?,
            email_notifications,
            sms_notifications,
            push_notifications,
        };
        let user = self.me(principal).await?;
        Ok(store::users::update_preferences(self.db(), user, changes).await?)
    }

    /// The language `user` chose, for words addressed to them; `None` when it cannot
    /// be read, and the caller falls back to the request's.
    pub async fn language_of(&self, user: UserId) -> Option<Language> {
        let user = store::users::find(self.db(), user).await.ok().flatten()?;
        Language::parse(&user.language).ok()
    }

    pub async fn find_users(&self, ids: &[UserId]) -> Result<Vec<user::Model>, AuthError> {
        Ok(store::users::find_many(self.db(), ids).await?)
    }
}
