//! The refresh-token cookie on the wire (`REFRESH_TOKEN_COOKIE`): read from `Cookie`,
//! written as `Set-Cookie`, and refused from origins that are not the app's.
use axum::http::{HeaderMap, HeaderValue, header};
use chrono::Utc;
use cookie::{Cookie, SameSite, time::Duration};
use secrecy::SecretString;

use crate::{config::RefreshCookie, graphql::caller::RefreshCookieChange};

/// What the request's `Cookie` headers hold under the refresh cookie's name.
pub enum Presented {
    None,
    One(SecretString),
    /// The name twice: one of them was planted (by a sibling subdomain on plain
    /// http, say). Using either could sign the browser in to another account.
    Several,
}

/// The refresh token in the request's `Cookie` headers. Other cookies may hold any
/// bytes (a page's own `x=é`): they are read leniently and cannot hide ours.
pub fn presented(headers: &HeaderMap, cookie: &RefreshCookie) -> Presented {
    let mut found = headers
        .get_all(header::COOKIE)
        .iter()
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .flat_map(|value| {
            Cookie::split_parse(value)
                .filter_map(Result::ok)
                .filter(|c| c.name() == cookie.name && !c.value().is_empty())
                .map(|c| c.value().to_owned())
                .collect::<Vec<_>>()
        });
    match (found.next(), found.next()) {
        (None, _) => Presented::None,
        (Some(token), None) => Presented::One(SecretString::from(token)),
        (Some(_), Some(_)) => Presented::Several,
    }
}

/// Whether the request names an origin and it is not one of `allowed`. Requests
/// without `Origin` are not browsers' (servers, mobile apps): they pass here.
pub fn from_foreign_origin(headers: &HeaderMap, allowed: &[String]) -> bool {
    headers.contains_key(header::ORIGIN) && !origin_allowed(headers, allowed)
}

/// Whether a request that carries the cookie comes from an allowed origin. Browsers
/// send `Origin` on every POST; a request without one is no browser's and has no
/// business holding the cookie.
pub fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    headers
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|origin| {
            allowed
                .iter()
                .any(|ok| ok.eq_ignore_ascii_case(origin.trim_end_matches('/')))
        })
}

/// The `Set-Cookie` header for `change`.
pub fn set_cookie(cookie: &RefreshCookie, change: RefreshCookieChange) -> Option<HeaderValue> {
    let (value, max_age) = match change {
        RefreshCookieChange::Set { token, expires_at } => {
            let max_age =
                expires_at.map(|at| Duration::seconds((at - Utc::now()).num_seconds().max(0)));
            (token, max_age)
        }
        RefreshCookieChange::Clear => (String::new(), Some(Duration::ZERO)),
    };
    let mut built = Cookie::build((cookie.name, value))
        .http_only(true)
        .secure(cookie.secure)
        .same_site(SameSite::Strict)
        .path(cookie.path);
    if let Some(max_age) = max_age {
        built = built.max_age(max_age);
    }
    HeaderValue::from_str(&built.build().to_string()).ok()
}
