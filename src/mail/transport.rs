//! Where rendered messages go: an SMTP server, or the log.
use std::time::Duration;

use anyhow::{Context as _, bail};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
};
use secrecy::ExposeSecret;

use super::templates::Rendered;
use crate::config::Settings;

/// How long one SMTP conversation may take; well under the outbox lease, so a slow
/// server cannot make two workers send the same message.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);
/// `last_error` is for operators: short, one line.
const MAX_ERROR_CHARS: usize = 200;

pub enum Transport {
    Smtp {
        mailer: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    /// Development without `SMTP_URL`: the message, link included, goes to the log so
    /// a developer can follow it.
    Log { from: Mailbox },
}

/// Why a message did not go out; the text is safe to store (no message content).
#[derive(Debug)]
pub enum SendError {
    /// Worth another try later: the server is down, busy, or timed out.
    Transient(String),
    /// Will fail again: a refused recipient, a malformed address.
    Permanent(String),
}

impl Transport {
    /// The transport the settings ask for. Production refuses the log transport unless
    /// `MAIL_TO_LOG=true`: reset links do not belong in a log.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let mail = &settings.mail;
        let from: Mailbox = mail.from.parse().with_context(|| {
            format!(
                "MAIL_FROM={:?} is not a mailbox such as `Service <no-reply@example.dz>`",
                mail.from
            )
        })?;
        match &mail.smtp_url {
            Some(url) => {
                // The URL may hold a password: it is never part of the message.
                let mailer = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .map_err(|err| {
                        anyhow::anyhow!(
                            "SMTP_URL is not a usable smtp:// or smtps:// URL ({})",
                            short(&err)
                        )
                    })?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build();
                Ok(Self::Smtp { mailer, from })
            }
            None if settings.is_production() && !mail.to_log => bail!(
                "APP_ENV=production needs SMTP_URL to send mail; set MAIL_TO_LOG=true only if \
                 mail (password-reset links included) may be written to the log instead"
            ),
            None => {
                tracing::warn!("SMTP_URL is not set: mail is written to the log, not sent");
                Ok(Self::Log { from })
            }
        }
    }

    pub async fn send(&self, to: &str, message: &Rendered) -> Result<(), SendError> {
        match self {
            Self::Smtp { mailer, from } => {
                let message = build(from, to, message)?;
                mailer.send(message).await.map(drop).map_err(|err| {
                    if err.is_permanent() {
                        SendError::Permanent(short(&err))
                    } else {
                        SendError::Transient(short(&err))
                    }
                })
            }
            Self::Log { from } => {
                // Built anyway, so an address SMTP would refuse fails here too.
                build(from, to, message)?;
                tracing::info!(
                    to,
                    subject = %message.subject,
                    text = %message.text,
                    "mail written to the log instead of sent (SMTP_URL is unset)"
                );
                Ok(())
            }
        }
    }
}

/// A multipart/alternative message: plain text first, HTML as the richer rendering.
fn build(from: &Mailbox, to: &str, message: &Rendered) -> Result<Message, SendError> {
    let to: Mailbox = to
        .parse()
        .map_err(|err| SendError::Permanent(format!("bad recipient: {}", short(&err))))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(message.subject.clone())
        .multipart(MultiPart::alternative_plain_html(
            message.text.clone(),
            message.html.clone(),
        ))
        .map_err(|err| SendError::Permanent(short(&err)))
}

/// One line of at most `MAX_ERROR_CHARS` characters.
fn short(err: &impl std::fmt::Display) -> String {
    err.to_string()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_ERROR_CHARS)
        .collect()
}

impl SendError {
    pub fn message(&self) -> &str {
        match self {
            Self::Transient(message) | Self::Permanent(message) => message,
        }
    }
}
