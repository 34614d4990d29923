//! Signing in with a passkey: by username (the account's credentials listed, or
//! made-up ones) or with a discoverable credential (none listed).
use sea_orm::TransactionTrait;
use serde_json::json;
use tracing::instrument;
use webauthn_rs::prelude::{DiscoverableAuthentication, PublicKeyCredential, WebauthnError};

use super::{
    FinishPasskey, PasskeyChallenge, base64url, credential_hash, parse_credential, stored_passkey,
    unexpected,
};
use crate::{
    auth::{
        AuthError, AuthService, ClientInfo, SignedIn,
        audit::About,
        now,
        rate_limit::Operation,
        sign_in::{SignInDevice, device_of},
    },
    domain::{AuthMethods, LoginIdentifier, SecurityEventKind, UserId},
    entities::passkey,
    store::{self, passkeys::Ceremony},
};

impl AuthService {
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
            // The same two queries whether or not the account exists: the answer's
            // timing must not tell either.
            let owner_id = user
                .as_ref()
                .map_or(UserId::from(uuid::Uuid::nil()), |user| user.id);
            let keys = store::passkeys::for_user(self.db(), owner_id).await?;
            // Only the named account's passkeys may answer (when it exists).
            owner = user.map(|user| user.id);
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
        let user_id = row.user_id;
        tracing::Span::current().record("user_id", tracing::field::display(user_id));
        let named_another = challenge.user_id.is_some_and(|named| named != row.user_id);
        let handle_of_another = answer
            .get_user_unique_id()
            .is_some_and(|handle| handle != &row.user_id.as_uuid().as_bytes()[..]);
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
        let signed_in = self
            .commit_sign_in(txn, &user, device, AuthMethods::WebAuthn)
            .await?;
        let about = About {
            detail: Some(json!({ "method": "passkey", "passkey": row.id.to_string() })),
            ..signed_in.about()
        };
        self.record(SecurityEventKind::LoginSucceeded, client, about)
            .await;
        Ok(signed_in)
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
