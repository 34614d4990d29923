use std::{collections::HashSet, sync::LazyLock};

use secrecy::{ExposeSecret, SecretString};

use super::{EmailAddress, InvalidInput, Username};
use crate::i18n::Message;

/// A password as presented for checking. Never printed, never logged.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    pub const MAX_BYTES: usize = 1024;

    /// Accepts any candidate up to the length limit: a longer one can never match,
    /// and hashing a megabyte for nothing is a denial-of-service lever.
    pub fn parse(raw: String, field: &'static str) -> Result<Self, InvalidInput> {
        if raw.len() > Self::MAX_BYTES {
            return Err(InvalidInput::saying(
                field,
                Message::new("error-password-too-long").with("max", Self::MAX_BYTES),
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

    /// The first check of a new password as typed, before it is compared, scored or
    /// hashed: over [`Password::MAX_BYTES`] it is a password the person can change
    /// (`TOO_LONG`), not malformed input.
    pub fn check_length(raw: &str) -> Result<(), Vec<PasswordWeakness>> {
        if raw.len() > Password::MAX_BYTES {
            return Err(vec![PasswordWeakness::TooLong]);
        }
        Ok(())
    }

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
        if reasons.is_empty() && (is_listed(&lowered) || is_guessable(text, username, email)) {
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

/// Django's list of commonly used passwords, lowercased (`assets/passwords/README.md`),
/// built into a set on first use.
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../assets/passwords/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect()
});

/// Whether a lowercased password is on the list; surrounding spaces do not hide it.
fn is_listed(lowered: &str) -> bool {
    COMMON_PASSWORDS.contains(lowered.trim())
}

/// zxcvbn's estimate, with the account's own words as hints. Only a password a
/// dictionary attack finds quickly counts as common: fewer than 10^6 guesses (score 1),
/// which a random password of 8 characters never is — so length alone refuses nothing.
/// Only the first characters are scored, since the estimate's cost grows fast with
/// length and a strong prefix is strong enough.
fn is_guessable(password: &str, username: &Username, email: &EmailAddress) -> bool {
    const SCORED_CHARS: usize = 64;
    let prefix: String = password.chars().take(SCORED_CHARS).collect();
    let hints = [username.as_str(), email.as_str(), email.local_part()];
    zxcvbn::zxcvbn(&prefix, &hints).score() <= zxcvbn::Score::One
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
            "azerty123",
            "PASSWORD1",
            " sunshine ",
        ] {
            assert_eq!(
                policy(common).unwrap_err(),
                vec![PasswordWeakness::TooCommon],
                "{common}"
            );
        }
    }

    #[test]
    fn every_entry_of_the_list_is_refused_whatever_its_case() {
        assert!(
            COMMON_PASSWORDS.len() >= 10_000,
            "{}",
            COMMON_PASSWORDS.len()
        );
        let username = Username::parse("someone").expect("valid username");
        let email = EmailAddress::parse("someone@example.dz").expect("valid email");
        let listed = COMMON_PASSWORDS
            .iter()
            .filter(|common| common.chars().count() >= NewPassword::MIN_CHARS)
            .filter(|common| !common.contains("someone"));
        let mut checked = 0;
        for common in listed {
            let upper = common.to_uppercase();
            let candidate = Password::parse(upper.clone(), "password").expect("short enough");
            assert_eq!(
                NewPassword::parse(candidate, &username, &email).unwrap_err(),
                vec![PasswordWeakness::TooCommon],
                "{upper}"
            );
            checked += 1;
        }
        assert!(checked > 5_000, "{checked}");
    }

    #[test]
    fn the_list_refuses_passwords_the_estimate_alone_would_let_through() {
        let username = Username::parse("someone").expect("valid username");
        let email = EmailAddress::parse("someone@example.dz").expect("valid email");
        let missed: Vec<&str> = COMMON_PASSWORDS
            .iter()
            .copied()
            .filter(|common| common.chars().count() >= NewPassword::MIN_CHARS)
            .filter(|common| !is_guessable(common, &username, &email))
            .collect();
        // About 800 today, such as "bambolina" and "doodlebug1".
        assert!(missed.len() >= 100, "{}", missed.len());
        for common in missed {
            let candidate = Password::parse(common.into(), "password").expect("short enough");
            assert_eq!(
                NewPassword::parse(candidate, &username, &email).unwrap_err(),
                vec![PasswordWeakness::TooCommon],
                "{common}"
            );
        }
    }

    /// A deterministic stream of random passwords, so a failure names one to replay.
    fn random_passwords(alphabet: &[u8], count: usize) -> Vec<String> {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            // splitmix64
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        (0..count)
            .map(|_| {
                (0..NewPassword::MIN_CHARS)
                    .map(|_| char::from(alphabet[(next() % alphabet.len() as u64) as usize]))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn random_passwords_of_eight_characters_pass() {
        assert!(policy("k7#Qm2!x").is_ok());
        assert!(policy("qzmkvwpt").is_ok());
        let lowercase = b"abcdefghijklmnopqrstuvwxyz";
        let printable: Vec<u8> = (b'!'..=b'~').collect();
        for password in random_passwords(lowercase, 300)
            .into_iter()
            .chain(random_passwords(&printable, 300))
        {
            assert!(policy(&password).is_ok(), "{password}");
        }
    }

    #[test]
    fn a_new_password_over_the_limit_is_too_long_and_one_at_the_limit_is_not() {
        assert_eq!(
            NewPassword::check_length(&"x".repeat(Password::MAX_BYTES + 1)),
            Err(vec![PasswordWeakness::TooLong])
        );
        // Bytes, not characters: 513 two-byte characters are 1026 bytes.
        assert_eq!(
            NewPassword::check_length(&"é".repeat(513)),
            Err(vec![PasswordWeakness::TooLong])
        );
        assert_eq!(
            NewPassword::check_length(&"x".repeat(Password::MAX_BYTES)),
            Ok(())
        );
    }
}
