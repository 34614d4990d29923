//! Everything the service says to people — mail, the pages, API error messages — in
//! French, English and Arabic. The words are Fluent messages and the layouts
//! minijinja templates, both under `templates/`: built into the binary, and replaced
//! file by file from `TEMPLATES_DIR` so operators re-brand without a rebuild.
mod catalog;
mod locale;
mod message;
#[cfg(test)]
mod tests;

pub use catalog::Catalog;

/// The names of the layouts `Catalog::render` fills.
pub mod layouts {
    pub use super::catalog::{MAIL_HTML, MAIL_TEXT, PAGE};
}
pub use locale::Locale;
pub use message::{Arg, Message};

use std::sync::LazyLock;

/// `message` as the log and the command line write it: in English, built-in words.
pub fn in_english(message: &Message) -> String {
    static BUILT_IN: LazyLock<Catalog> = LazyLock::new(Catalog::built_in);
    BUILT_IN.text(Locale::En, message)
}
