//! The security trail slice: one's own events, and everyone's for staff.
use async_graphql::{
    Context, Enum, ID, Object,
    connection::{Connection, Edge},
};

use super::{
    caller::{Authenticated, Staff, principal},
    error::ApiError,
    scalars::Timestamp,
    types::{User, load_user},
};
use crate::{
    auth::{AuthService, EventPage},
    domain::{self, UserId},
    entities::security_event,
    store::events::EventFilter,
};

/// What happened.
// A mirror of the domain's kinds; `remote` derives the conversions both ways.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "SecurityEventKind", remote = "domain::SecurityEventKind")]
pub enum Kind {
    /// An account was created.
    Registered,
    /// A sign-in opened a session (password, second step or passkey).
    LoginSucceeded,
    /// A sign-in was refused (wrong password, unknown account, disabled, passkey refused).
    LoginFailed,
    /// Too many failures locked the account.
    AccountLocked,
    /// Staff lifted a lockout.
    AccountUnlocked,
    /// A refresh token was traded for a new pair.
    TokenRefreshed,
    /// A rotated refresh token came back: its session was ended.
    RefreshTokenReused,
    /// A session was ended by its owner or staff.
    SessionRevoked,
    /// The current session was ended with `logout`.
    LoggedOut,
    /// Every session was ended with `logoutAll`.
    LoggedOutAll,
    /// A reset link was asked for.
    PasswordResetRequested,
    /// A reset link set a new password.
    PasswordResetCompleted,
    /// The password was changed with `changePassword`.
    PasswordChanged,
    /// A verification link was sent.
    EmailVerificationSent,
    /// The email address was verified.
    EmailVerified,
    /// A client went past a rate limit (at most one entry per client IP and operation a minute).
    RateLimited,
    /// Two-step sign-in (TOTP) was turned on.
    MfaEnabled,
    /// Two-step sign-in was turned off, by the owner or by staff.
    MfaDisabled,
    /// A wrong code in the second step of a sign-in.
    MfaFailed,
    /// A recovery code completed a sign-in.
    RecoveryCodeUsed,
    /// A passkey was registered.
    PasskeyAdded,
    /// A passkey was removed by its owner.
    PasskeyRemoved,
    /// The email address was changed, confirmed from the new address.
    EmailChanged,
    /// Staff deactivated the account: it cannot sign in, and its sessions ended.
    AccountDeactivated,
    /// Staff reactivated the account.
    AccountReactivated,
    /// The owner deleted the account; its personal data was erased from the trail.
    AccountDeleted,
}

/// One entry of the security trail.
pub struct SecurityEvent(security_event::Model);

/// One entry of the security trail: what happened, when, from where.
#[Object]
impl SecurityEvent {
    /// The entry's id; ids grow with time.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// What happened.
    async fn kind(&self) -> Result<Kind, ApiError> {
        domain::SecurityEventKind::parse(&self.0.kind)
            .map(Kind::from)
            .ok_or_else(ApiError::internal)
    }
    /// When it happened.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at.into()
    }
    /// The client IP of the request that caused it, if any.
    async fn ip_address(&self) -> Option<&str> {
        self.0.ip_address.as_deref()
    }
    /// The `User-Agent` of that request, if any.
    async fn user_agent(&self) -> Option<&str> {
        self.0.user_agent.as_deref()
    }
    /// The session the event concerns, if any.
    async fn session_id(&self) -> Option<ID> {
        self.0.session_id.map(|id| ID(id.to_string()))
    }
    /// The account the event concerns; null for sign-ins with an unknown identifier.
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>, ApiError> {
        match self.0.user_id {
            Some(id) => load_user(ctx, id).await.map(Some),
            None => Ok(None),
        }
    }
}

pub type SecurityEventConnection = Connection<String, SecurityEvent>;

fn connection(page: EventPage, after: Option<String>) -> SecurityEventConnection {
    let mut connection = Connection::new(after.is_some(), page.has_next_page);
    connection.edges = page
        .events
        .into_iter()
        .map(|event| Edge::new(event.id.to_string(), SecurityEvent(event)))
        .collect();
    connection
}

#[derive(Default)]
pub struct EventQuery;

#[Object]
impl EventQuery {
    /// The caller's own security trail, newest first.
    #[graphql(guard = "Authenticated")]
    async fn security_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(20)", desc = "How many, at most 100.")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<SecurityEventConnection, ApiError> {
        let me = principal(ctx).await?;
        let first = first.unwrap_or(20);
        let page = ctx
            .data_unchecked::<AuthService>()
            .my_security_events(&me, first, after.as_deref())
            .await?;
        Ok(connection(page, after))
    }

    /// Everyone's security trail, newest first, by user and kind. **Staff only.**
    #[graphql(guard = "Staff")]
    async fn auth_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(50)", desc = "How many, at most 100.")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only this account's entries.")] user_id: Option<ID>,
        #[graphql(desc = "Only entries of this kind.")] kind: Option<Kind>,
    ) -> Result<SecurityEventConnection, ApiError> {
        let first = first.unwrap_or(50);
        let user_id = user_id
            .map(|id| {
                UserId::parse(&id)
                    .ok_or_else(|| ApiError::bad_input("userId", "error-unknown-user-id"))
            })
            .transpose()?;
        let filter = EventFilter {
            user_id,
            kind: kind.map(domain::SecurityEventKind::from),
        };
        let page = ctx
            .data_unchecked::<AuthService>()
            .security_events(&filter, first, after.as_deref())
            .await?;
        Ok(connection(page, after))
    }
}
