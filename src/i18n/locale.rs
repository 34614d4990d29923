use unic_langid::LanguageIdentifier;

use crate::domain::Language;

/// A language the service writes in. Any other tag gets French, the product's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    #[default]
    Fr,
    En,
    Ar,
}

impl Locale {
    pub const ALL: [Self; 3] = [Self::Fr, Self::En, Self::Ar];

    /// The folder of its messages and the `lang` of its pages: `fr`, `en`, `ar`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Fr => "fr",
            Self::En => "en",
            Self::Ar => "ar",
        }
    }

    /// Arabic is written right to left: `dir="rtl"` on its pages and HTML mail.
    pub fn is_rtl(self) -> bool {
        self == Self::Ar
    }

    /// A person's chosen language: `en-GB` is English, `ar-DZ` Arabic, `kab` French.
    pub fn for_language(language: &Language) -> Self {
        Self::for_primary(language.primary()).unwrap_or_default()
    }

    /// The first language of an `Accept-Language` header the service writes in, by the
    /// header's own order of preference; French when none is.
    pub fn negotiate(accept_language: &str) -> Self {
        // A header is at most a few dozen tags; a hostile one is cut short, not parsed.
        let mut end = accept_language.len().min(MAX_HEADER_BYTES);
        while !accept_language.is_char_boundary(end) {
            end -= 1;
        }
        let header = &accept_language[..end];
        fluent_langneg::accepted_languages::parse(header)
            .iter()
            .find_map(|tag: &LanguageIdentifier| Self::for_primary(tag.language.as_str()))
            .unwrap_or_default()
    }

    fn for_primary(primary: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|locale| primary.eq_ignore_ascii_case(locale.code()))
    }

    pub(super) fn langid(self) -> LanguageIdentifier {
        self.code()
            .parse()
            .expect("fr, en and ar are language identifiers")
    }
}

const MAX_HEADER_BYTES: usize = 512;
