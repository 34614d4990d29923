//! Every rate-limited operation in one table: its setting, its default and what it
//! counts. The settings, `check-config` and the limiter all read this table.
use std::{str::FromStr, time::Duration};

use super::{ConfigError, Vars};

/// `N` requests per `period`; `None` where a limit is `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub count: u32,
    pub period: Duration,
}

impl FromStr for Quota {
    type Err = String;

    /// `20/min`, `10/hour`, `5/sec`; at most a million per period.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || "expected N/sec, N/min, N/hour or off".to_owned();
        let (count, unit) = s.split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let seconds = match unit.trim() {
            "s" | "sec" | "second" => 1,
            "m" | "min" | "minute" => 60,
            "h" | "hour" => 3600,
            _ => return Err(bad()),
        };
        if count == 0 {
            return Err("a limit of 0 would refuse everything; use off to disable".into());
        }
        if count > 1_000_000 {
            return Err("more than 1000000 per period is no limit; use off to disable".into());
        }
        Ok(Self {
            count,
            period: Duration::from_secs(seconds),
        })
    }
}

/// What a rate limit is counted for. Counted per client IP, and per account too where
/// the flow names one (see `auth::rate_limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Login,
    /// `completeLogin`: the second step of a sign-in.
    CompleteLogin,
    Register,
    Refresh,
    RequestPasswordReset,
    ConfirmPasswordReset,
    VerifyEmail,
    ResendVerificationEmail,
    /// `requestEmailChange`, counted per new address as well.
    RequestEmailChange,
    /// A field that checks the signed-in caller's password again.
    Reauthenticate,
    /// `POST /oauth/introspect`.
    Introspect,
    /// `startTotpEnrollment` and `confirmTotpEnrollment`: each start seals a secret,
    /// each confirmation checks a code.
    TotpEnrollment,
    /// `startPasskeyLogin` and `finishPasskeyLogin`: each start stores a challenge,
    /// each finish checks a signature.
    PasskeyLogin,
    /// `startPasskeyRegistration` and `finishPasskeyRegistration`.
    PasskeyRegistration,
}

/// The table: operation, its name in metrics and the trail, its setting, its default.
const OPERATIONS: [(Operation, &str, &str, &str); 14] = [
    (Operation::Login, "login", "RATE_LIMIT_LOGIN", "20/min"),
    (
        Operation::CompleteLogin,
        "complete_login",
        "RATE_LIMIT_COMPLETE_LOGIN",
        "20/min",
    ),
    (
        Operation::Register,
        "register",
        "RATE_LIMIT_REGISTER",
        "10/hour",
    ),
    (
        Operation::Refresh,
        "refresh",
        "RATE_LIMIT_REFRESH",
        "120/min",
    ),
    (
        Operation::RequestPasswordReset,
        "request_password_reset",
        "RATE_LIMIT_REQUEST_PASSWORD_RESET",
        "5/hour",
    ),
    (
        Operation::ConfirmPasswordReset,
        "confirm_password_reset",
        "RATE_LIMIT_CONFIRM_PASSWORD_RESET",
        "20/hour",
    ),
    (
        Operation::VerifyEmail,
        "verify_email",
        "RATE_LIMIT_VERIFY_EMAIL",
        "20/hour",
    ),
    (
        Operation::ResendVerificationEmail,
        "resend_verification_email",
        "RATE_LIMIT_RESEND_VERIFICATION_EMAIL",
        "3/hour",
    ),
    (
        Operation::RequestEmailChange,
        "request_email_change",
        "RATE_LIMIT_REQUEST_EMAIL_CHANGE",
        "3/hour",
    ),
    (
        Operation::Reauthenticate,
        "reauthenticate",
        "RATE_LIMIT_REAUTHENTICATE",
        "10/hour",
    ),
    (
        Operation::Introspect,
        "introspect",
        "RATE_LIMIT_INTROSPECT",
        "1000/sec",
    ),
    (
        Operation::TotpEnrollment,
        "totp_enrollment",
        "RATE_LIMIT_TOTP_ENROLLMENT",
        "10/hour",
    ),
    (
        Operation::PasskeyLogin,
        "passkey_login",
        "RATE_LIMIT_PASSKEY_LOGIN",
        "30/min",
    ),
    (
        Operation::PasskeyRegistration,
        "passkey_registration",
        "RATE_LIMIT_PASSKEY_REGISTRATION",
        "20/hour",
    ),
];

impl Operation {
    pub const ALL: [Self; OPERATIONS.len()] = {
        let mut all = [Self::Login; OPERATIONS.len()];
        let mut i = 0;
        while i < OPERATIONS.len() {
            all[i] = OPERATIONS[i].0;
            i += 1;
        }
        all
    };

    fn row(self) -> &'static (Operation, &'static str, &'static str, &'static str) {
        &OPERATIONS[self as usize]
    }

    /// Its name in metrics and the trail.
    pub fn name(self) -> &'static str {
        self.row().1
    }

    /// The setting that limits it.
    pub fn setting(self) -> &'static str {
        self.row().2
    }
}

/// Per-operation limits, per client IP (and per target account where one applies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSettings {
    quotas: [Option<Quota>; OPERATIONS.len()],
    /// IPv6 clients share per-IP limits by this prefix: one host usually holds a /64.
    pub ipv6_prefix_len: u8,
}

impl RateLimitSettings {
    pub(super) fn load(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        let mut quotas = [None; OPERATIONS.len()];
        for (quota, (_, _, setting, default)) in quotas.iter_mut().zip(OPERATIONS) {
            *quota = vars.quota(setting, default)?;
        }
        Ok(Self {
            quotas,
            // Shorter than a /32, one limit would span several providers' customers.
            ipv6_prefix_len: vars.count_in("RATE_LIMIT_IPV6_PREFIX", "64", 32..=128)?,
        })
    }

    /// No limit at all, but for those `limited` names (for tests of the limiter).
    pub fn only(limited: &[(Operation, Quota)]) -> Self {
        let mut quotas = [None; OPERATIONS.len()];
        for (operation, quota) in limited {
            quotas[*operation as usize] = Some(*quota);
        }
        Self {
            quotas,
            ipv6_prefix_len: 64,
        }
    }

    pub fn quota(&self, operation: Operation) -> Option<Quota> {
        self.quotas[operation as usize]
    }

    /// Every operation with its limit.
    pub fn iter(&self) -> impl Iterator<Item = (Operation, Option<Quota>)> + '_ {
        Operation::ALL.into_iter().map(|op| (op, self.quota(op)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lists_each_operation_once_at_its_own_index() {
        for (index, (operation, ..)) in OPERATIONS.iter().enumerate() {
            assert_eq!(*operation as usize, index, "{operation:?}");
        }
        let settings: std::collections::HashSet<&str> =
            OPERATIONS.iter().map(|row| row.2).collect();
        assert_eq!(settings.len(), OPERATIONS.len());
    }
}
