//! Black-box tests: the real server on a random port, a fresh database per test,
//! HTTP + GraphQL only. Each test runs on SQLite, and on PostgreSQL when
//! `TEST_POSTGRES_URL` is set.
#![allow(clippy::unwrap_used)]

mod helpers;
mod smtp_sink;

mod account;
mod account_life;
mod audit;
mod browser_cookie;
mod cli;
mod client_ip;
mod discovery;
mod django_import;
mod fuzz;
mod hardening;
mod hostile;
mod http;
mod introspection;
mod introspection_liveness;
mod key_store;
mod key_store_attacks;
mod keys;
mod languages;
mod limits_state;
mod link_pages;
mod logs;
mod mail;
mod mfa;
mod observability;
mod pg_cluster;
mod policy;
mod protection;
mod recovery;
mod refresh;
mod replicas;
mod resilience;
mod schema;
mod sessions;
mod settings;
mod staff;
mod startup;
mod token_attacks;
mod tokens;
