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
use std::time::Duration;

use hmac::{Hmac, Mac};
use sea_orm::TransactionTrait;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tracing::instrument;
use uuid::Uuid;
use webauthn_rs::{
    Webauthn, WebauthnBuilder,
    fake::{FakePasskeyDistribution, WebauthnFakeCredentialGenerator},
    prelude::{
        DiscoverableAuthentication, Passkey, PasskeyRegistration, PublicKeyCredential,
        RegisterPublicKeyCredential, Url, WebauthnError,
    },
};

use super::enrollment::queue_mfa_notice;
use crate::{
    auth::{
        AuthError, AuthService, ClientInfo, Principal, SecondFactorRefusal, SignedIn,
        audit::About,
        now,
        rate_limit::Operation,
        sign_in::{SignInDevice, device_of},
        to_chrono,
    },
    config::PasskeySettings,
    domain::{AuthMethods, InvalidInput, LoginIdentifier, SecurityEventKind, UserId, device_name},
    entities::passkey,
    store::{
        self,
        outbox::MailKind,
        passkeys::{Ceremony, NewChallenge, NewPasskey},
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
    pub challenge_id: Uuid,
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

    /// Starts adding a passkey to the caller's account. A session that signed in more
    /// than five minutes ago confirms the password first (budgeted like `login`): a
    /// passkey signs in on its own, and a stolen access token must not plant one.
    #[instrument(name = "start_passkey_registration", skip_all, fields(user_id = %principal.user_id))]
    pub async fn start_passkey_registration(
        &self,
        principal: &Principal,
        password: Option<String>,
        client: &ClientInfo,
    ) -> Result<PasskeyChallenge, AuthError> {
        let ceremonies = self.passkey_ceremonies()?;
        let account = principal.user_id.to_string();
        self.rate_limit(Operation::PasskeyRegistration, client, Some(&account))
            .await?;
        let user = self.me(principal).await?;
        self.confirm_recent_sign_in(
            principal,
            &user,
            password,
            "startPasskeyRegistration",
            client,
        )
        .await?;
        let existing = store::passkeys::for_user(self.db(), principal.user_id).await?;
        if existing.len() >= MAX_PASSKEYS_PER_USER {
            return Err(AuthError::SecondFactor(
                SecondFactorRefusal::TooManyPasskeys,
            ));
        }
        let exclude = existing
            .iter()
            .filter_map(|row| stored_passkey(row).ok())
            .map(|key| key.cred_id().clone())
            .collect();
        let (options, state) = ceremonies
            .webauthn
            .start_passkey_registration(user.id, &user.username, &user.username, Some(exclude))
            .map_err(unexpected)?;
        let mut options = serde_json::to_value(options).map_err(anyhow::Error::from)?;
        // The library asks authenticators not to keep the credential ("discouraged");
        // a passkey that can sign in without a username must be kept, where it can be.
        options["publicKey"]["authenticatorSelection"]["residentKey"] = json!("preferred");
        self.store_ceremony(
            Ceremony::Registration,
            Some(principal.user_id),
            &state,
            options,
        )
        .await
    }

    /// Verifies the browser's answer to a registration and stores the passkey, named
    /// after the device it came from; the owner is emailed.
    #[instrument(name = "finish_passkey_registration", skip_all, fields(user_id = %principal.user_id))]
    pub async fn finish_passkey_registration(
        &self,
        principal: &Principal,
        input: FinishPasskey,
        client: &ClientInfo,
    ) -> Result<passkey::Model, AuthError> {
        let ceremonies = self.passkey_ceremonies()?;
        let account = principal.user_id.to_string();
        self.rate_limit(Operation::PasskeyRegistration, client, Some(&account))
            .await?;
        let answer: RegisterPublicKeyCredential = parse_credential(&input.credential)?;
        let challenge = self
            .take_ceremony(&input.challenge_id, Ceremony::Registration)
            .await?;
        if challenge.user_id != Some(principal.user_id.as_uuid()) {
            return Err(AuthError::InvalidToken);
        }
        let state: PasskeyRegistration =
            serde_json::from_str(&challenge.state).map_err(anyhow::Error::from)?;
        let key = ceremonies
            .webauthn
            .finish_passkey_registration(&answer, &state)
            .map_err(|err| {
                tracing::info!(error = %err, "passkey registration refused");
                InvalidInput::new(
                    "credential",
                    "This passkey could not be verified. Try again from the page that asked for it.",
                )
            })?;
        let user = self.me(principal).await?;
        let name = client.user_agent.as_deref().and_then(device_name);
        let new = NewPasskey {
            user_id: principal.user_id,
            credential_hash: credential_hash(key.cred_id()),
            credential: serde_json::to_string(&key).map_err(anyhow::Error::from)?,
            sign_count: 0,
            name: name.clone(),
        };
        let txn = self.db().begin().await?;
        store::users::lock(&txn, principal.user_id).await?;
        if store::passkeys::for_user(&txn, principal.user_id)
            .await?
            .len()
            >= MAX_PASSKEYS_PER_USER
        {
            return Err(AuthError::SecondFactor(
                SecondFactorRefusal::TooManyPasskeys,
            ));
        }
        let Some(stored) = store::passkeys::create(&txn, new, now()).await? else {
            return Err(
                InvalidInput::new("credential", "This passkey is registered already.").into(),
            );
        };
        let detail = json!({ "name": name });
        queue_mfa_notice(&txn, &user, MailKind::PasskeyAdded, Some(detail.clone())).await?;
        txn.commit().await?;
        self.wake_mail_worker();
        let about = About {
            detail: Some(json!({ "passkey": stored.id.to_string(), "name": name })),
            ..principal.about(Some(principal.session_id.as_uuid()))
        };
        self.record(SecurityEventKind::PasskeyAdded, client, about)
            .await;
        Ok(stored)
    }

    /// Removes one of the caller's passkeys; another account's, or an unknown or
    /// malformed id, is `NOT_FOUND` alike. The owner is emailed.
    #[instrument(name = "remove_passkey", skip_all, fields(user_id = %principal.user_id))]
    pub async fn remove_passkey(
        &self,
        principal: &Principal,
        id: &str,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        let id = Uuid::parse_str(id).map_err(|_| AuthError::NotFound)?;
        let user = self.me(principal).await?;
        let txn = self.db().begin().await?;
        store::users::lock(&txn, principal.user_id).await?;
        let name = store::passkeys::for_user(&txn, principal.user_id)
            .await?
            .into_iter()
            .find(|row| row.id == id)
            .ok_or(AuthError::NotFound)?
            .name;
        if !store::passkeys::delete(&txn, principal.user_id, id).await? {
            return Err(AuthError::NotFound);
        }
        queue_mfa_notice(
            &txn,
            &user,
            MailKind::PasskeyRemoved,
            Some(json!({ "name": name })),
        )
        .await?;
        txn.commit().await?;
        self.wake_mail_worker();
        let about = About {
            detail: Some(json!({ "passkey": id.to_string(), "name": name })),
            ..principal.about(Some(principal.session_id.as_uuid()))
        };
        self.record(SecurityEventKind::PasskeyRemoved, client, about)
            .await;
        Ok(())
    }

    /// The passkeys of many users, oldest first (one query for all), for `User.passkeys`.
    pub async fn passkeys_of(
        &self,
        user_ids: &[UserId],
    ) -> Result<std::collections::HashMap<UserId, Vec<passkey::Model>>, AuthError> {
        Ok(store::passkeys::for_users(self.db(), user_ids).await?)
    }

    /// Starts a passkey sign-in. With a username, the challenge lists that account's
    /// passkeys — or, for an unknown username or one without passkeys, believable
    /// made-up ones, the same at every ask — so the answer tells nobody which accounts
    /// exist. Without one, any discoverable passkey of this site may answer.
    #[instrument(name = "start_passkey_login", skip_all)]
    pub async fn start_passkey_login(
        &self,
        username: Option<String>,
        client: &ClientInfo,
    ) -> Result<PasskeyChallenge, AuthError> {
        let ceremonies = self.passkey_ceremonies()?;
        self.rate_limit(Operation::PasskeyLogin, client, None)
            .await?;
        let (options, state) = ceremonies
            .webauthn
            .start_discoverable_authentication()
            .map_err(unexpected)?;
        let mut options = serde_json::to_value(options).map_err(anyhow::Error::from)?;
        // The library asks for conditional mediation (autofill); the page decides that.
        if let Some(options) = options.as_object_mut() {
            options.remove("mediation");
        }
        let mut owner = None;
        if let Some(username) = username {
            let identifier = LoginIdentifier::parse(&username);
            let user = match identifier.account_key() {
                Some(key) => store::users::find_by_login(self.db(), key).await?,
                None => None,
            };
            let keys = match &user {
                Some(user) => store::passkeys::for_user(self.db(), user.id.into()).await?,
                None => Vec::new(),
            };
            // Only the named account's passkeys may answer (when it exists).
            owner = user.map(|user| UserId::from(user.id));
            let ids: Vec<Vec<u8>> = if keys.is_empty() {
                ceremonies
                    .fakes
                    .generate(identifier.key().as_bytes())
                    .map_err(unexpected)?
            } else {
                keys.iter()
                    .filter_map(|row| stored_passkey(row).ok())
                    .map(|key| key.cred_id().clone())
                    .collect()
            };
            // Transports are left out, real or made up alike: they would tell them apart.
            options["publicKey"]["allowCredentials"] = ids
                .iter()
                .map(|id| json!({ "type": "public-key", "id": base64url(id) }))
                .collect();
        }
        self.store_ceremony(Ceremony::SignIn, owner, &state, options)
            .await
    }

    /// Verifies the browser's answer to a sign-in and opens a session with `amr`
    /// `["webauthn"]`. Whatever is wrong with the answer — an unknown passkey, another
    /// origin, a bad signature, a counter gone back — is `INVALID_CREDENTIALS`.
    #[instrument(name = "finish_passkey_login", skip_all, fields(user_id = tracing::field::Empty))]
    pub async fn finish_passkey_login(
        &self,
        input: FinishPasskey,
        client: &ClientInfo,
    ) -> Result<SignedIn, AuthError> {
        let ceremonies = self.passkey_ceremonies()?;
        self.rate_limit(Operation::PasskeyLogin, client, None)
            .await?;
        let answer: PublicKeyCredential = parse_credential(&input.credential)?;
        let challenge = self
            .take_ceremony(&input.challenge_id, Ceremony::SignIn)
            .await?;
        let db = self.db();
        let hash = credential_hash(answer.get_credential_id());
        let Some(row) = store::passkeys::find_by_credential(db, &hash).await? else {
            self.passkey_refused(None, "unknown_passkey", client).await;
            return Err(AuthError::InvalidCredentials);
        };
        let user_id = UserId::from(row.user_id);
        tracing::Span::current().record("user_id", tracing::field::display(user_id));
        let named_another = challenge.user_id.is_some_and(|named| named != row.user_id);
        let handle_of_another = answer
            .get_user_unique_id()
            .is_some_and(|handle| handle != &row.user_id.as_bytes()[..]);
        if named_another || handle_of_another {
            self.passkey_refused(Some(&row), "another_account", client)
                .await;
            return Err(AuthError::InvalidCredentials);
        }
        let state: DiscoverableAuthentication =
            serde_json::from_str(&challenge.state).map_err(anyhow::Error::from)?;
        let mut key = stored_passkey(&row)?;
        let result = match ceremonies
            .webauthn
            .finish_discoverable_authentication_v2(&answer, state, &key)
        {
            Ok(result) => result,
            Err(err) => {
                let reason = match err {
                    WebauthnError::CredentialPossibleCompromise => "counter_went_back",
                    _ => "assertion_refused",
                };
                tracing::info!(error = %err, "passkey sign-in refused");
                self.passkey_refused(Some(&row), reason, client).await;
                return Err(AuthError::InvalidCredentials);
            }
        };
        let user = store::users::find(db, user_id)
            .await?
            .ok_or(AuthError::InvalidCredentials)?;
        if !user.is_active {
            self.passkey_refused(Some(&row), "disabled", client).await;
            return Err(AuthError::AccountDisabled);
        }
        key.update_credential(&result);
        let credential = serde_json::to_string(&key).map_err(anyhow::Error::from)?;
        let txn = db.begin().await?;
        if !store::passkeys::record_use(&txn, row.id, credential, result.counter(), now()).await? {
            // Another sign-in got this counter value first: two copies of one key.
            drop(txn);
            self.passkey_refused(Some(&row), "counter_went_back", client)
                .await;
            return Err(AuthError::InvalidCredentials);
        }
        let device = SignInDevice {
            fingerprint: device_of(input.device_fingerprint, client),
            remember_me: input.remember_me,
            client: client.clone(),
        };
        let Some((signed_in, mailed)) = self
            .open_session(
                &txn,
                &user,
                user.credential_epoch,
                device,
                AuthMethods::WebAuthn,
            )
            .await?
        else {
            return Err(AuthError::InvalidCredentials);
        };
        txn.commit().await?;
        if mailed {
            self.wake_mail_worker();
        }
        let about = About {
            detail: Some(json!({ "method": "passkey", "passkey": row.id.to_string() })),
            ..signed_in.about()
        };
        self.record(SecurityEventKind::LoginSucceeded, client, about)
            .await;
        Ok(signed_in)
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
    ) -> Result<crate::entities::passkey_challenge::Model, AuthError> {
        let id = Uuid::parse_str(challenge_id).map_err(|_| AuthError::InvalidToken)?;
        store::passkeys::take_challenge(self.db(), id, ceremony, now())
            .await?
            .ok_or(AuthError::InvalidToken)
    }

    /// Records a refused passkey sign-in. Bounded like every sign-in: each one took a
    /// rate-limited start and a rate-limited finish.
    async fn passkey_refused(
        &self,
        row: Option<&passkey::Model>,
        reason: &str,
        client: &ClientInfo,
    ) {
        let about = About {
            user: row.map(|row| row.user_id),
            detail: Some(json!({
                "method": "passkey",
                "reason": reason,
                "passkey": row.map(|row| row.id.to_string()),
            })),
            ..About::default()
        };
        self.record(SecurityEventKind::LoginFailed, client, about)
            .await;
    }
}

/// What a browser sent, parsed; anything else is `BAD_USER_INPUT` on `credential`.
fn parse_credential<T: serde::de::DeserializeOwned>(raw: &str) -> Result<T, AuthError> {
    let invalid = || {
        InvalidInput::new(
            "credential",
            "Send JSON.stringify() of the credential that navigator.credentials returned.",
        )
    };
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
