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

    /// The language of an `Accept-Language` header the service writes in that the
    /// header prefers most (`q` weights, then order); French when none is, and a
    /// language weighted `q=0` is one the reader refuses.
    pub fn negotiate(accept_language: &str) -> Self {
        // A header is at most a few dozen tags; a hostile one is cut short, not parsed.
        let mut end = accept_language.len().min(MAX_HEADER_BYTES);
        while !accept_language.is_char_boundary(end) {
            end -= 1;
        }
        let mut offered: Vec<(Self, u16)> = accept_language[..end]
            .split(',')
            .filter_map(|entry| {
                let mut parts = entry.split(';').map(str::trim);
                let tag: LanguageIdentifier = parts.next()?.parse().ok()?;
                let weight = parts
                    .find_map(|param| param.strip_prefix("q="))
                    .map_or(Some(1000), weight)?;
                Some((Self::for_primary(tag.language.as_str())?, weight))
            })
            .filter(|&(_, weight)| weight > 0)
            .collect();
        // Stable: of equal weights, the header's first wins.
        offered.sort_by_key(|&(_, weight)| std::cmp::Reverse(weight));
        offered
            .first()
            .map_or_else(Self::default, |&(locale, _)| locale)
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

/// A `q` value in thousandths (`0.8` → 800), or `None` when it is not one (RFC 9110
/// § 12.4.2: at most three decimals, from 0 to 1).
fn weight(q: &str) -> Option<u16> {
    let (units, decimals) = q.split_once('.').unwrap_or((q, ""));
    if !matches!(units, "0" | "1")
        || decimals.len() > 3
        || !decimals.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let thousandths = format!("{units}{decimals:0<3}").parse::<u16>().ok()?;
    (thousandths <= 1000).then_some(thousandths)
}
