//! A GraphQL authentication service. Dependencies run one way:
//! `http → graphql → auth → (domain, store → entities)`.

/// Flows: register, login, refresh, sessions, password changes, reset and
/// verification; tokens and hashing.
pub mod auth;
/// The command line (`serve`, `migrate`, `create-user`, `export-schema`,
/// `issue-verification-tokens`).
pub mod cli;
/// Typed settings from the environment.
pub mod config;
/// Small typed values parsed at the edge: usernames, emails, passwords, ids.
pub mod domain;
/// SeaORM entities, no logic.
pub(crate) mod entities;
/// Locating client IP addresses with a MaxMind-format database.
pub(crate) mod geoip;
/// The schema, resolvers, guards, DataLoaders and the error mapping.
pub mod graphql;
/// Routes, middleware and the GraphQL-over-HTTP handlers.
pub(crate) mod http;
/// Mail, pages and error messages in French, English and Arabic; operators' templates.
pub mod i18n;
/// Outgoing mail: the outbox worker, SMTP or log transport, templates.
pub(crate) mod mail;
/// Building and running the application.
pub mod startup;
/// Database queries; constraint violations become domain errors.
pub(crate) mod store;
/// Log output.
pub(crate) mod telemetry;
