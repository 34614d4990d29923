//! The account slice of the API: sign-up, sign-in, refresh, and the caller's own account.
use async_graphql::{Context, InputObject, Object};
use secrecy::ExposeSecret;

use super::{
    caller::{Authenticated, VerifiedEmail, auth, caller, principal},
    error::ApiError,
    types::{AuthPayload, User},
};
use crate::auth::{AuthError, ChangePassword, Credentials, NewAccount};

/// A new account.
#[derive(InputObject)]
pub struct RegisterInput {
    /// 3 to 150 letters, digits and `@ . + - _`; unique, whatever the case.
    pub username: String,
    /// Where the verification link and notices go; unique, whatever the case.
    pub email: String,
    /// At least 8 characters, not common, not all digits, not like the username or
    /// email (`WEAK_PASSWORD` lists what is wrong).
    pub password: String,
    /// The same password again (`PASSWORD_MISMATCH` otherwise).
    pub password_confirm: String,
    /// Identifies the device; defaults to the `Device-Fingerprint` header.
    pub device_fingerprint: Option<String>,
    /// A BCP 47 language tag of at most 10 characters, e.g. "fr" (the default),
    /// "en-GB", "ar", "kab"; mail and messages are in English for "en" tags, Arabic
    /// for "ar" tags, French otherwise.
    pub language: Option<String>,
    /// An IANA time zone; default "Africa/Algiers".
    pub timezone: Option<String>,
}

/// A sign-in with a password.
#[derive(InputObject)]
pub struct LoginInput {
    /// A username or an email address.
    pub username: String,
    /// The account's password.
    pub password: String,
    /// Signing in again from the same device replaces that device's earlier session.
    pub device_fingerprint: Option<String>,
    /// Keep the session for 7 days instead of 24 hours.
    #[graphql(default_with = "Some(false)")]
    pub remember_me: Option<bool>,
}

/// A change of the signed-in user's password.
#[derive(InputObject)]
pub struct ChangePasswordInput {
    /// The password now; a wrong one is `INVALID_CREDENTIALS` and counts toward the
    /// lockout.
    pub current_password: String,
    /// The new password, under the same policy as `register`'s.
    pub new_password: String,
    /// The new password again (`PASSWORD_MISMATCH` otherwise).
    pub new_password_confirm: String,
    /// End every other session of the account too.
    #[graphql(default_with = "Some(true)")]
    pub revoke_other_sessions: Option<bool>,
}

/// Preferences to change; a field left out keeps its value.
#[derive(InputObject)]
pub struct PreferencesInput {
    /// A BCP 47 language tag of at most 10 characters, e.g. "fr", "en-GB", "kab".
    pub language: Option<String>,
    /// An IANA time zone such as "Africa/Algiers" or "Europe/Paris".
    pub timezone: Option<String>,
    /// Whether the user wants email notifications (security notices are sent anyway).
    pub email_notifications: Option<bool>,
    /// Whether the user wants SMS notifications.
    pub sms_notifications: Option<bool>,
    /// Whether the user wants push notifications.
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
        #[graphql(desc = "The new account.")] input: RegisterInput,
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
        let signed_in = auth(ctx).register(account, caller(ctx).client()).await?;
        Ok(AuthPayload::deliver(ctx, signed_in))
    }

    /// Signs in with a username or email address and a password. An account with
    /// two-step sign-in gets no session yet: the error `MFA_REQUIRED` carries
    /// `extensions.mfaToken` and `extensions.methods` for `completeLogin`.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Who signs in, and from which device.")] input: LoginInput,
    ) -> Result<AuthPayload, ApiError> {
        let credentials = Credentials {
            identifier: input.username,
            password: input.password,
            device_fingerprint: input.device_fingerprint,
            remember_me: input.remember_me.unwrap_or(false),
        };
        let signed_in = auth(ctx).login(credentials, caller(ctx).client()).await?;
        Ok(AuthPayload::deliver(ctx, signed_in))
    }

    /// Trades a refresh token for a new pair; the old refresh token is retired.
    /// Presented again after the grace window, it ends the whole session (`TOKEN_REUSED`).
    /// In cookie mode (`REFRESH_TOKEN_COOKIE`) leave the argument out: the cookie is
    /// read, and replaced by the new token.
    async fn refresh(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The `refreshToken` of the last pair (single use); left out, the cookie's."
        )]
        refresh_token: Option<String>,
    ) -> Result<AuthPayload, ApiError> {
        let caller = caller(ctx);
        let (token, from_cookie) = match refresh_token {
            Some(token) => (token, false),
            None => match caller.presented_refresh_token() {
                Some(cookie) => (cookie.expose_secret().to_owned(), true),
                None => return Err(ApiError::unauthenticated()),
            },
        };
        match auth(ctx).refresh(&token, caller.client()).await {
            Ok(signed_in) => Ok(AuthPayload::deliver(ctx, signed_in)),
            Err(refused) => {
                // A cookie that can never refresh again is only in the way; a rate
                // limit or an outage leaves it for the next try.
                let dead = matches!(
                    refused,
                    AuthError::InvalidToken
                        | AuthError::TokenReused
                        | AuthError::Unauthenticated
                        | AuthError::AccountDisabled
                );
                if from_cookie && dead {
                    caller.clear_refresh_cookie();
                }
                Err(refused.into())
            }
        }
    }

    /// Changes the password. The current device gets a new session and tokens; access
    /// tokens issued before the change stop working. A notice is emailed.
    /// With `REQUIRE_VERIFIED_EMAIL`, answers `EMAIL_NOT_VERIFIED` until the email is verified.
    #[graphql(guard = "VerifiedEmail")]
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The current and the new password.")] input: ChangePasswordInput,
    ) -> Result<AuthPayload, ApiError> {
        let me = principal(ctx).await?;
        let change = ChangePassword {
            current_password: input.current_password,
            new_password: input.new_password,
            new_password_confirm: input.new_password_confirm,
            revoke_other_sessions: input.revoke_other_sessions.unwrap_or(true),
        };
        let signed_in = auth(ctx)
            .change_password(&me, change, caller(ctx).client())
            .await?;
        Ok(AuthPayload::deliver(ctx, signed_in))
    }

    /// Deletes the caller's account for good: every session ends, the username, email
    /// address, password hash and second factors are removed, and the security trail
    /// keeps its events without IP addresses or user agents. The password is checked
    /// like `login` (rate limited, counted toward the lockout). A last notice is mailed.
    #[graphql(guard = "Authenticated")]
    async fn delete_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's current password.")] password: String,
    ) -> Result<bool, ApiError> {
        let me = principal(ctx).await?;
        let caller = caller(ctx);
        auth(ctx)
            .delete_account(&me, password, caller.client())
            .await?;
        caller.clear_refresh_cookie();
        Ok(true)
    }

    /// Changes the fields given; leaves the others as they are.
    /// With `REQUIRE_VERIFIED_EMAIL`, answers `EMAIL_NOT_VERIFIED` until the email is verified.
    #[graphql(guard = "VerifiedEmail")]
    async fn update_preferences(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The preferences to change.")] input: PreferencesInput,
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
