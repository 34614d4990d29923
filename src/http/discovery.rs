//! What resource servers read to verify tokens themselves: the discovery document and
//! the public keys, both cacheable, the keys with an entity tag.
use std::sync::Arc;

use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::AppState;
use crate::config::{JWKS_MAX_AGE, Settings};

/// Verifiers may keep either document `JWKS_MAX_AGE`; a rotated key is published that
/// long before it signs, so a copy this old still verifies every token.
static CACHEABLE: std::sync::LazyLock<HeaderValue> = std::sync::LazyLock::new(|| {
    let value = format!("public, max-age={}", JWKS_MAX_AGE.as_secs());
    HeaderValue::from_str(&value).expect("digits and ASCII make a header value")
});
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// The body of `/.well-known/openid-configuration`; it changes only with the settings.
pub fn openid_configuration(settings: &Settings) -> Arc<str> {
    let base = &settings.public_url;
    let mut document = json!({
        "issuer": settings.jwt.issuer,
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
    });
    if settings.introspection_token.is_some() {
        document["introspection_endpoint"] = json!(format!("{base}/oauth/introspect"));
    }
    document.to_string().into()
}

/// `GET /.well-known/openid-configuration`.
pub async fn configuration(State(state): State<AppState>) -> Response {
    (
        [
            (header::CONTENT_TYPE, JSON),
            (header::CACHE_CONTROL, CACHEABLE.clone()),
        ],
        state.discovery.to_string(),
    )
        .into_response()
}

/// `GET /.well-known/jwks.json`: the public keys that verify access tokens. Read per
/// request, since keys rotate while the process runs; `304` when the client's copy is
/// current.
pub async fn jwks(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let keys = state.auth.published_keys();
    let Ok(etag) = HeaderValue::from_str(&keys.etag) else {
        // A SHA-256 in hex always makes a valid header; without one, just no tag.
        return ([(header::CONTENT_TYPE, JSON)], keys.body.clone()).into_response();
    };
    let current = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, CACHEABLE.clone()),
    ];
    if none_match(&headers, &keys.etag) {
        return (StatusCode::NOT_MODIFIED, current).into_response();
    }
    (current, [(header::CONTENT_TYPE, JSON)], keys.body.clone()).into_response()
}

/// Whether `If-None-Match` names `etag` (or is `*`), by weak comparison
/// (RFC 9110 §13.1.2): `W/"x"` and `"x"` are the same tag. A value that does not parse
/// matches nothing, so the client just gets the full answer.
fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    let ours = opaque(etag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.trim() == "*" || entity_tags(value).any(|tag| Some(tag) == ours))
}

/// The opaque parts (quotes included) of a list of entity tags. An opaque tag may hold
/// a comma, so the list is walked tag by tag rather than split on commas; the walk
/// stops at the first thing that is not a tag.
fn entity_tags(list: &str) -> impl Iterator<Item = &str> {
    let mut rest = list;
    std::iter::from_fn(move || {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        let tag = rest.strip_prefix("W/").unwrap_or(rest);
        let end = tag.strip_prefix('"')?.find('"')? + 2;
        let (tag, after) = tag.split_at(end);
        rest = after;
        Some(tag)
    })
}

/// `"x"` of `"x"` or `W/"x"`.
fn opaque(etag: &str) -> Option<&str> {
    entity_tags(etag).next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(header::IF_NONE_MATCH, value.parse().unwrap());
        }
        headers
    }

    const ETAG: &str = "\"0123abcd\"";

    #[test]
    fn if_none_match_matches_by_weak_comparison() {
        for matching in [
            &["\"0123abcd\""][..],
            &["W/\"0123abcd\""],
            &["*"],
            &["\"other\", \"0123abcd\""],
            &["\"a,b\",W/\"0123abcd\""],
            &["\"other\"", "\"0123abcd\""],
        ] {
            assert!(none_match(&with(matching), ETAG), "{matching:?}");
        }
        for other in [
            &[][..],
            &["\"other\""],
            &["0123abcd"],
            &["\"0123abcd"],
            &["\"0123abc\""],
            &["garbage, \"0123abcd\""],
            &["W/ \"0123abcd\""],
            &["**"],
        ] {
            assert!(!none_match(&with(other), ETAG), "{other:?}");
        }
    }
}
