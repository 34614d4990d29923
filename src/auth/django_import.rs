//! Accounts from the Django service: a `manage.py dumpdata` export of its user model,
//! imported with their password hashes, which verify until the first sign-in
//! replaces them (see `password`).
use std::{collections::BTreeSet, fmt};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::{
    AuthError, AuthService, now,
    password::{self, HashScheme},
};
use crate::{
    domain::{EmailAddress, Language, Timezone, Username},
    i18n::in_english,
    store::{
        self, StoreError,
        users::{ImportedUser, NewUser},
    },
};

/// One object of a dumpdata export: `{"model": "accounts.user", "pk": 1, "fields": {…}}`.
#[derive(Debug, Deserialize)]
pub struct DumpEntry {
    model: String,
    #[serde(default)]
    pk: Value,
    #[serde(default)]
    fields: Value,
}

/// Reads a dumpdata export: a JSON array of entries, of any models.
pub fn parse_dump(json: &str) -> Result<Vec<DumpEntry>, serde_json::Error> {
    serde_json::from_str(json)
}

/// The fields of the Django user model that we carry over; `other` collects the rest.
#[derive(Debug, Deserialize)]
struct DjangoUser {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
    #[serde(default)]
    is_staff: bool,
    is_active: Option<bool>,
    date_joined: Option<String>,
    last_login: Option<String>,
    #[serde(default)]
    email_verified: bool,
    #[serde(default)]
    phone_verified: bool,
    language: Option<String>,
    timezone: Option<String>,
    email_notifications: Option<bool>,
    sms_notifications: Option<bool>,
    push_notifications: Option<bool>,
    #[serde(flatten)]
    other: serde_json::Map<String, Value>,
}

/// What an import did with each entry of the export.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub imported: Vec<Imported>,
    pub skipped: Vec<Skipped>,
    /// Entries of other models, as `label (pk …)`.
    pub ignored: Vec<String>,
    /// Fields of the user model that nothing here holds (first_name, groups, …).
    pub not_carried_over: BTreeSet<String>,
}

#[derive(Debug)]
pub struct Imported {
    pub entry: String,
    /// What was changed on the way in: an unusable password, a language or timezone
    /// replaced by the default, an unreadable date.
    pub notes: Vec<String>,
}

#[derive(Debug)]
pub struct Skipped {
    pub entry: String,
    pub reason: SkipReason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// An account with this username and this email exists: an earlier import's.
    AlreadyImported,
    UsernameTaken,
    /// By the account with this username.
    EmailTaken(String),
    InvalidUsername(String),
    InvalidEmail(String),
    /// Fields missing or of the wrong type.
    Unreadable(String),
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlreadyImported => f.write_str("already imported"),
            Self::UsernameTaken => f.write_str("another account has this username"),
            Self::EmailTaken(by) => write!(f, "{by} already has this email address"),
            Self::InvalidUsername(why) => write!(f, "invalid username: {why}"),
            Self::InvalidEmail(why) => write!(f, "invalid email: {why}"),
            Self::Unreadable(why) => write!(f, "unreadable entry: {why}"),
        }
    }
}

impl ImportReport {
    pub fn already_imported(&self) -> usize {
        self.skipped
            .iter()
            .filter(|s| s.reason == SkipReason::AlreadyImported)
            .count()
    }
}

/// The model a user entry belongs to: `<app>.user`, as the Django service's was.
fn is_user_model(label: &str) -> bool {
    label
        .rsplit_once('.')
        .is_some_and(|(_, model)| model.eq_ignore_ascii_case("user"))
}

impl AuthService {
    /// Creates an account for each user entry that names no account yet, one insert
    /// at a time, so an interrupted import can simply run again. Hashes are kept as
    /// Django wrote them; an unusable or unsupported one becomes `password::UNUSABLE`.
    /// No mail is sent.
    pub async fn import_django_users(
        &self,
        entries: Vec<DumpEntry>,
    ) -> Result<ImportReport, AuthError> {
        let mut report = ImportReport::default();
        for entry in entries {
            let pk = match &entry.pk {
                Value::Null => "no pk".to_owned(),
                pk => format!("pk {pk}"),
            };
            if !is_user_model(&entry.model) {
                report.ignored.push(format!("{} ({pk})", entry.model));
                continue;
            }
            let user: DjangoUser = match serde_json::from_value(entry.fields) {
                Ok(user) => user,
                Err(e) => {
                    report.skipped.push(Skipped {
                        entry: pk,
                        reason: SkipReason::Unreadable(e.to_string()),
                    });
                    continue;
                }
            };
            report.not_carried_over.extend(user.other.keys().cloned());
            let entry = match &user.username {
                Some(username) => format!("{username} ({pk})"),
                None => pk,
            };
            match self.import_one(user).await? {
                Ok(notes) => report.imported.push(Imported { entry, notes }),
                Err(reason) => report.skipped.push(Skipped { entry, reason }),
            }
        }
        Ok(report)
    }

    /// The notes of an imported account, or why it was not imported.
    async fn import_one(
        &self,
        user: DjangoUser,
    ) -> Result<Result<Vec<String>, SkipReason>, AuthError> {
        let mut notes = Vec::new();
        let Some(username) = user.username.as_deref() else {
            return Ok(Err(SkipReason::Unreadable("no username".into())));
        };
        let username = match Username::parse(username) {
            Ok(username) => username,
            Err(e) => return Ok(Err(SkipReason::InvalidUsername(in_english(&e.message)))),
        };
        let email = match user.email.as_deref().map(str::trim) {
            None | Some("") => return Ok(Err(SkipReason::InvalidEmail("none given".into()))),
            Some(email) => match EmailAddress::parse(email) {
                Ok(email) => email,
                Err(e) => return Ok(Err(SkipReason::InvalidEmail(in_english(&e.message)))),
            },
        };
        let db = self.db();
        let same_username = store::users::find_by_login(db, &username.key()).await?;
        if let Some(existing) = same_username {
            return Ok(Err(if existing.email_key == email.key() {
                SkipReason::AlreadyImported
            } else {
                SkipReason::UsernameTaken
            }));
        }
        if let Some(existing) = store::users::find_by_email(db, &email.key()).await? {
            return Ok(Err(SkipReason::EmailTaken(existing.username)));
        }
        let password_hash = match user.password.as_deref().map(password::scheme_of) {
            Some(Ok(HashScheme::Unusable)) => {
                notes.push("no usable password in Django: a password reset sets one".into());
                password::UNUSABLE.to_owned()
            }
            Some(Ok(_)) => user.password.unwrap_or_default(),
            Some(Err(unsupported)) => {
                notes.push(format!(
                    "no usable password ({unsupported}): a password reset sets one"
                ));
                password::UNUSABLE.to_owned()
            }
            None => {
                notes.push("no password in the export: a password reset sets one".into());
                password::UNUSABLE.to_owned()
            }
        };
        let language = match user.language.as_deref().filter(|l| !l.trim().is_empty()) {
            None => Language::default(),
            Some(raw) => language_of(raw).unwrap_or_else(|| {
                notes.push(format!(
                    "language {raw:?} is not a language tag: {} instead",
                    Language::default().code()
                ));
                Language::default()
            }),
        };
        let timezone = match user.timezone.as_deref().filter(|t| !t.trim().is_empty()) {
            None => Timezone::default(),
            Some(raw) => Timezone::parse(raw).unwrap_or_else(|_| {
                notes.push(format!(
                    "timezone {raw:?} is unknown: {} instead",
                    Timezone::default().name()
                ));
                Timezone::default()
            }),
        };
        let date_joined = match user.date_joined.as_deref() {
            Some(raw) => django_time(raw).unwrap_or_else(|| {
                notes.push(format!("date_joined {raw:?} unreadable: now instead"));
                now()
            }),
            None => {
                notes.push("no date_joined: now instead".into());
                now()
            }
        };
        let last_login = user.last_login.as_deref().and_then(|raw| {
            let at = django_time(raw);
            if at.is_none() {
                notes.push(format!("last_login {raw:?} unreadable: left empty"));
            }
            at
        });
        let imported = ImportedUser {
            account: NewUser {
                username,
                email,
                password_hash,
                language,
                timezone,
                is_staff: user.is_staff,
            },
            email_verified: user.email_verified,
            phone_verified: user.phone_verified,
            is_active: user.is_active.unwrap_or(true),
            email_notifications: user.email_notifications.unwrap_or(true),
            sms_notifications: user.sms_notifications.unwrap_or(false),
            push_notifications: user.push_notifications.unwrap_or(true),
            date_joined,
            last_login,
        };
        // A concurrent registration can still take the username or email.
        match store::users::create_imported(db, imported).await {
            Ok(_) => Ok(Ok(notes)),
            Err(StoreError::UsernameTaken) => Ok(Err(SkipReason::UsernameTaken)),
            Err(StoreError::EmailTaken) => {
                Ok(Err(SkipReason::EmailTaken("another account".into())))
            }
            Err(StoreError::Db(e)) => Err(e.into()),
        }
    }
}

/// A Django language code (`en`, `en-us`, or a locale name such as `fr_DZ`) as a tag;
/// one too long or malformed to be a tag keeps its primary language if that is one.
fn language_of(raw: &str) -> Option<Language> {
    let tag = raw.trim().replace('_', "-");
    let primary = tag.split('-').next().unwrap_or_default();
    Language::parse(&tag)
        .or_else(|_| Language::parse(primary))
        .ok()
}

/// Django's serialized datetimes: ISO 8601 with `Z` or an offset, or without a zone
/// (`USE_TZ = False`), read as UTC.
fn django_time(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .map(|at| at.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|at| at.and_utc())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_entries_are_those_of_a_user_model() {
        assert!(is_user_model("accounts.user"));
        assert!(is_user_model("auth.User"));
        assert!(!is_user_model("auth.group"));
        assert!(!is_user_model("accounts.userprofile"));
        assert!(!is_user_model("user"));
    }

    #[test]
    fn django_datetimes_parse_with_or_without_a_zone() {
        let expected = "2025-06-01T19:45:12.345Z".parse::<DateTime<Utc>>().ok();
        assert_eq!(django_time("2025-06-01T19:45:12.345Z"), expected);
        assert_eq!(django_time("2025-06-01T21:45:12.345+02:00"), expected);
        assert_eq!(django_time("2025-06-01T19:45:12.345"), expected);
        assert_eq!(django_time("yesterday"), None);
    }

    #[test]
    fn django_language_codes_become_tags() {
        let tag = |raw| language_of(raw).map(|language| language.code().to_owned());
        assert_eq!(tag("en-us"), Some("en-US".into()));
        assert_eq!(tag("fr_DZ"), Some("fr-DZ".into()));
        assert_eq!(tag("de"), Some("de".into()));
        assert_eq!(tag(" kab "), Some("kab".into()));
        assert_eq!(tag("zh-hans-cn-x-long"), Some("zh".into()));
        assert_eq!(tag("klingon"), None);
        assert_eq!(tag("??"), None);
    }
}
