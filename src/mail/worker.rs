//! The outbox worker: claims due messages, renders them, hands them to the transport,
//! and records the outcome, retrying with exponential backoff.
//!
//! Delivery is at least once: a message is marked sent only after the server took
//! it, so a crash between the two sends it again once its lease has passed. Several
//! instances may run workers at once; each row is claimed by one statement that only
//! one of them can win.
use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{Notify, watch};

use super::{
    Transport,
    templates::{Rendered, SecondFactorNotice, Template, render},
    transport::SendError,
};
use crate::{
    auth::tokens::OneTimeTokens,
    config::Settings,
    domain::{Language, MailId, MailKind, TokenPurpose},
    entities::mail_outbox,
    i18n::{Catalog, Locale},
    store,
};

/// How long a claim holds a row; longer than any SMTP conversation may take.
const LEASE: Duration = Duration::from_secs(60);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
const BATCH: u64 = 20;

pub struct OutboxWorker {
    db: DatabaseConnection,
    transport: Transport,
    tokens: OneTimeTokens,
    catalog: Arc<Catalog>,
    /// The footer's name for the service: `MAIL_FROM`'s display name.
    product: String,
    /// Where links lead (`APP_URL`).
    app_url: String,
    wake: Arc<Notify>,
    poll_interval: Duration,
    retry_base: Duration,
    max_attempts: u32,
}

impl OutboxWorker {
    pub fn new(
        settings: &Settings,
        db: DatabaseConnection,
        transport: Transport,
        tokens: OneTimeTokens,
        catalog: Arc<Catalog>,
        wake: Arc<Notify>,
    ) -> Self {
        Self {
            db,
            transport,
            tokens,
            catalog,
            product: settings.mail.product(),
            app_url: settings.app_url.clone(),
            wake,
            poll_interval: settings.mail.poll_interval,
            retry_base: settings.mail.retry_base,
            max_attempts: settings.mail.max_attempts.max(1),
        }
    }

    /// Delivers due messages until `stop` turns true (or its sender goes away); a
    /// message being sent when asked to stop is finished first.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                break;
            }
            if let Err(err) = self.deliver_due(&stop).await {
                tracing::error!(error = %err, "mail outbox: database error; retrying at the next poll");
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.poll_interval) => {}
                changed = stop.changed() => if changed.is_err() { break },
            }
        }
        tracing::debug!("mail outbox worker stopped");
    }

    async fn deliver_due(&self, stop: &watch::Receiver<bool>) -> Result<(), DbErr> {
        loop {
            let due = store::outbox::find_due(&self.db, Utc::now(), BATCH).await?;
            if due.is_empty() {
                return Ok(());
            }
            for id in due {
                if *stop.borrow() {
                    return Ok(());
                }
                self.deliver(id).await?;
            }
        }
    }

    async fn deliver(&self, id: MailId) -> Result<(), DbErr> {
        let now = Utc::now();
        let lease_until = now + to_chrono(LEASE);
        let Some(row) = store::outbox::claim(&self.db, id, lease_until, now).await? else {
            return Ok(()); // another worker has it
        };
        let kind = row.kind.as_str();
        let outcome = match self.compose(&row).await? {
            Composed::Message(message) => self.transport.send(&row.recipient, &message).await,
            Composed::Dropped(reason) => {
                store::outbox::mark_failed(&self.db, id, Utc::now(), reason).await?;
                tracing::info!(mail_id = %id, kind, reason, "mail dropped, not sent");
                metrics::counter!("mail_total", "outcome" => "dropped").increment(1);
                return Ok(());
            }
            // An operator's broken layout: retried like an outage, until it is fixed.
            Composed::Unrenderable => {
                Err(SendError::Transient("the message did not render".into()))
            }
        };
        let attempts = u32::try_from(row.attempts).unwrap_or(u32::MAX);
        let now = Utc::now();
        match outcome {
            Ok(()) => {
                store::outbox::mark_sent(&self.db, id, now).await?;
                tracing::info!(mail_id = %id, kind, attempts, "mail sent");
                metrics::counter!("mail_total", "outcome" => "sent").increment(1);
            }
            Err(err) if matches!(err, SendError::Permanent(_)) || attempts >= self.max_attempts => {
                store::outbox::mark_failed(&self.db, id, now, err.message()).await?;
                tracing::error!(mail_id = %id, kind, attempts, error = err.message(), "mail failed; giving up");
                metrics::counter!("mail_total", "outcome" => "failed").increment(1);
            }
            Err(err) => {
                let retry_at = now + to_chrono(self.backoff(attempts));
                store::outbox::reschedule(&self.db, id, retry_at, err.message()).await?;
                tracing::warn!(mail_id = %id, kind, attempts, %retry_at, error = err.message(), "mail not sent; will retry");
                metrics::counter!("mail_total", "outcome" => "retried").increment(1);
            }
        }
        Ok(())
    }

    /// `retry_base`, doubled for each attempt after the first, at most `MAX_BACKOFF`.
    fn backoff(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(20);
        self.retry_base
            .saturating_mul(1 << doublings)
            .min(MAX_BACKOFF)
    }

    /// Renders a row in its user's current language. The token of a link is derived
    /// again from its row: the outbox never stores one.
    async fn compose(&self, row: &mail_outbox::Model) -> Result<Composed, DbErr> {
        let Some(kind) = MailKind::parse(&row.kind) else {
            return Ok(Composed::Dropped("unknown message kind"));
        };
        let Some(user) = store::users::find(&self.db, row.user_id).await? else {
            return Ok(Composed::Dropped("the account no longer exists"));
        };
        let locale = Language::parse(&user.language)
            .map(|tag| Locale::for_language(&tag))
            .unwrap_or_default();
        let username = user.username.as_str();
        let detail = detail_of(row);
        let template = match kind {
            MailKind::EmailVerification
            | MailKind::PasswordReset
            | MailKind::EmailChangeConfirmation => {
                let (purpose, path) = match kind {
                    MailKind::PasswordReset => (TokenPurpose::PasswordReset, "reset-password"),
                    MailKind::EmailChangeConfirmation => {
                        (TokenPurpose::EmailChange, "confirm-email-change")
                    }
                    _ => (TokenPurpose::EmailVerification, "verify-email"),
                };
                let token_id = row.token_id;
                let token = match token_id {
                    Some(id) => store::one_time_tokens::find(&self.db, id).await?,
                    None => None,
                };
                let (Some(token_id), Some(token)) = (token_id, token) else {
                    return Ok(Composed::Dropped("the message has no token"));
                };
                // A link that was used or replaced meanwhile (say, asked for three
                // times during an SMTP outage) would only confuse: the live one goes out.
                if token.used_at.is_some() {
                    return Ok(Composed::Dropped(
                        "its link was used or replaced before it could be sent",
                    ));
                }
                let secret = self.tokens.derive(purpose, token_id, &token.nonce);
                let link = SecretString::from(format!(
                    "{}/{path}?token={}",
                    self.app_url,
                    secret.expose_secret()
                ));
                let valid_for = lifetime(token.created_at, token.expires_at);
                match purpose {
                    TokenPurpose::PasswordReset => Template::PasswordReset {
                        username,
                        link,
                        valid_for,
                    },
                    TokenPurpose::EmailVerification => Template::EmailVerification {
                        username,
                        link,
                        valid_for,
                    },
                    TokenPurpose::EmailChange => Template::EmailChangeConfirmation {
                        username,
                        link,
                        valid_for,
                    },
                }
            }
            MailKind::AccountDeleted => Template::AccountDeleted {
                username: detail["username"].as_str().unwrap_or_default(),
            },
            MailKind::EmailChangeRequested => Template::EmailChangeRequested {
                username,
                new_email: detail["newEmail"].as_str().unwrap_or_default(),
            },
            MailKind::PasswordChanged => Template::PasswordChanged { username },
            MailKind::PasswordResetCompleted => Template::PasswordResetCompleted { username },
            MailKind::MfaEnabled
            | MailKind::MfaDisabled
            | MailKind::RecoveryCodeUsed
            | MailKind::PasskeyAdded
            | MailKind::PasskeyRemoved => {
                let name = detail["name"].as_str();
                let notice = match kind {
                    MailKind::MfaEnabled => SecondFactorNotice::Enabled,
                    MailKind::MfaDisabled => SecondFactorNotice::Disabled {
                        by_staff: detail["byStaff"].as_bool().unwrap_or(false),
                    },
                    MailKind::PasskeyAdded => SecondFactorNotice::PasskeyAdded { name },
                    MailKind::PasskeyRemoved => SecondFactorNotice::PasskeyRemoved { name },
                    _ => SecondFactorNotice::RecoveryCodeUsed {
                        codes_left: detail["codesLeft"].as_u64().unwrap_or(0),
                    },
                };
                Template::SecondFactor { username, notice }
            }
            MailKind::NewSignIn => {
                let link = format!("{}/sessions", self.app_url);
                let rendered = self.render(
                    &Template::NewSignIn {
                        username,
                        device: detail["device"].as_str(),
                        place: detail["place"].as_str(),
                        ip: detail["ip"].as_str(),
                        link: &link,
                    },
                    locale,
                );
                return Ok(rendered);
            }
        };
        Ok(self.render(&template, locale))
    }

    /// Never half a message: a layout that fails to render is logged and retried.
    fn render(&self, template: &Template<'_>, locale: Locale) -> Composed {
        match render(&self.catalog, template, locale, &self.product) {
            Ok(rendered) => Composed::Message(rendered),
            Err(err) => {
                tracing::error!(error = format!("{err:#}"), "mail: rendering failed");
                Composed::Unrenderable
            }
        }
    }
}

/// What a claimed row turns into.
enum Composed {
    Message(Rendered),
    /// Nothing worth sending any more; the reason is kept as `last_error`.
    Dropped(&'static str),
    /// The layout would not render (the log says why).
    Unrenderable,
}

/// What else a row's message says; an absent or unreadable detail says nothing.
fn detail_of(row: &mail_outbox::Model) -> serde_json::Value {
    row.detail
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_default()
}

fn lifetime(from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
    (to - from).to_std().unwrap_or_default()
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}
