//! What each message says, by Fluent id: the words are in `templates/locales/*/mail.ftl`
//! and the layout in `templates/mail/message.{html,txt}`, so this file only decides
//! which paragraphs a message has and what goes in them.
#[cfg(test)]
mod tests;

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::i18n::{Arg, Catalog, Locale, Message, layouts};

/// A message to render, one variant per `MailKind` it renders (the second-factor
/// notices share one). Links carry tokens, so they are held as secrets.
pub enum Template<'a> {
    /// The link that verifies the email address.
    EmailVerification {
        username: &'a str,
        link: SecretString,
        valid_for: Duration,
    },
    /// The link that sets a new password.
    PasswordReset {
        username: &'a str,
        link: SecretString,
        valid_for: Duration,
    },
    /// To the new address: the link that moves the account there.
    EmailChangeConfirmation {
        username: &'a str,
        link: SecretString,
        valid_for: Duration,
    },
    /// To the old address: a move elsewhere was asked for (`new_email` masked).
    EmailChangeRequested {
        username: &'a str,
        new_email: &'a str,
    },
    /// The last message: the account and its data are gone.
    AccountDeleted { username: &'a str },
    /// The notice that the password was changed.
    PasswordChanged { username: &'a str },
    /// The notice that a reset link set a new password.
    PasswordResetCompleted { username: &'a str },
    /// A sign-in from a device and country the account had not used before.
    NewSignIn {
        username: &'a str,
        /// "Firefox on Linux", or `None` when the user agent says nothing useful.
        device: Option<&'a str>,
        /// "Algiers, Algeria", or `None` without a geo-IP answer.
        place: Option<&'a str>,
        ip: Option<&'a str>,
        /// Where the user reviews and ends sessions.
        link: &'a str,
    },
    /// A change to two-step sign-in. Sent whatever the notification preferences: each
    /// tells the owner their account's protection changed.
    SecondFactor {
        username: &'a str,
        notice: SecondFactorNotice<'a>,
    },
}

/// Which change to two-step sign-in a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactorNotice<'a> {
    Enabled,
    /// Turned off, by the owner or (`by_staff`) by support.
    Disabled {
        by_staff: bool,
    },
    /// A recovery code completed a sign-in; `codes_left` remain.
    RecoveryCodeUsed {
        codes_left: u64,
    },
    /// A passkey was registered; `name` is the device it was registered from.
    PasskeyAdded {
        name: Option<&'a str>,
    },
    /// A passkey was removed.
    PasskeyRemoved {
        name: Option<&'a str>,
    },
}

/// A rendered message. It may contain a token: never log it (the log transport
/// excepted, by design) and never store it.
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What both layouts are given.
#[derive(Serialize)]
struct Layout<'a> {
    lang: &'static str,
    dir: &'static str,
    subject: &'a str,
    greeting: String,
    paragraphs: Vec<String>,
    action: Option<Action<'a>>,
    link_hint: String,
    closing: Vec<String>,
    footer: String,
}

#[derive(Serialize)]
struct Action<'a> {
    label: String,
    link: &'a str,
}

/// A message in words: the ids of its parts and what goes in them.
struct Parts<'a> {
    /// The prefix of its ids: `mail-password-reset` has `…-subject` and `…-action`.
    name: &'static str,
    username: &'a str,
    paragraphs: Vec<Message>,
    /// The button's link, when the message has one.
    link: Option<&'a str>,
    closing: Vec<Message>,
}

/// `template` in `locale`; `product` names the service in the footer.
pub fn render(
    catalog: &Catalog,
    template: &Template<'_>,
    locale: Locale,
    product: &str,
) -> anyhow::Result<Rendered> {
    let say = |message: &Message| catalog.text(locale, message);
    let parts = parts(template, &|d| say(&duration(d)));
    let part = |suffix: &str| say(&Message::new(format!("{}-{suffix}", parts.name)));
    let subject = part("subject");
    let layout = Layout {
        lang: locale.code(),
        dir: if locale.is_rtl() { "rtl" } else { "ltr" },
        subject: &subject,
        greeting: say(&Message::new("mail-greeting").with("username", parts.username.to_owned())),
        paragraphs: parts.paragraphs.iter().map(say).collect(),
        action: parts.link.map(|link| Action {
            label: part("action"),
            link,
        }),
        link_hint: say(&Message::new("mail-link-hint")),
        closing: parts.closing.iter().map(say).collect(),
        footer: say(&Message::new("mail-footer").with("product", product.to_owned())),
    };
    Ok(Rendered {
        html: catalog.render(layouts::MAIL_HTML, &layout)?,
        text: catalog.render(layouts::MAIL_TEXT, &layout)?,
        subject,
    })
}

/// Renders a message with a link and one without in every language, so a layout
/// override that fails (an unknown filter, a missing include) stops the start rather
/// than every mail after it.
pub fn check_layouts(catalog: &Catalog, product: &str) -> anyhow::Result<()> {
    let samples = [
        Template::PasswordReset {
            username: "amina",
            link: SecretString::from("https://example.com/reset-password?token=sample"),
            valid_for: Duration::from_secs(3600),
        },
        Template::PasswordChanged { username: "amina" },
    ];
    for locale in Locale::ALL {
        for sample in &samples {
            render(catalog, sample, locale, product)?;
        }
    }
    Ok(())
}

/// The paragraphs of each message; `words` spells a duration in the message's language.
fn parts<'a>(template: &'a Template<'_>, words: &dyn Fn(Duration) -> String) -> Parts<'a> {
    // A link's message: its intro, the button, how long it lasts, and what to do if
    // it was not asked for.
    let link_message = |name: &'static str,
                        username: &'a str,
                        link: &'a SecretString,
                        valid_for: Duration| Parts {
        name,
        username,
        paragraphs: vec![Message::new(format!("{name}-intro"))],
        link: Some(link.expose_secret()),
        closing: vec![
            Message::new(format!("{name}-validity")).with("duration", words(valid_for)),
            Message::new(format!("{name}-ignore")),
        ],
    };
    // A notice: what happened, and what to do if it was not the owner.
    let notice = |name: &'static str, username: &'a str, intro: Message| Parts {
        name,
        username,
        paragraphs: vec![intro],
        link: None,
        closing: vec![Message::new(format!("{name}-advice"))],
    };
    let intro = |name: &str| Message::new(format!("{name}-intro"));
    match template {
        Template::EmailVerification {
            username,
            link,
            valid_for,
        } => link_message("mail-email-verification", username, link, *valid_for),
        Template::PasswordReset {
            username,
            link,
            valid_for,
        } => link_message("mail-password-reset", username, link, *valid_for),
        Template::EmailChangeConfirmation {
            username,
            link,
            valid_for,
        } => link_message("mail-email-change-confirmation", username, link, *valid_for),
        Template::EmailChangeRequested {
            username,
            new_email,
        } => notice(
            "mail-email-change-requested",
            username,
            intro("mail-email-change-requested").with("newEmail", (*new_email).to_owned()),
        ),
        Template::AccountDeleted { username } => notice(
            "mail-account-deleted",
            username,
            intro("mail-account-deleted"),
        ),
        Template::PasswordChanged { username } => notice(
            "mail-password-changed",
            username,
            intro("mail-password-changed"),
        ),
        Template::PasswordResetCompleted { username } => notice(
            "mail-password-reset-completed",
            username,
            intro("mail-password-reset-completed"),
        ),
        Template::NewSignIn {
            username,
            device,
            place,
            ip,
            link,
        } => {
            let known = |value: &Option<&str>, unknown: &'static str| match value {
                Some(value) => Arg::from((*value).to_owned()),
                None => Arg::Said(Message::new(unknown)),
            };
            Parts {
                link: Some(link),
                ..notice(
                    "mail-new-sign-in",
                    username,
                    intro("mail-new-sign-in")
                        .with("device", known(device, "mail-unknown-device"))
                        .with("place", known(place, "mail-unknown-place"))
                        .with("ip", known(ip, "mail-unknown-ip")),
                )
            }
        }
        Template::SecondFactor {
            username,
            notice: which,
        } => match which {
            SecondFactorNotice::Enabled => Parts {
                paragraphs: vec![
                    intro("mail-mfa-enabled"),
                    Message::new("mail-mfa-enabled-recovery-codes"),
                ],
                ..notice("mail-mfa-enabled", username, intro("mail-mfa-enabled"))
            },
            SecondFactorNotice::Disabled { by_staff } => notice(
                "mail-mfa-disabled",
                username,
                intro("mail-mfa-disabled").with("byStaff", if *by_staff { "yes" } else { "no" }),
            ),
            SecondFactorNotice::RecoveryCodeUsed { codes_left } => notice(
                "mail-recovery-code-used",
                username,
                intro("mail-recovery-code-used").with("codesLeft", *codes_left),
            ),
            SecondFactorNotice::PasskeyAdded { name } => notice(
                "mail-passkey-added",
                username,
                passkey_intro("mail-passkey-added", *name),
            ),
            SecondFactorNotice::PasskeyRemoved { name } => notice(
                "mail-passkey-removed",
                username,
                passkey_intro("mail-passkey-removed", *name),
            ),
        },
    }
}

/// A passkey's notice names it when it has a name.
fn passkey_intro(name: &str, passkey: Option<&str>) -> Message {
    match passkey {
        Some(passkey) => {
            Message::new(format!("{name}-intro-named")).with("name", passkey.to_owned())
        }
        None => Message::new(format!("{name}-intro")),
    }
}

/// "48 hours", "1 heure", "30 minutes": the largest whole unit.
fn duration(d: Duration) -> Message {
    let secs = d.as_secs();
    let (count, unit) = if secs >= 3600 && secs.is_multiple_of(3600) {
        (secs / 3600, "duration-hours")
    } else if secs >= 60 && secs.is_multiple_of(60) {
        (secs / 60, "duration-minutes")
    } else {
        (secs, "duration-seconds")
    };
    Message::new(unit).with("count", count)
}
