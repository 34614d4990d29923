//! The command line: `serve` (default), `migrate`, `create-user`, `export-schema`,
//! `issue-verification-tokens`, `verify-audit-chain`, `check-config`,
//! `rotate-signing-key`, `retire-signing-key`, `import-django-users`.
use std::{
    io::{BufRead, IsTerminal},
    path::{Path, PathBuf},
};

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};

use crate::{
    auth::{AuthService, signing},
    config::{KeysStore, Settings, SigningAlgorithm},
    graphql,
    startup::{self, Application},
    telemetry,
};

#[derive(Debug, Parser)]
#[command(
    name = "graphql-auth",
    version,
    about = "A GraphQL authentication service"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create an account; the password is read from standard input, never an argument.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// Give the account staff rights.
        #[arg(long)]
        staff: bool,
    },
    /// Print the GraphQL schema (SDL) that `schema.graphql` must equal.
    ExportSchema,
    /// Walk the security trail's hash chain; exit 1 at the first altered or removed event.
    VerifyAuditChain,
    /// Print what the effective configuration leaves unsafe; exit 1 if anything is.
    CheckConfig,
    /// Add a new signing key to the key ring (JWT_KEYS_STORE=database, JWT_KEYS_FILE,
    /// or DATA_DIR/jwt-keys.json) and make it current; earlier keys keep verifying.
    /// Running servers pick it up within SIGNING_KEYS_REFRESH.
    RotateSigningKey {
        /// EdDSA, ES256 or HS256; JWT_ALGORITHM when left out.
        #[arg(long)]
        alg: Option<SigningAlgorithm>,
    },
    /// Remove a key from the key ring: tokens it signed stop working at the servers'
    /// next refresh; refresh tokens are unaffected, so clients just refresh.
    RetireSigningKey {
        #[arg(long)]
        kid: String,
    },
    /// Queue a verification email for every active account with an unverified email
    /// and no live verification link; running it again queues nothing twice. A
    /// running server's outbox worker sends them.
    IssueVerificationTokens,
    /// Create accounts from a `manage.py dumpdata` JSON export of the Django service's
    /// user model. Existing accounts are skipped, so it can run again; each skip is
    /// reported with its reason. Exit 1 only if the file cannot be read or parsed.
    ImportDjangoUsers {
        /// The export, e.g. from `manage.py dumpdata accounts.user > users.json`.
        file: PathBuf,
    },
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        if let Some(Command::ExportSchema) = self.command {
            print!("{}", graphql::sdl());
            return Ok(());
        }
        let settings = Settings::from_env()?;
        telemetry::init(settings.log_format);
        match self.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(&settings).await,
            Command::Migrate => {
                let db = startup::connect(&settings).await?;
                startup::migrate(&db).await?;
                println!("migrations applied");
                Ok(())
            }
            Command::CreateUser {
                username,
                email,
                staff,
            } => create_user(&settings, &username, &email, staff).await,
            Command::VerifyAuditChain => verify_audit_chain(&settings).await,
            Command::CheckConfig => check_config(&settings),
            Command::RotateSigningKey { alg } => rotate_signing_key(&settings, alg).await,
            Command::RetireSigningKey { kid } => retire_signing_key(&settings, &kid).await,
            Command::IssueVerificationTokens => issue_verification_tokens(&settings).await,
            Command::ImportDjangoUsers { file } => import_django_users(&settings, &file).await,
            Command::ExportSchema => unreachable!("handled above"),
        }
    }
}

async fn serve(settings: &Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    let addr = app.local_addr();
    tracing::info!(%addr, "listening");
    if settings.graphql.graphiql {
        tracing::info!("GraphiQL: http://{addr}/graphql");
    }
    app.run_until(startup::shutdown_signal()).await
}

async fn create_user(
    settings: &Settings,
    username: &str,
    email: &str,
    is_staff: bool,
) -> anyhow::Result<()> {
    let password = read_password()?;
    // As in the API, an over-long new password is a weak one (TOO_LONG), refused
    // before anything else happens.
    if let Err(reasons) = crate::domain::NewPassword::check_length(&password) {
        bail!(
            "cannot create the user: {}",
            describe(crate::auth::AuthError::WeakPassword(reasons))
        );
    }
    let auth = migrated_auth_service(settings).await?;
    match auth.create_user(username, email, password, is_staff).await {
        Ok(user) => {
            println!("created user {} ({})", user.username, user.id);
            Ok(())
        }
        Err(err) => bail!("cannot create the user: {}", describe(err)),
    }
}

/// Adds a signing key to the configured store. A database key is published at once
/// and signs after `SIGNING_KEY_PUBLISH_AHEAD`, when every replica and every cached
/// key set has it.
async fn rotate_signing_key(
    settings: &Settings,
    alg: Option<SigningAlgorithm>,
) -> anyhow::Result<()> {
    let algorithm = alg.unwrap_or(settings.jwt.algorithm);
    let refresh = humantime::format_duration(settings.jwt.keys_refresh);
    match settings.jwt.keys_store {
        KeysStore::Database => {
            let keys = database_keys(settings).await?;
            let signs_from = chrono::Utc::now() + settings.jwt.signing_lead();
            let (kid, signs_from) = keys.rotate(algorithm, signs_from).await?;
            println!("{kid} is published now and signs from {signs_from} on every instance");
        }
        KeysStore::File => {
            let path = key_ring_file(settings);
            let kid = signing::file::rotate(&path, algorithm)?;
            println!(
                "{kid} is now the current key in {}; servers read it within {refresh}",
                path.display()
            );
            if settings.jwt.keys_file.is_none() && settings.jwt.algorithm == SigningAlgorithm::Hs256
            {
                eprintln!(
                    "note: with JWT_ALGORITHM=HS256 and no JWT_KEYS_FILE, servers sign with \
                     JWT_SECRET and do not read this file"
                );
            }
        }
    }
    Ok(())
}

/// Withdraws a key: tokens it signed stop verifying at every server's next refresh.
async fn retire_signing_key(settings: &Settings, kid: &str) -> anyhow::Result<()> {
    match settings.jwt.keys_store {
        KeysStore::Database => {
            database_keys(settings)
                .await?
                .retire(kid, chrono::Utc::now())
                .await?;
            println!("retired {kid} from the database");
        }
        KeysStore::File => {
            let path = key_ring_file(settings);
            signing::file::retire(&path, kid)?;
            println!("retired {kid} from {}", path.display());
        }
    }
    Ok(())
}

fn key_ring_file(settings: &Settings) -> std::path::PathBuf {
    settings
        .jwt
        .keys_file
        .clone()
        .unwrap_or_else(|| signing::development_ring(settings))
}

async fn database_keys(settings: &Settings) -> anyhow::Result<signing::database::DatabaseKeys> {
    let db = startup::connect(settings).await?;
    startup::migrate(&db).await?;
    let secret = crate::auth::server_secret::load_server_secret(settings)?;
    Ok(signing::database::DatabaseKeys::new(
        db,
        &secret,
        settings.lifetimes.access_token,
        settings.jwt.keys_refresh,
    ))
}

fn check_config(settings: &Settings) -> anyhow::Result<()> {
    use crate::config::{Severity, check};
    let findings = check(settings);
    for (severity, message) in &findings {
        let label = match severity {
            Severity::Unsafe => "unsafe",
            Severity::Note => "note",
        };
        println!("{label}: {message}");
    }
    let unsafe_count = findings
        .iter()
        .filter(|(s, _)| *s == Severity::Unsafe)
        .count();
    println!(
        "{unsafe_count} unsafe, {} notes",
        findings.len() - unsafe_count
    );
    if unsafe_count > 0 {
        bail!("the configuration leaves {unsafe_count} thing(s) unsafe");
    }
    Ok(())
}

async fn verify_audit_chain(settings: &Settings) -> anyhow::Result<()> {
    use crate::store::events::ChainReport;
    let auth = migrated_auth_service(settings).await?;
    match auth
        .verify_audit_chain()
        .await
        .map_err(|e| anyhow::anyhow!(describe(e)))?
    {
        ChainReport::Intact { events } => {
            println!("audit chain intact: {events} events verified");
            Ok(())
        }
        ChainReport::BrokenAt { event_id, reason } => {
            bail!("audit chain broken at event {event_id}: {reason}")
        }
        ChainReport::Truncated { expected_last_id } => {
            bail!("audit chain truncated: events up to {expected_last_id} are missing")
        }
    }
}

async fn issue_verification_tokens(settings: &Settings) -> anyhow::Result<()> {
    let auth = migrated_auth_service(settings).await?;
    match auth.issue_verification_tokens().await {
        Ok(queued) => {
            println!("queued {queued} verification email(s)");
            Ok(())
        }
        Err(err) => bail!("cannot queue verification emails: {}", describe(err)),
    }
}

async fn import_django_users(settings: &Settings, file: &Path) -> anyhow::Result<()> {
    use crate::auth::django_import;
    let json =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let entries = django_import::parse_dump(&json)
        .with_context(|| format!("{} is not a dumpdata JSON export", file.display()))?;
    let auth = migrated_auth_service(settings).await?;
    let report = match auth.import_django_users(entries).await {
        Ok(report) => report,
        Err(err) => bail!("the import stopped: {}", describe(err)),
    };
    for imported in &report.imported {
        match imported.notes.as_slice() {
            [] => println!("imported {}", imported.entry),
            notes => println!("imported {}: {}", imported.entry, notes.join("; ")),
        }
    }
    for skipped in &report.skipped {
        println!("skipped {}: {}", skipped.entry, skipped.reason);
    }
    for ignored in &report.ignored {
        println!("ignored {ignored}: not a user");
    }
    if !report.not_carried_over.is_empty() {
        let fields: Vec<&str> = report.not_carried_over.iter().map(String::as_str).collect();
        println!("not carried over: {}", fields.join(", "));
    }
    let mut summary = format!(
        "imported {}, skipped {}",
        report.imported.len(),
        report.skipped.len()
    );
    match report.already_imported() {
        0 => {}
        already => summary.push_str(&format!(" ({already} already imported)")),
    }
    if !report.ignored.is_empty() {
        summary.push_str(&format!(", ignored {} (not users)", report.ignored.len()));
    }
    println!("{summary}");
    Ok(())
}

/// The auth flows on a migrated database, for commands that act without a server.
async fn migrated_auth_service(settings: &Settings) -> anyhow::Result<AuthService> {
    let db = startup::connect(settings).await?;
    startup::migrate(&db).await?;
    startup::auth_service(settings, db).await
}

fn describe(err: crate::auth::AuthError) -> String {
    use crate::auth::AuthError;
    match err {
        AuthError::InvalidInput(input) => {
            format!(
                "{}: {}",
                input.field,
                crate::i18n::in_english(&input.message)
            )
        }
        AuthError::WeakPassword(reasons) => format!(
            "the password is too weak ({})",
            reasons
                .iter()
                .map(|r| r.code())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// A prompt (twice) on a terminal; otherwise the first line of standard input.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Password (again): ")?;
        if first != again {
            bail!("the passwords do not match");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
