//! Who is calling: resolved once per request, on first need, and enforced by guards.
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::{Context, Guard};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use tokio::sync::OnceCell;

use super::error::ApiError;
use crate::{
    auth::{AuthError, AuthService, ClientInfo, Principal},
    domain::UserId,
};

/// The request's identity. No token is anonymous; an invalid token is rejected by the
/// guarded fields, while public ones (such as `login`) still work, so a client holding
/// a stale token can sign in again. Cheap to clone: the operations of a batch share one.
#[derive(Clone)]
pub struct Caller(Arc<CallerInner>);

struct CallerInner {
    bearer: Option<String>,
    client: ClientInfo,
    principal: OnceCell<Option<Principal>>,
    refresh_cookie: RefreshCookieJar,
}

/// The refresh-token cookie of one request: whether the deployment uses it, what the
/// request carried, and what the answer must do with it.
pub struct RefreshCookieJar {
    enabled: bool,
    presented: Option<SecretString>,
    change: Mutex<Option<RefreshCookieChange>>,
}

/// What the answer does to the browser's refresh-token cookie.
#[derive(Clone, PartialEq, Eq)]
pub enum RefreshCookieChange {
    /// Holds the new token; `expires_at` for a remembered session, otherwise the
    /// cookie lasts as long as the browser (the session still ends on the server).
    Set {
        token: String,
        expires_at: Option<DateTime<Utc>>,
    },
    Clear,
}

impl RefreshCookieJar {
    /// No cookies: tokens travel in the body.
    pub fn disabled() -> Self {
        Self::new(false, None)
    }

    pub fn new(enabled: bool, presented: Option<SecretString>) -> Self {
        Self {
            enabled,
            presented: presented.filter(|_| enabled),
            change: Mutex::new(None),
        }
    }

    /// What the answer must do to the cookie, once all operations have run.
    pub fn take_change(&self) -> Option<RefreshCookieChange> {
        self.change
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Operations of a batch run concurrently and there is one cookie: a new token
    /// wins over a clear (its session is alive; a dead one is cleared by its next
    /// refresh), and of two new tokens the later one stays.
    fn record(&self, change: RefreshCookieChange) {
        let mut slot = self.change.lock().unwrap_or_else(PoisonError::into_inner);
        let keeps_token = matches!(*slot, Some(RefreshCookieChange::Set { .. }))
            && change == RefreshCookieChange::Clear;
        if !keeps_token {
            *slot = Some(change);
        }
    }
}

impl std::fmt::Debug for RefreshCookieChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Set { expires_at, .. } => f
                .debug_struct("Set")
                .field("token", &"[redacted]")
                .field("expires_at", expires_at)
                .finish(),
            Self::Clear => f.write_str("Clear"),
        }
    }
}

impl Caller {
    pub fn new(bearer: Option<String>, client: ClientInfo) -> Self {
        Self::with_refresh_cookie(bearer, client, RefreshCookieJar::disabled())
    }

    pub fn with_refresh_cookie(
        bearer: Option<String>,
        client: ClientInfo,
        refresh_cookie: RefreshCookieJar,
    ) -> Self {
        Self(Arc::new(CallerInner {
            bearer,
            client,
            principal: OnceCell::new(),
            refresh_cookie,
        }))
    }

    pub fn refresh_cookie(&self) -> &RefreshCookieJar {
        &self.0.refresh_cookie
    }

    /// The refresh token the request's cookie holds (cookie mode only).
    pub fn presented_refresh_token(&self) -> Option<&SecretString> {
        self.0.refresh_cookie.presented.as_ref()
    }

    /// Hands a new refresh token to the client: into the cookie in cookie mode (and
    /// `None` for the body), otherwise back for the body.
    pub fn deliver_refresh_token(
        &self,
        token: String,
        expires_at: Option<DateTime<Utc>>,
    ) -> Option<String> {
        let jar = &self.0.refresh_cookie;
        if !jar.enabled {
            return Some(token);
        }
        jar.record(RefreshCookieChange::Set { token, expires_at });
        None
    }

    /// The session behind the cookie ended: the answer removes it (cookie mode only).
    pub fn clear_refresh_cookie(&self) {
        let jar = &self.0.refresh_cookie;
        if jar.enabled {
            jar.record(RefreshCookieChange::Clear);
        }
    }

    pub fn client(&self) -> &ClientInfo {
        &self.0.client
    }

    /// Who the request turned out to be, if something already asked: no new check.
    pub fn known_user(&self) -> Option<UserId> {
        self.0.principal.get()?.as_ref().map(|p| p.user_id)
    }

    /// The principal behind the bearer token, checked against its session once.
    pub async fn principal(&self, auth: &AuthService) -> Result<Principal, ApiError> {
        let resolved = self
            .0
            .principal
            .get_or_try_init(|| async {
                let Some(token) = &self.0.bearer else {
                    return Ok(None);
                };
                match auth.authenticate(token).await {
                    Ok(principal) => Ok(Some(principal)),
                    Err(AuthError::Unauthenticated) => Ok(None),
                    Err(other) => Err(ApiError::from(other)),
                }
            })
            .await?;
        resolved.ok_or_else(ApiError::unauthenticated)
    }

    /// The session id of the asking token without a database round trip, for marking
    /// `Session.current`; only meaningful once a guard has passed.
    pub fn current_session(&self) -> Option<crate::domain::SessionId> {
        self.0
            .principal
            .get()
            .copied()
            .flatten()
            .map(|p| p.session_id)
    }
}

/// The auth flows, shared by every request.
pub fn auth<'a>(ctx: &Context<'a>) -> &'a AuthService {
    ctx.data_unchecked::<AuthService>()
}

/// Who sends this request.
pub fn caller<'a>(ctx: &Context<'a>) -> &'a Caller {
    ctx.data_unchecked::<Caller>()
}

/// The principal of this request, or `UNAUTHENTICATED`.
pub async fn principal(ctx: &Context<'_>) -> Result<Principal, ApiError> {
    let auth = ctx.data_unchecked::<AuthService>();
    ctx.data_unchecked::<Caller>().principal(auth).await
}

/// Lets only callers with a live session through.
pub struct Authenticated;

impl Guard for Authenticated {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        principal(ctx).await?;
        Ok(())
    }
}

/// Lets only staff through (`UNAUTHENTICATED` first when there is no session).
pub struct Staff;

impl Guard for Staff {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        if principal(ctx).await?.is_staff {
            Ok(())
        } else {
            Err(ApiError::forbidden().into())
        }
    }
}

/// Lets through callers with a live session whose email is verified, when
/// `REQUIRE_VERIFIED_EMAIL` asks for it (`UNAUTHENTICATED` first when there is no
/// session, then `EMAIL_NOT_VERIFIED`). With the setting off it is `Authenticated`.
pub struct VerifiedEmail;

impl Guard for VerifiedEmail {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let me = principal(ctx).await?;
        let auth = ctx.data_unchecked::<AuthService>();
        if auth.requires_verified_email() && !me.email_verified {
            return Err(ApiError::email_not_verified().into());
        }
        Ok(())
    }
}
