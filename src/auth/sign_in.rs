//! Login, and what every sign-in shares: opening the session (device, cap, new-device
//! mail) and issuing its tokens. Refresh is in `refresh.rs`.
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use tracing::instrument;

use serde_json::json;

use super::{
    AuthError, AuthService, ClientInfo,
    audit::About,
    now,
    password::{self, HashScheme},
    password_check::PasswordCheck,
    rate_limit::Operation,
    to_chrono,
};
use crate::{
    domain::{
        AuthMethods, LoginIdentifier, MailKind, Password, SecurityEventKind, UserId, device_name,
        printable,
    },
    entities::{session, user},
    store::{self, outbox::NewMail, sessions::NewSession},
};

/// What a successful sign-in or refresh hands the client.
#[derive(Clone)]
pub struct SignedIn {
    pub user_id: UserId,
    pub session: session::Model,
    pub access_token: String,
    pub access_token_expires_at: DateTime<Utc>,
    pub refresh_token: String,
}

/// Without the tokens: in a log line, they would be the session itself.
impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("user_id", &self.user_id)
            .field("session", &self.session.id)
            .field("access_token", &"[redacted]")
            .field("access_token_expires_at", &self.access_token_expires_at)
            .field("refresh_token", &"[redacted]")
            .finish()
    }
}

impl SignedIn {
    /// The user and session, for the security trail.
    pub(super) fn about(&self) -> About {
        About {
            user: Some(self.user_id),
            session: Some(self.session.id),
            ..About::default()
        }
    }
}

/// Where a sign-in comes from: what its session is opened with, whether now or after
/// a second step.
pub(super) struct SignInDevice {
    pub fingerprint: Option<String>,
    pub remember_me: bool,
    pub client: ClientInfo,
}

pub struct Credentials {
    /// A username or an email address.
    pub identifier: String,
    pub password: String,
    pub device_fingerprint: Option<String>,
    pub remember_me: bool,
}

/// Which device a sign-in comes from: the input's own fingerprint, else the header's.
pub(super) fn device_of(input: Option<String>, client: &ClientInfo) -> Option<String> {
    input
        .or_else(|| client.device_fingerprint.clone())
        .map(|f| printable(&f, 255))
        .filter(|f| !f.is_empty())
}

impl AuthService {
    #[instrument(name = "login", skip_all, fields(user_id = tracing::field::Empty))]
    pub async fn login(
        &self,
        credentials: Credentials,
        client: &ClientInfo,
    ) -> Result<SignedIn, AuthError> {
        let identifier = LoginIdentifier::parse(&credentials.identifier);
        self.rate_limit(Operation::Login, client, None).await?;
        let password = Password::parse(credentials.password, "password")?;
        let db = self.db();
        let user = match identifier.account_key() {
            Some(key) => store::users::find_by_login(db, key).await?,
            None => None,
        };
        if let Some(user) = &user {
            tracing::Span::current().record("user_id", tracing::field::display(user.id));
        }
        let check = PasswordCheck::SignIn {
            identifier: &identifier,
            user: user.as_ref(),
        };
        let accepted = self.check_password(check, &password, client).await?;
        let Some(user) = &user else {
            return Err(AuthError::InvalidCredentials);
        };
        if !user.is_active {
            let disabled = About {
                user: Some(user.id),
                identifier: Some(identifier.key().to_owned()),
                detail: Some(json!({ "reason": "disabled" })),
                ..About::default()
            };
            self.record(SecurityEventKind::LoginFailed, client, disabled)
                .await;
            return Err(AuthError::AccountDisabled);
        }
        let user_id = user.id;
        if accepted.needs_rehash {
            let hash = self.0.hasher.hash(&password).await?;
            if store::users::upgrade_password_hash(db, user_id, &user.password_hash, hash).await? {
                let from = password::scheme_of(&user.password_hash).map(HashScheme::name);
                tracing::info!(from = from.unwrap_or("unknown"), "password hash upgraded");
            }
        }
        let device = SignInDevice {
            fingerprint: device_of(credentials.device_fingerprint, client),
            remember_me: credentials.remember_me,
            client: client.clone(),
        };
        if let Some(methods) = self.second_factor_methods(user_id).await? {
            let challenge = self
                .ask_for_second_factor(user, accepted, device, methods)
                .await?;
            return Err(AuthError::MfaRequired(challenge));
        }
        let signed_in = self
            .commit_sign_in(db.begin().await?, user, device, AuthMethods::Password)
            .await?;
        self.record(SecurityEventKind::LoginSucceeded, client, signed_in.about())
            .await;
        Ok(signed_in)
    }

    /// Opens the session in `txn`, after whatever the caller wrote there, and commits;
    /// wakes the mail worker when a new-device notice was queued. A change of password
    /// that overtook the sign-in is `INVALID_CREDENTIALS` (nothing is committed).
    pub(super) async fn commit_sign_in(
        &self,
        txn: DatabaseTransaction,
        user: &user::Model,
        device: SignInDevice,
        amr: AuthMethods,
    ) -> Result<SignedIn, AuthError> {
        let Some((signed_in, mailed)) = self
            .open_session(&txn, user, user.credential_epoch, device, amr)
            .await?
        else {
            return Err(AuthError::InvalidCredentials);
        };
        txn.commit().await?;
        if mailed {
            self.wake_mail_worker();
        }
        Ok(signed_in)
    }

    /// Completes a sign-in inside `txn`: records it — only while the account is still
    /// in `credential_epoch`, the one whose password was checked, so a password change
    /// or reset committed since makes the old password useless — opens the session,
    /// and queues the new-device mail when it is one (`true`). `None` when a change of
    /// password overtook the sign-in.
    pub(super) async fn open_session(
        &self,
        txn: &impl ConnectionTrait,
        user: &user::Model,
        credential_epoch: i32,
        device: SignInDevice,
        amr: AuthMethods,
    ) -> Result<Option<(SignedIn, bool)>, AuthError> {
        let now = now();
        let user_id = user.id;
        // This write takes the user's row lock (if the caller did not already), so two
        // sign-ins of one user cannot both squeeze under the session cap.
        let ip = device.client.ip.map(|ip| ip.to_string());
        if !store::users::record_login(txn, user_id, credential_epoch, ip, now).await? {
            return Ok(None);
        }
        let signed_in = self.start_session(txn, user, device, amr, now).await?;
        let unfamiliar = self
            .unfamiliar_sign_in(txn, user, &signed_in.session)
            .await?;
        let mailed = unfamiliar.is_some();
        if let Some(detail) = unfamiliar {
            let mail = NewMail {
                kind: MailKind::NewSignIn,
                user_id,
                recipient: user.email.clone(),
                token_id: None,
                detail: Some(detail),
            };
            store::outbox::queue(txn, mail, now).await?;
        }
        Ok(Some((signed_in, mailed)))
    }

    /// Opens a session for `user` inside the caller's transaction: ends the device's
    /// earlier session, makes room under the per-user cap, and issues the tokens.
    pub(super) async fn start_session(
        &self,
        txn: &impl ConnectionTrait,
        user: &user::Model,
        device: SignInDevice,
        amr: AuthMethods,
        now: DateTime<Utc>,
    ) -> Result<SignedIn, AuthError> {
        let user_id = user.id;
        let policy = self.policy();
        let SignInDevice {
            fingerprint,
            remember_me,
            client,
        } = device;
        if let Some(fingerprint) = &fingerprint {
            store::sessions::revoke_same_device(txn, user_id, fingerprint, now).await?;
        }
        store::sessions::trim_to(txn, user_id, policy.max_sessions_per_user - 1, now).await?;
        let max_expires_at = now + to_chrono(policy.lifetimes.session_max);
        let session = store::sessions::create(
            txn,
            NewSession {
                user_id,
                device_fingerprint: fingerprint,
                user_agent: client.user_agent.as_ref().map(|ua| printable(ua, 512)),
                ip_address: client.ip.map(|ip| ip.to_string()),
                remember_me,
                expires_at: self.session_expiry(remember_me, now, max_expires_at),
                max_expires_at,
                amr,
            },
            now,
        )
        .await?;
        self.signed_in(user, session, now)
    }

    /// The device and place of `new` when the account has signed in before but never
    /// from that device in that country: worth an email to its owner.
    async fn unfamiliar_sign_in(
        &self,
        db: &impl ConnectionTrait,
        user: &user::Model,
        new: &session::Model,
    ) -> Result<Option<serde_json::Value>, AuthError> {
        /// How far back earlier sign-ins are compared.
        const REMEMBERED: u64 = 200;
        let earlier = store::sessions::recent_for_user(db, user.id, REMEMBERED).await?;
        let place_of = |s: &session::Model| s.ip_address.as_deref().and_then(|ip| self.locate(ip));
        let mark = |s: &session::Model| {
            (
                s.user_agent.as_deref().and_then(device_name),
                place_of(s).and_then(|p| p.country_code),
            )
        };
        let new_place = place_of(new);
        let device = new.user_agent.as_deref().and_then(device_name);
        let new_mark = (
            device.clone(),
            new_place.as_ref().and_then(|p| p.country_code.clone()),
        );
        let mut others = earlier.iter().filter(|s| s.id != new.id).peekable();
        if others.peek().is_none() || others.any(|s| mark(s) == new_mark) {
            return Ok(None);
        }
        let place = new_place.map(|p| match (p.city, p.country) {
            (Some(city), Some(country)) => format!("{city}, {country}"),
            (city, country) => city.or(country).or(p.country_code).unwrap_or_default(),
        });
        Ok(Some(
            json!({ "device": device, "place": place, "ip": new.ip_address }),
        ))
    }

    /// A session's expiry as of `now`: its lifetime from now, never past its cap.
    pub(super) fn session_expiry(
        &self,
        remember_me: bool,
        now: DateTime<Utc>,
        max_expires_at: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let lifetimes = &self.policy().lifetimes;
        let ttl = if remember_me {
            lifetimes.remembered_session
        } else {
            lifetimes.short_session
        };
        (now + to_chrono(ttl)).min(max_expires_at)
    }

    pub(super) fn signed_in(
        &self,
        user: &user::Model,
        session: session::Model,
        now: DateTime<Utc>,
    ) -> Result<SignedIn, AuthError> {
        let user_id = user.id;
        let session_id = session.id;
        let access = self.0.access_tokens.issue(
            user_id,
            session_id,
            user.credential_epoch,
            AuthMethods::parse(&session.amr),
            now,
        )?;
        Ok(SignedIn {
            user_id,
            refresh_token: self
                .0
                .refresh_tokens
                .encode(session_id, session.refresh_counter),
            access_token: access.token,
            access_token_expires_at: access.expires_at,
            session,
        })
    }
}
