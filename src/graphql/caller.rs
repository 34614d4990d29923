//! Who is calling: resolved once per request, on first need, and enforced by guards.
use std::sync::Arc;

use async_graphql::{Context, Guard};
use tokio::sync::OnceCell;

use super::error::ApiError;
use crate::auth::{AuthError, AuthService, ClientInfo, Principal};

/// The request's identity. No token is anonymous; an invalid token is rejected by the
/// guarded fields, while public ones (such as `login`) still work, so a client holding
/// a stale token can sign in again. Cheap to clone: the operations of a batch share one.
#[derive(Clone)]
pub struct Caller(Arc<CallerInner>);

struct CallerInner {
    bearer: Option<String>,
    client: ClientInfo,
    principal: OnceCell<Option<Principal>>,
}

impl Caller {
    pub fn new(bearer: Option<String>, client: ClientInfo) -> Self {
        Self(Arc::new(CallerInner {
            bearer,
            client,
            principal: OnceCell::new(),
        }))
    }

    pub fn client(&self) -> &ClientInfo {
        &self.0.client
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
