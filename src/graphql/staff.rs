//! The staff slice of the API: look after other people's accounts.
use async_graphql::{Context, ID, Object};

use super::{
    caller::{Caller, Staff, principal},
    error::ApiError,
    types::User,
};
use crate::auth::AuthService;

#[derive(Default)]
pub struct StaffQuery;

#[Object]
impl StaffQuery {
    /// An account by id, or null. **Staff only.**
    #[graphql(guard = "Staff")]
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>, ApiError> {
        Ok(ctx
            .data_unchecked::<AuthService>()
            .find_user(&id)
            .await?
            .map(User))
    }
}

#[derive(Default)]
pub struct StaffMutation;

#[Object]
impl StaffMutation {
    /// Lifts a lockout and clears the failure count. **Staff only.**
    #[graphql(guard = "Staff")]
    async fn unlock_user(&self, ctx: &Context<'_>, id: ID) -> Result<User, ApiError> {
        let staff = principal(ctx).await?;
        let user = ctx
            .data_unchecked::<AuthService>()
            .unlock_user(&staff, &id, ctx.data_unchecked::<Caller>().client())
            .await?;
        Ok(User(user))
    }

    /// Ends every session of an account; returns how many ended. **Staff only.**
    #[graphql(guard = "Staff")]
    async fn revoke_user_sessions(&self, ctx: &Context<'_>, id: ID) -> Result<i32, ApiError> {
        let staff = principal(ctx).await?;
        let ended = ctx
            .data_unchecked::<AuthService>()
            .revoke_user_sessions(&staff, &id, ctx.data_unchecked::<Caller>().client())
            .await?;
        Ok(i32::try_from(ended).unwrap_or(i32::MAX))
    }
}
