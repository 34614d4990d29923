//! The sessions slice of the API: see and end one's own sign-ins.
use async_graphql::{Context, ID, Object};

use super::{
    caller::{Authenticated, Caller, principal},
    error::ApiError,
    types::{Session, own_sessions},
};
use crate::auth::AuthService;

#[derive(Default)]
pub struct SessionQuery;

#[Object]
impl SessionQuery {
    /// The caller's active sessions: the current one first, then by last use.
    #[graphql(guard = "Authenticated")]
    async fn sessions(&self, ctx: &Context<'_>) -> Result<Vec<Session>, ApiError> {
        let me = principal(ctx).await?;
        own_sessions(ctx, me.user_id).await
    }
}

#[derive(Default)]
pub struct SessionMutation;

#[Object]
impl SessionMutation {
    /// Ends the current session.
    #[graphql(guard = "Authenticated")]
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool, ApiError> {
        let me = principal(ctx).await?;
        let client = ctx.data_unchecked::<Caller>().client();
        let ended = ctx
            .data_unchecked::<AuthService>()
            .logout(&me, client)
            .await?;
        ctx.data_unchecked::<Caller>().clear_refresh_cookie();
        Ok(ended)
    }

    /// Ends every session of the caller, this one included; returns how many ended.
    #[graphql(guard = "Authenticated")]
    async fn logout_all(&self, ctx: &Context<'_>) -> Result<i32, ApiError> {
        let me = principal(ctx).await?;
        let client = ctx.data_unchecked::<Caller>().client();
        let ended = ctx
            .data_unchecked::<AuthService>()
            .logout_all(&me, client)
            .await?;
        ctx.data_unchecked::<Caller>().clear_refresh_cookie();
        Ok(i32::try_from(ended).unwrap_or(i32::MAX))
    }

    /// Ends one of the caller's own sessions. Any other id answers `NOT_FOUND`.
    #[graphql(guard = "Authenticated")]
    async fn revoke_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "`Session.id`.")] id: ID,
    ) -> Result<Session, ApiError> {
        let me = principal(ctx).await?;
        let session = ctx
            .data_unchecked::<AuthService>()
            .revoke_session(&me, &id, ctx.data_unchecked::<Caller>().client())
            .await?;
        if session.id == me.session_id {
            ctx.data_unchecked::<Caller>().clear_refresh_cookie();
        }
        Ok(session.into())
    }
}
