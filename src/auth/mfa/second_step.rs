//! The second step of a sign-in. A login whose password is right, of an account with
//! TOTP, opens no session: it stores a challenge — what the session will be (device,
//! rememberMe, client) — and answers `MFA_REQUIRED` with an opaque token for it.
//! `completeLogin` presents that token with a code.
//!
//! Each code presented spends one attempt of the token and one of the account's
//! lockout *before* it is looked at, so no mix of aliases, batches and replicas gets
//! more code checks than the lockout allows; a wrong code is a failed sign-in. A right
//! code is claimed (the TOTP step, or the recovery code) in the transaction that uses
//! the challenge up and opens the session, so it works once.
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::{RngCore, rngs::OsRng};
use sea_orm::TransactionTrait;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use tracing::instrument;

use crate::{
    auth::{
        AuthError, AuthService, ClientInfo, MfaChallenge, SignedIn, audit::About,
        notices::queue_notice, now, password_check::PasswordAccepted, rate_limit::Operation,
        sign_in::SignInDevice, to_chrono, tokens::OneTimeTokens,
    },
    domain::{AuthMethods, MailKind, MfaMethod, SecondFactorCode, SecurityEventKind, printable},
    entities::{mfa_challenge, totp_factor, user},
    store::{self, mfa_challenges::NewChallenge},
};

/// The second step of a sign-in, as the client sends it.
pub struct CompleteLogin {
    /// From the `MFA_REQUIRED` answer of `login`.
    pub mfa_token: SecretString,
    /// A TOTP code or a recovery code.
    pub code: String,
}

/// A code that matched, before it is claimed.
enum Proof {
    /// The TOTP time step it belongs to.
    Totp(i64),
    /// The stored hash of the recovery code.
    RecoveryCode(String),
}

/// A matched code claimed: the sign-in it completed.
struct Claimed {
    signed_in: SignedIn,
    mailed_new_device: bool,
    /// After a recovery code: how many are left.
    recovery_codes_left: Option<u64>,
}

const TOKEN_BYTES: usize = 32;

impl AuthService {
    /// After a right password of an account with a second factor: stores the sign-in
    /// to finish and hands out its token. The password's lockout attempt is given
    /// back — a right password is no failure, and sign-ins that stop here must not lock
    /// the account — while failures before it stay counted, as the second step's own
    /// attempts will be.
    pub(in crate::auth) async fn ask_for_second_factor(
        &self,
        user: &user::Model,
        accepted: PasswordAccepted,
        device: SignInDevice,
        methods: Vec<MfaMethod>,
    ) -> Result<MfaChallenge, AuthError> {
        let db = self.db();
        let user_id = user.id;
        store::lockout::refund_for_user(db, user_id, accepted.set_the_lock).await?;
        let mut bytes = [0u8; TOKEN_BYTES];
        OsRng.fill_bytes(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let now = now();
        let mfa = &self.policy().mfa;
        let challenge = NewChallenge {
            user_id,
            credential_epoch: user.credential_epoch,
            token_hash: OneTimeTokens::hash(&token),
            device_fingerprint: device.fingerprint,
            remember_me: device.remember_me,
            ip_address: device.client.ip.map(|ip| ip.to_string()),
            user_agent: device.client.user_agent.map(|ua| printable(&ua, 512)),
            attempts: i32::try_from(mfa.max_attempts).unwrap_or(i32::MAX),
            expires_at: now + to_chrono(mfa.token_ttl),
        };
        store::mfa_challenges::create(db, challenge, now).await?;
        Ok(MfaChallenge {
            token: SecretString::from(token),
            methods,
        })
    }

    /// Finishes a sign-in that answered `MFA_REQUIRED`: with a right code, opens the
    /// session the login asked for (its device, rememberMe and client) with `amr`
    /// `["pwd", "otp"]`. Rate limited per client IP and per account.
    #[instrument(name = "complete_login", skip_all, fields(user_id = tracing::field::Empty))]
    pub async fn complete_login(
        &self,
        input: CompleteLogin,
        client: &ClientInfo,
    ) -> Result<SignedIn, AuthError> {
        let db = self.db();
        let now = now();
        let challenge = match OneTimeTokens::hash_presented(input.mfa_token.expose_secret()) {
            Some(hash) => store::mfa_challenges::find_live(db, &hash, now).await?,
            None => None,
        };
        let account = challenge.as_ref().map(|c| c.user_id.to_string());
        self.rate_limit(Operation::CompleteLogin, client, account.as_deref())
            .await?;
        let challenge = challenge.ok_or(AuthError::InvalidToken)?;
        let code = SecondFactorCode::parse(&input.code, "code")?;
        let user_id = challenge.user_id;
        tracing::Span::current().record("user_id", tracing::field::display(user_id));
        // A disabled account, or a second factor removed meanwhile, ends the sign-in.
        let user = store::users::find(db, user_id)
            .await?
            .filter(|user| user.is_active)
            .ok_or(AuthError::InvalidToken)?;
        let factor = store::second_factors::find_active_totp(db, user_id)
            .await?
            .ok_or(AuthError::InvalidToken)?;
        let Some(attempts_left) =
            store::mfa_challenges::take_attempt(db, challenge.id, now).await?
        else {
            return Err(AuthError::InvalidToken);
        };
        let locks_now = match self.claim_account_attempt(user_id, now).await {
            Ok(locks_now) => locks_now,
            Err(locked) => {
                let about = failure(&user, "locked", code_method(&code), attempts_left);
                self.record(SecurityEventKind::MfaFailed, client, about)
                    .await;
                return Err(locked);
            }
        };
        let proof = match &code {
            SecondFactorCode::Totp(code) => self
                .totp_step(&user, &factor.sealed_secret, code, now)?
                .map(Proof::Totp),
            SecondFactorCode::Recovery(code) => Some(Proof::RecoveryCode(
                self.0.second_factors.recovery_hash(user_id, code),
            )),
        };
        let reason = match &proof {
            Some(proof) => match self.claim(&user, &factor, &challenge, proof).await? {
                Some(Claimed {
                    signed_in,
                    mailed_new_device,
                    recovery_codes_left,
                }) => {
                    if mailed_new_device || recovery_codes_left.is_some() {
                        self.wake_mail_worker();
                    }
                    let about = About {
                        detail: Some(json!({ "secondFactor": code_method(&code) })),
                        ..signed_in.about()
                    };
                    self.record(SecurityEventKind::LoginSucceeded, client, about)
                        .await;
                    if let Some(left) = recovery_codes_left {
                        let about = About {
                            detail: Some(json!({ "codesLeft": left })),
                            ..signed_in.about()
                        };
                        self.record(SecurityEventKind::RecoveryCodeUsed, client, about)
                            .await;
                    }
                    return Ok(signed_in);
                }
                None => "code_already_used",
            },
            None => "wrong_code",
        };
        let about = failure(&user, reason, code_method(&code), attempts_left);
        self.record(SecurityEventKind::MfaFailed, client, about)
            .await;
        if locks_now {
            let about = failure(&user, reason, code_method(&code), attempts_left);
            self.record(SecurityEventKind::AccountLocked, client, about)
                .await;
        }
        Err(AuthError::InvalidCode)
    }

    /// In one transaction: uses the challenge up, claims the code, opens the session;
    /// `None` when the code matched but was used already (its TOTP step, or itself).
    /// The account's row lock comes first, as in every change of its second factor, so
    /// a removal racing this waits rather than deadlocks.
    async fn claim(
        &self,
        user: &user::Model,
        factor: &totp_factor::Model,
        challenge: &mfa_challenge::Model,
        proof: &Proof,
    ) -> Result<Option<Claimed>, AuthError> {
        let user_id = user.id;
        let now = now();
        let txn = self.db().begin().await?;
        store::users::lock(&txn, user_id).await?;
        if !store::mfa_challenges::consume(&txn, challenge.id, now).await? {
            // Another completion of the same challenge won.
            return Err(AuthError::InvalidToken);
        }
        let claimed = match proof {
            Proof::Totp(step) => {
                store::second_factors::claim_totp_step(&txn, user_id, &factor.sealed_secret, *step)
                    .await?
            }
            Proof::RecoveryCode(hash) => {
                store::second_factors::use_recovery_code(&txn, user_id, hash, now).await?
            }
        };
        if !claimed {
            // Rolled back: the challenge stays usable for its remaining attempts.
            return Ok(None);
        }
        let device = SignInDevice {
            fingerprint: challenge.device_fingerprint.clone(),
            remember_me: challenge.remember_me,
            client: ClientInfo {
                ip: challenge
                    .ip_address
                    .as_deref()
                    .and_then(|ip| ip.parse().ok()),
                user_agent: challenge.user_agent.clone(),
                device_fingerprint: None,
            },
        };
        let amr = AuthMethods::PasswordAndOtp;
        let Some((signed_in, mailed_new_device)) = self
            .open_session(&txn, user, challenge.credential_epoch, device, amr)
            .await?
        else {
            // The password changed since it was checked.
            return Err(AuthError::InvalidToken);
        };
        let recovery_codes_left = match proof {
            Proof::Totp(_) => None,
            Proof::RecoveryCode(_) => {
                let left = store::second_factors::recovery_codes_left(&txn, user_id).await?;
                let detail = json!({ "codesLeft": left });
                queue_notice(&txn, user, MailKind::RecoveryCodeUsed, Some(detail)).await?;
                Some(left)
            }
        };
        txn.commit().await?;
        Ok(Some(Claimed {
            signed_in,
            mailed_new_device,
            recovery_codes_left,
        }))
    }
}

fn code_method(code: &SecondFactorCode) -> &'static str {
    match code {
        SecondFactorCode::Totp(_) => "totp",
        SecondFactorCode::Recovery(_) => "recovery_code",
    }
}

/// The trail's view of a second step that failed.
fn failure(user: &user::Model, reason: &str, method: &str, attempts_left: i32) -> About {
    About {
        user: Some(user.id),
        detail: Some(json!({ "reason": reason, "method": method, "attemptsLeft": attempts_left })),
        ..About::default()
    }
}
