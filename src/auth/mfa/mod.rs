//! Second factors: TOTP (RFC 6238) with recovery codes, and passkeys.
//!
//! - `enrollment`: turning TOTP on and off, recovery codes, staff resets.
//! - `second_step`: a login of an enrolled account answers `MFA_REQUIRED`, and
//!   `completeLogin` finishes it with a code.
//! - `totp`: the RFC 6238 arithmetic.
//! - `passkeys`: WebAuthn credentials, which sign in on their own.
//!
//! Secrets at rest: the TOTP secret is sealed (see `sealing`), bound to its user;
//! recovery codes and mfaTokens are stored as keyed or plain hashes. Everything that
//! must happen once is one conditional statement in `store::second_factors` and
//! `store::mfa_challenges`, so replicas share it through the database.
mod enrollment;
mod passkeys;
mod second_step;
mod totp;

use std::collections::HashMap;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

pub use enrollment::TotpEnrollment;
pub use passkeys::{FinishPasskey, PasskeyCeremonies, PasskeyChallenge};
pub use second_step::CompleteLogin;

use super::{
    AuthError, AuthService, ClientInfo, Principal, now,
    sealing::{SealedPurpose, Sealer},
    to_chrono,
};
use crate::{
    domain::{InvalidInput, MfaMethod, Password, RecoveryCode, UserId},
    entities::user,
    i18n::Message,
    store::{self, second_factors::MfaStatus},
};

/// The keys of second factors, derived from the server secret: one seals TOTP
/// secrets, one keys the hashes of recovery codes.
pub struct SecondFactorKeys {
    sealer: Sealer,
    recovery_key: Vec<u8>,
}

impl SecondFactorKeys {
    pub fn new(server_secret: &SecretString) -> Self {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(server_secret.expose_secret().as_bytes())
                .expect("HMAC accepts keys of any length");
        mac.update(b"graphql-auth recovery-code key v1");
        Self {
            sealer: Sealer::new(server_secret, SealedPurpose::TotpSecret),
            recovery_key: mac.finalize().into_bytes().to_vec(),
        }
    }

    fn seal_secret(&self, user_id: UserId, secret: &[u8]) -> anyhow::Result<String> {
        self.sealer.seal(&user_id.to_string(), secret)
    }

    fn open_secret(&self, user_id: UserId, sealed: &str) -> anyhow::Result<Vec<u8>> {
        self.sealer.open(&user_id.to_string(), sealed)
    }

    /// What is stored of a recovery code: HMAC-SHA256 of (user id, code), in hex. The
    /// user id makes two accounts' equal codes different rows; the key makes a dump of
    /// the table useless for guessing codes offline.
    fn recovery_hash(&self, user_id: UserId, code: &RecoveryCode) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.recovery_key)
            .expect("HMAC accepts keys of any length");
        mac.update(user_id.as_uuid().as_bytes());
        mac.update(code.as_str().as_bytes());
        crate::domain::hex(&mac.finalize().into_bytes())
    }
}

/// How many recovery codes a set has.
const RECOVERY_CODES: usize = 10;
/// A session this young may add a second factor without typing the password again: it
/// has just proven it (GitHub's "sudo mode", Kratos's privileged session).
const RECENT_SIGN_IN: std::time::Duration = std::time::Duration::from_secs(5 * 60);

impl AuthService {
    /// The second factors a sign-in of this account must complete with, or `None`
    /// when it has none (a password alone signs in).
    pub(super) async fn second_factor_methods(
        &self,
        user_id: UserId,
    ) -> Result<Option<Vec<MfaMethod>>, AuthError> {
        if store::second_factors::find_active_totp(self.db(), user_id)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let mut methods = vec![MfaMethod::Totp, MfaMethod::RecoveryCode];
        if !store::passkeys::for_user(self.db(), user_id)
            .await?
            .is_empty()
        {
            methods.push(MfaMethod::Passkey);
        }
        Ok(Some(methods))
    }

    /// The second-factor state of many users (one look-up for all), for
    /// `User.mfaEnabled` and `User.recoveryCodesLeft`.
    pub async fn mfa_statuses(
        &self,
        user_ids: &[UserId],
    ) -> Result<HashMap<UserId, MfaStatus>, AuthError> {
        Ok(store::second_factors::statuses(self.db(), user_ids).await?)
    }

    /// Asks an older session for the password before a second factor is added, so a
    /// stolen access token can neither plant a passkey (which signs in by itself) nor
    /// lock the owner out behind an authenticator app of its own. The check is
    /// `login`'s (budgeted, counted toward the lockout). A session that signed in within
    /// [`RECENT_SIGN_IN`] — its sign-in, not its last refresh — may skip it.
    pub(super) async fn confirm_recent_sign_in(
        &self,
        principal: &Principal,
        user: &user::Model,
        password: Option<String>,
        operation: &'static str,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        if let Some(password) = password {
            let password = Password::parse(password, "password")?;
            return self
                .reauthenticate(principal, user, &password, operation, client)
                .await;
        }
        let session = store::sessions::find(self.db(), principal.session_id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        if now() - session.created_at < to_chrono(RECENT_SIGN_IN) {
            return Ok(());
        }
        let minutes = RECENT_SIGN_IN.as_secs() / 60;
        Err(InvalidInput::saying(
            "password",
            Message::new("error-reauthenticate").with("minutes", minutes),
        )
        .into())
    }

    /// A fresh set of recovery codes for `user`: the codes to show once, and the
    /// hashes to store.
    fn new_recovery_codes(&self, user: &user::Model) -> (Vec<RecoveryCode>, Vec<String>) {
        let user_id = user.id;
        let codes: Vec<RecoveryCode> = (0..RECOVERY_CODES)
            .map(|_| RecoveryCode::random())
            .collect();
        let hashes = codes
            .iter()
            .map(|code| self.0.second_factors.recovery_hash(user_id, code))
            .collect();
        (codes, hashes)
    }
}
