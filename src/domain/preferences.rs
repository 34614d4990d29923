use super::InvalidInput;

/// A language the service writes its messages in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    Fr,
    En,
}

impl Language {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "fr" => Ok(Self::Fr),
            "en" => Ok(Self::En),
            _ => Err(InvalidInput::new(
                "language",
                "Supported languages are \"fr\" and \"en\".",
            )),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Fr => "fr",
            Self::En => "en",
        }
    }
}

/// An IANA time zone name such as `Africa/Algiers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timezone(chrono_tz::Tz);

impl Timezone {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        raw.trim().parse::<chrono_tz::Tz>().map(Self).map_err(|_| {
            InvalidInput::new(
                "timezone",
                "Enter an IANA time zone such as Africa/Algiers.",
            )
        })
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
