//! The two-step sign-in slice of the API: TOTP enrolment, recovery codes, the second
//! step of a login, and staff's reset.
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use secrecy::{ExposeSecret, SecretString};

use super::{
    caller::{Authenticated, Staff, auth, caller, principal},
    error::ApiError,
    types::{AuthPayload, User},
};
use crate::{
    auth::{CompleteLogin, TotpEnrollment as Enrollment},
    domain::RecoveryCode,
};

/// What an authenticator app is set up with. Not active until `confirmTotpEnrollment`.
#[derive(SimpleObject)]
pub struct TotpEnrollment {
    /// The shared secret in base32 (RFC 4648, no padding), for typing in by hand.
    pub secret: String,
    /// `otpauth://totp/{issuer}:{username}?secret=…&issuer=…`, to show as a QR code.
    pub otpauth_uri: String,
}

impl From<Enrollment> for TotpEnrollment {
    fn from(enrollment: Enrollment) -> Self {
        Self {
            secret: enrollment.secret.expose_secret().to_owned(),
            otpauth_uri: enrollment.otpauth_uri.expose_secret().to_owned(),
        }
    }
}

/// Recovery codes, shown this once: each signs in once in place of a TOTP code.
#[derive(SimpleObject)]
pub struct RecoveryCodes {
    /// Ten codes such as `ABCDE-FGHIJ`; case, spaces and the hyphen do not matter.
    pub codes: Vec<String>,
}

impl From<Vec<RecoveryCode>> for RecoveryCodes {
    fn from(codes: Vec<RecoveryCode>) -> Self {
        Self {
            codes: codes.iter().map(RecoveryCode::grouped).collect(),
        }
    }
}

/// The second step of a sign-in that answered `MFA_REQUIRED`.
#[derive(InputObject)]
pub struct CompleteLoginInput {
    /// `extensions.mfaToken` of the `MFA_REQUIRED` error: single use, valid 5 minutes
    /// and dead after 5 wrong codes (by default).
    pub mfa_token: String,
    /// A 6-digit code from the authenticator app, or one of the recovery codes.
    pub code: String,
}

#[derive(Default)]
pub struct MfaMutation;

#[Object]
impl MfaMutation {
    /// Starts setting up two-step sign-in with an authenticator app: a fresh secret,
    /// not active until `confirmTotpEnrollment`. Starting again replaces a secret not
    /// yet confirmed. While TOTP is on, answers `BAD_USER_INPUT`: turn it off first. A
    /// session that signed in more than 5 minutes ago must confirm the password
    /// (checked like `login`'s); without it, `BAD_USER_INPUT` on `password`.
    #[graphql(guard = "Authenticated")]
    async fn start_totp_enrollment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's current password; needed unless this session \
                          signed in within the last 5 minutes.")]
        password: Option<String>,
    ) -> Result<TotpEnrollment, ApiError> {
        let me = principal(ctx).await?;
        Ok(auth(ctx)
            .start_totp_enrollment(&me, password, caller(ctx).client())
            .await?
            .into())
    }

    /// Turns two-step sign-in on with the current code of the app just set up, and
    /// returns 10 recovery codes, shown this once. From then on, `login` answers
    /// `MFA_REQUIRED`. A code that does not match is `BAD_USER_INPUT`.
    #[graphql(guard = "Authenticated")]
    async fn confirm_totp_enrollment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The 6-digit code the authenticator app shows now.")] code: String,
    ) -> Result<RecoveryCodes, ApiError> {
        let me = principal(ctx).await?;
        Ok(auth(ctx)
            .confirm_totp_enrollment(&me, &code, caller(ctx).client())
            .await?
            .into())
    }

    /// Turns two-step sign-in off; its recovery codes stop working. The password is
    /// checked like `login`'s: wrong ones count toward the lockout, and the field is
    /// rate limited per user and per IP.
    #[graphql(guard = "Authenticated")]
    async fn disable_totp(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's current password.")] password: String,
    ) -> Result<User, ApiError> {
        let me = principal(ctx).await?;
        let user = auth(ctx)
            .disable_totp(&me, password, caller(ctx).client())
            .await?;
        Ok(User(user))
    }

    /// Replaces the recovery codes with 10 new ones, shown this once; the old ones stop
    /// working. The password is checked like `login`'s. `BAD_USER_INPUT` without TOTP on.
    #[graphql(guard = "Authenticated")]
    async fn regenerate_recovery_codes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's current password.")] password: String,
    ) -> Result<RecoveryCodes, ApiError> {
        let me = principal(ctx).await?;
        Ok(auth(ctx)
            .regenerate_recovery_codes(&me, password, caller(ctx).client())
            .await?
            .into())
    }

    /// The second step of a sign-in that answered `MFA_REQUIRED`: opens the session the
    /// login asked for (its device and rememberMe). A wrong code is `INVALID_CREDENTIALS`
    /// and counts toward the account's lockout; an unknown, expired or used token, or
    /// one that took 5 wrong codes, is `INVALID_TOKEN`. Access tokens carry
    /// `amr: ["pwd", "otp"]`.
    async fn complete_login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `mfaToken` of `MFA_REQUIRED`, and a code.")]
        input: CompleteLoginInput,
    ) -> Result<AuthPayload, ApiError> {
        let second_step = CompleteLogin {
            mfa_token: SecretString::from(input.mfa_token),
            code: input.code,
        };
        let signed_in = auth(ctx)
            .complete_login(second_step, caller(ctx).client())
            .await?;
        Ok(AuthPayload::deliver(ctx, signed_in))
    }

    /// Removes an account's second factors — TOTP, recovery codes and passkeys — for a
    /// person who lost them; the owner is emailed. **Staff only.**
    #[graphql(guard = "Staff")]
    async fn reset_mfa(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's id.")] id: ID,
    ) -> Result<User, ApiError> {
        let staff = principal(ctx).await?;
        let user = auth(ctx)
            .reset_mfa(&staff, &id, caller(ctx).client())
            .await?;
        Ok(User(user))
    }
}
