use std::time::Duration;

use sea_orm::DbErr;
use secrecy::SecretString;

use crate::{
    domain::{InvalidInput, MfaMethod, PasswordWeakness},
    store::StoreError,
};

/// Every way a flow can refuse, plus one `Unexpected` for what should not happen.
/// The GraphQL layer maps these to contract error codes in one place.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("invalid input in {}", .0.field)]
    InvalidInput(InvalidInput),
    #[error("the password policy refuses this password")]
    WeakPassword(Vec<PasswordWeakness>),
    #[error("password and confirmation differ")]
    PasswordMismatch,
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("account locked")]
    AccountLocked { retry_after: Duration },
    #[error("account disabled")]
    AccountDisabled,
    #[error("no valid access token")]
    Unauthenticated,
    #[error("unknown, expired or used token")]
    InvalidToken,
    #[error("a rotated refresh token was presented again")]
    TokenReused,
    #[error("not found")]
    NotFound,
    #[error("rate limited")]
    RateLimited { retry_after: Duration },
    /// The password was right; the sign-in goes on with `completeLogin`.
    #[error("a second factor is required")]
    MfaRequired(MfaChallenge),
    /// A wrong, reused or unknown second-factor code.
    #[error("invalid second-factor code")]
    InvalidCode,
    /// The account's second factor is not in a state that allows this.
    #[error("second factor: {0:?}")]
    SecondFactor(SecondFactorRefusal),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// What a client needs for the second step of a sign-in.
#[derive(Debug)]
pub struct MfaChallenge {
    /// Opaque, single use, short-lived; only its hash is stored.
    pub token: SecretString,
    pub methods: Vec<MfaMethod>,
}

/// Why a second-factor change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactorRefusal {
    /// TOTP is active: a new secret only after `disableTotp`.
    AlreadyEnabled,
    /// `confirmTotpEnrollment` without a started enrolment.
    NotEnrolling,
    /// The field needs TOTP to be active.
    NotEnabled,
    /// Passkeys are off on this server (no relying party id).
    PasskeysOff,
    /// The account holds as many passkeys as allowed.
    TooManyPasskeys,
}

impl From<InvalidInput> for AuthError {
    fn from(input: InvalidInput) -> Self {
        Self::InvalidInput(input)
    }
}

impl From<DbErr> for AuthError {
    fn from(err: DbErr) -> Self {
        Self::Unexpected(anyhow::Error::new(err).context("database"))
    }
}

impl From<StoreError> for AuthError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::UsernameTaken => {
                Self::InvalidInput(InvalidInput::new("username", "error-username-taken"))
            }
            StoreError::EmailTaken => {
                Self::InvalidInput(InvalidInput::new("email", "error-email-taken"))
            }
            StoreError::Db(err) => err.into(),
        }
    }
}
