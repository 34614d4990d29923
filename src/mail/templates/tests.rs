use super::*;

#[test]
fn english_tags_get_english_mail_and_every_other_tag_french() {
    let mail_language =
        |tag: &str| MailLanguage::for_tag(&Language::parse(tag).expect("a language tag"));
    for tag in ["en", "en-GB", "en-US", "EN-au"] {
        assert_eq!(mail_language(tag), MailLanguage::En, "{tag}");
    }
    for tag in ["fr", "fr-DZ", "kab", "ar", "ar-DZ", "de", "x-en"] {
        assert_eq!(mail_language(tag), MailLanguage::Fr, "{tag}");
    }
    assert_eq!(
        MailLanguage::for_tag(&Language::default()),
        MailLanguage::Fr
    );
}

#[test]
fn values_are_escaped_in_html_and_kept_in_text() {
    let rendered = render(
        &Template::PasswordChanged {
            username: "<b>&amina</b>",
        },
        MailLanguage::En,
    );
    assert!(
        rendered
            .html
            .contains("Hello &lt;b&gt;&amp;amina&lt;/b&gt;,")
    );
    assert!(!rendered.html.contains("<b>"));
    assert!(rendered.text.starts_with("Hello <b>&amina</b>,"));
}

#[test]
fn links_and_lifetimes_appear_in_both_parts_and_languages() {
    let template = |valid_for| Template::PasswordReset {
        username: "amina",
        link: SecretString::from("https://auth.test/reset-password?token=abc"),
        valid_for,
    };
    let fr = render(&template(Duration::from_secs(3600)), MailLanguage::Fr);
    assert_eq!(fr.subject, "Réinitialisation de votre mot de passe");
    assert!(
        fr.text
            .contains("https://auth.test/reset-password?token=abc")
    );
    assert!(
        fr.html
            .contains("href=\"https://auth.test/reset-password?token=abc\"")
    );
    assert!(fr.text.contains("valable 1 heure "));
    let en = render(&template(Duration::from_secs(48 * 3600)), MailLanguage::En);
    assert_eq!(en.subject, "Reset your password");
    assert!(en.text.contains("valid for 48 hours"));
    assert_eq!(
        duration_words(Duration::from_secs(90), MailLanguage::En),
        "90 seconds"
    );
    assert_eq!(
        duration_words(Duration::from_secs(1800), MailLanguage::Fr),
        "30 minutes"
    );
}
