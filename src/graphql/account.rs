//! The account slice of the API: sign-up, sign-in, refresh, and the caller's own account.
use async_graphql::{Context, InputObject, Object};

use super::{
    caller::{Authenticated, VerifiedEmail, auth, caller, principal},
    error::ApiError,
    types::{AuthPayload, User},
};
use crate::auth::{ChangePassword, Credentials, NewAccount};

#[derive(InputObject)]
pub struct RegisterInput {
    pub username: String,
    pub email: String,
    pub password: String,
    pub password_confirm: String,
    /// Identifies the device; defaults to the `Device-Fingerprint` header.
    pub device_fingerprint: Option<String>,
    /// A BCP 47 language tag of at most 10 characters, e.g. "fr" (the default),
    /// "en-GB", "ar", "kab"; mail is in English for "en" tags, in French otherwise.
    pub language: Option<String>,
    /// An IANA time zone; default "Africa/Algiers".
    pub timezone: Option<String>,
}

#[derive(InputObject)]
pub struct LoginInput {
    /// A username or an email address.
    pub username: String,
    pub password: String,
    /// Signing in again from the same device replaces that device's earlier session.
    pub device_fingerprint: Option<String>,
    /// Keep the session for 7 days instead of 24 hours.
    #[graphql(default_with = "Some(false)")]
    pub remember_me: Option<bool>,
}

#[derive(InputObject)]
pub struct ChangePasswordInput {
    pub current_password: String,
    pub new_password: String,
    pub new_password_confirm: String,
    /// End every other session of the account too.
    #[graphql(default_with = "Some(true)")]
    pub revoke_other_sessions: Option<bool>,
}

#[derive(InputObject)]
pub struct PreferencesInput {
    /// A BCP 47 language tag of at most 10 characters, e.g. "fr", "en-GB", "kab".
    pub language: Option<String>,
    pub timezone: Option<String>,
    pub email_notifications: Option<bool>,
    pub sms_notifications: Option<bool>,
    pub push_notifications: Option<bool>,
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in user.
    #[graphql(guard = "Authenticated")]
    async fn me(&self, ctx: &Context<'_>) -> Result<User, ApiError> {
        let me = principal(ctx).await?;
        Ok(User(auth(ctx).me(&me).await?))
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates an account and signs it in on this device. A link to verify the email
    /// address is emailed (see `verifyEmail`).
    async fn register(
        &self,
        ctx: &Context<'_>,
        input: RegisterInput,
    ) -> Result<AuthPayload, ApiError> {
        let account = NewAccount {
            username: input.username,
            email: input.email,
            password: input.password,
            password_confirm: input.password_confirm,
            device_fingerprint: input.device_fingerprint,
            language: input.language,
            timezone: input.timezone,
        };
        Ok(auth(ctx)
            .register(account, caller(ctx).client())
            .await?
            .into())
    }

    /// Signs in with a username or email address and a password. An account with
    /// two-step sign-in gets no session yet: the error `MFA_REQUIRED` carries
    /// `extensions.mfaToken` and `extensions.methods` for `completeLogin`.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Result<AuthPayload, ApiError> {
        let credentials = Credentials {
            identifier: input.username,
            password: input.password,
            device_fingerprint: input.device_fingerprint,
            remember_me: input.remember_me.unwrap_or(false),
        };
        Ok(auth(ctx)
            .login(credentials, caller(ctx).client())
            .await?
            .into())
    }

    /// Trades a refresh token for a new pair; the old refresh token is retired.
    /// Presented again after the grace window, it ends the whole session (`TOKEN_REUSED`).
    async fn refresh(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> Result<AuthPayload, ApiError> {
        Ok(auth(ctx)
            .refresh(&refresh_token, caller(ctx).client())
            .await?
            .into())
    }

    /// Changes the password. The current device gets a new session and tokens; access
    /// tokens issued before the change stop working. A notice is emailed.
    /// With `REQUIRE_VERIFIED_EMAIL`, answers `EMAIL_NOT_VERIFIED` until the email is verified.
    #[graphql(guard = "VerifiedEmail")]
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        input: ChangePasswordInput,
    ) -> Result<AuthPayload, ApiError> {
        let me = principal(ctx).await?;
        let change = ChangePassword {
            current_password: input.current_password,
            new_password: input.new_password,
            new_password_confirm: input.new_password_confirm,
            revoke_other_sessions: input.revoke_other_sessions.unwrap_or(true),
        };
        Ok(auth(ctx)
            .change_password(&me, change, caller(ctx).client())
            .await?
            .into())
    }

    /// Changes the fields given; leaves the others as they are.
    /// With `REQUIRE_VERIFIED_EMAIL`, answers `EMAIL_NOT_VERIFIED` until the email is verified.
    #[graphql(guard = "VerifiedEmail")]
    async fn update_preferences(
        &self,
        ctx: &Context<'_>,
        input: PreferencesInput,
    ) -> Result<User, ApiError> {
        let me = principal(ctx).await?;
        let user = auth(ctx)
            .update_preferences(
                &me,
                input.language,
                input.timezone,
                input.email_notifications,
                input.sms_notifications,
                input.push_notifications,
            )
            .await?;
        Ok(User(user))
    }
}
