//! Adding and removing passkeys: both change what can sign in to the account, so both
//! run under its row lock and tell the owner by mail.
use sea_orm::TransactionTrait;
use serde_json::json;
use tracing::instrument;
use webauthn_rs::prelude::{PasskeyRegistration, RegisterPublicKeyCredential};

use super::{
    FinishPasskey, MAX_PASSKEYS_PER_USER, PasskeyChallenge, credential_hash, parse_credential,
    stored_passkey, unexpected,
};
use crate::{
    auth::{
        AuthError, AuthService, ClientInfo, Principal, SecondFactorRefusal, audit::About,
        notices::queue_notice, now, rate_limit::Operation,
    },
    domain::{InvalidInput, MailKind, PasskeyId, SecurityEventKind, device_name},
    entities::passkey,
    store::{
        self,
        passkeys::{Ceremony, NewPasskey},
    },
};

impl AuthService {
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
            .start_passkey_registration(
                user.id.as_uuid(),
                &user.username,
                &user.username,
                Some(exclude),
            )
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
        if challenge.user_id != Some(principal.user_id) {
            return Err(AuthError::InvalidToken);
        }
        let state: PasskeyRegistration =
            serde_json::from_str(&challenge.state).map_err(anyhow::Error::from)?;
        let key = ceremonies
            .webauthn
            .finish_passkey_registration(&answer, &state)
            .map_err(|err| {
                tracing::info!(error = %err, "passkey registration refused");
                InvalidInput::new("credential", "error-passkey-unverified")
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
            return Err(InvalidInput::new("credential", "error-passkey-registered").into());
        };
        let detail = json!({ "name": name });
        queue_notice(&txn, &user, MailKind::PasskeyAdded, Some(detail.clone())).await?;
        txn.commit().await?;
        self.wake_mail_worker();
        let about = About {
            detail: Some(json!({ "passkey": stored.id.to_string(), "name": name })),
            ..principal.about(Some(principal.session_id))
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
        let id = PasskeyId::parse(id).ok_or(AuthError::NotFound)?;
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
        queue_notice(
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
            ..principal.about(Some(principal.session_id))
        };
        self.record(SecurityEventKind::PasskeyRemoved, client, about)
            .await;
        Ok(())
    }
}
