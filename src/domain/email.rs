use std::str::FromStr;

use super::InvalidInput;

/// A syntactically valid email address, as typed (trimmed).
///
/// ASCII only: Unicode look-alikes ("аmina" with a Cyrillic а) would let two accounts
/// show the same address. Internationalized domains are accepted in their `xn--` form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub const MAX_BYTES: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let value = raw.trim();
        let invalid = || InvalidInput::new("email", "error-email-invalid");
        if value.len() > Self::MAX_BYTES || value.chars().any(char::is_control) {
            return Err(invalid());
        }
        if !value.is_ascii() {
            return Err(InvalidInput::new("email", "error-email-ascii"));
        }
        let parsed = email_address::EmailAddress::from_str(value).map_err(|_| invalid())?;
        // Display names ("Ann <ann@x>") and address literals are valid RFC 5322 but not
        // something a sign-up form should accept.
        if parsed.email() != value || !parsed.domain().contains('.') {
            return Err(invalid());
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive form that uniqueness and sign-in look-ups use.
    pub fn key(&self) -> String {
        Self::key_of(&self.0)
    }

    /// The look-up key of any identifier a person typed, valid address or not.
    pub fn key_of(raw: &str) -> String {
        raw.trim().to_lowercase()
    }

    /// The part before the `@`, for the password similarity check.
    pub fn local_part(&self) -> &str {
        self.0.split('@').next().unwrap_or_default()
    }
}
