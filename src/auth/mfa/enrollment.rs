//! Turning TOTP on and off, recovery codes, and staff's reset.
//!
//! Every change runs in a transaction that first takes the account's row lock, so an
//! enrolment, a new set of codes and a removal of the same account happen one after
//! the other on every backend: no set of codes outlives the factor it belongs to.
use sea_orm::TransactionTrait;
use secrecy::SecretString;
use serde_json::json;
use tracing::instrument;

use super::totp;
use crate::{
    auth::{
        AuthError, AuthService, ClientInfo, Principal, SecondFactorRefusal, audit::About,
        notices::queue_notice, now, rate_limit::Operation,
    },
    domain::{InvalidInput, MailKind, Password, RecoveryCode, SecurityEventKind, TotpCode},
    entities::user,
    store,
};

/// What an authenticator app is set up with. Both hold the secret: show them to the
/// person once, never log them.
pub struct TotpEnrollment {
    /// The shared secret in base32, for typing in by hand.
    pub secret: SecretString,
    /// `otpauth://totp/…`, for a QR code.
    pub otpauth_uri: SecretString,
}

impl AuthService {
    /// Starts (or starts again) setting up TOTP: a fresh secret, stored sealed and
    /// inactive until [`confirm_totp_enrollment`](Self::confirm_totp_enrollment). Refused
    /// while TOTP is active: swapping the secret of an active factor would let a stolen
    /// access token take the second factor over; `disableTotp` (password) comes first.
    /// An older session gives the password (see `confirm_recent_sign_in`).
    #[instrument(name = "start_totp_enrollment", skip_all, fields(user_id = %principal.user_id))]
    pub async fn start_totp_enrollment(
        &self,
        principal: &Principal,
        password: Option<String>,
        client: &ClientInfo,
    ) -> Result<TotpEnrollment, AuthError> {
        let account = principal.user_id.to_string();
        self.rate_limit(Operation::TotpEnrollment, client, Some(&account))
            .await?;
        let user = self.me(principal).await?;
        self.confirm_recent_sign_in(principal, &user, password, "startTotpEnrollment", client)
            .await?;
        let issuer = &self.policy().mfa.totp_issuer;
        let generator = totp::generator(totp::new_secret(), issuer, &user.username)?;
        let sealed = self
            .0
            .second_factors
            .seal_secret(principal.user_id, &generator.secret)?;
        if !store::second_factors::start_totp(self.db(), principal.user_id, sealed, now()).await? {
            return Err(AuthError::SecondFactor(SecondFactorRefusal::AlreadyEnabled));
        }
        Ok(TotpEnrollment {
            secret: SecretString::from(generator.get_secret_base32()),
            otpauth_uri: SecretString::from(generator.get_url()),
        })
    }

    /// Activates TOTP with a first code from the app, and returns the recovery codes,
    /// shown this once. The code's step is claimed too: it cannot sign in afterwards.
    /// Of two confirmations at once one wins and the other finds TOTP on; a code of a
    /// secret that a newer enrolment replaced does not match.
    #[instrument(name = "confirm_totp_enrollment", skip_all, fields(user_id = %principal.user_id))]
    pub async fn confirm_totp_enrollment(
        &self,
        principal: &Principal,
        code: &str,
        client: &ClientInfo,
    ) -> Result<Vec<RecoveryCode>, AuthError> {
        let code = TotpCode::parse(code, "code")?;
        // Each confirmation checks a code: budgeted like every credential check.
        let account = principal.user_id.to_string();
        self.rate_limit(Operation::TotpEnrollment, client, Some(&account))
            .await?;
        let user = self.me(principal).await?;
        let user_id = principal.user_id;
        let db = self.db();
        let pending = store::second_factors::find_totp(db, user_id)
            .await?
            .ok_or(AuthError::SecondFactor(SecondFactorRefusal::NotEnrolling))?;
        if pending.confirmed_at.is_some() {
            return Err(AuthError::SecondFactor(SecondFactorRefusal::AlreadyEnabled));
        }
        let mismatch = || InvalidInput::new("code", "error-totp-code-mismatch");
        let now = now();
        let step = self
            .totp_step(&user, &pending.sealed_secret, &code, now)?
            .ok_or_else(mismatch)?;
        let (codes, hashes) = self.new_recovery_codes(&user);
        let txn = db.begin().await?;
        store::users::lock(&txn, user_id).await?;
        if !store::second_factors::confirm_totp(&txn, user_id, &pending.sealed_secret, step, now)
            .await?
        {
            let now_active = store::second_factors::find_active_totp(&txn, user_id).await?;
            return Err(match now_active {
                Some(_) => AuthError::SecondFactor(SecondFactorRefusal::AlreadyEnabled),
                // Started again meanwhile: this code is of the secret replaced.
                None => mismatch().into(),
            });
        }
        store::second_factors::replace_recovery_codes(&txn, user_id, hashes, now).await?;
        queue_notice(&txn, &user, MailKind::MfaEnabled, None).await?;
        txn.commit().await?;
        self.wake_mail_worker();
        let about = principal.about(Some(principal.session_id));
        self.record(SecurityEventKind::MfaEnabled, client, about)
            .await;
        Ok(codes)
    }

    /// Turns TOTP off after a budgeted check of the password; its recovery codes and
    /// pending sign-ins go with it. Without TOTP on, it only checks the password.
    #[instrument(name = "disable_totp", skip_all, fields(user_id = %principal.user_id))]
    pub async fn disable_totp(
        &self,
        principal: &Principal,
        password: String,
        client: &ClientInfo,
    ) -> Result<user::Model, AuthError> {
        let password = Password::parse(password, "password")?;
        let user = self.me(principal).await?;
        self.reauthenticate(principal, &user, &password, "disableTotp", client)
            .await?;
        let about = principal.about(Some(principal.session_id));
        self.remove_second_factors(&user, about, false, client)
            .await?;
        Ok(user)
    }

    /// A new set of recovery codes after a budgeted check of the password; the old
    /// ones stop working at once.
    #[instrument(name = "regenerate_recovery_codes", skip_all, fields(user_id = %principal.user_id))]
    pub async fn regenerate_recovery_codes(
        &self,
        principal: &Principal,
        password: String,
        client: &ClientInfo,
    ) -> Result<Vec<RecoveryCode>, AuthError> {
        let password = Password::parse(password, "password")?;
        let user = self.me(principal).await?;
        self.reauthenticate(
            principal,
            &user,
            &password,
            "regenerateRecoveryCodes",
            client,
        )
        .await?;
        let (codes, hashes) = self.new_recovery_codes(&user);
        let user_id = principal.user_id;
        let txn = self.db().begin().await?;
        store::users::lock(&txn, user_id).await?;
        if store::second_factors::find_active_totp(&txn, user_id)
            .await?
            .is_none()
        {
            return Err(AuthError::SecondFactor(SecondFactorRefusal::NotEnabled));
        }
        store::second_factors::replace_recovery_codes(&txn, user_id, hashes, now()).await?;
        txn.commit().await?;
        Ok(codes)
    }

    /// Removes an account's TOTP, recovery codes and passkeys, for staff (a person who
    /// lost their phone and their codes). The owner is told by mail.
    pub async fn reset_mfa(
        &self,
        staff: &Principal,
        id: &str,
        client: &ClientInfo,
    ) -> Result<user::Model, AuthError> {
        let user = self.find_user(id).await?.ok_or(AuthError::NotFound)?;
        let about = About::by_staff(staff, user.id, json!({}));
        self.remove_second_factors(&user, about, true, client)
            .await?;
        Ok(user)
    }

    /// Deletes the factor, its codes and the sign-ins waiting for them — and, for staff,
    /// the passkeys; when a factor was active, mails the owner and records
    /// `MFA_DISABLED` with `about`.
    async fn remove_second_factors(
        &self,
        user: &user::Model,
        about: About,
        by_staff: bool,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        let user_id = user.id;
        let txn = self.db().begin().await?;
        store::users::lock(&txn, user_id).await?;
        let mut was_active = store::second_factors::delete_all(&txn, user_id).await?;
        if by_staff {
            was_active |= store::passkeys::delete_all(&txn, user_id).await? > 0;
        }
        store::mfa_challenges::end_all_for_user(&txn, user_id, now()).await?;
        if was_active {
            let detail = json!({ "byStaff": by_staff });
            queue_notice(&txn, user, MailKind::MfaDisabled, Some(detail)).await?;
        }
        txn.commit().await?;
        if was_active {
            self.wake_mail_worker();
            self.record(SecurityEventKind::MfaDisabled, client, about)
                .await;
        }
        Ok(())
    }

    /// The step of `code` for the secret sealed in `sealed`, if it matches one.
    pub(super) fn totp_step(
        &self,
        user: &user::Model,
        sealed: &str,
        code: &TotpCode,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<i64>, AuthError> {
        let secret = self.0.second_factors.open_secret(user.id, sealed)?;
        let generator = totp::generator(secret, &self.policy().mfa.totp_issuer, &user.username)?;
        Ok(totp::matching_step(&generator, code, now))
    }
}
