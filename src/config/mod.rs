//! Typed settings read from the environment (and `.env`), with the contract's defaults.
//!
//! Nothing here is global: the server and each test build their own `Settings`.
//! Every value is checked here, at start: one out of range stops the service with a
//! message naming its variable, so no setting can make a later request fail.
mod browsers;
mod check;
mod jwt;
mod rate_limits;
mod second_factors;
#[cfg(test)]
mod tests;
mod vars;

pub use browsers::{BrowserSettings, RefreshCookie};
pub use check::{Severity, check};
pub use jwt::{JWKS_MAX_AGE, JwtSettings, KeysStore, SigningAlgorithm};
pub use rate_limits::{Operation, Quota, RateLimitSettings};
pub use second_factors::{MfaSettings, PasskeySettings};
use second_factors::{TotpIssuer, default_totp_issuer};
use vars::{MAX_HASH_CONCURRENCY, Origin, ProxyNetwork, PublicUrl, TEN_MS, TEN_YEARS, Vars, error};

use std::{collections::HashMap, net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub app_env: AppEnv,
    /// `None`: an SQLite file in `data_dir`.
    /// May hold a password: never printed.
    pub database_url: Option<SecretString>,
    /// Pooled database connections; by default 16 for PostgreSQL and 4 for SQLite,
    /// whose connections each run on a thread of their own.
    pub database_pool_size: Option<u32>,
    pub data_dir: PathBuf,
    pub bind_addr: SocketAddr,
    pub public_url: String,
    /// Where mail links lead: the frontend, or (the default) this service's own pages.
    pub app_url: String,
    /// Replacements for the built-in mail, pages and messages (`templates/`'s layout).
    pub templates_dir: Option<PathBuf>,
    pub jwt: JwtSettings,
    pub lifetimes: Lifetimes,
    pub max_sessions_per_user: u64,
    pub lockout: LockoutSettings,
    pub mfa: MfaSettings,
    /// Security events older than this are pruned.
    pub audit_retention: Duration,
    pub rate_limits: RateLimitSettings,
    /// When set, `/metrics` asks for it as a bearer token.
    pub metrics_token: Option<SecretString>,
    /// When set, `POST /oauth/introspect` is on and asks for it as a bearer token.
    pub introspection_token: Option<SecretString>,
    /// A MaxMind-format `.mmdb` file; sessions get a location from it.
    pub geoip_db: Option<PathBuf>,
    /// Shared rate-limit counters for several replicas; in memory without it.
    /// May hold a password: never printed.
    pub redis_url: Option<SecretString>,
    /// Namespaces this deployment's keys in a shared Redis.
    pub redis_key_prefix: String,
    pub trusted_proxies: Vec<IpNet>,
    /// The one forwarding header believed from a trusted proxy; the other is ignored.
    pub trusted_proxy_header: ForwardingHeader,
    pub cors_origins: Vec<String>,
    pub browsers: BrowserSettings,
    pub graphql: GraphqlSettings,
    pub log_format: LogFormat,
    /// How many argon2 computations may run at once; the rest wait their turn.
    pub password_hash_concurrency: usize,
    /// Fields marked for it answer `EMAIL_NOT_VERIFIED` until the email is verified.
    pub require_verified_email: bool,
    pub mail: MailSettings,
    /// After SIGTERM, how long requests in flight and the mail being sent may take
    /// before the process exits anyway.
    pub shutdown_timeout: Duration,
}

/// Which header a trusted proxy puts the client's address in (`TRUSTED_PROXY_HEADER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardingHeader {
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=…`.
    Forwarded,
}

impl FromStr for ForwardingHeader {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(Self::XForwardedFor),
            "forwarded" => Ok(Self::Forwarded),
            _ => Err("use x-forwarded-for or forwarded"),
        }
    }
}

/// Where outgoing mail goes and how the outbox worker retries it.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://host:port`, `smtp://host?tls=required`, `smtps://user:pass@host`; it may
    /// hold a password. `None`: messages are written to the log.
    pub smtp_url: Option<SecretString>,
    pub from: String,
    /// Production refuses to write mail (reset links) to the log unless this is set.
    pub to_log: bool,
    /// How often the worker looks for due messages when nothing wakes it.
    pub poll_interval: Duration,
    /// The wait after the first failed attempt; it doubles with each further one.
    pub retry_base: Duration,
    /// After this many failed attempts a message is marked failed and left alone.
    pub max_attempts: u32,
}

impl MailSettings {
    /// The service's name in mail and on its pages: `MAIL_FROM`'s display name.
    pub fn product(&self) -> String {
        self.from
            .parse::<lettre::message::Mailbox>()
            .ok()
            .and_then(|mailbox| mailbox.name)
            .unwrap_or_else(|| "graphql-auth".to_owned())
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub access_token: Duration,
    /// A session with `rememberMe: true`.
    pub remembered_session: Duration,
    /// A session without `rememberMe`.
    pub short_session: Duration,
    /// No refresh slides a session past this, counted from the sign-in.
    pub session_max: Duration,
    pub refresh_reuse_grace: Duration,
    /// How long a checked session is trusted without asking the database again; a
    /// revocation through another replica takes effect within it. `0s` turns it off.
    pub session_cache: Duration,
    pub password_reset_token: Duration,
    pub email_verification_token: Duration,
}

#[derive(Debug, Clone, Copy)]
pub struct LockoutSettings {
    pub threshold: u32,
    pub duration: Duration,
    /// Failures count "in a row" while each follows the last within this; an older
    /// count starts over, for accounts and unknown identifiers alike.
    pub window: Duration,
}

#[derive(Debug, Clone)]
pub struct GraphqlSettings {
    pub graphiql: bool,
    pub introspection: bool,
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_root_fields: usize,
    /// Directives (`@include`, `@skip`, …) per document.
    pub max_directives: usize,
    /// Introspection's own budget: its shape is fixed by the spec and deeper than any
    /// real query (GraphiQL's schema query), but it must not be unbounded either.
    pub introspection_max_depth: usize,
    pub introspection_max_complexity: usize,
    /// "Did you mean …?" in validation errors; off in production, where they map the
    /// schema for anyone without introspection.
    pub suggestions: bool,
    pub max_batch_size: usize,
    pub max_body_bytes: usize,
}

/// A setting that could not be read, naming the variable.
#[derive(Debug, thiserror::Error)]
#[error("invalid {variable}={value:?}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub value: String,
    pub reason: String,
}

impl Settings {
    /// Reads `.env` (if present) and then the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; the variables may come from the environment.
        let _ = dotenvy::dotenv();
        let vars: HashMap<String, String> = std::env::vars().collect();
        Self::from_lookup(|key| vars.get(key).cloned())
    }

    /// Builds settings from any key → value source (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars(&lookup);
        let app_env = match vars.raw("APP_ENV").as_deref() {
            None | Some("development") | Some("dev") => AppEnv::Development,
            Some("production") | Some("prod") => AppEnv::Production,
            Some(other) => return Err(error("APP_ENV", other, "use development or production")),
        };
        let is_dev = app_env == AppEnv::Development;
        let public_url = vars
            .parse::<PublicUrl>("PUBLIC_URL", "http://localhost:8000")?
            .0;
        let totp_issuer = default_totp_issuer(&public_url);
        let passkeys = PasskeySettings::load(&vars, &public_url)?;
        let cors_origins: Vec<String> = vars
            .list::<Origin>("CORS_ORIGINS")?
            .into_iter()
            .map(|o| o.0)
            .collect();
        let browsers = BrowserSettings::load(&vars, &public_url, &cors_origins)?;
        Ok(Self {
            app_env,
            database_url: vars.raw("DATABASE_URL").map(SecretString::from),
            database_pool_size: vars
                .raw("DATABASE_POOL_SIZE")
                .map(|_| vars.count_in("DATABASE_POOL_SIZE", "", 1..=1000))
                .transpose()?,
            data_dir: vars
                .raw("DATA_DIR")
                .unwrap_or_else(|| "./data".into())
                .into(),
            bind_addr: vars.parse("BIND_ADDR", "127.0.0.1:8000")?,
            jwt: JwtSettings {
                secret: vars.raw("JWT_SECRET").map(SecretString::from),
                keys_file: vars.raw("JWT_KEYS_FILE").map(PathBuf::from),
                issuer: vars.raw("JWT_ISSUER").unwrap_or_else(|| public_url.clone()),
                audience: vars
                    .raw("JWT_AUDIENCE")
                    .unwrap_or_else(|| "graphql-auth".into()),
                algorithm: vars.parse("JWT_ALGORITHM", "EdDSA")?,
                keys_store: vars.parse("JWT_KEYS_STORE", "file")?,
                rotation: vars
                    .raw("SIGNING_KEY_ROTATION")
                    .filter(|v| !v.eq_ignore_ascii_case("off"))
                    .map(|_| vars.lifetime("SIGNING_KEY_ROTATION", ""))
                    .transpose()?,
                // Rotation and retirement reach every replica within a minute.
                // Oftener than 100 ms would outrun the re-reads' once-a-second bound.
                keys_refresh: vars.duration_in(
                    "SIGNING_KEYS_REFRESH",
                    "30s",
                    Duration::from_millis(100)..=Duration::from_secs(60),
                )?,
                publish_ahead: vars.duration_at_most("SIGNING_KEY_PUBLISH_AHEAD", "5m")?,
            },
            app_url: vars
                .raw("APP_URL")
                .map(|_| vars.parse::<PublicUrl>("APP_URL", ""))
                .transpose()?
                .map_or_else(|| public_url.clone(), |url| url.0),
            templates_dir: vars.raw("TEMPLATES_DIR").map(PathBuf::from),
            public_url,
            lifetimes: Lifetimes {
                access_token: vars.lifetime("ACCESS_TOKEN_TTL", "60m")?,
                remembered_session: vars.lifetime("REFRESH_TOKEN_TTL", "7d")?,
                short_session: vars.lifetime("SHORT_SESSION_TTL", "24h")?,
                session_max: vars.lifetime("SESSION_MAX_TTL", "30d")?,
                // 0s: no grace, and no cache; both only shorten what is allowed.
                refresh_reuse_grace: vars.duration_at_most("REFRESH_REUSE_GRACE", "10s")?,
                session_cache: vars.duration_at_most("SESSION_CACHE_TTL", "500ms")?,
                password_reset_token: vars.lifetime("PASSWORD_RESET_TTL", "1h")?,
                email_verification_token: vars.lifetime("EMAIL_VERIFICATION_TTL", "48h")?,
            },
            max_sessions_per_user: vars.count_in("MAX_SESSIONS_PER_USER", "20", 1..=10_000)?,
            lockout: LockoutSettings {
                threshold: vars.count_in("LOCKOUT_THRESHOLD", "5", 1..=100)?,
                duration: vars.lifetime("LOCKOUT_DURATION", "30m")?,
                window: vars.lifetime("LOCKOUT_WINDOW", "24h")?,
            },
            mfa: MfaSettings {
                token_ttl: vars.lifetime("MFA_TOKEN_TTL", "5m")?,
                max_attempts: vars.count_in("MFA_MAX_ATTEMPTS", "5", 1..=100)?,
                totp_issuer: vars.parse::<TotpIssuer>("TOTP_ISSUER", &totp_issuer)?.0,
                passkeys,
            },
            audit_retention: vars.lifetime("AUDIT_RETENTION", "365d")?,
            rate_limits: RateLimitSettings::load(&vars)?,
            metrics_token: vars.raw("METRICS_TOKEN").map(SecretString::from),
            introspection_token: vars.raw("INTROSPECTION_TOKEN").map(SecretString::from),
            geoip_db: vars.raw("GEOIP_DB").map(PathBuf::from),
            redis_url: vars.raw("REDIS_URL").map(SecretString::from),
            redis_key_prefix: vars
                .raw("REDIS_KEY_PREFIX")
                .unwrap_or_else(|| "graphql-auth".into()),
            trusted_proxies: vars
                .list::<ProxyNetwork>("TRUSTED_PROXIES")?
                .into_iter()
                .map(|p| p.0)
                .collect(),
            trusted_proxy_header: vars.parse("TRUSTED_PROXY_HEADER", "x-forwarded-for")?,
            cors_origins,
            browsers,
            graphql: GraphqlSettings {
                graphiql: vars.parse("GRAPHIQL", if is_dev { "true" } else { "false" })?,
                introspection: vars
                    .parse("INTROSPECTION", if is_dev { "true" } else { "false" })?,
                max_depth: vars.count_in("GRAPHQL_MAX_DEPTH", "10", 1..=100)?,
                max_complexity: vars.count_in("GRAPHQL_MAX_COMPLEXITY", "200", 1..=100_000)?,
                max_aliases: vars.count_in("GRAPHQL_MAX_ALIASES", "10", 0..=1000)?,
                max_root_fields: vars.count_in("GRAPHQL_MAX_ROOT_FIELDS", "10", 1..=1000)?,
                max_directives: vars.count_in("GRAPHQL_MAX_DIRECTIVES", "10", 0..=1000)?,
                // GraphiQL 3.8.3's schema query, every option on: 15 levels, 227 fields.
                introspection_max_depth: vars.count_in(
                    "GRAPHQL_INTROSPECTION_MAX_DEPTH",
                    "16",
                    1..=100,
                )?,
                introspection_max_complexity: vars.count_in(
                    "GRAPHQL_INTROSPECTION_MAX_COMPLEXITY",
                    "300",
                    1..=100_000,
                )?,
                suggestions: vars
                    .parse("GRAPHQL_SUGGESTIONS", if is_dev { "true" } else { "false" })?,
                max_batch_size: vars.count_in("GRAPHQL_MAX_BATCH", "10", 1..=1000)?,
                // Below 1 KiB not even GraphiQL's schema query fits.
                max_body_bytes: vars.count_in("MAX_BODY_BYTES", "102400", 1024..=16 << 20)?,
            },
            log_format: match vars.raw("LOG_FORMAT").as_deref() {
                None | Some("pretty") => LogFormat::Pretty,
                Some("json") => LogFormat::Json,
                Some(other) => return Err(error("LOG_FORMAT", other, "use pretty or json")),
            },
            // Each computation holds 19 MiB; 0 would make every login wait forever.
            password_hash_concurrency: vars.count_in(
                "PASSWORD_HASH_CONCURRENCY",
                &std::thread::available_parallelism()
                    .map_or(2, |n| n.get().min(MAX_HASH_CONCURRENCY))
                    .to_string(),
                1..=MAX_HASH_CONCURRENCY,
            )?,
            require_verified_email: vars.parse("REQUIRE_VERIFIED_EMAIL", "false")?,
            mail: MailSettings {
                smtp_url: vars.raw("SMTP_URL").map(SecretString::from),
                from: vars
                    .raw("MAIL_FROM")
                    .unwrap_or_else(|| "graphql-auth <no-reply@localhost>".into()),
                to_log: vars.parse("MAIL_TO_LOG", "false")?,
                // Shorter, the worker would query the database (or retry) in a loop.
                poll_interval: vars.duration_in("MAIL_POLL_INTERVAL", "2s", TEN_MS..=TEN_YEARS)?,
                retry_base: vars.duration_in("MAIL_RETRY_BASE", "30s", TEN_MS..=TEN_YEARS)?,
                max_attempts: vars.count_in("MAIL_MAX_ATTEMPTS", "10", 1..=100)?,
            },
            // 0s: exit at once, dropping what is in flight.
            shutdown_timeout: vars.duration_at_most("SHUTDOWN_TIMEOUT", "20s")?,
        })
    }

    pub fn is_production(&self) -> bool {
        self.app_env == AppEnv::Production
    }

    /// Whether mail links lead here, so this service answers them with its own pages.
    pub fn serves_link_pages(&self) -> bool {
        self.app_url == self.public_url
    }

    /// The database to use: the configured URL, or `DATA_DIR/graphql-auth.sqlite`.
    pub fn is_sqlite(&self) -> bool {
        self.database_url().starts_with("sqlite:")
    }

    /// `DATABASE_POOL_SIZE`, or the backend's default.
    pub fn pool_size(&self) -> u32 {
        let default = if self.is_sqlite() { 4 } else { 16 };
        self.database_pool_size.unwrap_or(default).max(1)
    }

    /// The URL to connect to (it may hold a password: never log it).
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose_secret().to_owned(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("graphql-auth.sqlite").display()
            ),
        }
    }
}
