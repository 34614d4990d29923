//! The account-recovery slice of the API: password reset, email verification and
//! change of email address, by emailed one-time tokens.
use async_graphql::{Context, InputObject, Object};

use super::{
    caller::{Authenticated, auth, caller, principal},
    error::ApiError,
    types::User,
};
use crate::auth::ResetPassword;

/// A new password chosen with the token of a reset link.
#[derive(InputObject)]
pub struct ConfirmPasswordResetInput {
    /// The `token` parameter of the emailed link.
    pub token: String,
    /// The new password, under the same policy as `register`'s.
    pub new_password: String,
    /// The new password again (`PASSWORD_MISMATCH` otherwise).
    pub new_password_confirm: String,
}

#[derive(Default)]
pub struct RecoveryMutation;

#[Object]
impl RecoveryMutation {
    /// Emails a password-reset link, valid for one hour and once, to the account with
    /// this address, if there is an active one. Always true: the answer does not tell
    /// whether the address has an account. Asking again invalidates the earlier link.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's email address.")] email: String,
    ) -> Result<bool, ApiError> {
        auth(ctx)
            .request_password_reset(&email, caller(ctx).client())
            .await?;
        Ok(true)
    }

    /// Sets a new password with the token of a reset link. Ends every session of the
    /// account, unlocks it, and emails a notice. `INVALID_TOKEN` for an unknown,
    /// expired, used or superseded token; `PASSWORD_MISMATCH` and `WEAK_PASSWORD` leave
    /// the token usable.
    async fn confirm_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The link's token and the new password.")]
        input: ConfirmPasswordResetInput,
    ) -> Result<bool, ApiError> {
        let reset = ResetPassword {
            token: input.token.into(),
            new_password: input.new_password,
            new_password_confirm: input.new_password_confirm,
        };
        auth(ctx)
            .confirm_password_reset(reset, caller(ctx).client())
            .await?;
        Ok(true)
    }

    /// Marks the account's email address as verified with the token of a verification
    /// link (valid for 48 hours, once). `INVALID_TOKEN` otherwise.
    async fn verify_email(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `token` parameter of the emailed link.")] token: String,
    ) -> Result<User, ApiError> {
        Ok(User(
            auth(ctx).verify_email(&token, caller(ctx).client()).await?,
        ))
    }

    /// Mails a link to `newEmail` that moves the account there, and a notice to the
    /// current address. The password is checked like `login` (rate limited, counted
    /// toward the lockout). `BAD_USER_INPUT` (field
    /// `newEmail`) when another account uses the address.
    #[graphql(guard = "Authenticated")]
    async fn request_email_change(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address the account should use.")] new_email: String,
        #[graphql(desc = "The account's current password.")] password: String,
    ) -> Result<bool, ApiError> {
        let me = principal(ctx).await?;
        auth(ctx)
            .request_email_change(&me, &new_email, password, caller(ctx).client())
            .await?;
        Ok(true)
    }

    /// Moves the account to the address the link was mailed to (now verified); links
    /// sent to the old address stop working. `INVALID_TOKEN` for an unknown, expired
    /// or used token; `BAD_USER_INPUT` when the address was taken meanwhile.
    async fn confirm_email_change(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `token` parameter of the emailed link.")] token: String,
    ) -> Result<User, ApiError> {
        Ok(User(
            auth(ctx)
                .confirm_email_change(&token, caller(ctx).client())
                .await?,
        ))
    }

    /// Emails the caller a new verification link; the earlier one stops working. True,
    /// and nothing is sent, when the address is already verified.
    #[graphql(guard = "Authenticated")]
    async fn resend_verification_email(&self, ctx: &Context<'_>) -> Result<bool, ApiError> {
        let me = principal(ctx).await?;
        auth(ctx)
            .resend_verification_email(&me, caller(ctx).client())
            .await?;
        Ok(true)
    }
}
