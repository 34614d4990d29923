//! Outgoing mail: the outbox worker that delivers queued messages, the transports
//! (SMTP, or the log in development), and the message templates.
//!
//! The flows in `crate::auth` only write outbox rows; everything that talks to a mail
//! server lives here, off the request path.
mod templates;
mod transport;
mod worker;

pub use templates::check_layouts;
pub use transport::Transport;
pub use worker::OutboxWorker;
