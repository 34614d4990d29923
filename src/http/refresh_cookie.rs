//! The refresh-token cookie on the wire (`REFRESH_TOKEN_COOKIE`): read from `Cookie`,
//! written as `Set-Cookie`, and refused from origins that are not the app's.
use axum::http::{HeaderMap, HeaderValue, header};
use chrono::Utc;
use cookie::{Cookie, SameSite, time::Duration};
use secrecy::SecretString;

use crate::{config::RefreshCookie, graphql::caller::RefreshCookieChange};

/// The path the cookie is sent to: the API alone, never a page.
const PATH: &str = "/graphql";

/// The refresh token in the request's `Cookie` headers, if any.
pub fn presented(headers: &HeaderMap, cookie: &RefreshCookie) -> Option<SecretString> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == cookie.name)
        .map(|c| SecretString::from(c.value().to_owned()))
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
        .path(PATH);
    if let Some(max_age) = max_age {
        built = built.max_age(max_age);
    }
    HeaderValue::from_str(&built.build().to_string()).ok()
}
