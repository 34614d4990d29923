//! Output types. They wrap entity rows and choose what to show; an entity itself is
//! never exposed, so a new column never becomes public API by accident.
use async_graphql::{ComplexObject, Context, ID, Object, SimpleObject, dataloader::DataLoader};
use chrono::Utc;

use super::{
    caller::{Caller, auth, caller, principal},
    error::ApiError,
    loaders::{ActiveSessionsLoader, MfaStatusLoader, PasskeysLoader, UserLoader},
    passkeys::Passkey,
    scalars::Timestamp,
};
use crate::{
    auth::{MfaStatus, SignedIn},
    domain::{UserId, device_name},
    entities::{session, user},
};

/// An account. Only the user themself and staff can see one.
pub struct User(pub user::Model);

/// An account. Only the user themself and staff can see one.
#[Object]
impl User {
    /// A UUID.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// As registered (its case kept); unique whatever the case.
    async fn username(&self) -> &str {
        &self.0.username
    }
    /// Where mail goes; unique whatever the case.
    async fn email(&self) -> &str {
        &self.0.email
    }
    /// Whether the email address was verified with an emailed link.
    async fn email_verified(&self) -> bool {
        self.0.email_verified
    }
    /// Whether a phone number was verified (imported accounts only, for now).
    async fn phone_verified(&self) -> bool {
        self.0.phone_verified
    }
    /// Staff may use the staff-only fields.
    async fn is_staff(&self) -> bool {
        self.0.is_staff
    }
    /// False for a deactivated account: it cannot sign in.
    async fn is_active(&self) -> bool {
        self.0.is_active
    }
    /// The user's BCP 47 language tag (canonical case); default "fr".
    async fn language(&self) -> &str {
        &self.0.language
    }
    /// An IANA time zone; default "Africa/Algiers".
    async fn timezone(&self) -> &str {
        &self.0.timezone
    }
    /// Whether the user wants email notifications.
    async fn email_notifications(&self) -> bool {
        self.0.email_notifications
    }
    /// Whether the user wants SMS notifications.
    async fn sms_notifications(&self) -> bool {
        self.0.sms_notifications
    }
    /// Whether the user wants push notifications.
    async fn push_notifications(&self) -> bool {
        self.0.push_notifications
    }
    /// When the account was created.
    async fn date_joined(&self) -> Timestamp {
        self.0.date_joined.into()
    }
    /// The latest sign-in; null before the first.
    async fn last_login(&self) -> Option<Timestamp> {
        self.0.last_login.map(Timestamp)
    }
    /// The client IP of the latest sign-in.
    async fn last_login_ip(&self) -> Option<&str> {
        self.0.last_login_ip.as_deref()
    }
    /// The latest change or reset of the password.
    async fn password_changed_at(&self) -> Option<Timestamp> {
        self.0.password_changed_at.map(Timestamp)
    }
    /// Set while the account is locked after too many failed sign-ins.
    async fn locked_until(&self) -> Option<Timestamp> {
        self.0
            .locked_until
            .filter(|until| *until > Utc::now())
            .map(Timestamp)
    }
    /// Whether two-step sign-in (TOTP) is on: `login` then answers `MFA_REQUIRED`.
    async fn mfa_enabled(&self, ctx: &Context<'_>) -> Result<bool, ApiError> {
        Ok(mfa_status(ctx, self.0.id).await?.totp_enabled)
    }
    /// Recovery codes not used yet; 0 without two-step sign-in.
    async fn recovery_codes_left(&self, ctx: &Context<'_>) -> Result<i32, ApiError> {
        let left = mfa_status(ctx, self.0.id).await?.recovery_codes_left;
        Ok(i32::try_from(left).unwrap_or(i32::MAX))
    }
    /// The user's passkeys, oldest first. Staff, or the user.
    async fn passkeys(&self, ctx: &Context<'_>) -> Result<Vec<Passkey>, ApiError> {
        let me = principal(ctx).await?;
        if !me.is_staff && me.user_id != self.0.id {
            return Err(ApiError::forbidden());
        }
        let keys = ctx
            .data_unchecked::<DataLoader<PasskeysLoader>>()
            .load_one(self.0.id)
            .await
            .map_err(|e| (*e).clone())?;
        Ok(keys.unwrap_or_default().into_iter().map(Passkey).collect())
    }
    /// The user's active sessions, most recently used first. Staff, or the user.
    async fn sessions(&self, ctx: &Context<'_>) -> Result<Vec<Session>, ApiError> {
        let me = principal(ctx).await?;
        if !me.is_staff && me.user_id != self.0.id {
            return Err(ApiError::forbidden());
        }
        active_sessions(ctx, self.0.id).await
    }
}

/// A user's second-factor state through the request's DataLoader (a list of users asks
/// for many).
async fn mfa_status(ctx: &Context<'_>, id: UserId) -> Result<MfaStatus, ApiError> {
    Ok(ctx
        .data_unchecked::<DataLoader<MfaStatusLoader>>()
        .load_one(id)
        .await
        .map_err(|e| (*e).clone())?
        .unwrap_or_default())
}

/// Active sessions of a user through the request's DataLoader (for `User.sessions`,
/// which a list of users asks many times), the asking one first.
pub async fn active_sessions(ctx: &Context<'_>, user_id: UserId) -> Result<Vec<Session>, ApiError> {
    let sessions = ctx
        .data_unchecked::<DataLoader<ActiveSessionsLoader>>()
        .load_one(user_id)
        .await
        .map_err(|e| (*e).clone())?
        .unwrap_or_default();
    Ok(current_first(ctx, sessions))
}

/// The caller's own active sessions, the asking one first: one user, so straight to the
/// database rather than through a loader that waits to batch.
pub async fn own_sessions(ctx: &Context<'_>, user_id: UserId) -> Result<Vec<Session>, ApiError> {
    let sessions = ctx
        .data_unchecked::<crate::auth::AuthService>()
        .active_sessions(&[user_id])
        .await?;
    Ok(current_first(ctx, sessions))
}

fn current_first(ctx: &Context<'_>, sessions: Vec<session::Model>) -> Vec<Session> {
    let current = ctx.data_unchecked::<Caller>().current_session();
    let mut sessions: Vec<Session> = sessions.into_iter().map(Session::from).collect();
    // A stable sort keeps the loader's most-recently-used order behind the current one.
    sessions.sort_by_key(|s| Some(s.row.id) != current);
    sessions
}

pub async fn load_user(ctx: &Context<'_>, id: UserId) -> Result<User, ApiError> {
    ctx.data_unchecked::<DataLoader<UserLoader>>()
        .load_one(id)
        .await
        .map_err(|e| (*e).clone())?
        .map(User)
        .ok_or_else(ApiError::internal)
}

/// One sign-in on one device.
pub struct Session {
    row: session::Model,
    /// Set when the session is known to be the caller's own without a token (the
    /// session a sign-in just opened).
    is_current: Option<bool>,
}

impl From<session::Model> for Session {
    fn from(row: session::Model) -> Self {
        Self {
            row,
            is_current: None,
        }
    }
}

/// One sign-in on one device, alive until it expires or is ended.
#[Object]
impl Session {
    /// A UUID; the `sid` claim of its access tokens.
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }
    /// The fingerprint the client sent when it signed in, if any.
    async fn device_fingerprint(&self) -> Option<&str> {
        self.row.device_fingerprint.as_deref()
    }
    /// A readable device name, e.g. "Firefox on Linux".
    async fn device_name(&self) -> Option<String> {
        self.row.user_agent.as_deref().and_then(device_name)
    }
    /// The `User-Agent` of the sign-in (at most 512 characters).
    async fn user_agent(&self) -> Option<&str> {
        self.row.user_agent.as_deref()
    }
    /// The client IP of the sign-in (behind `TRUSTED_PROXIES`, the forwarded one).
    async fn ip_address(&self) -> Option<&str> {
        self.row.ip_address.as_deref()
    }
    /// Where the sign-in came from; null without a geo-IP database or for private IPs.
    async fn location(&self, ctx: &Context<'_>) -> Option<GeoLocation> {
        let place = auth(ctx).locate(self.row.ip_address.as_deref()?)?;
        Some(GeoLocation {
            country_code: place.country_code,
            country: place.country,
            city: place.city,
        })
    }
    /// The sign-in.
    async fn created_at(&self) -> Timestamp {
        self.row.created_at.into()
    }
    /// The sign-in or the latest refresh.
    async fn last_used_at(&self) -> Timestamp {
        self.row.last_used_at.into()
    }
    /// When it ends unless refreshed first (each refresh moves it, never past
    /// `SESSION_MAX_TTL` from the sign-in).
    async fn expires_at(&self) -> Timestamp {
        self.row.expires_at.into()
    }
    /// Neither ended nor expired.
    async fn is_active(&self) -> bool {
        crate::auth::session_is_live(&self.row, Utc::now())
    }
    /// True for the session of the token that asks.
    async fn current(&self, ctx: &Context<'_>) -> bool {
        self.is_current.unwrap_or_else(|| {
            ctx.data_unchecked::<Caller>().current_session() == Some(self.row.id)
        })
    }
    /// The account signed in.
    async fn user(&self, ctx: &Context<'_>) -> Result<User, ApiError> {
        load_user(ctx, self.row.user_id).await
    }
}

/// Where an IP address is, by the geo-IP database.
#[derive(SimpleObject)]
pub struct GeoLocation {
    /// ISO 3166-1 alpha-2, e.g. "DZ".
    pub country_code: Option<String>,
    /// The country's English name.
    pub country: Option<String>,
    /// The city's English name, when the database knows it.
    pub city: Option<String>,
}

/// A new token pair, and the session and user it belongs to.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct AuthPayload {
    /// A JWT for `Authorization: Bearer …`.
    pub access_token: String,
    /// Opaque and single use: trade it for a new pair with `refresh`. Null when it was
    /// set as an HttpOnly cookie instead (`REFRESH_TOKEN_COOKIE`).
    pub refresh_token: Option<String>,
    /// Always "Bearer".
    pub token_type: String,
    /// When the access token stops working: refresh before then.
    pub access_token_expires_at: Timestamp,
    /// When the session ends unless refreshed.
    pub refresh_token_expires_at: Timestamp,
    #[graphql(skip)]
    user_id: UserId,
    #[graphql(skip)]
    session: session::Model,
}

#[ComplexObject]
impl AuthPayload {
    /// The account signed in.
    async fn user(&self, ctx: &Context<'_>) -> Result<User, ApiError> {
        load_user(ctx, self.user_id).await
    }
    /// The session these tokens belong to.
    async fn session(&self) -> Session {
        Session {
            row: self.session.clone(),
            is_current: Some(true),
        }
    }
}

impl AuthPayload {
    /// The answer to a sign-in or a refresh. In cookie mode the refresh token goes to
    /// the cookie (for as long as the session when it is remembered) and not the body.
    pub fn deliver(ctx: &Context<'_>, s: SignedIn) -> Self {
        let remembered_until = s.session.remember_me.then_some(s.session.expires_at);
        let refresh_token = caller(ctx).deliver_refresh_token(s.refresh_token, remembered_until);
        Self {
            access_token: s.access_token,
            refresh_token,
            token_type: "Bearer".into(),
            access_token_expires_at: s.access_token_expires_at.into(),
            refresh_token_expires_at: s.session.expires_at.into(),
            user_id: s.user_id,
            session: s.session,
        }
    }
}
