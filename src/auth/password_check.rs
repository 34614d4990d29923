//! The one password check behind every pathway that asks for a password: `login`, and
//! each field that asks a signed-in caller for theirs again (`changePassword`, …).
//!
//! It claims a lockout attempt *before* hashing, so no mix of parallel requests,
//! aliases and batches gets more checks than the lockout allows; records each failure;
//! and answers failures no sooner than the slowest stored hash takes to verify, so
//! neither answers nor timing tell accounts, unknown identifiers and imported hashes
//! apart.
use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::time::Instant;

use super::{AuthError, AuthService, ClientInfo, Principal, audit::About, now, to_chrono};
use crate::{
    domain::{LoginIdentifier, Password, SecurityEventKind, UserId},
    entities::user,
    store::{
        self,
        lockout::{Attempt, Claim},
    },
};

use super::password::Verification;
use super::rate_limit::Operation;

/// Who presents a password, and why.
pub(super) enum PasswordCheck<'a> {
    /// A sign-in; `user` is the account `identifier` names, if any.
    SignIn {
        identifier: &'a LoginIdentifier,
        user: Option<&'a user::Model>,
    },
    /// A signed-in caller proving it is them before `operation` (a field name).
    Reauthentication {
        principal: &'a Principal,
        user: &'a user::Model,
        operation: &'static str,
    },
}

/// Where an attempt is counted.
enum Counter<'a> {
    Account(UserId),
    /// An identifier that names no account, counted exactly like one.
    Identifier(&'a str),
    /// An empty identifier: nothing to lock.
    Nothing,
}

impl PasswordCheck<'_> {
    fn user(&self) -> Option<&user::Model> {
        match self {
            Self::SignIn { user, .. } => *user,
            Self::Reauthentication { user, .. } => Some(user),
        }
    }

    fn counter(&self) -> Counter<'_> {
        match (self, self.user()) {
            (_, Some(user)) => Counter::Account(user.id),
            (Self::SignIn { identifier, .. }, None) if !identifier.is_empty() => {
                Counter::Identifier(identifier.key())
            }
            _ => Counter::Nothing,
        }
    }

    /// The trail's view of a failure.
    fn failure(&self, reason: &str) -> About {
        match self {
            Self::SignIn { identifier, user } => About {
                user: user.map(|u| u.id),
                identifier: Some(identifier.key().to_owned()),
                detail: Some(json!({ "reason": reason })),
                ..About::default()
            },
            Self::Reauthentication {
                principal,
                operation,
                ..
            } => About {
                detail: Some(json!({ "reason": reason, "operation": operation })),
                ..principal.about(Some(principal.session_id))
            },
        }
    }
}

/// A right password, and what counting its attempt did.
#[derive(Debug, Clone, Copy)]
pub(super) struct PasswordAccepted {
    /// The stored hash is weaker than ours, or of another scheme.
    pub needs_rehash: bool,
    /// This attempt was the threshold-th and set the lock (a sign-in clears it).
    pub set_the_lock: bool,
}

impl AuthService {
    /// The lockout rule for an attempt made at `now`.
    pub(super) fn lockout_attempt(&self, now: DateTime<Utc>) -> Attempt {
        let lockout = self.policy().lockout;
        Attempt {
            threshold: lockout.threshold,
            lock_until: now + to_chrono(lockout.duration),
            forget_before: now - to_chrono(lockout.window),
            now,
        }
    }

    /// `ACCOUNT_LOCKED` for an attempt the lock refused, with how long the lock holds.
    async fn locked(
        &self,
        counter: &Counter<'_>,
        attempt: &Attempt,
    ) -> Result<AuthError, AuthError> {
        let db = self.db();
        let until = match counter {
            Counter::Account(id) => store::lockout::user_locked_until(db, *id).await?,
            Counter::Identifier(key) => store::lockout::identifier_locked_until(db, key).await?,
            Counter::Nothing => None,
        };
        let until = until
            .filter(|t| *t > attempt.now)
            .unwrap_or(attempt.lock_until);
        Ok(AuthError::AccountLocked {
            retry_after: (until - attempt.now).to_std().unwrap_or_default(),
        })
    }

    /// Counts an attempt on an account before a credential other than a password (a
    /// second-factor code) is checked: `Ok(locks_now)`, or `ACCOUNT_LOCKED` — nothing
    /// counted, and the credential must not be checked — while the lock holds.
    pub(super) async fn claim_account_attempt(
        &self,
        id: UserId,
        now: DateTime<Utc>,
    ) -> Result<bool, AuthError> {
        let attempt = self.lockout_attempt(now);
        match store::lockout::claim_for_user(self.db(), id, attempt).await? {
            Claim::Counted { locks_now } => Ok(locks_now),
            Claim::Refused => Err(self.locked(&Counter::Account(id), &attempt).await?),
        }
    }

    /// Checks `password` for `check`, counting the attempt toward the lockout first.
    /// `Ok` when it is right; the lockout state is the caller's to clear, in the
    /// transaction that acts on the success (or to refund, when a second step decides).
    pub(super) async fn check_password(
        &self,
        check: PasswordCheck<'_>,
        password: &Password,
        client: &ClientInfo,
    ) -> Result<PasswordAccepted, AuthError> {
        let started = Instant::now();
        let db = self.db();
        let attempt = self.lockout_attempt(now());
        let user = check.user();
        let counter = check.counter();
        let claim = match counter {
            Counter::Account(id) => store::lockout::claim_for_user(db, id, attempt).await?,
            Counter::Identifier(key) => {
                store::lockout::claim_for_identifier(db, key, attempt).await?
            }
            Counter::Nothing => Claim::Counted { locks_now: false },
        };
        let Claim::Counted { locks_now } = claim else {
            // Hashed all the same: a locked account answers in the time a check takes.
            self.0.hasher.verify(password, None).await?;
            self.record(
                SecurityEventKind::LoginFailed,
                client,
                check.failure("locked"),
            )
            .await;
            let locked = self.locked(&counter, &attempt).await?;
            self.0.hasher.answer_failure_after(started).await;
            return Err(locked);
        };
        let stored_hash = user.map(|u| u.password_hash.as_str());
        match self.0.hasher.verify(password, stored_hash).await? {
            Verification::Match { needs_rehash } if user.is_some() => Ok(PasswordAccepted {
                needs_rehash,
                set_the_lock: locks_now,
            }),
            _ => {
                let reason = match user {
                    Some(_) => "wrong_password",
                    None => "unknown_identifier",
                };
                self.record(
                    SecurityEventKind::LoginFailed,
                    client,
                    check.failure(reason),
                )
                .await;
                if locks_now {
                    self.record(
                        SecurityEventKind::AccountLocked,
                        client,
                        check.failure(reason),
                    )
                    .await;
                }
                self.0.hasher.answer_failure_after(started).await;
                Err(AuthError::InvalidCredentials)
            }
        }
    }

    /// The password check of every field that asks a signed-in caller for their
    /// password: rate limited per user and per IP (`RATE_LIMIT_REAUTHENTICATE`), then
    /// budgeted by the lockout exactly like `login`.
    pub(super) async fn reauthenticate(
        &self,
        principal: &Principal,
        user: &user::Model,
        password: &Password,
        operation: &'static str,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        let account = principal.user_id.to_string();
        self.rate_limit(Operation::Reauthenticate, client, Some(&account))
            .await?;
        let check = PasswordCheck::Reauthentication {
            principal,
            user,
            operation,
        };
        self.check_password(check, password, client).await?;
        // As a sign-in does: the failures before it, and the lock its own claim may have
        // set as the threshold-th attempt, go.
        store::lockout::unlock_user(self.db(), user.id).await?;
        Ok(())
    }
}
