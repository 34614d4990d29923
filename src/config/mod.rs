//! Typed settings read from the environment (and `.env`), with the contract's defaults.
//!
//! Nothing here is global: the server and each test build their own `Settings`.
//! Every value is checked here, at start: one out of range stops the service with a
//! message naming its variable, so no setting can make a later request fail.
mod rate_limits;

pub use rate_limits::{Operation, Quota, RateLimitSettings};

use std::{
    collections::HashMap,
    fmt::Display,
    net::{Ipv6Addr, SocketAddr},
    ops::RangeInclusive,
    path::PathBuf,
    str::FromStr,
    time::Duration,
};

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

#[derive(Debug, Clone)]
pub struct JwtSettings {
    /// An explicitly configured HS256 secret; without one, development generates one.
    pub secret: Option<SecretString>,
    /// A key ring file; when set, its current key signs access tokens (and the secret
    /// above only keys refresh, reset and verification tokens).
    pub keys_file: Option<PathBuf>,
    pub issuer: String,
    pub audience: String,
    /// What signs access tokens when no key ring is configured: a generated EdDSA
    /// key (the default) or the HS256 secret (`JWT_ALGORITHM`).
    pub algorithm: SigningAlgorithm,
    /// Where the key ring lives (`JWT_KEYS_STORE`).
    pub keys_store: KeysStore,
    /// `SIGNING_KEY_ROTATION`: a new key this often (database store only); `None`: off.
    pub rotation: Option<Duration>,
    /// How often each instance re-reads its key ring (`SIGNING_KEYS_REFRESH`).
    pub keys_refresh: Duration,
    /// A key made by scheduled rotation is published this long before it signs
    /// (`SIGNING_KEY_PUBLISH_AHEAD`): the JWKS `max-age`, so cached key sets have it.
    pub publish_ahead: Duration,
}

impl JwtSettings {
    /// How long a new database key is published before it signs: every replica has read
    /// it (one refresh) and, with the default, every cached key set holds it.
    pub fn signing_lead(&self) -> Duration {
        self.publish_ahead.max(self.keys_refresh)
    }
}

/// The algorithm of generated signing keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SigningAlgorithm {
    #[default]
    EdDsa,
    Es256,
    Hs256,
}

impl SigningAlgorithm {
    /// The JOSE name (`alg`), as key ring files and JWKs spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EdDsa => "EdDSA",
            Self::Es256 => "ES256",
            Self::Hs256 => "HS256",
        }
    }
}

impl FromStr for SigningAlgorithm {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "EDDSA" => Ok(Self::EdDsa),
            "ES256" => Ok(Self::Es256),
            "HS256" => Ok(Self::Hs256),
            _ => Err("use EdDSA, ES256 or HS256"),
        }
    }
}

/// Where signing keys are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeysStore {
    /// `JWT_KEYS_FILE`, or in development a file generated in `DATA_DIR`.
    #[default]
    File,
    /// The `signing_keys` table, private parts encrypted with a key derived from
    /// `JWT_SECRET`; every replica re-reads it.
    Database,
}

impl FromStr for KeysStore {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "file" => Ok(Self::File),
            "database" | "db" => Ok(Self::Database),
            _ => Err("use file or database"),
        }
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

/// Two-step sign-in.
#[derive(Debug, Clone)]
pub struct MfaSettings {
    /// How long the `mfaToken` of a login that answered `MFA_REQUIRED` lasts
    /// (`MFA_TOKEN_TTL`).
    pub token_ttl: Duration,
    /// Wrong codes one `mfaToken` survives (`MFA_MAX_ATTEMPTS`); each also counts
    /// toward the account's lockout.
    pub max_attempts: u32,
    /// The name authenticator apps show next to the account (`TOTP_ISSUER`); by
    /// default the host of `PUBLIC_URL`.
    pub totp_issuer: String,
    /// Passkeys; `None` when `WEBAUTHN_RP_ID` is unset and `PUBLIC_URL`'s host is an
    /// IP address, which WebAuthn cannot bind a credential to.
    pub passkeys: Option<PasskeySettings>,
}

/// Who passkeys are bound to. A credential works only for its relying party id, so
/// changing `WEBAUTHN_RP_ID` strands every passkey registered before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeySettings {
    /// `WEBAUTHN_RP_ID`: a domain, by default the host of `PUBLIC_URL`.
    pub rp_id: String,
    /// `WEBAUTHN_ORIGINS`: the pages allowed to run the ceremonies, each the rp id's
    /// host or a subdomain of it; by default `PUBLIC_URL`'s origin.
    pub origins: Vec<String>,
}

/// `WEBAUTHN_RP_ID`: a domain name (no scheme, port or IP address).
struct RpId(String);

impl FromStr for RpId {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let id = s.trim().trim_end_matches('.').to_ascii_lowercase();
        let is_domain = !id.is_empty()
            && id.len() <= 253
            && id.parse::<std::net::IpAddr>().is_err()
            && id.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            })
            && !id
                .rsplit('.')
                .next()
                .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()));
        if is_domain {
            Ok(Self(id))
        } else {
            Err("a domain name such as example.dz: no scheme, port, path or IP address")
        }
    }
}

impl PasskeySettings {
    fn load(vars: &Vars<'_>, public_url: &str) -> Result<Option<Self>, ConfigError> {
        let rp_id = match vars.raw("WEBAUTHN_RP_ID") {
            Some(_) => vars.parse::<RpId>("WEBAUTHN_RP_ID", "")?.0,
            None => match host_of(public_url).parse::<RpId>() {
                Ok(id) => id.0,
                // An IP address: passkeys stay off until a domain is named.
                Err(_) => return Ok(None),
            },
        };
        let mut origins: Vec<String> = vars
            .list::<Origin>("WEBAUTHN_ORIGINS")?
            .into_iter()
            .map(|o| o.0)
            .collect();
        if origins.is_empty() {
            let (origin, _) =
                split_http_url(public_url).map_err(|why| error("PUBLIC_URL", public_url, why))?;
            origins.push(origin);
        }
        let variable = if vars.raw("WEBAUTHN_ORIGINS").is_some() {
            "WEBAUTHN_ORIGINS"
        } else {
            "WEBAUTHN_RP_ID"
        };
        for origin in &origins {
            let host = host_of(origin);
            if host != rp_id && !host.ends_with(&format!(".{rp_id}")) {
                return Err(error(
                    variable,
                    origin,
                    format!("the origin's host must be {rp_id} or a subdomain of it"),
                ));
            }
        }
        Ok(Some(Self { rp_id, origins }))
    }
}

/// `TOTP_ISSUER`: what an authenticator app labels the account with. The otpauth URI
/// separates issuer and account with `:`, so the issuer has none.
struct TotpIssuer(String);

impl FromStr for TotpIssuer {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.contains(':') || s.chars().any(char::is_control) || s.chars().count() > 64 {
            return Err("at most 64 characters, without ':' or control characters");
        }
        Ok(Self(s.to_owned()))
    }
}

/// The default `TOTP_ISSUER`: the host of `PUBLIC_URL`, without its port; an IPv6
/// address (all colons) gets the service's name instead.
fn default_totp_issuer(public_url: &str) -> String {
    let host = host_of(public_url).to_ascii_lowercase();
    if host.is_empty() || host.contains(':') {
        "graphql-auth".to_owned()
    } else {
        host
    }
}

/// The host of a URL that `split_http_url` accepted, without port or brackets.
fn host_of(url: &str) -> String {
    let authority = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default().to_owned(),
        None => authority.split(':').next().unwrap_or_default().to_owned(),
    }
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
            cors_origins: vars
                .list::<Origin>("CORS_ORIGINS")?
                .into_iter()
                .map(|o| o.0)
                .collect(),
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

/// A CIDR, or a single address standing for itself.
struct ProxyNetwork(IpNet);

impl FromStr for ProxyNetwork {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<IpNet>()
            .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
            .map(Self)
            .map_err(|_| "expected a CIDR such as 10.0.0.0/8 or an IP address".to_owned())
    }
}

/// A browser origin, `scheme://host[:port]`, lower-cased: what a browser sends in
/// `Origin`, which CORS compares byte for byte. A path would never match, and `*` is
/// refused: it would let any site call the API from a signed-in browser.
struct Origin(String);

impl FromStr for Origin {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.contains('*') {
            return Err("wildcards are refused: list each origin, scheme://host[:port]".into());
        }
        let (origin, rest) = split_http_url(s)?;
        if !rest.is_empty() {
            return Err("an origin is scheme://host[:port], without a path, not even /".into());
        }
        Ok(Self(origin))
    }
}

/// `PUBLIC_URL`: an http(s) URL, perhaps with a path, without a trailing `/`; links in
/// mail are built by appending to it, so it has no query or fragment.
struct PublicUrl(String);

impl FromStr for PublicUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (_, rest) = split_http_url(s)?;
        if rest.contains(['?', '#']) {
            return Err("links are built by appending to it: no query or fragment".into());
        }
        Ok(Self(s.trim_end_matches('/').to_owned()))
    }
}

/// Splits `http(s)://host[:port]…` into its origin (lower-cased) and the rest.
fn split_http_url(s: &str) -> Result<(String, &str), String> {
    let (scheme, rest) = s
        .split_once("://")
        .ok_or("expected http://host[:port] or https://host[:port]")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err("expected http:// or https://".into());
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(end);
    check_authority(authority)?;
    Ok((
        format!("{scheme}://{}", authority.to_ascii_lowercase()),
        rest,
    ))
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`, in ASCII, without user information.
fn check_authority(authority: &str) -> Result<(), String> {
    let bad = || format!("{authority:?} is not host[:port] (hosts in ASCII, IPv6 as [addr])");
    let port = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let (ip, after) = bracketed.split_once(']').ok_or_else(bad)?;
            ip.parse::<Ipv6Addr>().map_err(|_| bad())?;
            match after {
                "" => None,
                _ => Some(after.strip_prefix(':').ok_or_else(bad)?),
            }
        }
        None => {
            let (host, port) = match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            };
            let is_host_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
            if host.is_empty() || !host.chars().all(is_host_char) {
                return Err(bad());
            }
            port
        }
    };
    match port.map(str::parse::<u16>) {
        None | Some(Ok(1..)) => Ok(()),
        Some(_) => Err(format!(
            "{authority:?}: the port is a number from 1 to 65535"
        )),
    }
}

fn error(variable: &'static str, value: &str, reason: impl ToString) -> ConfigError {
    ConfigError {
        variable,
        value: value.to_owned(),
        reason: reason.to_string(),
    }
}

/// Lifetimes and durations end within this: humantime's `10y`. Beyond it, dates
/// computed from them overflow.
const TEN_YEARS: Duration = Duration::from_secs(315_576_000);
const TEN_MS: Duration = Duration::from_millis(10);
const MAX_HASH_CONCURRENCY: usize = 1024;

struct Vars<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Vars<'_> {
    /// The value, with empty strings treated as unset.
    fn raw(&self, key: &str) -> Option<String> {
        (self.0)(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    fn parse<T: FromStr>(&self, key: &'static str, default: &str) -> Result<T, ConfigError>
    where
        T::Err: ToString,
    {
        let value = self.raw(key).unwrap_or_else(|| default.to_owned());
        value.parse().map_err(|e: T::Err| error(key, &value, e))
    }

    /// A number within `range`.
    fn count_in<T>(
        &self,
        key: &'static str,
        default: &str,
        range: RangeInclusive<T>,
    ) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + Display,
        T::Err: ToString,
    {
        let value = self.raw(key).unwrap_or_else(|| default.to_owned());
        let count: T = value.parse().map_err(|e: T::Err| error(key, &value, e))?;
        if !range.contains(&count) {
            let reason = format!("must be from {} to {}", range.start(), range.end());
            return Err(error(key, &value, reason));
        }
        Ok(count)
    }

    /// Durations are written `30s`, `10m`, `24h`, `7d`.
    fn duration_in(
        &self,
        key: &'static str,
        default: &str,
        range: RangeInclusive<Duration>,
    ) -> Result<Duration, ConfigError> {
        let value = self.raw(key).unwrap_or_else(|| default.to_owned());
        let duration = humantime::parse_duration(&value).map_err(|e| error(key, &value, e))?;
        if !range.contains(&duration) {
            let reason = format!(
                "must be from {} to {}",
                humantime::format_duration(*range.start()),
                humantime::format_duration(*range.end())
            );
            return Err(error(key, &value, reason));
        }
        Ok(duration)
    }

    /// How long something lives: at least a second, at most ten years.
    fn lifetime(&self, key: &'static str, default: &str) -> Result<Duration, ConfigError> {
        self.duration_in(key, default, Duration::from_secs(1)..=TEN_YEARS)
    }

    /// A duration where `0s` turns the thing off.
    fn duration_at_most(&self, key: &'static str, default: &str) -> Result<Duration, ConfigError> {
        self.duration_in(key, default, Duration::ZERO..=TEN_YEARS)
    }

    fn quota(&self, key: &'static str, default: &str) -> Result<Option<Quota>, ConfigError> {
        let value = self.raw(key).unwrap_or_else(|| default.to_owned());
        if value.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        value.parse().map(Some).map_err(|e| error(key, &value, e))
    }

    /// A comma-separated list.
    fn list<T: FromStr>(&self, key: &'static str) -> Result<Vec<T>, ConfigError>
    where
        T::Err: ToString,
    {
        self.raw(key)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| item.parse().map_err(|e: T::Err| error(key, item, e)))
            .collect()
    }
}

/// How long verifiers may cache `/.well-known/jwks.json` (its `Cache-Control`).
pub const JWKS_MAX_AGE: Duration = Duration::from_secs(300);

#[cfg(unix)]
fn is_readable_by_others(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o044 != 0)
}

#[cfg(not(unix))]
fn is_readable_by_others(_: &std::path::Path) -> bool {
    false
}

/// How much a finding of `check-config` matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Leaves accounts or tokens exposed.
    Unsafe,
    /// Worth knowing; fine in some deployments.
    Note,
}

/// What the effective configuration leaves unsafe or worth a second look.
pub fn check(settings: &Settings) -> Vec<(Severity, String)> {
    use Severity::{Note, Unsafe};
    let mut findings = Vec::new();
    let mut add = |severity, message: &str| findings.push((severity, message.to_owned()));
    let production = settings.is_production();
    match &settings.jwt.secret {
        Some(secret) if secret.expose_secret().len() < 32 => add(
            Unsafe,
            "JWT_SECRET is shorter than 32 bytes: HS256 tokens can be brute-forced",
        ),
        None if production => add(Unsafe, "no JWT_SECRET: production will refuse to start"),
        None => add(
            Note,
            "no JWT_SECRET: a development key is generated in DATA_DIR",
        ),
        Some(_) => {}
    }
    if settings.mfa.passkeys.is_none() {
        add(
            Note,
            "passkeys are off: PUBLIC_URL's host is an IP address and WEBAUTHN_RP_ID is unset",
        );
    }
    let jwt = &settings.jwt;
    if jwt.keys_store == KeysStore::File && jwt.keys_file.is_none() {
        match jwt.algorithm {
            SigningAlgorithm::Hs256 => add(
                Note,
                "JWT_ALGORITHM=HS256: every service that checks access tokens needs JWT_SECRET",
            ),
            _ if production => add(
                Unsafe,
                "no JWT_KEYS_FILE or JWT_KEYS_STORE=database: production will refuse to start",
            ),
            _ => add(
                Note,
                "no JWT_KEYS_FILE: a development signing key is generated in DATA_DIR",
            ),
        }
    }
    if jwt.keys_store == KeysStore::Database && jwt.publish_ahead < JWKS_MAX_AGE {
        add(
            Note,
            "SIGNING_KEY_PUBLISH_AHEAD is under the JWKS max-age (5m): a new key may sign before gateways' cached key sets hold it",
        );
    }
    if let Some(path) = &jwt.keys_file
        && is_readable_by_others(path)
    {
        add(
            Unsafe,
            "JWT_KEYS_FILE can be read by other users: it holds private keys (chmod 600)",
        );
    }
    for (operation, quota) in settings.rate_limits.iter() {
        let name = operation.setting();
        if quota.is_none() {
            add(
                Unsafe,
                &format!("{name}=off: nothing slows down guessing and flooding"),
            );
        }
    }
    if settings
        .trusted_proxies
        .iter()
        .any(|net| net.prefix_len() == 0)
    {
        add(
            Unsafe,
            "TRUSTED_PROXIES trusts every address: any client can choose its IP with X-Forwarded-For",
        );
    }
    if settings.trusted_proxies.is_empty() && settings.public_url.starts_with("https://") {
        add(
            Note,
            "PUBLIC_URL is https but TRUSTED_PROXIES is empty: behind a TLS proxy, every client would share the proxy's IP for rate limits and the trail",
        );
    }
    if settings.lockout.threshold == 0 || settings.lockout.threshold > 20 {
        add(
            Unsafe,
            "LOCKOUT_THRESHOLD is 0 or above 20: lockout barely slows password guessing",
        );
    }
    if production {
        if settings.mail.smtp_url.is_none() {
            add(
                Unsafe,
                "no SMTP_URL in production: reset links would be written to the log",
            );
        }
        if !settings.public_url.starts_with("https://") {
            add(
                Unsafe,
                "PUBLIC_URL is not https: emailed links would travel in clear",
            );
        }
        if settings.graphql.graphiql || settings.graphql.introspection {
            add(Note, "GraphiQL or introspection is on in production");
        }
        if settings.metrics_token.is_none() {
            add(
                Note,
                "no METRICS_TOKEN: /metrics is readable by anyone who reaches it",
            );
        }
        if let Some(token) = &settings.introspection_token
            && token.expose_secret().len() < 32
        {
            add(
                Unsafe,
                "INTROSPECTION_TOKEN is shorter than 32 bytes: resource servers' secret can be guessed",
            );
        }
        if settings.is_sqlite() {
            add(
                Note,
                "SQLite in production: fine for one instance, not for replicas",
            );
        }
    }
    if settings.redis_url.is_none() {
        add(Note, "no REDIS_URL: rate limits are counted per instance");
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_follow_the_contract() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.lifetimes.access_token, Duration::from_secs(3600));
        assert_eq!(
            s.lifetimes.remembered_session,
            Duration::from_secs(7 * 86400)
        );
        assert_eq!(s.lifetimes.session_max, Duration::from_secs(30 * 86400));
        assert_eq!(s.lifetimes.refresh_reuse_grace, Duration::from_secs(10));
        assert_eq!(s.max_sessions_per_user, 20);
        assert_eq!(s.jwt.issuer, "http://localhost:8000");
        assert_eq!(s.jwt.audience, "graphql-auth");
        assert!(s.graphql.graphiql);
        assert_eq!(s.lifetimes.password_reset_token, Duration::from_secs(3600));
        assert_eq!(
            s.lifetimes.email_verification_token,
            Duration::from_secs(48 * 3600)
        );
        assert!(!s.require_verified_email);
        assert!(s.mail.smtp_url.is_none() && !s.mail.to_log);
        assert_eq!(s.mfa.token_ttl, Duration::from_secs(300));
        assert_eq!(s.mfa.max_attempts, 5);
        assert_eq!(s.mfa.totp_issuer, "localhost");
        let s = settings(&[("PUBLIC_URL", "https://[::1]:8443/auth")]).unwrap();
        assert_eq!(s.mfa.totp_issuer, "graphql-auth");
        let s = settings(&[("PUBLIC_URL", "https://Auth.example.dz:8443/x")]).unwrap();
        assert_eq!(s.mfa.totp_issuer, "auth.example.dz");
    }

    #[test]
    fn production_turns_the_playground_off_unless_asked() {
        let s = settings(&[("APP_ENV", "production")]).unwrap();
        assert!(!s.graphql.graphiql && !s.graphql.introspection);
        let s = settings(&[("APP_ENV", "production"), ("GRAPHIQL", "true")]).unwrap();
        assert!(s.graphql.graphiql);
    }

    #[test]
    fn rate_limits_read_n_per_period_or_off() {
        let s = settings(&[("RATE_LIMIT_LOGIN", "3/sec"), ("RATE_LIMIT_REFRESH", "off")]).unwrap();
        assert_eq!(
            s.rate_limits.quota(Operation::Login),
            Some(Quota {
                count: 3,
                period: Duration::from_secs(1)
            })
        );
        assert_eq!(s.rate_limits.quota(Operation::Refresh), None);
        assert_eq!(
            s.rate_limits.quota(Operation::Register),
            Some(Quota {
                count: 10,
                period: Duration::from_secs(3600)
            })
        );
        assert!(settings(&[("RATE_LIMIT_LOGIN", "0/min")]).is_err());
        assert!(settings(&[("RATE_LIMIT_LOGIN", "lots")]).is_err());
    }

    #[test]
    fn check_config_flags_what_is_unsafe() {
        let unsafe_findings = |pairs: &[(&str, &str)]| -> Vec<String> {
            check(&settings(pairs).unwrap())
                .into_iter()
                .filter(|(severity, _)| *severity == Severity::Unsafe)
                .map(|(_, message)| message)
                .collect()
        };
        assert!(unsafe_findings(&[("JWT_SECRET", "0123456789abcdef0123456789abcdef")]).is_empty());
        let found = unsafe_findings(&[
            ("JWT_SECRET", "short"),
            ("RATE_LIMIT_LOGIN", "off"),
            ("TRUSTED_PROXIES", "0.0.0.0/0"),
        ]);
        assert_eq!(found.len(), 3, "{found:?}");
        let found = unsafe_findings(&[
            ("APP_ENV", "production"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ]);
        assert!(
            found.iter().any(|m| m.contains("SMTP_URL"))
                && found.iter().any(|m| m.contains("https"))
                && found.iter().any(|m| m.contains("JWT_KEYS_FILE")),
            "{found:?}"
        );
        let with_keys = unsafe_findings(&[
            ("APP_ENV", "production"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ("JWT_KEYS_STORE", "database"),
        ]);
        assert!(!with_keys.iter().any(|m| m.contains("JWT_KEYS_FILE")));
        let introspection = |token: &str| {
            unsafe_findings(&[
                ("APP_ENV", "production"),
                ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
                ("INTROSPECTION_TOKEN", token),
            ])
            .into_iter()
            .filter(|m| m.contains("INTROSPECTION_TOKEN"))
            .count()
        };
        assert_eq!(introspection("too-short"), 1);
        assert_eq!(introspection(&"x".repeat(32)), 0);
    }

    #[test]
    fn signing_settings_have_the_contract_defaults_and_refuse_the_rest() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.jwt.algorithm, SigningAlgorithm::EdDsa);
        assert_eq!(s.jwt.keys_store, KeysStore::File);
        assert_eq!(s.jwt.rotation, None);
        assert_eq!(s.jwt.keys_refresh, Duration::from_secs(30));
        let s = settings(&[("JWT_ALGORITHM", "hs256"), ("SIGNING_KEY_ROTATION", "30d")]).unwrap();
        assert_eq!(s.jwt.algorithm, SigningAlgorithm::Hs256);
        assert_eq!(s.jwt.rotation, Some(Duration::from_secs(30 * 86_400)));
        assert_eq!(refused("JWT_ALGORITHM", "none"), "JWT_ALGORITHM");
        assert_eq!(refused("JWT_ALGORITHM", "RS256"), "JWT_ALGORITHM");
        assert_eq!(refused("JWT_KEYS_STORE", "vault"), "JWT_KEYS_STORE");
        assert_eq!(
            refused("SIGNING_KEY_ROTATION", "0s"),
            "SIGNING_KEY_ROTATION"
        );
        assert_eq!(
            refused("SIGNING_KEYS_REFRESH", "2m"),
            "SIGNING_KEYS_REFRESH"
        );
    }

    /// The variable a value is refused for.
    #[test]
    fn secrets_never_reach_a_debug_print() {
        let s = settings(&[
            ("DATABASE_URL", "postgres://app:hunter2-db@db.internal/auth"),
            ("REDIS_URL", "redis://:hunter2-redis@cache.internal:6379"),
            ("METRICS_TOKEN", "hunter2-metrics"),
            ("INTROSPECTION_TOKEN", "hunter2-introspection"),
            ("JWT_SECRET", "hunter2-jwt-0123456789abcdef0123456789"),
            ("SMTP_URL", "smtps://mailer:hunter2-smtp@smtp.example.dz"),
        ])
        .unwrap();
        let printed = format!("{s:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(s.database_url().contains("hunter2-db"));
    }

    #[test]
    fn passkeys_are_bound_to_public_url_s_host_unless_told_otherwise() {
        let s = settings(&[]).unwrap();
        let expected = PasskeySettings {
            rp_id: "localhost".into(),
            origins: vec!["http://localhost:8000".into()],
        };
        assert_eq!(s.mfa.passkeys, Some(expected));
        let s = settings(&[("PUBLIC_URL", "https://Auth.Example.dz/auth")]).unwrap();
        let passkeys = s.mfa.passkeys.unwrap();
        assert_eq!(passkeys.rp_id, "auth.example.dz");
        assert_eq!(passkeys.origins, vec!["https://auth.example.dz".to_owned()]);
        // A site-wide id serves the app's subdomains.
        let s = settings(&[
            ("PUBLIC_URL", "https://auth.example.dz"),
            ("WEBAUTHN_RP_ID", "example.dz"),
            (
                "WEBAUTHN_ORIGINS",
                "https://app.example.dz,https://example.dz",
            ),
        ])
        .unwrap();
        assert_eq!(s.mfa.passkeys.unwrap().origins.len(), 2);
        // An IP address cannot be a relying party: off, and check-config says why.
        let s = settings(&[("PUBLIC_URL", "http://127.0.0.1:8000")]).unwrap();
        assert_eq!(s.mfa.passkeys, None);
        assert!(
            check(&s)
                .iter()
                .any(|(_, m)| m.contains("passkeys are off"))
        );
        for bad in [
            "127.0.0.1",
            "https://example.dz",
            "example.dz:443",
            "-x.dz",
            "a..dz",
            "1.2",
        ] {
            assert_eq!(refused("WEBAUTHN_RP_ID", bad), "WEBAUTHN_RP_ID", "{bad}");
        }
        // An origin outside the relying party would register keys that never work.
        let outside = settings(&[
            ("WEBAUTHN_RP_ID", "example.dz"),
            ("WEBAUTHN_ORIGINS", "https://example.dz.evil.com"),
        ]);
        assert_eq!(outside.unwrap_err().variable, "WEBAUTHN_ORIGINS");
        let outside = settings(&[("PUBLIC_URL", "https://a.dz"), ("WEBAUTHN_RP_ID", "b.dz")]);
        assert_eq!(outside.unwrap_err().variable, "WEBAUTHN_RP_ID");
    }

    fn refused(variable: &str, value: &str) -> &'static str {
        match settings(&[(variable, value)]) {
            Ok(_) => panic!("{variable}={value:?} was accepted"),
            Err(err) => err.variable,
        }
    }

    const DURATIONS: [&str; 14] = [
        "ACCESS_TOKEN_TTL",
        "MFA_TOKEN_TTL",
        "REFRESH_TOKEN_TTL",
        "SHORT_SESSION_TTL",
        "SESSION_MAX_TTL",
        "REFRESH_REUSE_GRACE",
        "SESSION_CACHE_TTL",
        "PASSWORD_RESET_TTL",
        "EMAIL_VERIFICATION_TTL",
        "LOCKOUT_DURATION",
        "AUDIT_RETENTION",
        "MAIL_POLL_INTERVAL",
        "MAIL_RETRY_BASE",
        "SHUTDOWN_TIMEOUT",
    ];

    #[test]
    fn no_duration_goes_beyond_ten_years() {
        for variable in DURATIONS {
            assert_eq!(refused(variable, "100000000000d"), variable);
            assert_eq!(refused(variable, "3653d"), variable);
            assert!(settings(&[(variable, "10y")]).is_ok(), "{variable}=10y");
        }
    }

    #[test]
    fn zero_is_refused_where_it_would_break_things() {
        for variable in [
            "ACCESS_TOKEN_TTL",
            "MFA_TOKEN_TTL",
            "REFRESH_TOKEN_TTL",
            "SHORT_SESSION_TTL",
            "SESSION_MAX_TTL",
            "PASSWORD_RESET_TTL",
            "EMAIL_VERIFICATION_TTL",
            "LOCKOUT_DURATION",
            "AUDIT_RETENTION",
            "MAIL_POLL_INTERVAL",
            "MAIL_RETRY_BASE",
        ] {
            assert_eq!(refused(variable, "0s"), variable);
        }
        // Where 0 means "none", it is a choice.
        for variable in [
            "REFRESH_REUSE_GRACE",
            "SESSION_CACHE_TTL",
            "SHUTDOWN_TIMEOUT",
        ] {
            assert!(settings(&[(variable, "0s")]).is_ok(), "{variable}=0s");
        }
    }

    #[test]
    fn counts_out_of_range_name_their_variable() {
        for (variable, value) in [
            ("LOCKOUT_THRESHOLD", "0"),
            ("LOCKOUT_THRESHOLD", "-1"),
            ("LOCKOUT_THRESHOLD", "4294967296"),
            ("MAX_SESSIONS_PER_USER", "0"),
            ("MAX_SESSIONS_PER_USER", "18446744073709551615"),
            ("MAIL_MAX_ATTEMPTS", "0"),
            ("MAIL_MAX_ATTEMPTS", "1000"),
            ("DATABASE_POOL_SIZE", "0"),
            ("DATABASE_POOL_SIZE", "100000"),
            ("PASSWORD_HASH_CONCURRENCY", "0"),
            ("PASSWORD_HASH_CONCURRENCY", "18446744073709551615"),
            ("GRAPHQL_MAX_DEPTH", "0"),
            ("GRAPHQL_MAX_COMPLEXITY", "1000000000"),
            ("GRAPHQL_MAX_ALIASES", "-3"),
            ("GRAPHQL_MAX_ROOT_FIELDS", "0"),
            ("GRAPHQL_MAX_DIRECTIVES", "1000000"),
            ("GRAPHQL_INTROSPECTION_MAX_DEPTH", "0"),
            ("GRAPHQL_INTROSPECTION_MAX_COMPLEXITY", "0"),
            ("GRAPHQL_MAX_BATCH", "0"),
            ("MAX_BODY_BYTES", "0"),
            ("MAX_BODY_BYTES", "1000000000000"),
            ("RATE_LIMIT_IPV6_PREFIX", "129"),
            ("RATE_LIMIT_IPV6_PREFIX", "0"),
            ("RATE_LIMIT_LOGIN", "4294967295/sec"),
            ("RATE_LIMIT_REAUTHENTICATE", "-1/hour"),
            ("MFA_MAX_ATTEMPTS", "0"),
            ("MFA_MAX_ATTEMPTS", "1000"),
            ("TOTP_ISSUER", "Example: Auth"),
        ] {
            assert_eq!(refused(variable, value), variable, "{variable}={value}");
        }
        let s = settings(&[
            ("RATE_LIMIT_IPV6_PREFIX", "48"),
            ("GRAPHQL_MAX_ALIASES", "0"),
        ])
        .unwrap();
        assert_eq!(s.rate_limits.ipv6_prefix_len, 48);
        assert_eq!(s.graphql.max_aliases, 0);
    }

    #[test]
    fn the_message_names_the_variable_and_the_range() {
        let err = settings(&[("ACCESS_TOKEN_TTL", "100000000000d")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid ACCESS_TOKEN_TTL=\"100000000000d\": must be from 1s to 10years"
        );
        let err = settings(&[("LOCKOUT_THRESHOLD", "0")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid LOCKOUT_THRESHOLD=\"0\": must be from 1 to 100"
        );
    }

    #[test]
    fn cors_origins_are_scheme_host_and_port_only() {
        for bad in [
            "*",
            "https://*.example.dz",
            "null",
            "app.example.dz",
            "ftp://app.example.dz",
            "https://",
            "https://app.example.dz/",
            "https://app.example.dz/app",
            "https://app.example.dz?x=1",
            "https://user@app.example.dz",
            "https://app.example.dz:0",
            "https://app.example.dz:99999",
            "https://app.example.dz:https",
            "https://[::1",
            "https://[nope]:80",
            "https://app.exämple.dz",
            "https://app.example.dz, *",
        ] {
            assert_eq!(refused("CORS_ORIGINS", bad), "CORS_ORIGINS", "{bad}");
        }
        let s = settings(&[(
            "CORS_ORIGINS",
            "https://App.Example.dz, http://localhost:3000, http://[::1]:8080",
        )])
        .unwrap();
        assert_eq!(
            s.cors_origins,
            [
                "https://app.example.dz",
                "http://localhost:3000",
                "http://[::1]:8080"
            ]
        );
    }

    #[test]
    fn public_url_is_an_http_url_links_can_be_appended_to() {
        for bad in [
            "auth.example.dz",
            "ftp://auth.example.dz",
            "https://",
            "https://auth.example.dz/?next=1",
            "https://auth.example.dz#top",
            "https://auth example.dz",
        ] {
            assert_eq!(refused("PUBLIC_URL", bad), "PUBLIC_URL", "{bad}");
        }
        let s = settings(&[("PUBLIC_URL", "https://example.dz/auth/")]).unwrap();
        assert_eq!(s.public_url, "https://example.dz/auth");
        assert_eq!(s.jwt.issuer, "https://example.dz/auth");
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let err = settings(&[("LOCKOUT_DURATION", "soon")]).unwrap_err();
        assert_eq!(err.variable, "LOCKOUT_DURATION");
        let err = settings(&[("TRUSTED_PROXIES", "10.0.0.0/8, nope")]).unwrap_err();
        assert_eq!(err.variable, "TRUSTED_PROXIES");
    }

    /// Every `NAME=value` line of `.env.example`, commented out or not.
    fn documented_settings() -> Vec<(String, String)> {
        let text = include_str!("../../.env.example");
        text.lines()
            .filter_map(|line| line.trim_start_matches("# ").split_once('='))
            .filter(|(name, _)| {
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            })
            .map(|(name, value)| (name.to_owned(), value.trim_matches('"').to_owned()))
            .collect()
    }

    #[test]
    fn the_example_file_lists_every_setting_with_its_real_default() {
        let read = std::cell::RefCell::new(std::collections::BTreeSet::new());
        let defaults = Settings::from_lookup(|key| {
            read.borrow_mut().insert(key.to_owned());
            None
        })
        .unwrap();
        let documented = documented_settings();
        let names: std::collections::BTreeSet<String> =
            documented.iter().map(|(name, _)| name.clone()).collect();
        assert_eq!(
            names,
            read.into_inner(),
            ".env.example and config.rs disagree"
        );
        // Written out, the example's values are the defaults themselves.
        let written: HashMap<String, String> = documented.into_iter().collect();
        let explicit = Settings::from_lookup(|key| written.get(key).cloned()).unwrap();
        assert_eq!(format!("{explicit:?}"), format!("{defaults:?}"));
    }
}
