use sha2::{Digest, Sha256};

use super::EmailAddress;

/// A username or email address as typed at sign-in or in a reset request, reduced to
/// the key it is looked up and counted by.
///
/// Identifiers that no account can hold — with control or invisible characters, or
/// longer than any username or email — get a key of their own that no account key can
/// equal (account keys are ASCII). So `amina\0` is counted as the unknown identifier it
/// is, never as `amina`, and its answers are the same whether or not `amina` exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginIdentifier {
    key: String,
    can_name_an_account: bool,
}

impl LoginIdentifier {
    pub fn parse(raw: &str) -> Self {
        // Lower-case first, then measure: lower-casing can lengthen a string
        // (`İ` becomes two characters), and the key must fit its column.
        let lowered = EmailAddress::key_of(raw);
        // Checked on what was typed: trimming would hide a tab or newline at the edges.
        let can_name_an_account =
            lowered.len() <= EmailAddress::MAX_BYTES && !raw.chars().any(is_invisible);
        let key = if can_name_an_account {
            lowered
        } else {
            format!("¤{}", super::hex(&Sha256::digest(lowered.as_bytes())))
        };
        Self {
            key,
            can_name_an_account,
        }
    }

    /// What failures are counted under.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The key to look an account up by; `None` when no account can have it.
    pub fn account_key(&self) -> Option<&str> {
        (self.can_name_an_account && !self.key.is_empty()).then_some(&self.key)
    }

    pub fn is_empty(&self) -> bool {
        self.key.is_empty()
    }
}

/// Control characters, and those that render as nothing (zero-width spaces and joiners,
/// bidirectional marks, soft hyphens, variation selectors, tags): Unicode's default
/// ignorable code points.
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFF8}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_identifier_is_its_lower_cased_self() {
        let id = LoginIdentifier::parse("  Amina@Example.DZ ");
        assert_eq!(id.key(), "amina@example.dz");
        assert_eq!(id.account_key(), Some("amina@example.dz"));
    }

    #[test]
    fn noisy_identifiers_are_counted_apart_from_the_clean_one() {
        let clean = LoginIdentifier::parse("amina");
        for noisy in [
            "amina\u{0}",
            "am\u{200B}ina",
            "\u{FEFF}amina",
            "amina\u{202E}",
            "amina\n",
            "\tamina",
            "amina\u{85}",
        ] {
            let id = LoginIdentifier::parse(noisy);
            assert_eq!(id.account_key(), None, "{noisy:?}");
            assert_ne!(id.key(), clean.key(), "{noisy:?}");
            assert!(id.key().chars().all(|c| !c.is_control()));
        }
        assert_ne!(
            LoginIdentifier::parse("amina\u{0}").key(),
            LoginIdentifier::parse("amina\u{1}").key()
        );
    }

    #[test]
    fn keys_fit_their_column_even_when_lower_casing_grows_them() {
        // 200 × `İ` is 400 bytes typed and 600 bytes lower-cased.
        let id = LoginIdentifier::parse(&"İ".repeat(200));
        assert_eq!(id.account_key(), None);
        assert!(id.key().chars().count() <= EmailAddress::MAX_BYTES);
        let long = LoginIdentifier::parse(&"a".repeat(10_000));
        assert!(long.key().len() <= EmailAddress::MAX_BYTES);
    }
}
