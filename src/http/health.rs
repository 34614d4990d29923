//! Liveness and readiness probes.
use axum::{extract::State, http::StatusCode};

use super::AppState;

/// 200 while the process runs.
pub async fn live() -> &'static str {
    "ok"
}

/// `/.well-known/jwks.json`: the public keys that verify access tokens.
pub async fn jwks(State(state): State<AppState>) -> impl axum::response::IntoResponse {
    let keys = state.auth.published_keys();
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        keys.body.clone(),
    )
}

/// 200 only while the database answers.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.auth.db().ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
