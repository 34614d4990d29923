//! The notices about two-step sign-in, in French and English. Sent whatever the
//! notification preferences: each tells the owner their account's protection changed.
use super::{MailLanguage, Parts};

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

pub(super) fn parts(
    notice: SecondFactorNotice<'_>,
    greeting: String,
    language: MailLanguage,
) -> Parts<'static> {
    match notice {
        SecondFactorNotice::Enabled => enabled(greeting, language),
        SecondFactorNotice::Disabled { by_staff } => disabled(greeting, by_staff, language),
        SecondFactorNotice::RecoveryCodeUsed { codes_left } => {
            recovery_code_used(greeting, codes_left, language)
        }
        SecondFactorNotice::PasskeyAdded { name } => passkey_added(greeting, name, language),
        SecondFactorNotice::PasskeyRemoved { name } => passkey_removed(greeting, name, language),
    }
}

/// ` « Chrome on Linux »` / ` "Chrome on Linux"`, or nothing for a passkey without a name.
fn quoted(name: Option<&str>, language: MailLanguage) -> String {
    match (name, language) {
        (None, _) => String::new(),
        (Some(name), MailLanguage::Fr) => format!(" « {name} »"),
        (Some(name), MailLanguage::En) => format!(" \"{name}\""),
    }
}

fn passkey_added(greeting: String, name: Option<&str>, language: MailLanguage) -> Parts<'static> {
    let name = quoted(name, language);
    match language {
        MailLanguage::Fr => Parts {
            subject: "Une clé d'accès a été ajoutée à votre compte",
            greeting,
            paragraphs: vec![format!(
                "Une clé d'accès{name} vient d'être ajoutée à votre compte : elle permet de \
                 vous connecter sans mot de passe."
            )],
            action: None,
            closing: vec![
                "Si ce n'est pas vous, supprimez-la dans vos paramètres de sécurité et \
                 réinitialisez votre mot de passe sans attendre."
                    .into(),
            ],
        },
        MailLanguage::En => Parts {
            subject: "A passkey was added to your account",
            greeting,
            paragraphs: vec![format!(
                "A passkey{name} was just added to your account: it signs in without a \
                 password."
            )],
            action: None,
            closing: vec![
                "If this was not you, remove it in your security settings and reset your \
                 password right away."
                    .into(),
            ],
        },
    }
}

fn passkey_removed(greeting: String, name: Option<&str>, language: MailLanguage) -> Parts<'static> {
    let name = quoted(name, language);
    match language {
        MailLanguage::Fr => Parts {
            subject: "Une clé d'accès a été supprimée de votre compte",
            greeting,
            paragraphs: vec![format!(
                "La clé d'accès{name} vient d'être supprimée de votre compte : elle ne permet \
                 plus de vous connecter."
            )],
            action: None,
            closing: vec![
                "Si ce n'est pas vous, réinitialisez votre mot de passe sans attendre.".into(),
            ],
        },
        MailLanguage::En => Parts {
            subject: "A passkey was removed from your account",
            greeting,
            paragraphs: vec![format!(
                "The passkey{name} was just removed from your account: it no longer signs \
                 you in."
            )],
            action: None,
            closing: vec!["If this was not you, reset your password right away.".into()],
        },
    }
}

fn enabled(greeting: String, language: MailLanguage) -> Parts<'static> {
    match language {
        MailLanguage::Fr => Parts {
            subject: "La validation en deux étapes est activée",
            greeting,
            paragraphs: vec![
                "La validation en deux étapes vient d'être activée sur votre compte : \
                 chaque connexion demandera désormais, après le mot de passe, un code de \
                 votre application d'authentification."
                    .into(),
                "Gardez vos codes de récupération en lieu sûr : ils vous permettent de vous \
                 connecter si vous perdez votre téléphone."
                    .into(),
            ],
            action: None,
            closing: vec![
                "Si ce n'est pas vous, réinitialisez votre mot de passe sans attendre.".into(),
            ],
        },
        MailLanguage::En => Parts {
            subject: "Two-step sign-in is on",
            greeting,
            paragraphs: vec![
                "Two-step sign-in was just turned on for your account: from now on, signing \
                 in asks for a code from your authenticator app after your password."
                    .into(),
                "Keep your recovery codes somewhere safe: they let you sign in if you lose \
                 your phone."
                    .into(),
            ],
            action: None,
            closing: vec!["If this was not you, reset your password right away.".into()],
        },
    }
}

fn disabled(greeting: String, by_staff: bool, language: MailLanguage) -> Parts<'static> {
    match language {
        MailLanguage::Fr => Parts {
            subject: "La validation en deux étapes est désactivée",
            greeting,
            paragraphs: vec![format!(
                "La validation en deux étapes vient d'être désactivée sur votre compte{} : \
                 la connexion ne demande plus que votre mot de passe, et vos codes de \
                 récupération ne servent plus.",
                if by_staff { " par notre équipe" } else { "" }
            )],
            action: None,
            closing: vec![
                "Si vous ne l'avez pas demandé, réinitialisez votre mot de passe sans attendre \
                 et réactivez-la."
                    .into(),
            ],
        },
        MailLanguage::En => Parts {
            subject: "Two-step sign-in is off",
            greeting,
            paragraphs: vec![format!(
                "Two-step sign-in was just turned off for your account{}: signing in asks \
                 for your password only, and your recovery codes no longer work.",
                if by_staff { " by our support team" } else { "" }
            )],
            action: None,
            closing: vec![
                "If you did not ask for this, reset your password right away and turn it back on."
                    .into(),
            ],
        },
    }
}

fn recovery_code_used(greeting: String, codes_left: u64, language: MailLanguage) -> Parts<'static> {
    match language {
        MailLanguage::Fr => Parts {
            subject: "Un code de récupération a été utilisé",
            greeting,
            paragraphs: vec![format!(
                "Un code de récupération vient de servir à vous connecter. Il vous en reste \
                 {codes_left} ; vous pouvez en générer de nouveaux dans vos paramètres de \
                 sécurité."
            )],
            action: None,
            closing: vec![
                "Si ce n'est pas vous, réinitialisez votre mot de passe sans attendre.".into(),
            ],
        },
        MailLanguage::En => Parts {
            subject: "A recovery code was used",
            greeting,
            paragraphs: vec![format!(
                "A recovery code was just used to sign in to your account. You have \
                 {codes_left} left; you can generate new ones in your security settings."
            )],
            action: None,
            closing: vec!["If this was not you, reset your password right away.".into()],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::SecondFactorNotice;
    use crate::mail::templates::{MailLanguage, Template, render};

    #[test]
    fn each_notice_exists_in_both_languages() {
        for language in [MailLanguage::Fr, MailLanguage::En] {
            for notice in [
                SecondFactorNotice::Enabled,
                SecondFactorNotice::Disabled { by_staff: true },
                SecondFactorNotice::RecoveryCodeUsed { codes_left: 9 },
                SecondFactorNotice::PasskeyAdded {
                    name: Some("Chrome on Linux"),
                },
                SecondFactorNotice::PasskeyRemoved { name: None },
            ] {
                let template = Template::SecondFactor {
                    username: "amina",
                    notice,
                };
                let rendered = render(&template, language);
                assert!(rendered.text.contains("amina"), "{}", rendered.text);
                assert!(rendered.html.contains("amina"));
            }
        }
        let en = render(
            &Template::SecondFactor {
                username: "amina",
                notice: SecondFactorNotice::RecoveryCodeUsed { codes_left: 9 },
            },
            MailLanguage::En,
        );
        assert!(en.text.contains("You have 9 left"), "{}", en.text);
        let fr = render(
            &Template::SecondFactor {
                username: "amina",
                notice: SecondFactorNotice::Disabled { by_staff: true },
            },
            MailLanguage::Fr,
        );
        assert!(fr.text.contains("par notre équipe"), "{}", fr.text);
    }
}
