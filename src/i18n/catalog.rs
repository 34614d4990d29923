use std::{collections::HashMap, path::Path};

use anyhow::Context as _;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue, concurrent::FluentBundle};
use serde::Serialize;

use super::{Arg, Locale, Message};

/// Fluent files, per language folder (`locales/fr/mail.ftl`, …).
const MESSAGE_FILES: [&str; 3] = ["mail.ftl", "errors.ftl", "pages.ftl"];

/// Layouts; `.html` ones auto-escape every value placed in them.
pub const MAIL_HTML: &str = "mail/message.html";
pub const MAIL_TEXT: &str = "mail/message.txt";
pub const PAGE: &str = "pages/page.html";
const STYLE: &str = "pages/style.css";
const LAYOUTS: [&str; 3] = [MAIL_HTML, MAIL_TEXT, PAGE];

macro_rules! built_in {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../../templates/", $path)))),*]
    };
}

/// What the binary carries, so it runs with no files beside it.
const BUILT_IN: &[(&str, &str)] = built_in!(
    "locales/fr/mail.ftl",
    "locales/fr/errors.ftl",
    "locales/fr/pages.ftl",
    "locales/en/mail.ftl",
    "locales/en/errors.ftl",
    "locales/en/pages.ftl",
    "locales/ar/mail.ftl",
    "locales/ar/errors.ftl",
    "locales/ar/pages.ftl",
    "mail/message.html",
    "mail/message.txt",
    "pages/page.html",
    "pages/style.css",
);

/// The messages of every language and the layouts, loaded once at start.
pub struct Catalog {
    bundles: HashMap<Locale, FluentBundle<FluentResource>>,
    layouts: minijinja::Environment<'static>,
    style: String,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").finish_non_exhaustive()
    }
}

impl Catalog {
    /// The built-in messages and layouts, as `templates/` holds them.
    pub fn built_in() -> Self {
        Self::load(None).expect("the built-in templates are checked by the tests")
    }

    /// The built-in files, each replaced by its namesake under `dir` when there is
    /// one. A Fluent file there may hold only the messages it changes; a layout
    /// replaces the built-in one whole. A file that does not parse stops the start.
    pub fn load(dir: Option<&Path>) -> anyhow::Result<Self> {
        // A typo in the setting must not quietly keep the built-in mail.
        if let Some(dir) = dir {
            anyhow::ensure!(
                dir.is_dir(),
                "TEMPLATES_DIR {} is not a directory",
                dir.display()
            );
        }
        let replacement = |name: &str| -> anyhow::Result<Option<String>> {
            let Some(path) = dir.map(|dir| dir.join(name)).filter(|path| path.is_file()) else {
                return Ok(None);
            };
            std::fs::read_to_string(&path)
                .map(Some)
                .with_context(|| format!("reading {}", path.display()))
        };

        let mut bundles = HashMap::new();
        for locale in Locale::ALL {
            let mut bundle = FluentBundle::new_concurrent(vec![locale.langid()]);
            // Isolation marks keep a Latin name or address the right way round inside
            // Arabic; in French and English they would only be noise in plain-text mail.
            bundle.set_use_isolating(locale.is_rtl());
            for file in MESSAGE_FILES {
                let name = format!("locales/{}/{file}", locale.code());
                bundle
                    .add_resource(parse_messages(&name, built_in(&name).to_owned())?)
                    .map_err(|errors| anyhow::anyhow!("{name}: {errors:?}"))?;
                if let Some(text) = replacement(&name)? {
                    bundle.add_resource_overriding(parse_messages(&name, text)?);
                }
            }
            bundles.insert(locale, bundle);
        }

        let mut layouts = minijinja::Environment::new();
        for name in LAYOUTS {
            let source = replacement(name)?.unwrap_or_else(|| built_in(name).to_owned());
            layouts
                .add_template_owned(name, source)
                .with_context(|| format!("the template {name}"))?;
        }
        let style = replacement(STYLE)?.unwrap_or_else(|| built_in(STYLE).to_owned());
        Ok(Self {
            bundles,
            layouts,
            style,
        })
    }

    /// `message` in `locale`. An id no file defines is a bug the catalog test
    /// catches; should one slip through, the reader gets the id rather than nothing.
    pub fn text(&self, locale: Locale, message: &Message) -> String {
        let bundle = &self.bundles[&locale];
        let Some(pattern) = bundle.get_message(message.id()).and_then(|m| m.value()) else {
            tracing::warn!(id = message.id(), locale = locale.code(), "no such message");
            return message.id().to_owned();
        };
        let args: FluentArgs = message
            .args()
            .iter()
            .map(|(name, value)| (*name, self.value(locale, value)))
            .collect();
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
        if !errors.is_empty() {
            tracing::warn!(
                id = message.id(),
                locale = locale.code(),
                ?errors,
                "message formatted with errors"
            );
        }
        text.into_owned()
    }

    fn value(&self, locale: Locale, arg: &Arg) -> FluentValue<'static> {
        match arg {
            Arg::Text(text) => FluentValue::from(text.to_string()),
            Arg::Number(n) => FluentValue::from(*n),
            Arg::Said(message) => FluentValue::from(self.text(locale, message)),
        }
    }

    /// Whether some language defines `id` (the tests ask it of every id in use).
    pub fn has(&self, locale: Locale, id: &str) -> bool {
        self.bundles[&locale].has_message(id)
    }

    /// One of the layouts (`MAIL_HTML`, `MAIL_TEXT`, `PAGE`) with `context`.
    pub fn render(&self, layout: &str, context: impl Serialize) -> anyhow::Result<String> {
        self.layouts
            .get_template(layout)
            .and_then(|template| {
                template.render(minijinja::Value::from(minijinja::value::Serde(context)))
            })
            .with_context(|| format!("rendering {layout}"))
    }

    /// The pages' stylesheet, served as `/assets/style.css`.
    pub fn style(&self) -> &str {
        &self.style
    }
}

pub(super) fn built_in(name: &str) -> &'static str {
    BUILT_IN
        .iter()
        .find(|(path, _)| *path == name)
        .map(|(_, text)| *text)
        .expect("every file the catalog loads is built in")
}

fn parse_messages(name: &str, text: String) -> anyhow::Result<FluentResource> {
    FluentResource::try_new(text)
        .map_err(|(_, errors)| anyhow::anyhow!("{name} does not parse: {errors:?}"))
}
