use super::*;
use crate::domain::Language;

#[test]
fn a_person_s_language_picks_french_english_or_arabic() {
    let locale = |tag: &str| Locale::for_language(&Language::parse(tag).expect("a language tag"));
    for (tag, expected) in [
        ("en", Locale::En),
        ("en-GB", Locale::En),
        ("EN-au", Locale::En),
        ("ar", Locale::Ar),
        ("ar-DZ", Locale::Ar),
        ("fr", Locale::Fr),
        ("fr-DZ", Locale::Fr),
        ("kab", Locale::Fr),
        ("de", Locale::Fr),
        ("x-en", Locale::Fr),
    ] {
        assert_eq!(locale(tag), expected, "{tag}");
    }
    assert_eq!(Locale::for_language(&Language::default()), Locale::Fr);
}

#[test]
fn accept_language_is_read_in_its_order_and_falls_back_to_french() {
    assert_eq!(Locale::negotiate("ar-DZ,ar;q=0.9,fr;q=0.8"), Locale::Ar);
    assert_eq!(Locale::negotiate("de-DE, en-US;q=0.7"), Locale::En);
    assert_eq!(Locale::negotiate("de, it"), Locale::Fr);
    assert_eq!(Locale::negotiate(""), Locale::Fr);
    assert_eq!(Locale::negotiate("*"), Locale::Fr);
    // Weights, not order, say what the reader prefers; q=0 refuses a language.
    assert_eq!(Locale::negotiate("fr;q=0.5, en;q=0.9"), Locale::En);
    assert_eq!(Locale::negotiate("en;q=0, ar"), Locale::Ar);
    assert_eq!(Locale::negotiate("ar;q=0.800, en;q=0.8"), Locale::Ar);
    assert_eq!(Locale::negotiate("en;q=0"), Locale::Fr);
    // A weight that is not one drops its language, not the header.
    assert_eq!(Locale::negotiate("en;q=2, ar;q=1.0"), Locale::Ar);
    assert_eq!(Locale::negotiate("en;q=abc, ar;q=0.1"), Locale::Ar);
    // A hostile header is cut short, not parsed whole, and never panics mid-character.
    let hostile = format!("{}en", "é,".repeat(10_000));
    assert_eq!(Locale::negotiate(&hostile), Locale::Fr);
}

/// Every language defines the same messages, and each formats without errors.
#[test]
fn the_three_languages_define_the_same_messages() {
    let catalog = Catalog::built_in();
    let ids = |locale: Locale| -> std::collections::BTreeSet<String> {
        ["mail", "errors", "pages"]
            .iter()
            .flat_map(|file| {
                let name = format!("locales/{}/{file}.ftl", locale.code());
                let text = catalog::built_in(&name);
                text.lines()
                    .filter_map(|line| line.split_once(" =").map(|(id, _)| id.trim().to_owned()))
                    .filter(|id| !id.starts_with('#') && !id.is_empty() && !id.contains(' '))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let english = ids(Locale::En);
    assert!(english.len() > 100, "{}", english.len());
    for locale in [Locale::Fr, Locale::Ar] {
        assert_eq!(ids(locale), english, "{locale:?}");
    }
    for id in &english {
        for locale in Locale::ALL {
            assert!(catalog.has(locale, id), "{locale:?} lacks {id}");
        }
    }
}

#[test]
fn an_operator_s_directory_replaces_single_messages_and_whole_layouts() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::create_dir_all(dir.path().join("locales/en")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("mail")).expect("mkdir");
    std::fs::write(
        dir.path().join("locales/en/mail.ftl"),
        "mail-footer = Sent by { $product }, Algiers.\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("mail/message.txt"),
        "{{ greeting }} / {{ footer }}",
    )
    .expect("write");
    let catalog = Catalog::load(Some(dir.path())).expect("the directory loads");
    let footer = Message::new("mail-footer").with("product", "Tableau");
    assert_eq!(
        catalog.text(Locale::En, &footer),
        "Sent by Tableau, Algiers."
    );
    // What it does not replace stays built in.
    assert_eq!(
        catalog.text(Locale::En, &Message::new("mail-password-changed-subject")),
        "Your password was changed"
    );
    let text = catalog
        .render(
            layouts::MAIL_TEXT,
            serde_json::json!({ "greeting": "Hi", "footer": "F" }),
        )
        .expect("renders");
    assert_eq!(text, "Hi / F");

    std::fs::write(
        dir.path().join("locales/en/mail.ftl"),
        "mail-footer = { $product\n",
    )
    .expect("write");
    assert!(
        Catalog::load(Some(dir.path())).is_err(),
        "a broken file stops the start"
    );
    assert!(Catalog::load(Some(&dir.path().join("missing"))).is_err());
}
