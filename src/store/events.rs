//! The security trail: append-only, each event hash-chained to the one before, so an
//! altered or removed event is found by walking the chain.
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionSession, TransactionTrait, prelude::Expr, sea_query::ExprTrait,
};
use sha2::{Digest, Sha256};

use crate::{
    domain::{SecurityEventKind, SessionId, UserId},
    entities::{
        audit_chain::{self, Entity as AuditChain},
        security_event::{self, Entity as SecurityEvents},
    },
};

/// An event to record; `detail` is a small JSON object.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: SecurityEventKind,
    pub user_id: Option<UserId>,
    pub session_id: Option<SessionId>,
    pub identifier: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub detail: serde_json::Value,
}

const HEAD: i32 = 1;

/// Appends events in order, in one transaction; answers the first one's id (the rest
/// follow it). The head row is updated first, which locks it (a row lock on
/// PostgreSQL, the write lock on SQLite) until commit: appends are serialized and the
/// chain never forks.
pub async fn append_many(
    db: &(impl ConnectionTrait + TransactionTrait),
    events: Vec<(NewEvent, DateTime<Utc>)>,
) -> Result<i64, DbErr> {
    let count = i64::try_from(events.len()).map_err(|_| DbErr::Custom("too many events".into()))?;
    let txn = db.begin().await?;
    let head = AuditChain::update_many()
        .col_expr(
            audit_chain::Column::LastId,
            Expr::col(audit_chain::Column::LastId).add(count),
        )
        .filter(audit_chain::Column::Id.eq(HEAD))
        .exec_with_returning(&txn)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| DbErr::RecordNotFound("audit chain head".into()))?;
    let first_id = head.last_id - count + 1;
    let mut prev_hash = head.last_hash;
    let mut rows = Vec::with_capacity(events.len());
    for (id, (event, now)) in (first_id..).zip(events) {
        let row = security_event::Model {
            id,
            kind: event.kind.as_str().to_owned(),
            user_id: event.user_id,
            session_id: event.session_id,
            identifier: event.identifier,
            ip_address: event.ip_address,
            user_agent: event.user_agent,
            detail: event.detail.to_string(),
            // Microseconds: what every backend stores exactly, so the hash re-computes.
            created_at: now.trunc_subsecs(6),
            prev_hash,
            hash: String::new(),
            personal_salt: None,
            personal_digest: None,
            erased_at: None,
        };
        let salt = crate::domain::hex(&rand::random::<[u8; 16]>());
        let row = security_event::Model {
            personal_digest: Some(personal_digest(&salt, &row)),
            personal_salt: Some(salt),
            ..row
        };
        let hash = chain_hash(&row);
        prev_hash = hash.clone();
        rows.push(security_event::ActiveModel {
            hash: Set(hash),
            ..security_event::ActiveModel::from(row)
        });
    }
    SecurityEvents::insert_many(rows).exec(&txn).await?;
    AuditChain::update_many()
        .col_expr(audit_chain::Column::LastHash, Expr::val(prev_hash))
        .filter(audit_chain::Column::Id.eq(HEAD))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(first_id)
}

/// SHA-256 over the previous hash and every stored field, length-prefixed so no two
/// different events can serialize alike. The client fields enter through their salted
/// digest, so erasing them (and the salt) leaves what the chain covers intact; events
/// from before erasable trails (no digest) are hashed over the fields themselves.
fn chain_hash(event: &security_event::Model) -> String {
    if let Some(digest) = &event.personal_digest {
        return digest_of([
            event.prev_hash.clone(),
            event.id.to_string(),
            event.kind.clone(),
            event.user_id.map(|u| u.to_string()).unwrap_or_default(),
            event.session_id.map(|u| u.to_string()).unwrap_or_default(),
            format!("personal:{digest}"),
            event.detail.clone(),
            event.created_at.trunc_subsecs(6).to_rfc3339(),
        ]);
    }
    let fields = [
        event.prev_hash.clone(),
        event.id.to_string(),
        event.kind.clone(),
        event.user_id.map(|u| u.to_string()).unwrap_or_default(),
        event.session_id.map(|u| u.to_string()).unwrap_or_default(),
        event.identifier.clone().unwrap_or_default(),
        event.ip_address.clone().unwrap_or_default(),
        event.user_agent.clone().unwrap_or_default(),
        event.detail.clone(),
        event.created_at.trunc_subsecs(6).to_rfc3339(),
    ];
    digest_of(fields)
}

/// What the chain keeps of an event's client fields.
fn personal_digest(salt: &str, event: &security_event::Model) -> String {
    digest_of([
        salt.to_owned(),
        event.identifier.clone().unwrap_or_default(),
        event.ip_address.clone().unwrap_or_default(),
        event.user_agent.clone().unwrap_or_default(),
    ])
}

/// SHA-256 of length-prefixed fields, in hex.
fn digest_of<const N: usize>(fields: [String; N]) -> String {
    let mut hasher = Sha256::new();
    for field in fields {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    crate::domain::hex(&hasher.finalize())
}

/// Which events a page shows.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub user_id: Option<UserId>,
    pub kind: Option<SecurityEventKind>,
}

/// Newest first, strictly before the event `before` (a cursor), at most `limit`.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: &EventFilter,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<security_event::Model>, DbErr> {
    let mut query = SecurityEvents::find().order_by_desc(security_event::Column::Id);
    if let Some(user_id) = filter.user_id {
        query = query.filter(security_event::Column::UserId.eq(user_id));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(security_event::Column::Kind.eq(kind.as_str()));
    }
    if let Some(before) = before {
        query = query.filter(security_event::Column::Id.lt(before));
    }
    query.limit(limit).all(db).await
}

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainReport {
    Intact {
        events: u64,
    },
    /// The first event whose hash does not match its contents (altered), or whose
    /// predecessor is not the one it chains to (an event before it was removed).
    BrokenAt {
        event_id: i64,
        reason: &'static str,
    },
    /// The newest events were removed: the head names one the table lacks.
    Truncated {
        expected_last_id: i64,
    },
}

pub async fn verify_chain(db: &impl ConnectionTrait) -> Result<ChainReport, DbErr> {
    const BATCH: u64 = 1000;
    let head = AuditChain::find_by_id(HEAD)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("audit chain head".into()))?;
    let (mut last_id, mut last_hash) = (head.anchor_id, head.anchor_hash.clone());
    let mut events = 0;
    loop {
        let batch = SecurityEvents::find()
            .filter(security_event::Column::Id.gt(last_id))
            .order_by_asc(security_event::Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        let done = (batch.len() as u64) < BATCH;
        for event in batch {
            if event.prev_hash != last_hash {
                return Ok(ChainReport::BrokenAt {
                    event_id: event.id,
                    reason: "the event it chains to is missing or was altered",
                });
            }
            if !contents_match(&event) {
                return Ok(ChainReport::BrokenAt {
                    event_id: event.id,
                    reason: "its contents do not match its hash",
                });
            }
            (last_id, last_hash) = (event.id, event.hash);
            events += 1;
        }
        if done {
            break;
        }
    }
    if last_id != head.last_id || last_hash != head.last_hash {
        return Ok(ChainReport::Truncated {
            expected_last_id: head.last_id,
        });
    }
    Ok(ChainReport::Intact { events })
}

/// Whether an event's stored fields are the ones its hash was made of. An erased event
/// must hold no client fields; an erased event from before erasable trails can no
/// longer be re-hashed, and its stored hash links the chain on its own.
fn contents_match(event: &security_event::Model) -> bool {
    let erased = event.erased_at.is_some();
    let client_fields_gone = event.identifier.is_none()
        && event.ip_address.is_none()
        && event.user_agent.is_none()
        && event.personal_salt.is_none();
    match (&event.personal_digest, &event.personal_salt) {
        _ if erased && !client_fields_gone => false,
        (None, _) if erased => true,
        (Some(_), None) if erased => chain_hash(event) == event.hash,
        (Some(digest), Some(salt)) => {
            *digest == personal_digest(salt, event) && chain_hash(event) == event.hash
        }
        (Some(_), None) => false,
        (None, _) => chain_hash(event) == event.hash,
    }
}

/// Removes the client fields (identifier, IP address, user agent) of every event about
/// `user_id`, and their salts; the chain still verifies. Returns how many events.
pub async fn erase_client_fields(
    db: &impl ConnectionTrait,
    user_id: UserId,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = SecurityEvents::update_many()
        .col_expr(
            security_event::Column::Identifier,
            Expr::val(Option::<String>::None),
        )
        .col_expr(
            security_event::Column::IpAddress,
            Expr::val(Option::<String>::None),
        )
        .col_expr(
            security_event::Column::UserAgent,
            Expr::val(Option::<String>::None),
        )
        .col_expr(
            security_event::Column::PersonalSalt,
            Expr::val(Option::<String>::None),
        )
        .col_expr(security_event::Column::ErasedAt, Expr::val(Some(now)))
        .filter(security_event::Column::UserId.eq(user_id))
        .filter(security_event::Column::ErasedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Deletes events older than `cutoff`, moving the anchor to the newest one removed so
/// the rest still verifies. Returns how many were removed.
pub async fn prune_before(
    db: &(impl ConnectionTrait + TransactionTrait),
    cutoff: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let txn = db.begin().await?;
    let newest_old = SecurityEvents::find()
        .filter(security_event::Column::CreatedAt.lt(cutoff))
        .order_by_desc(security_event::Column::Id)
        .one(&txn)
        .await?;
    let Some(anchor) = newest_old else {
        return Ok(0);
    };
    AuditChain::update_many()
        .col_expr(audit_chain::Column::AnchorId, Expr::val(anchor.id))
        .col_expr(audit_chain::Column::AnchorHash, Expr::val(anchor.hash))
        .filter(audit_chain::Column::Id.eq(HEAD))
        .exec(&txn)
        .await?;
    let removed = SecurityEvents::delete_many()
        .filter(security_event::Column::Id.lte(anchor.id))
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    Ok(removed)
}
