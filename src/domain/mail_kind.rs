//! The messages the service sends; the outbox stores a kind as its `as_str` text.

/// Which message a row stands for; stored in the outbox's `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    EmailVerification,
    PasswordReset,
    PasswordChanged,
    PasswordResetCompleted,
    NewSignIn,
    MfaEnabled,
    MfaDisabled,
    RecoveryCodeUsed,
    PasskeyAdded,
    PasskeyRemoved,
    /// To the new address: the link that confirms an email change.
    EmailChangeConfirmation,
    /// To the old address: someone asked to move the account elsewhere.
    EmailChangeRequested,
    /// The last message: the account was deleted.
    AccountDeleted,
}

impl MailKind {
    const ALL: [Self; 13] = [
        Self::EmailVerification,
        Self::PasswordReset,
        Self::PasswordChanged,
        Self::PasswordResetCompleted,
        Self::NewSignIn,
        Self::MfaEnabled,
        Self::MfaDisabled,
        Self::RecoveryCodeUsed,
        Self::PasskeyAdded,
        Self::PasskeyRemoved,
        Self::EmailChangeConfirmation,
        Self::EmailChangeRequested,
        Self::AccountDeleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EmailVerification => "email_verification",
            Self::PasswordReset => "password_reset",
            Self::PasswordChanged => "password_changed",
            Self::PasswordResetCompleted => "password_reset_completed",
            Self::NewSignIn => "new_sign_in",
            Self::MfaEnabled => "mfa_enabled",
            Self::MfaDisabled => "mfa_disabled",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::PasskeyAdded => "passkey_added",
            Self::PasskeyRemoved => "passkey_removed",
            Self::EmailChangeConfirmation => "email_change_confirmation",
            Self::EmailChangeRequested => "email_change_requested",
            Self::AccountDeleted => "account_deleted",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == stored)
    }
}
