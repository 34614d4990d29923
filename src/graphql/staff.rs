//! The staff slice of the API: look after other people's accounts.
use async_graphql::{
    Context, ID, Object,
    connection::{Connection, Edge},
};

use super::{
    caller::{Caller, Staff, principal},
    error::ApiError,
    types::User,
};
use crate::auth::AuthService;

#[derive(Default)]
pub struct StaffQuery;

pub type UserConnection = Connection<String, User>;

#[Object]
impl StaffQuery {
    /// Accounts newest first; `search` matches part of a username or email. **Staff only.**
    #[graphql(guard = "Staff")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(20)", desc = "How many, at most 100.")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Part of a username or email, any case.")] search: Option<String>,
    ) -> Result<UserConnection, ApiError> {
        let page = ctx
            .data_unchecked::<AuthService>()
            .list_users(search.as_deref(), first.unwrap_or(20), after.as_deref())
            .await?;
        let mut connection = Connection::new(after.is_some(), page.has_next_page);
        connection.edges = page
            .users
            .into_iter()
            .map(|user| Edge::new(user.id.to_string(), User(user)))
            .collect();
        Ok(connection)
    }

    /// An account by id, or null. **Staff only.**
    #[graphql(guard = "Staff")]
    async fn user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's id.")] id: ID,
    ) -> Result<Option<User>, ApiError> {
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
    async fn unlock_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's id.")] id: ID,
    ) -> Result<User, ApiError> {
        let staff = principal(ctx).await?;
        let user = ctx
            .data_unchecked::<AuthService>()
            .unlock_user(&staff, &id, ctx.data_unchecked::<Caller>().client())
            .await?;
        Ok(User(user))
    }

    /// Deactivates an account: it cannot sign in (`ACCOUNT_DISABLED`) and its sessions
    /// end at once. Staff cannot deactivate themselves. **Staff only.**
    #[graphql(guard = "Staff")]
    async fn deactivate_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's id.")] id: ID,
    ) -> Result<User, ApiError> {
        let staff = principal(ctx).await?;
        let user = ctx
            .data_unchecked::<AuthService>()
            .deactivate_user(&staff, &id, ctx.data_unchecked::<Caller>().client())
            .await?;
        Ok(User(user))
    }

    /// Lets a deactivated account sign in again; its ended sessions stay ended.
    /// **Staff only.**
    #[graphql(guard = "Staff")]
    async fn reactivate_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's id.")] id: ID,
    ) -> Result<User, ApiError> {
        let staff = principal(ctx).await?;
        let user = ctx
            .data_unchecked::<AuthService>()
            .reactivate_user(&staff, &id, ctx.data_unchecked::<Caller>().client())
            .await?;
        Ok(User(user))
    }

    /// Ends every session of an account; returns how many ended. **Staff only.**
    #[graphql(guard = "Staff")]
    async fn revoke_user_sessions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's id.")] id: ID,
    ) -> Result<i32, ApiError> {
        let staff = principal(ctx).await?;
        let ended = ctx
            .data_unchecked::<AuthService>()
            .revoke_user_sessions(&staff, &id, ctx.data_unchecked::<Caller>().client())
            .await?;
        Ok(i32::try_from(ended).unwrap_or(i32::MAX))
    }
}
