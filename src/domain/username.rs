use super::InvalidInput;
use crate::i18n::Message;

/// A username: 3–150 characters of ASCII letters, digits and `. _ - +`.
///
/// ASCII only, so no two accounts can differ by a look-alike letter, and no `@`,
/// so a login identifier is never ambiguous between a username and an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MIN_CHARS: usize = 3;
    pub const MAX_CHARS: usize = 150;

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let value = raw.trim();
        if value.len() < Self::MIN_CHARS || value.len() > Self::MAX_CHARS {
            let message = Message::new("error-username-length")
                .with("min", Self::MIN_CHARS)
                .with("max", Self::MAX_CHARS);
            return Err(InvalidInput::saying("username", message));
        }
        if !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+'))
        {
            return Err(InvalidInput::new("username", "error-username-characters"));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive form that uniqueness is checked on.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}
