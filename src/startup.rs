//! Builds the whole application — database, migrations, services, router, listener,
//! mail outbox worker — the same way for production and for tests (which bind port 0).
use std::{
    future::Future,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use anyhow::Context as _;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};
use secrecy::{ExposeSecret, SecretString};
use tokio::{net::TcpListener, sync::watch};

use crate::{
    auth::{
        AuthParts, AuthService, PasskeyCeremonies, Policy, SecondFactorKeys,
        password::PasswordHasher,
        rate_limit::RateLimiter,
        server_secret,
        signing::{KeyRefresher, KeySource, database::Rotation},
        tokens::{AccessTokens, OneTimeTokens, RefreshTokens},
    },
    config::Settings,
    geoip::GeoIp,
    graphql::build_schema,
    http::{AppState, TrustedProxies, metrics_handle, openid_configuration, router},
    i18n::Catalog,
    mail::{OutboxWorker, Transport},
};

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    db: DatabaseConnection,
    statements: Arc<AtomicU64>,
    mail_worker: OutboxWorker,
    key_refresher: KeyRefresher,
    auth: AuthService,
    shutdown_timeout: Duration,
}

impl Application {
    /// Connects, migrates, and binds `settings.bind_addr` (port 0 picks a free port).
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let mut db = connect(settings).await?;
        migrate(&db).await?;
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("db_statements_total").increment(1);
        });
        let secret = server_secret::load_server_secret(settings)?;
        let (auth, key_refresher) = auth_service_with(settings, db.clone(), &secret).await?;
        auth.spawn_pruning(settings.audit_retention);
        let learning = auth.clone();
        tokio::spawn(async move {
            if let Err(err) = learning.learn_imported_hash_cost().await {
                tracing::warn!(error = ?err, "could not measure imported password hashes");
            }
        });
        let catalog = Arc::new(
            Catalog::load(settings.templates_dir.as_deref()).context("loading TEMPLATES_DIR")?,
        );
        let product = settings.mail.product();
        if settings.templates_dir.is_some() {
            // The built-in layouts are rendered by the tests; an operator's are not.
            crate::mail::check_layouts(&catalog, &product)
                .and_then(|()| crate::http::check_page_layout(&catalog, &product))
                .context("rendering the layouts of TEMPLATES_DIR")?;
        }
        let mail_worker = OutboxWorker::new(
            settings,
            db.clone(),
            Transport::from_settings(settings)?,
            OneTimeTokens::new(&secret),
            catalog.clone(),
            auth.mail_queued(),
        );
        let state = AppState {
            schema: build_schema(auth.clone(), &settings.graphql),
            catalog,
            product,
            serves_link_pages: settings.serves_link_pages(),
            auth: auth.clone(),
            limits: settings.graphql.clone(),
            trusted_proxies: TrustedProxies::new(
                settings.trusted_proxies.clone(),
                settings.trusted_proxy_header,
            ),
            metrics: metrics_handle(),
            metrics_token: settings.metrics_token.clone(),
            discovery: openid_configuration(settings),
            browsers: settings.browsers.clone(),
            introspection: settings
                .introspection_token
                .as_ref()
                .map(crate::auth::IntrospectionSecret::new),
        };
        let listener = TcpListener::bind(settings.bind_addr)
            .await
            .with_context(|| format!("binding {}", settings.bind_addr))?;
        Ok(Self {
            listener,
            router: router(state, &settings.cors_origins, settings.is_production()),
            db,
            statements,
            mail_worker,
            key_refresher,
            auth,
            shutdown_timeout: settings.shutdown_timeout,
        })
    }

    /// How many SQL statements this application has run so far.
    pub fn statement_counter(&self) -> Arc<AtomicU64> {
        self.statements.clone()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves, and delivers queued mail, until `shutdown` completes; then finishes the
    /// requests in flight, the work started after answering and the message being
    /// sent — for at most `SHUTDOWN_TIMEOUT`, after which whatever is left is dropped
    /// (a slow client must not keep the process alive). Everything runs in this one
    /// future, so dropping it stops everything.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self {
            listener,
            router,
            db,
            mail_worker,
            key_refresher,
            auth,
            shutdown_timeout,
            statements: _,
        } = self;
        let app = router.into_make_service_with_connect_info::<SocketAddr>();
        let (stop_worker, worker_stop) = watch::channel(false);
        let (signalled, mut stopping) = watch::channel(false);
        let shutdown = async move {
            shutdown.await;
            let _ = signalled.send(true);
        };
        let server = async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await;
            auth.finish_background_work().await;
            let _ = stop_worker.send(true);
            served
        };
        let work = async move {
            let (served, (), ()) = tokio::join!(
                server,
                mail_worker.run(worker_stop.clone()),
                key_refresher.run(worker_stop)
            );
            served.context("serving HTTP")?;
            // Waits for connections still checked out: inside the deadline too.
            db.close().await.context("closing the database pool")
        };
        let deadline = async move {
            let _ = stopping.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(shutdown_timeout).await;
        };
        tokio::select! {
            done = work => done?,
            () = deadline => {
                tracing::warn!(timeout = ?shutdown_timeout, "shutdown timed out; dropping what is left");
            }
        }
        Ok(())
    }
}

/// Applies pending migrations, one instance at a time: replicas starting together
/// would otherwise race to create the same tables and record the same versions.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        // Everything in one transaction holding an advisory lock: the others wait,
        // then find nothing left to do. PostgreSQL's DDL is transactional.
        let txn = db.begin().await?;
        txn.execute_unprepared("SELECT pg_advisory_xact_lock(7245012943)")
            .await
            .context("waiting for the migration lock")?;
        Migrator::up(&txn, None)
            .await
            .context("running migrations")?;
        return Ok(txn.commit().await?);
    }
    // SQLite has no lock to wait on across processes; an instance that loses the race
    // (a version recorded, an index created meanwhile) tries again until none is left.
    const ATTEMPTS: u32 = 20;
    let mut attempt = 1;
    loop {
        match Migrator::up(db, None).await {
            Ok(()) => return Ok(()),
            Err(err) if attempt < ATTEMPTS => {
                tracing::debug!(error = %err, attempt, "migration raced another instance; retrying");
                tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
                attempt += 1;
            }
            Err(err) => return Err(anyhow::Error::new(err).context("running migrations")),
        }
    }
}

/// Opens the configured database; for the default SQLite file, creates its directory.
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let url = settings.database_url();
    if settings.database_url.is_none() {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating data directory {}", settings.data_dir.display()))?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(settings.pool_size())
        .min_connections(1)
        // Ping only connections idle long enough to have been cut off; a ping on every
        // checkout doubled the round trips of each query.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false)
        // WAL lets readers run beside the one writer; NORMAL syncs at checkpoints
        // rather than at every commit, and a commit still survives the process being
        // killed (only a power cut can lose the last ones).
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
        });
    Database::connect(options)
        .await
        .context("connecting to the database (check DATABASE_URL)")
}

/// The auth flows with their keys, hasher, rate limiter and policy.
pub async fn auth_service(
    settings: &Settings,
    db: DatabaseConnection,
) -> anyhow::Result<AuthService> {
    let secret = server_secret::load_server_secret(settings)?;
    Ok(auth_service_with(settings, db, &secret).await?.0)
}

/// The auth flows, and what keeps their signing keys current.
async fn auth_service_with(
    settings: &Settings,
    db: DatabaseConnection,
    secret: &SecretString,
) -> anyhow::Result<(AuthService, KeyRefresher)> {
    let limiter = match &settings.redis_url {
        Some(url) => {
            RateLimiter::redis(
                settings.rate_limits,
                url.expose_secret(),
                &settings.redis_key_prefix,
            )
            .await?
        }
        None => RateLimiter::in_memory(settings.rate_limits),
    };
    let jwt = &settings.jwt;
    let source = KeySource::from_settings(settings, secret, &db)?;
    let access_tokens = Arc::new(AccessTokens::new(
        source.load(jwt.algorithm).await?,
        &jwt.issuer,
        &jwt.audience,
        settings.lifetimes.access_token,
    ));
    let key_refresher = KeyRefresher {
        source,
        tokens: access_tokens.clone(),
        algorithm: jwt.algorithm,
        interval: jwt.keys_refresh,
        rotation: jwt.rotation.map(|every| Rotation {
            every,
            publish_ahead: jwt.signing_lead(),
        }),
    };
    let auth = AuthService::new(AuthParts {
        db,
        hasher: PasswordHasher::new(settings.password_hash_concurrency)?,
        access_tokens,
        refresh_tokens: RefreshTokens::new(secret),
        limiter,
        one_time_tokens: OneTimeTokens::new(secret),
        second_factors: SecondFactorKeys::new(secret),
        passkeys: settings
            .mfa
            .passkeys
            .as_ref()
            .map(|passkeys| PasskeyCeremonies::new(passkeys, secret))
            .transpose()?,
        policy: Policy::from_settings(settings),
        geoip: settings.geoip_db.as_deref().map(GeoIp::open).transpose()?,
    });
    Ok((auth, key_refresher))
}

/// Completes on SIGTERM or ctrl-c.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
