//! The passkey slice of the API: registering, signing in, listing and removing.
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::{
    caller::{Authenticated, auth, caller, principal},
    error::ApiError,
    scalars::Timestamp,
    types::AuthPayload,
};
use crate::{auth::FinishPasskey, entities::passkey};

/// A WebAuthn ceremony started: hand `options` to the browser, and send back its answer
/// with `challengeId` within 5 minutes. Each challenge is answered once.
#[derive(SimpleObject)]
pub struct PasskeyChallenge {
    /// Send it back with the browser's answer.
    pub challenge_id: ID,
    /// JSON of `{"publicKey": {…}}`: pass `publicKey` to
    /// `PublicKeyCredential.parseCreationOptionsFromJSON` (registration) or
    /// `parseRequestOptionsFromJSON` (sign-in), then to `navigator.credentials`.
    pub options: String,
}

impl From<crate::auth::PasskeyChallenge> for PasskeyChallenge {
    fn from(challenge: crate::auth::PasskeyChallenge) -> Self {
        Self {
            challenge_id: ID(challenge.challenge_id.to_string()),
            options: challenge.options,
        }
    }
}

/// The browser's answer to a passkey ceremony.
#[derive(InputObject)]
pub struct FinishPasskeyInput {
    /// `PasskeyChallenge.challengeId`.
    pub challenge_id: ID,
    /// `JSON.stringify(credential)` of what `navigator.credentials.create()` or
    /// `.get()` returned (at most 16 KiB).
    pub credential: String,
    /// Sign-in only: as `login`'s.
    pub device_fingerprint: Option<String>,
    /// Sign-in only: as `login`'s.
    #[graphql(default = false)]
    pub remember_me: bool,
}

impl From<FinishPasskeyInput> for FinishPasskey {
    fn from(input: FinishPasskeyInput) -> Self {
        Self {
            challenge_id: input.challenge_id.0,
            credential: input.credential,
            device_fingerprint: input.device_fingerprint,
            remember_me: input.remember_me,
        }
    }
}

pub struct Passkey(pub passkey::Model);

/// A passkey of the account: it signs in without a password.
#[Object]
impl Passkey {
    /// A UUID, for `removePasskey`.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The device it was registered from ("Chrome on Android"), when that was known.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    /// When it was registered.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at.into()
    }
    /// The last sign-in with it; null before the first.
    async fn last_used_at(&self) -> Option<Timestamp> {
        self.0.last_used_at.map(Timestamp)
    }
}

#[derive(Default)]
pub struct PasskeyMutation;

#[Object]
impl PasskeyMutation {
    /// Starts adding a passkey to your account. A session that signed in more than
    /// 5 minutes ago must confirm the password (checked like `login`'s: wrong ones
    /// count toward the lockout, rate limited per user and IP); without it, the answer
    /// is `BAD_USER_INPUT` on `password`.
    #[graphql(guard = "Authenticated")]
    async fn start_passkey_registration(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's current password; needed unless this session \
                          signed in within the last 5 minutes.")]
        password: Option<String>,
    ) -> Result<PasskeyChallenge, ApiError> {
        let me = principal(ctx).await?;
        Ok(auth(ctx)
            .start_passkey_registration(&me, password, caller(ctx).client())
            .await?
            .into())
    }

    /// Verifies the browser's answer and adds the passkey; the owner is emailed. A
    /// challenge that is unknown, expired, used or another account's is
    /// `INVALID_TOKEN`; an answer that does not verify (another origin, a passkey
    /// registered already) is `BAD_USER_INPUT` on `credential`.
    #[graphql(guard = "Authenticated")]
    async fn finish_passkey_registration(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The challenge and the browser's answer.")] input: FinishPasskeyInput,
    ) -> Result<Passkey, ApiError> {
        let me = principal(ctx).await?;
        let stored = auth(ctx)
            .finish_passkey_registration(&me, input.into(), caller(ctx).client())
            .await?;
        Ok(Passkey(stored))
    }

    /// Removes one of your passkeys (another account's answers `NOT_FOUND`, like an
    /// unknown id); the owner is emailed.
    #[graphql(guard = "Authenticated")]
    async fn remove_passkey(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "`Passkey.id`.")] id: ID,
    ) -> Result<bool, ApiError> {
        let me = principal(ctx).await?;
        auth(ctx)
            .remove_passkey(&me, &id, caller(ctx).client())
            .await?;
        Ok(true)
    }

    /// Starts a passkey sign-in. With a username (or email), the browser offers that
    /// account's passkeys; without one, any passkey of this site the device holds. The
    /// answer looks the same whether or not the account exists.
    async fn start_passkey_login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A username or email; omit it for a discoverable passkey.")]
        username: Option<String>,
    ) -> Result<PasskeyChallenge, ApiError> {
        Ok(auth(ctx)
            .start_passkey_login(username, caller(ctx).client())
            .await?
            .into())
    }

    /// Signs in with the browser's answer: no password, no `MFA_REQUIRED`; access
    /// tokens carry `amr: ["webauthn"]`. An answer that does not verify is
    /// `INVALID_CREDENTIALS`; an unknown, expired or used challenge `INVALID_TOKEN`.
    async fn finish_passkey_login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The challenge and the browser's answer.")] input: FinishPasskeyInput,
    ) -> Result<AuthPayload, ApiError> {
        let signed_in = auth(ctx)
            .finish_passkey_login(input.into(), caller(ctx).client())
            .await?;
        Ok(AuthPayload::deliver(ctx, signed_in))
    }
}
