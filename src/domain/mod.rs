//! Small typed values, parsed once at the edge; the core never re-checks them.
mod device;
mod email;
mod events;
mod identifier;
mod ids;
mod mail_kind;
mod password;
mod preferences;
mod second_factor;
mod token_purpose;
mod username;

pub use device::device_name;
pub use email::EmailAddress;
pub use events::SecurityEventKind;
pub use identifier::{LoginIdentifier, is_invisible};
pub use ids::{CeremonyId, MailId, PasskeyId, SessionId, TokenId, UserId};
pub use mail_kind::MailKind;
pub use password::{NewPassword, Password, PasswordWeakness};
pub use preferences::{Language, Timezone};
pub use second_factor::{AuthMethods, MfaMethod, RecoveryCode, SecondFactorCode, TotpCode};
pub use token_purpose::TokenPurpose;
pub use username::Username;

use crate::i18n::Message;

/// `text` without control characters, trimmed, at most `max_chars` long: what is kept
/// of free text a client sends (user agents, fingerprints, searches).
pub fn printable(text: &str, max_chars: usize) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(max_chars)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Bytes written down as lower-case hex: how digests, kids and keys are stored and shown.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Input that does not parse: which field, and a message a person can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput {
    pub field: &'static str,
    pub message: Message,
}

impl InvalidInput {
    /// `message_id` names a message of `templates/locales/*/errors.ftl`.
    pub fn new(field: &'static str, message_id: &'static str) -> Self {
        Self::saying(field, Message::new(message_id))
    }

    pub fn saying(field: &'static str, message: Message) -> Self {
        Self { field, message }
    }

    /// The same complaint about another field (`newEmail` rather than `email`).
    pub fn in_field(self, field: &'static str) -> Self {
        Self { field, ..self }
    }
}
