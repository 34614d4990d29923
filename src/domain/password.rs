use secrecy::{ExposeSecret, SecretString};

use super::{EmailAddress, InvalidInput, Username};

/// A password as presented for checking. Never printed, never logged.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    pub const MAX_BYTES: usize = 1024;

    /// Accepts any candidate up to the length limit: a longer one can never match,
    /// and hashing a megabyte for nothing is a denial-of-service lever.
    pub fn parse(raw: String, field: &'static str) -> Result<Self, InvalidInput> {
        if raw.len() > Self::MAX_BYTES {
            return Err(InvalidInput::new(
                field,
                "A password has at most 1024 bytes.",
            ));
        }
        Ok(Self(SecretString::from(raw)))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// Why the password policy refuses a new password; sent as `extensions.reasons`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordWeakness {
    TooShort,
    TooLong,
    SimilarToUsername,
    SimilarToEmail,
    /// Among the commonly used passwords, or guessable like them.
    TooCommon,
}

impl PasswordWeakness {
    pub fn code(self) -> &'static str {
        match self {
            Self::TooShort => "TOO_SHORT",
            Self::TooLong => "TOO_LONG",
            Self::SimilarToUsername => "SIMILAR_TO_USERNAME",
            Self::SimilarToEmail => "SIMILAR_TO_EMAIL",
            Self::TooCommon => "TOO_COMMON",
        }
    }
}

/// A password that passed the policy for the account it will protect.
#[derive(Debug, Clone)]
pub struct NewPassword(Password);

impl NewPassword {
    pub const MIN_CHARS: usize = 8;
    /// The shortest username or email part that counts as something to build on.
    const SIMILARITY_MIN_CHARS: usize = 3;

    pub fn parse(
        candidate: Password,
        username: &Username,
        email: &EmailAddress,
    ) -> Result<Self, Vec<PasswordWeakness>> {
        let text = candidate.expose();
        let mut reasons = Vec::new();
        if text.chars().count() < Self::MIN_CHARS {
            reasons.push(PasswordWeakness::TooShort);
        }
        if text.len() > Password::MAX_BYTES {
            reasons.push(PasswordWeakness::TooLong);
        }
        let lowered = text.to_lowercase();
        let built_on = |part: &str| {
            let part = part.to_lowercase();
            part.chars().count() >= Self::SIMILARITY_MIN_CHARS && lowered.contains(&part)
        };
        if built_on(username.as_str()) {
            reasons.push(PasswordWeakness::SimilarToUsername);
        }
        if built_on(email.as_str()) || built_on(email.local_part()) {
            reasons.push(PasswordWeakness::SimilarToEmail);
        }
        if reasons.is_empty() && is_guessable(text, username, email) {
            reasons.push(PasswordWeakness::TooCommon);
        }
        if reasons.is_empty() {
            Ok(Self(candidate))
        } else {
            Err(reasons)
        }
    }

    pub fn as_password(&self) -> &Password {
        &self.0
    }
}

/// zxcvbn's estimate, with the account's own words as hints: below "safely
/// unguessable" (score 3) counts as common. Only the first characters are scored, since
/// the estimate's cost grows fast with length and a strong prefix is strong enough.
fn is_guessable(password: &str, username: &Username, email: &EmailAddress) -> bool {
    const SCORED_CHARS: usize = 64;
    let prefix: String = password.chars().take(SCORED_CHARS).collect();
    let hints = [username.as_str(), email.as_str(), email.local_part()];
    zxcvbn::zxcvbn(&prefix, &hints).score() < zxcvbn::Score::Three
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(pw: &str) -> Result<NewPassword, Vec<PasswordWeakness>> {
        let username = Username::parse("amina").expect("valid username");
        let email = EmailAddress::parse("amina.k@example.dz").expect("valid email");
        NewPassword::parse(
            Password::parse(pw.into(), "password").expect("short enough"),
            &username,
            &email,
        )
    }

    #[test]
    fn a_long_unrelated_password_passes() {
        assert!(policy("correct horse battery").is_ok());
    }

    #[test]
    fn short_and_username_based_passwords_are_refused_with_reasons() {
        assert_eq!(policy("abc").unwrap_err(), vec![PasswordWeakness::TooShort]);
        assert_eq!(
            policy("Amina2024!!").unwrap_err(),
            vec![PasswordWeakness::SimilarToUsername]
        );
        assert_eq!(
            policy("xxamina.kxx").unwrap_err(),
            vec![
                PasswordWeakness::SimilarToUsername,
                PasswordWeakness::SimilarToEmail
            ]
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert_ne!(policy("ééé").unwrap_err(), vec![]);
        assert!(policy("été à Tlemcen, 1962").is_ok());
    }

    #[test]
    fn common_passwords_are_refused() {
        for common in [
            "password123",
            "qwertyuiop",
            "iloveyou1",
            "Passw0rd!",
            "11111111",
        ] {
            assert_eq!(
                policy(common).unwrap_err(),
                vec![PasswordWeakness::TooCommon],
                "{common}"
            );
        }
    }
}
