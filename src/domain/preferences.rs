use super::InvalidInput;
use crate::i18n::Message;

/// A person's language: a BCP 47 tag (RFC 5646) of at most 10 characters, in its
/// canonical case (`fr`, `kab`, `en-GB`, `zh-Hant`). It is kept whether or not the
/// service writes in that language; each channel picks what it can from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language(String);

impl Language {
    pub const MAX_CHARS: usize = 10;

    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let invalid = || {
            InvalidInput::saying(
                "language",
                Message::new("error-language").with("max", Self::MAX_CHARS),
            )
        };
        // Checked before parsing, so a hostile megabyte costs nothing.
        if raw.len() > Self::MAX_CHARS {
            return Err(invalid());
        }
        let tag = oxilangtag::LanguageTag::parse_and_normalize(raw).map_err(|_| invalid())?;
        // A primary subtag of 4 to 8 letters is well-formed but can never be valid
        // (reserved, or for registration, and none is registered): it is someone typing
        // "english" or "french" for a code.
        let primary = tag.split('-').next().unwrap_or_default();
        if primary.len() >= 4 {
            return Err(invalid());
        }
        Ok(Self(tag.into_inner()))
    }

    /// The tag, e.g. `en-GB`.
    pub fn code(&self) -> &str {
        &self.0
    }

    /// The primary language subtag, lowercase: `en` for `en-GB`.
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or_default()
    }
}

impl Default for Language {
    fn default() -> Self {
        Self("fr".to_owned())
    }
}

/// An IANA time zone name such as `Africa/Algiers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timezone(chrono_tz::Tz);

impl Timezone {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        raw.trim()
            .parse::<chrono_tz::Tz>()
            .map(Self)
            .map_err(|_| InvalidInput::new("timezone", "error-timezone"))
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl Default for Timezone {
    fn default() -> Self {
        Self(chrono_tz::Africa::Algiers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_are_kept_in_their_canonical_case() {
        for (raw, tag) in [
            ("fr", "fr"),
            ("EN", "en"),
            ("kab", "kab"),
            ("ar", "ar"),
            ("en-gb", "en-GB"),
            ("zh-hant-tw", "zh-Hant-TW"),
            ("es-419", "es-419"),
            ("de-CH-1996", "de-CH-1996"),
            ("x-klingon", "x-klingon"),
            ("i-klingon", "i-klingon"),
        ] {
            assert_eq!(
                Language::parse(raw).map(|l| l.code().to_owned()),
                Ok(tag.into()),
                "{raw}"
            );
        }
        assert_eq!(
            Language::parse("en-GB").map(|l| l.primary().to_owned()),
            Ok("en".into())
        );
        assert_eq!(Language::default().code(), "fr");
    }

    #[test]
    fn anything_but_a_short_language_tag_is_refused() {
        for raw in [
            "",
            "x",
            "e",
            "english",
            "english-please",
            "fr-FR-paris",
            "abcdefghijk",
            " fr",
            "fr ",
            "fr\n",
            "fr\u{0}",
            "e\u{7}n",
            "fr_DZ",
            "en--GB",
            "en-",
            "-en",
            "en-GB-x",
            "fr\u{200b}",
            "ár",
            "12",
        ] {
            let refused = Language::parse(raw);
            assert_eq!(refused.map_err(|e| e.field), Err("language"), "{raw:?}");
        }
    }
}
