use super::*;

fn rendered(template: &Template<'_>, locale: Locale) -> Rendered {
    render(&Catalog::built_in(), template, locale, "Tableau de bord")
        .expect("the built-in layouts render")
}

#[test]
fn values_are_escaped_in_html_and_kept_in_text() {
    let mail = rendered(
        &Template::PasswordChanged {
            username: "<b>&amina</b>",
        },
        Locale::En,
    );
    assert!(
        mail.html
            .contains("Hello &lt;b&gt;&amp;amina&lt;&#x2f;b&gt;,")
            || mail.html.contains("Hello &lt;b&gt;&amp;amina&lt;/b&gt;,"),
        "{}",
        mail.html
    );
    assert!(!mail.html.contains("<b>"));
    assert!(
        mail.text.starts_with("Hello <b>&amina</b>,"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("Tableau de bord"));
}

#[test]
fn links_and_lifetimes_appear_in_both_parts_and_languages() {
    let template = |valid_for| Template::PasswordReset {
        username: "amina",
        link: SecretString::from("https://auth.test/reset-password?token=abc"),
        valid_for,
    };
    let fr = rendered(&template(Duration::from_secs(3600)), Locale::Fr);
    assert_eq!(fr.subject, "Réinitialisation de votre mot de passe");
    assert!(
        fr.text
            .contains("https://auth.test/reset-password?token=abc")
    );
    assert!(
        fr.html
            .contains("href=\"https://auth.test/reset-password?token=abc\"")
            || fr
                .html
                .contains("href=\"https:&#x2f;&#x2f;auth.test&#x2f;reset-password?token=abc\""),
        "{}",
        fr.html
    );
    assert!(fr.text.contains("valable 1 heure "), "{}", fr.text);
    let en = rendered(&template(Duration::from_secs(48 * 3600)), Locale::En);
    assert_eq!(en.subject, "Reset your password");
    assert!(en.text.contains("valid for 48 hours"), "{}", en.text);
    let say = |d, locale| Catalog::built_in().text(locale, &duration(d));
    assert_eq!(say(Duration::from_secs(90), Locale::En), "90 seconds");
    assert_eq!(say(Duration::from_secs(1800), Locale::Fr), "30 minutes");
}

#[test]
fn arabic_mail_is_right_to_left_and_every_kind_renders_in_every_language() {
    let link = || SecretString::from("https://auth.test/verify-email?token=abc");
    let templates = [
        Template::EmailVerification {
            username: "salma",
            link: link(),
            valid_for: Duration::from_secs(172_800),
        },
        Template::PasswordReset {
            username: "salma",
            link: link(),
            valid_for: Duration::from_secs(3600),
        },
        Template::EmailChangeConfirmation {
            username: "salma",
            link: link(),
            valid_for: Duration::from_secs(3600),
        },
        Template::EmailChangeRequested {
            username: "salma",
            new_email: "s***@example.dz",
        },
        Template::AccountDeleted { username: "salma" },
        Template::PasswordChanged { username: "salma" },
        Template::PasswordResetCompleted { username: "salma" },
        Template::NewSignIn {
            username: "salma",
            device: None,
            place: Some("Oran, Algeria"),
            ip: None,
            link: "https://auth.test/sessions",
        },
        Template::SecondFactor {
            username: "salma",
            notice: SecondFactorNotice::Enabled,
        },
        Template::SecondFactor {
            username: "salma",
            notice: SecondFactorNotice::Disabled { by_staff: true },
        },
        Template::SecondFactor {
            username: "salma",
            notice: SecondFactorNotice::RecoveryCodeUsed { codes_left: 0 },
        },
        Template::SecondFactor {
            username: "salma",
            notice: SecondFactorNotice::PasskeyAdded {
                name: Some("Pixel"),
            },
        },
        Template::SecondFactor {
            username: "salma",
            notice: SecondFactorNotice::PasskeyRemoved { name: None },
        },
    ];
    for template in &templates {
        for locale in Locale::ALL {
            let mail = rendered(template, locale);
            // A missing message would show its id instead of words.
            for part in [&mail.subject, &mail.text, &mail.html] {
                assert!(!part.contains("mail-"), "{locale:?}: {part}");
            }
            assert!(mail.text.contains("salma"));
            assert_eq!(mail.html.contains("dir=\"rtl\""), locale == Locale::Ar);
        }
    }
    let sign_in = rendered(&templates[7], Locale::En);
    assert!(
        sign_in.text.contains("an unknown device"),
        "{}",
        sign_in.text
    );
    assert!(sign_in.text.contains("Oran, Algeria"));
}
