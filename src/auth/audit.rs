//! Recording and reading the security trail.
use serde_json::{Value, json};

use super::{AuthError, AuthService, ClientInfo, Principal, now};
use crate::{
    domain::{InvalidInput, SecurityEventKind, SessionId, UserId, printable},
    entities::security_event,
    i18n::Message,
    store::events::{self, ChainReport, EventFilter, NewEvent},
};

/// Whom and what an event is about, besides the client that caused it.
#[derive(Debug, Default)]
pub(super) struct About {
    pub user: Option<UserId>,
    pub session: Option<SessionId>,
    /// The identifier a failed sign-in tried.
    pub identifier: Option<String>,
    pub detail: Option<Value>,
}

impl About {
    /// A staff action on `target`: `detail` says who acted (`by`) beside `more`.
    pub fn by_staff(staff: &Principal, target: UserId, more: Value) -> Self {
        let mut detail = json!({ "by": staff.user_id.to_string() });
        if let (Some(detail), Value::Object(more)) = (detail.as_object_mut(), more) {
            detail.extend(more);
        }
        Self {
            user: Some(target),
            detail: Some(detail),
            ..Self::default()
        }
    }
}

/// One page of events, newest first.
pub struct EventPage {
    pub events: Vec<security_event::Model>,
    pub has_next_page: bool,
}

const MAX_PAGE: i32 = 100;

impl AuthService {
    /// Appends to the trail. A failure is logged, not returned: the operation the event
    /// describes has already happened and must not be undone or hidden by it.
    pub(super) async fn record(&self, kind: SecurityEventKind, client: &ClientInfo, about: About) {
        // The change behind the event is committed: cached sessions may predate it.
        self.0.sessions.saw(kind);
        let event = NewEvent {
            kind,
            user_id: about.user,
            session_id: about.session,
            identifier: about.identifier.map(|i| printable(&i, 254)),
            ip_address: client.ip.map(|ip| ip.to_string()),
            user_agent: client.user_agent.as_deref().map(|ua| printable(ua, 512)),
            detail: about
                .detail
                .unwrap_or_else(|| Value::Object(Default::default())),
        };
        metrics::counter!("auth_events_total", "kind" => kind.as_str()).increment(1);
        match self.0.trail.append(event, now()).await {
            Ok(id) => {
                tracing::info!(event = kind.as_str(), event_id = id, user_id = ?about.user, "security event")
            }
            Err(err) => {
                tracing::error!(event = kind.as_str(), error = %err, "security event not recorded")
            }
        }
    }

    /// The caller's own trail.
    pub async fn my_security_events(
        &self,
        principal: &Principal,
        first: i32,
        after: Option<&str>,
    ) -> Result<EventPage, AuthError> {
        let filter = EventFilter {
            user_id: Some(principal.user_id),
            kind: None,
        };
        self.security_events(&filter, first, after).await
    }

    /// Anyone's trail, filtered; for staff.
    pub async fn security_events(
        &self,
        filter: &EventFilter,
        first: i32,
        after: Option<&str>,
    ) -> Result<EventPage, AuthError> {
        if !(0..=MAX_PAGE).contains(&first) {
            return Err(InvalidInput::saying(
                "first",
                Message::new("error-page-size").with("max", 100),
            )
            .into());
        }
        let before = after
            .map(|cursor| {
                cursor
                    .parse::<i64>()
                    .map_err(|_| InvalidInput::new("after", "error-unknown-cursor"))
            })
            .transpose()?;
        let mut events = events::page(self.db(), filter, before, first as u64 + 1).await?;
        let has_next_page = events.len() > first as usize;
        events.truncate(first as usize);
        Ok(EventPage {
            events,
            has_next_page,
        })
    }

    /// Walks the whole hash chain.
    pub async fn verify_audit_chain(&self) -> Result<ChainReport, AuthError> {
        Ok(events::verify_chain(self.db()).await?)
    }
}
