//! Every message the service sends, in French (the default) and English, as plain
//! text and HTML. Interpolated values are HTML-escaped in the HTML part.
mod second_factor;
#[cfg(test)]
mod tests;

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

pub use self::second_factor::SecondFactorNotice;
use crate::domain::Language;

/// A language messages are written in. A person's language tag picks one; a tag
/// without its own messages gets French.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MailLanguage {
    #[default]
    Fr,
    En,
}

impl MailLanguage {
    /// `en`, `en-GB`, `en-US`… are English; every other tag falls back to French.
    pub fn for_tag(tag: &Language) -> Self {
        match tag.primary() {
            "en" => Self::En,
            _ => Self::Fr,
        }
    }

    /// The tag of the HTML part's `lang` attribute.
    fn code(self) -> &'static str {
        match self {
            Self::Fr => "fr",
            Self::En => "en",
        }
    }
}

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
    /// A change to two-step sign-in.
    SecondFactor {
        username: &'a str,
        notice: SecondFactorNotice<'a>,
    },
}

/// A rendered message. It may contain a token: never log it (the log transport
/// excepted, by design) and never store it.
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The parts every message is made of.
pub(super) struct Parts<'a> {
    pub subject: &'static str,
    pub greeting: String,
    pub paragraphs: Vec<String>,
    /// A button label and its link.
    pub action: Option<(&'static str, &'a str)>,
    pub closing: Vec<String>,
}

pub fn render(template: &Template<'_>, language: MailLanguage) -> Rendered {
    let parts = parts(template, language);
    Rendered {
        subject: parts.subject.to_owned(),
        text: text(&parts),
        html: html(&parts, language),
    }
}

fn parts<'a>(template: &'a Template<'_>, language: MailLanguage) -> Parts<'a> {
    use MailLanguage::{En, Fr};
    let greeting = |username: &str| match language {
        Fr => format!("Bonjour {username},"),
        En => format!("Hello {username},"),
    };
    match (template, language) {
        (Template::SecondFactor { username, notice }, _) => {
            second_factor::parts(*notice, greeting(username), language)
        }
        (
            Template::EmailVerification {
                username,
                link,
                valid_for,
            },
            Fr,
        ) => Parts {
            subject: "Confirmez votre adresse e-mail",
            greeting: greeting(username),
            paragraphs: vec!["Pour confirmer votre adresse e-mail, ouvrez ce lien :".into()],
            action: Some(("Confirmer mon adresse", link.expose_secret())),
            closing: vec![
                format!("Ce lien est valable {}.", duration_words(*valid_for, Fr)),
                "Si vous n'avez pas créé de compte, ignorez ce message.".into(),
            ],
        },
        (
            Template::EmailVerification {
                username,
                link,
                valid_for,
            },
            En,
        ) => Parts {
            subject: "Confirm your email address",
            greeting: greeting(username),
            paragraphs: vec!["To confirm your email address, open this link:".into()],
            action: Some(("Confirm my address", link.expose_secret())),
            closing: vec![
                format!("This link is valid for {}.", duration_words(*valid_for, En)),
                "If you did not create an account, ignore this message.".into(),
            ],
        },
        (
            Template::EmailChangeConfirmation {
                username,
                link,
                valid_for,
            },
            Fr,
        ) => Parts {
            subject: "Confirmez votre nouvelle adresse e-mail",
            greeting: greeting(username),
            paragraphs: vec![
                "Pour que votre compte utilise désormais cette adresse, ouvrez ce lien :".into(),
            ],
            action: Some(("Utiliser cette adresse", link.expose_secret())),
            closing: vec![
                format!("Ce lien est valable {}.", duration_words(*valid_for, Fr)),
                "Si vous n'avez rien demandé, ignorez ce message : rien ne changera.".into(),
            ],
        },
        (
            Template::EmailChangeConfirmation {
                username,
                link,
                valid_for,
            },
            En,
        ) => Parts {
            subject: "Confirm your new email address",
            greeting: greeting(username),
            paragraphs: vec!["To have your account use this address from now on, open this link:".into()],
            action: Some(("Use this address", link.expose_secret())),
            closing: vec![
                format!("This link is valid for {}.", duration_words(*valid_for, En)),
                "If you did not ask for this, ignore this message: nothing will change.".into(),
            ],
        },
        (Template::AccountDeleted { username }, Fr) => Parts {
            subject: "Votre compte a été supprimé",
            greeting: greeting(username),
            paragraphs: vec![
                "Votre compte a été supprimé à votre demande. Vos sessions sont terminées et vos données personnelles effacées.".into(),
            ],
            action: None,
            closing: vec![
                "Si vous n'avez pas demandé cette suppression, répondez à ce message : quelqu'un connaissait votre mot de passe.".into(),
            ],
        },
        (Template::AccountDeleted { username }, En) => Parts {
            subject: "Your account was deleted",
            greeting: greeting(username),
            paragraphs: vec![
                "Your account was deleted as you asked. Your sessions are ended and your personal data erased.".into(),
            ],
            action: None,
            closing: vec![
                "If you did not ask for this, reply to this message: someone knew your password.".into(),
            ],
        },
        (Template::EmailChangeRequested { username, new_email }, Fr) => Parts {
            subject: "Changement d'adresse e-mail demandé",
            greeting: greeting(username),
            paragraphs: vec![format!(
                "Quelqu'un connaissant votre mot de passe a demandé que votre compte utilise l'adresse {new_email}. Le changement n'aura lieu que si le lien envoyé à cette adresse est ouvert."
            )],
            action: None,
            closing: vec![
                "Si ce n'était pas vous, changez votre mot de passe dès maintenant et déconnectez vos autres appareils.".into(),
            ],
        },
        (Template::EmailChangeRequested { username, new_email }, En) => Parts {
            subject: "Email address change requested",
            greeting: greeting(username),
            paragraphs: vec![format!(
                "Someone who knows your password asked for your account to use the address {new_email}. The change only happens if the link sent there is opened."
            )],
            action: None,
            closing: vec![
                "If this wasn't you, change your password now and sign out your other devices.".into(),
            ],
        },
        (
            Template::PasswordReset {
                username,
                link,
                valid_for,
            },
            Fr,
        ) => Parts {
            subject: "Réinitialisation de votre mot de passe",
            greeting: greeting(username),
            paragraphs: vec![
                "Une réinitialisation du mot de passe de votre compte a été demandée. \
                 Pour choisir un nouveau mot de passe, ouvrez ce lien :"
                    .into(),
            ],
            action: Some(("Choisir un nouveau mot de passe", link.expose_secret())),
            closing: vec![
                format!(
                    "Ce lien est valable {} et ne sert qu'une fois.",
                    duration_words(*valid_for, Fr)
                ),
                "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : \
                 votre mot de passe reste inchangé."
                    .into(),
            ],
        },
        (
            Template::PasswordReset {
                username,
                link,
                valid_for,
            },
            En,
        ) => Parts {
            subject: "Reset your password",
            greeting: greeting(username),
            paragraphs: vec![
                "Someone asked to reset the password of your account. \
                 To choose a new password, open this link:"
                    .into(),
            ],
            action: Some(("Choose a new password", link.expose_secret())),
            closing: vec![
                format!(
                    "This link is valid for {} and works once.",
                    duration_words(*valid_for, En)
                ),
                "If you did not ask for this, ignore this message: your password stays as it is."
                    .into(),
            ],
        },
        (Template::PasswordChanged { username }, Fr) => Parts {
            subject: "Votre mot de passe a été modifié",
            greeting: greeting(username),
            paragraphs: vec!["Le mot de passe de votre compte vient d'être modifié.".into()],
            action: None,
            closing: vec![
                "Si ce n'est pas vous, réinitialisez votre mot de passe sans attendre.".into(),
            ],
        },
        (Template::PasswordChanged { username }, En) => Parts {
            subject: "Your password was changed",
            greeting: greeting(username),
            paragraphs: vec!["The password of your account was just changed.".into()],
            action: None,
            closing: vec!["If this was not you, reset your password right away.".into()],
        },
        (Template::PasswordResetCompleted { username }, Fr) => Parts {
            subject: "Votre mot de passe a été réinitialisé",
            greeting: greeting(username),
            paragraphs: vec![
                "Le mot de passe de votre compte vient d'être réinitialisé, \
                 et toutes vos sessions ont été fermées."
                    .into(),
            ],
            action: None,
            closing: vec![
                "Si ce n'est pas vous, réinitialisez votre mot de passe sans attendre.".into(),
            ],
        },
        (
            Template::NewSignIn {
                username,
                device,
                place,
                ip,
                link,
            },
            Fr,
        ) => Parts {
            subject: "Nouvelle connexion à votre compte",
            greeting: greeting(username),
            paragraphs: vec![format!(
                "Une connexion à votre compte vient d'avoir lieu depuis {} ({}, adresse {}).",
                device.unwrap_or("un appareil inconnu"),
                place.unwrap_or("lieu inconnu"),
                ip.unwrap_or("inconnue"),
            )],
            action: Some(("Voir mes sessions", link)),
            closing: vec![
                "Si c'est vous, il n'y a rien à faire. Sinon, fermez cette session et \
                 changez votre mot de passe."
                    .into(),
            ],
        },
        (
            Template::NewSignIn {
                username,
                device,
                place,
                ip,
                link,
            },
            En,
        ) => Parts {
            subject: "New sign-in to your account",
            greeting: greeting(username),
            paragraphs: vec![format!(
                "Your account was just signed in to from {} ({}, address {}).",
                device.unwrap_or("an unknown device"),
                place.unwrap_or("unknown location"),
                ip.unwrap_or("unknown"),
            )],
            action: Some(("Review my sessions", link)),
            closing: vec![
                "If this was you, there is nothing to do. Otherwise, end that session and \
                 change your password."
                    .into(),
            ],
        },
        (Template::PasswordResetCompleted { username }, En) => Parts {
            subject: "Your password was reset",
            greeting: greeting(username),
            paragraphs: vec![
                "The password of your account was just reset, and all your sessions were ended."
                    .into(),
            ],
            action: None,
            closing: vec!["If this was not you, reset your password right away.".into()],
        },
    }
}

fn text(parts: &Parts<'_>) -> String {
    let mut blocks = vec![parts.greeting.clone()];
    blocks.extend(parts.paragraphs.iter().cloned());
    if let Some((_, link)) = parts.action {
        blocks.push((*link).to_owned());
    }
    blocks.extend(parts.closing.iter().cloned());
    let mut text = blocks.join("\n\n");
    text.push('\n');
    text
}

fn html(parts: &Parts<'_>, language: MailLanguage) -> String {
    let paragraph = |p: &String| format!("<p>{}</p>\n", escape(p));
    let mut body = paragraph(&parts.greeting);
    body.extend(parts.paragraphs.iter().map(paragraph));
    if let Some((label, link)) = parts.action {
        let link = escape(link);
        body.push_str(&format!(
            "<p><a href=\"{link}\" style=\"display:inline-block;padding:10px 16px;\
             background:#1a56db;color:#ffffff;text-decoration:none;border-radius:4px\">{}</a></p>\n\
             <p style=\"font-size:13px;color:#555555\">{link}</p>\n",
            escape(label)
        ));
    }
    body.extend(parts.closing.iter().map(paragraph));
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n\
         <body style=\"font-family:sans-serif;line-height:1.5;color:#111111\">\n{body}</body>\n</html>\n",
        language.code(),
        escape(parts.subject)
    )
}

fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// "48 heures", "1 hour", "30 minutes": the largest whole unit.
fn duration_words(d: Duration, language: MailLanguage) -> String {
    let secs = d.as_secs();
    let (n, unit) = if secs >= 3600 && secs.is_multiple_of(3600) {
        (secs / 3600, 0)
    } else if secs >= 60 && secs.is_multiple_of(60) {
        (secs / 60, 1)
    } else {
        (secs, 2)
    };
    let plural = n != 1;
    let word = match (language, unit, plural) {
        (MailLanguage::Fr, 0, false) => "heure",
        (MailLanguage::Fr, 0, true) => "heures",
        (MailLanguage::En, 0, false) => "hour",
        (MailLanguage::En, 0, true) => "hours",
        (_, 1, false) => "minute",
        (_, 1, true) => "minutes",
        (MailLanguage::Fr, _, false) => "seconde",
        (MailLanguage::Fr, _, true) => "secondes",
        (MailLanguage::En, _, false) => "second",
        (MailLanguage::En, _, true) => "seconds",
    };
    format!("{n} {word}")
}
