/// What happened, in the audit trail. Stored by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecurityEventKind {
    Registered,
    LoginSucceeded,
    LoginFailed,
    AccountLocked,
    AccountUnlocked,
    TokenRefreshed,
    RefreshTokenReused,
    SessionRevoked,
    LoggedOut,
    LoggedOutAll,
    PasswordResetRequested,
    PasswordResetCompleted,
    PasswordChanged,
    EmailVerificationSent,
    EmailVerified,
    RateLimited,
    /// A second factor (TOTP) was turned on.
    MfaEnabled,
    /// The second factor was turned off, by its owner or by staff.
    MfaDisabled,
    /// A wrong second-factor code in a sign-in.
    MfaFailed,
    /// A recovery code completed a sign-in.
    RecoveryCodeUsed,
    /// A passkey was registered.
    PasskeyAdded,
    /// A passkey was removed by its owner.
    PasskeyRemoved,
    /// The account's email address was changed (confirmed from the new address).
    EmailChanged,
    /// Staff deactivated the account: it cannot sign in, its sessions ended.
    AccountDeactivated,
    /// Staff reactivated the account.
    AccountReactivated,
    /// The owner deleted the account; its personal data was erased.
    AccountDeleted,
}

impl SecurityEventKind {
    pub const ALL: [Self; 26] = [
        Self::Registered,
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::AccountLocked,
        Self::AccountUnlocked,
        Self::TokenRefreshed,
        Self::RefreshTokenReused,
        Self::SessionRevoked,
        Self::LoggedOut,
        Self::LoggedOutAll,
        Self::PasswordResetRequested,
        Self::PasswordResetCompleted,
        Self::PasswordChanged,
        Self::EmailVerificationSent,
        Self::EmailVerified,
        Self::RateLimited,
        Self::MfaEnabled,
        Self::MfaDisabled,
        Self::MfaFailed,
        Self::RecoveryCodeUsed,
        Self::PasskeyAdded,
        Self::PasskeyRemoved,
        Self::EmailChanged,
        Self::AccountDeactivated,
        Self::AccountReactivated,
        Self::AccountDeleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "REGISTERED",
            Self::LoginSucceeded => "LOGIN_SUCCEEDED",
            Self::LoginFailed => "LOGIN_FAILED",
            Self::AccountLocked => "ACCOUNT_LOCKED",
            Self::AccountUnlocked => "ACCOUNT_UNLOCKED",
            Self::TokenRefreshed => "TOKEN_REFRESHED",
            Self::RefreshTokenReused => "REFRESH_TOKEN_REUSED",
            Self::SessionRevoked => "SESSION_REVOKED",
            Self::LoggedOut => "LOGGED_OUT",
            Self::LoggedOutAll => "LOGGED_OUT_ALL",
            Self::PasswordResetRequested => "PASSWORD_RESET_REQUESTED",
            Self::PasswordResetCompleted => "PASSWORD_RESET_COMPLETED",
            Self::PasswordChanged => "PASSWORD_CHANGED",
            Self::EmailVerificationSent => "EMAIL_VERIFICATION_SENT",
            Self::EmailVerified => "EMAIL_VERIFIED",
            Self::RateLimited => "RATE_LIMITED",
            Self::MfaEnabled => "MFA_ENABLED",
            Self::MfaDisabled => "MFA_DISABLED",
            Self::MfaFailed => "MFA_FAILED",
            Self::RecoveryCodeUsed => "RECOVERY_CODE_USED",
            Self::PasskeyAdded => "PASSKEY_ADDED",
            Self::PasskeyRemoved => "PASSKEY_REMOVED",
            Self::EmailChanged => "EMAIL_CHANGED",
            Self::AccountDeactivated => "ACCOUNT_DEACTIVATED",
            Self::AccountReactivated => "ACCOUNT_REACTIVATED",
            Self::AccountDeleted => "ACCOUNT_DELETED",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}
