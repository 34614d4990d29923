//! `POST /oauth/introspect` (RFC 7662), for resource servers holding
//! `INTROSPECTION_TOKEN`. Errors follow OAuth's shape: `{"error", "error_description"}`.
use std::net::SocketAddr;

use axum::{
    body::Bytes,
    extract::{ConnectInfo, FromRequest, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::{AppState, bearer_token, client_ip::client_info};
use crate::{
    auth::{AuthError, Introspection},
    graphql::error::whole_seconds,
};

/// The form holds one token, a hint and perhaps a few extensions: far less than this.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The route exists only while `state.introspection` is set. Order: the rate limit,
/// then the caller's secret, then the form, so neither guessing the secret nor sending
/// bodies gets past the budget. The form is never logged: it holds a token.
pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let Some(secret) = &state.introspection else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let headers = request.headers();
    let client = client_info(&state, peer, headers);
    let presented = bearer_token(headers);
    let admitted = state
        .auth
        .admit_introspection_caller(secret, presented.as_deref(), &client)
        .await;
    if let Err(err) = admitted {
        return refused(err);
    }
    if !is_form(headers) {
        return invalid_request(
            StatusCode::BAD_REQUEST,
            "Send the token as a form: Content-Type: application/x-www-form-urlencoded.",
        );
    }
    let body = match Bytes::from_request(request, &state).await {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let limit = MAX_BODY_BYTES / 1024;
            let description = format!("The request body is larger than {limit} KiB.");
            return invalid_request(StatusCode::PAYLOAD_TOO_LARGE, &description);
        }
        Err(_) => {
            return invalid_request(StatusCode::BAD_REQUEST, "The request body is unreadable.");
        }
    };
    let token = match token_of(&body) {
        Ok(token) => token,
        Err(description) => return invalid_request(StatusCode::BAD_REQUEST, description),
    };
    match state.auth.introspect(&token).await {
        Ok(Some(live)) => axum::Json(active(live)).into_response(),
        Ok(None) => axum::Json(json!({ "active": false })).into_response(),
        Err(err) => refused(err),
    }
}

/// The one `token` of the form. RFC 6749 §3.1 forbids a parameter twice; whatever
/// else the form holds (`token_type_hint`, extensions) is ignored.
fn token_of(body: &[u8]) -> Result<String, &'static str> {
    let mut token = None;
    for (name, value) in form_urlencoded::parse(body) {
        if name != "token" {
            continue;
        }
        if token.replace(value).is_some() {
            return Err("The form names `token` more than once.");
        }
    }
    match token {
        Some(token) if !token.is_empty() => Ok(token.into_owned()),
        _ => Err("The form needs a non-empty `token`."),
    }
}

/// `application/x-www-form-urlencoded`, with parameters (a charset) or not.
fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

fn active(live: Introspection) -> Value {
    json!({
        "active": true,
        "sub": live.user_id.to_string(),
        "sid": live.session_id.to_string(),
        "username": live.username,
        "iss": live.issuer,
        "aud": live.audience,
        "jti": live.token_id,
        "iat": live.issued_at,
        "exp": live.expires_at,
        "token_type": "access",
    })
}

fn refused(err: AuthError) -> Response {
    match err {
        // RFC 6750 §3: the caller's own bearer token is what failed.
        AuthError::Unauthenticated => (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            )],
            axum::Json(json!({ "error": "invalid_token" })),
        )
            .into_response(),
        AuthError::RateLimited { retry_after } => {
            let seconds = whole_seconds(retry_after);
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, HeaderValue::from(seconds))],
                axum::Json(json!({
                    "error": "rate_limited",
                    "error_description": "Too many introspection requests from this address; retry later.",
                })),
            )
                .into_response()
        }
        err => {
            tracing::error!(error = ?err, "introspection failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(json!({ "error": "server_error" })),
            )
                .into_response()
        }
    }
}

/// RFC 6749 §5.2's `invalid_request`.
fn invalid_request(status: StatusCode, description: &str) -> Response {
    let body = json!({ "error": "invalid_request", "error_description": description });
    (status, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_gives_exactly_one_non_empty_token() {
        for (form, token) in [
            (&b"token=abc&token_type_hint=access_token"[..], "abc"),
            (b"a=b&token=a%2Bb+c&a=b", "a+b c"),
            // Names are compared once decoded.
            (b"tok%65n=abc", "abc"),
        ] {
            assert_eq!(token_of(form).as_deref(), Ok(token));
        }
        for form in [
            &b""[..],
            b"token=",
            b"token",
            b"token=a&token=b",
            b"token=a&token=",
            b"Token=abc",
        ] {
            assert!(
                token_of(form).is_err(),
                "{:?}",
                String::from_utf8_lossy(form)
            );
        }
    }
}
