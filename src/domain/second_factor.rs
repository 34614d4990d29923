//! What a person types in the second step of a sign-in, and how a session was signed
//! in. Anything that cannot be a code is refused here, before any counter moves.
use rand::{Rng, rngs::OsRng};

use super::InvalidInput;

/// Longer input is not a code, however it is spaced: it is not even looked at.
const MAX_TYPED_BYTES: usize = 64;
/// RFC 4648's base32 alphabet: no 0, 1 or 8 to mistake for O, I and B.
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A code of the second step: from the authenticator app, or a recovery code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactorCode {
    Totp(TotpCode),
    Recovery(RecoveryCode),
}

impl SecondFactorCode {
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, InvalidInput> {
        let invalid = || InvalidInput::new(field, "error-second-factor-code-format");
        let compact = compact(raw).ok_or_else(invalid)?;
        if let Some(totp) = TotpCode::from_compact(&compact) {
            return Ok(Self::Totp(totp));
        }
        RecoveryCode::from_compact(&compact)
            .map(Self::Recovery)
            .ok_or_else(invalid)
    }
}

/// Six ASCII digits (RFC 6238 with 6 digits); spaces, as apps show "123 456", are
/// ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpCode(String);

impl TotpCode {
    pub const DIGITS: usize = 6;

    pub fn parse(raw: &str, field: &'static str) -> Result<Self, InvalidInput> {
        compact(raw)
            .and_then(|c| Self::from_compact(&c))
            .ok_or_else(|| InvalidInput::new(field, "error-totp-code-format"))
    }

    fn from_compact(compact: &str) -> Option<Self> {
        (compact.len() == Self::DIGITS && compact.bytes().all(|b| b.is_ascii_digit()))
            .then(|| Self(compact.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A recovery code: 10 characters of the base32 alphabet (50 bits), shown as
/// `ABCDE-FGHIJ`. Typed in any case, with or without the hyphen and spaces; a 0, 1 or 8
/// is read as the O, I or B it was mistaken for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl RecoveryCode {
    pub const CHARS: usize = 10;

    /// A fresh code from the operating system's random source.
    pub fn random() -> Self {
        let code = (0..Self::CHARS)
            .map(|_| char::from(BASE32[OsRng.gen_range(0..BASE32.len())]))
            .collect();
        Self(code)
    }

    fn from_compact(compact: &str) -> Option<Self> {
        let code: String = compact
            .chars()
            .map(|c| match c.to_ascii_uppercase() {
                '0' => 'O',
                '1' => 'I',
                '8' => 'B',
                c => c,
            })
            .collect();
        let is_code = code.len() == Self::CHARS && code.bytes().all(|b| BASE32.contains(&b));
        is_code.then_some(Self(code))
    }

    /// The canonical form, what is hashed: 10 capitals and digits, no hyphen.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As shown to the person: two groups of five.
    pub fn grouped(&self) -> String {
        let (first, second) = self.0.split_at(Self::CHARS / 2);
        format!("{first}-{second}")
    }
}

/// `raw` without the spaces and hyphens people type between groups; `None` when it is
/// too long to be a code at all.
fn compact(raw: &str) -> Option<String> {
    (raw.len() <= MAX_TYPED_BYTES).then(|| {
        raw.chars()
            .filter(|c| !matches!(c, ' ' | '-' | '\t'))
            .collect()
    })
}

/// How a session was signed in: its `amr` values (RFC 8176). Kept on the session, so
/// every access token of it, refreshed ones included, carries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMethods {
    /// A password alone.
    #[default]
    Password,
    /// A password, then a TOTP or recovery code.
    PasswordAndOtp,
    /// A passkey (WebAuthn) alone: it proves possession and user verification.
    WebAuthn,
}

impl AuthMethods {
    /// The `amr` claim.
    pub fn amr(self) -> &'static [&'static str] {
        match self {
            Self::Password => &["pwd"],
            Self::PasswordAndOtp => &["pwd", "otp"],
            Self::WebAuthn => &["webauthn"],
        }
    }

    /// As stored on the session.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "pwd",
            Self::PasswordAndOtp => "pwd otp",
            Self::WebAuthn => "webauthn",
        }
    }

    /// A stored value; anything unknown reads as the weakest, a password alone.
    pub fn parse(stored: &str) -> Self {
        match stored {
            "pwd otp" => Self::PasswordAndOtp,
            "webauthn" => Self::WebAuthn,
            _ => Self::Password,
        }
    }
}

/// A way to complete a sign-in that answered `MFA_REQUIRED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaMethod {
    Totp,
    RecoveryCode,
    /// The account has a passkey: `finishPasskeyLogin` signs in without the first step.
    Passkey,
}

impl MfaMethod {
    /// The name in `extensions.methods`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "TOTP",
            Self::RecoveryCode => "RECOVERY_CODE",
            Self::Passkey => "PASSKEY",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_are_a_totp_code_and_ten_base32_characters_a_recovery_code() {
        let parse = |raw: &str| SecondFactorCode::parse(raw, "code");
        assert_eq!(
            parse(" 123 456 "),
            Ok(SecondFactorCode::Totp(TotpCode("123456".into())))
        );
        assert_eq!(
            parse("abcde-fgh01"),
            Ok(SecondFactorCode::Recovery(RecoveryCode(
                "ABCDEFGHOI".into()
            )))
        );
        for bad in [
            "",
            "12345",
            "1234567",
            "12345a",
            "١٢٣٤٥٦",
            "12345\u{0}6",
            "ABCDE-FGHI9",
            "ÀBCDE-FGHIJ",
            &"1".repeat(1024),
            &format!("{}123456", " ".repeat(60)),
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert!(TotpCode::parse("ABCDE-FGHIJ", "code").is_err());
    }

    #[test]
    fn random_recovery_codes_parse_back_from_their_grouped_form() {
        let code = RecoveryCode::random();
        let shown = code.grouped();
        assert_eq!(shown.len(), 11);
        assert_eq!(
            SecondFactorCode::parse(&shown.to_lowercase(), "code"),
            Ok(SecondFactorCode::Recovery(code.clone()))
        );
        assert_ne!(RecoveryCode::random(), code);
    }

    #[test]
    fn unknown_stored_methods_read_as_a_password_alone() {
        for methods in [AuthMethods::Password, AuthMethods::PasswordAndOtp] {
            assert_eq!(AuthMethods::parse(methods.as_str()), methods);
        }
        assert_eq!(AuthMethods::parse("webauthn?"), AuthMethods::Password);
    }
}
