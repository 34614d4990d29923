//! Notices: mail that tells an account's owner its protection changed (a password, a
//! second factor, a recovery code used). Queued in the caller's transaction, so it goes
//! out exactly when the change commits, and sent whatever the notification preferences.
use sea_orm::ConnectionTrait;

use super::{AuthError, now};
use crate::{
    domain::MailKind,
    entities::user,
    store::{self, outbox::NewMail},
};

/// Queues the notice `kind` to `user`; `detail` is what the message says besides (never
/// a token).
pub(super) async fn queue_notice(
    txn: &impl ConnectionTrait,
    user: &user::Model,
    kind: MailKind,
    detail: Option<serde_json::Value>,
) -> Result<(), AuthError> {
    let mail = NewMail {
        kind,
        user_id: user.id,
        recipient: user.email.clone(),
        token_id: None,
        detail,
    };
    store::outbox::queue(txn, mail, now()).await?;
    Ok(())
}
