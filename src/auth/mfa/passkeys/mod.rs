//! Passkeys (WebAuthn): registering one, signing in with one — by username or with a
//! discoverable credential — listing and removing them.
//!
//! The ceremonies are `webauthn-rs`'s. Their state lives in `passkey_challenges`, so
//! any replica finishes what another started; a challenge is used up before its answer
//! is parsed (a replayed or wrong answer burns it), and a passkey's signature counter
//! only rises (two sign-ins with one counter value mean a cloned authenticator).
//!
//! A passkey sign-in stands on its own (`amr: ["webauthn"]`): it proves possession and
//! user verification, so it skips `MFA_REQUIRED`, and — nothing about it can be
//! guessed — it is not stopped by a lockout that failed passwords set.
mod registration;
mod sign_in;

use std::time::Duration;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sha2::{Digest, Sha256};
use webauthn_rs::{
    Webauthn, WebauthnBuilder,
    fake::{FakePasskeyDistribution, WebauthnFakeCredentialGenerator},
    prelude::{Passkey, Url, WebauthnError},
};

use crate::{
    auth::{AuthError, AuthService, SecondFactorRefusal, now, to_chrono},
    config::PasskeySettings,
    domain::{CeremonyId, InvalidInput, UserId},
    entities::{passkey, passkey_challenge},
    store::{
        self,
        passkeys::{Ceremony, NewChallenge},
    },
};

/// How long a ceremony may take: the browser's own timeout, as the library sets it.
const CEREMONY_TTL: Duration = webauthn_rs::DEFAULT_AUTHENTICATOR_TIMEOUT;
/// A browser's answer is a few hundred bytes to a few KiB; anything past this is not one.
const MAX_CREDENTIAL_BYTES: usize = 16 * 1024;
/// Passkeys one account may hold: plenty for every device a person owns, and a bound
/// on what a list, a sign-in by username or a removal spree costs.
const MAX_PASSKEYS_PER_USER: usize = 20;

/// The relying party, and the generator of believable credential ids for usernames
/// that have no passkey (so `startPasskeyLogin` tells nobody which accounts exist).
pub struct PasskeyCeremonies {
    webauthn: Webauthn,
    fakes: WebauthnFakeCredentialGenerator<FakePasskeyDistribution>,
}

impl PasskeyCeremonies {
    pub fn new(settings: &PasskeySettings, server_secret: &SecretString) -> anyhow::Result<Self> {
        let mut origins = settings.origins.iter().map(|o| Url::parse(o));
        let first = origins
            .next()
            .ok_or_else(|| anyhow::anyhow!("WEBAUTHN_ORIGINS is empty"))??;
        let mut builder = WebauthnBuilder::new(&settings.rp_id, &first)?;
        for origin in origins {
            builder = builder.append_allowed_origin(&origin?);
        }
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(server_secret.expose_secret().as_bytes())
                .expect("HMAC accepts keys of any length");
        mac.update(b"graphql-auth fake passkey ids v1");
        Ok(Self {
            webauthn: builder.build()?,
            fakes: WebauthnFakeCredentialGenerator::new(&mac.finalize().into_bytes())?,
        })
    }
}

/// A ceremony started: what the client hands `navigator.credentials`.
pub struct PasskeyChallenge {
    pub challenge_id: CeremonyId,
    /// `{"publicKey": {…}}`, JSON, for `PublicKeyCredential.parse…OptionsFromJSON`.
    pub options: String,
}

/// A browser's answer to a ceremony.
pub struct FinishPasskey {
    pub challenge_id: String,
    /// `JSON.stringify(credential)` of what `navigator.credentials` returned.
    pub credential: String,
    pub device_fingerprint: Option<String>,
    pub remember_me: bool,
}

impl AuthService {
    fn passkey_ceremonies(&self) -> Result<&PasskeyCeremonies, AuthError> {
        self.0
            .passkeys
            .as_ref()
            .ok_or(AuthError::SecondFactor(SecondFactorRefusal::PasskeysOff))
    }

    /// The passkeys of many users, oldest first (one query for all), for `User.passkeys`.
    pub async fn passkeys_of(
        &self,
        user_ids: &[UserId],
    ) -> Result<std::collections::HashMap<UserId, Vec<passkey::Model>>, AuthError> {
        Ok(store::passkeys::for_users(self.db(), user_ids).await?)
    }

    async fn store_ceremony(
        &self,
        ceremony: Ceremony,
        user_id: Option<UserId>,
        state: &impl serde::Serialize,
        options: Value,
    ) -> Result<PasskeyChallenge, AuthError> {
        let now = now();
        let new = NewChallenge {
            ceremony,
            user_id,
            state: serde_json::to_string(state).map_err(anyhow::Error::from)?,
            expires_at: now + to_chrono(CEREMONY_TTL),
        };
        let challenge_id = store::passkeys::create_challenge(self.db(), new, now).await?;
        Ok(PasskeyChallenge {
            challenge_id,
            options: options.to_string(),
        })
    }

    /// Uses the challenge up; an unknown, malformed, expired or used one, or one of the
    /// other ceremony, is `INVALID_TOKEN`.
    async fn take_ceremony(
        &self,
        challenge_id: &str,
        ceremony: Ceremony,
    ) -> Result<passkey_challenge::Model, AuthError> {
        let id = CeremonyId::parse(challenge_id).ok_or(AuthError::InvalidToken)?;
        store::passkeys::take_challenge(self.db(), id, ceremony, now())
            .await?
            .ok_or(AuthError::InvalidToken)
    }
}

/// What a browser sent, parsed; anything else is `BAD_USER_INPUT` on `credential`.
fn parse_credential<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T, AuthError> {
    let invalid = || InvalidInput::new("credential", "error-passkey-credential-format");
    if raw.len() > MAX_CREDENTIAL_BYTES {
        return Err(invalid().into());
    }
    serde_json::from_str(raw).map_err(|_| invalid().into())
}

fn stored_passkey(row: &passkey::Model) -> Result<Passkey, AuthError> {
    serde_json::from_str(&row.credential)
        .map_err(|err| anyhow::Error::from(err).context("stored passkey").into())
}

/// What a credential id is found by: SHA-256, in hex.
fn credential_hash(credential_id: &[u8]) -> String {
    crate::domain::hex(&Sha256::digest(credential_id))
}

fn base64url(bytes: &[u8]) -> String {
    use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unexpected(err: WebauthnError) -> AuthError {
    AuthError::Unexpected(anyhow::Error::new(err).context("webauthn"))
}
