//! Liveness and readiness probes.
use axum::{extract::State, http::StatusCode};

use super::AppState;

/// 200 while the process runs.
pub async fn live() -> &'static str {
    "ok"
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
