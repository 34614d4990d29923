//! GraphQL over HTTP: JSON POSTs only, queries-only GETs, and GraphiQL for browsers.
use std::net::SocketAddr;

use async_graphql::{
    BatchRequest, BatchResponse, Request,
    http::parse_query_string,
    parser::{parse_query, types::OperationType},
};
use async_graphql_axum::GraphQLResponse;
use axum::{
    body::Bytes,
    extract::{ConnectInfo, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::{
    AppState, accepted_locale, bearer_token,
    client_ip::client_info,
    graphiql,
    refresh_cookie::{self, Presented},
};
use crate::graphql::{
    caller::{Caller, RefreshCookieJar},
    error::{ApiError, ErrorCode, translate},
    with_request_data,
};
use crate::i18n::Locale;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// `POST /graphql`. Anything but `application/json` is refused with 415: browsers send
/// `text/plain` and form bodies cross-site without a preflight, so accepting them would
/// open a CSRF path.
pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_json(&headers) {
        return refusal(
            &state,
            &headers,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::BadUserInput,
            "error-not-json",
        );
    }
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(_) => {
            return refusal(
                &state,
                &headers,
                StatusCode::BAD_REQUEST,
                ErrorCode::GraphqlParseFailed,
                "error-body-not-graphql",
            );
        }
    };
    let items: Vec<&Request> = match &batch {
        BatchRequest::Single(request) => vec![request],
        BatchRequest::Batch(items) => items.iter().collect(),
    };
    if items.iter().any(|r| r.query.trim().is_empty()) {
        return missing_query(&state, &headers);
    }
    if items.len() > state.limits.max_batch_size {
        return refusal(
            &state,
            &headers,
            StatusCode::BAD_REQUEST,
            ErrorCode::QueryTooComplex,
            "error-batch-too-large",
        );
    }
    let refresh_cookie = match cookie_jar(&state, &headers) {
        Ok(jar) => jar,
        Err(why) => {
            return refusal(
                &state,
                &headers,
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                why,
            );
        }
    };
    execute(&state, peer, &headers, batch, refresh_cookie).await
}

/// `GET /graphql`: the playground for a browser, otherwise a query (never a mutation).
pub async fn get(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    if state.limits.graphiql && accepts(&headers, "text/html") {
        return graphiql::page();
    }
    let request = match parse_query_string(uri.query().unwrap_or_default()) {
        Ok(request) => request,
        Err(_) => {
            return refusal(
                &state,
                &headers,
                StatusCode::BAD_REQUEST,
                ErrorCode::GraphqlParseFailed,
                "error-get-parameters",
            );
        }
    };
    if request.query.trim().is_empty() {
        return missing_query(&state, &headers);
    }
    if is_mutation(&request) {
        let mut response = refusal(
            &state,
            &headers,
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::BadUserInput,
            "error-get-mutation",
        );
        response.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static(Method::POST.as_str()),
        );
        return response;
    }
    // A GET never runs a mutation, so it never needs the refresh-token cookie (which
    // a page navigation to GraphiQL carries too): it is not read. In cookie mode the
    // jar still takes any token, so none could ever reach a body.
    let enabled = state.browsers.refresh_cookie.is_some();
    let refresh_cookie = RefreshCookieJar::new(enabled, None);
    execute(
        &state,
        peer,
        &headers,
        BatchRequest::Single(request),
        refresh_cookie,
    )
    .await
}

async fn execute(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    batch: BatchRequest,
    refresh_cookie: RefreshCookieJar,
) -> Response {
    let caller = Caller::with_refresh_cookie(
        bearer_token(headers),
        client_info(state, peer, headers),
        refresh_cookie,
    );
    let with_data = |request: Request| with_request_data(request, &state.auth, caller.clone());
    let batch = match batch {
        BatchRequest::Single(request) => BatchRequest::Single(with_data(request)),
        BatchRequest::Batch(items) => {
            BatchRequest::Batch(items.into_iter().map(with_data).collect())
        }
    };
    let is_batch = matches!(batch, BatchRequest::Batch(_));
    let started = std::time::Instant::now();
    let mut response = state.schema.execute_batch(batch).await;
    // The GraphQL work alone (parse, validate, resolve), beside the HTTP timing.
    metrics::histogram!("graphql_execution_duration_seconds", "batch" => is_batch.to_string())
        .record(started.elapsed().as_secs_f64());
    say_errors_to_reader(state, &caller, headers, &mut response).await;
    let wants_graphql_response = accepts(headers, GRAPHQL_RESPONSE_JSON);
    if wants_graphql_response && let Some(errors) = did_not_execute(&response) {
        // The GraphQL-over-HTTP rules for this media type: a request that never reached
        // execution is a client error, and its answer has no `data` entry at all.
        let body = serde_json::json!({ "errors": errors }).to_string();
        return (
            StatusCode::BAD_REQUEST,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(GRAPHQL_RESPONSE_JSON),
            )],
            body,
        )
            .into_response();
    }
    let mut http = GraphQLResponse::from(response).into_response();
    let media_type = if wants_graphql_response {
        GRAPHQL_RESPONSE_JSON
    } else {
        "application/json"
    };
    http.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    if let (Some(cookie), Some(change)) = (
        &state.browsers.refresh_cookie,
        caller.refresh_cookie().take_change(),
    ) {
        match refresh_cookie::set_cookie(cookie, change) {
            Some(value) => {
                http.headers_mut().append(header::SET_COOKIE, value);
            }
            // Tokens are URL-safe base64: this would be a bug, and the client must
            // sign in again, since its body says null.
            None => tracing::error!("the refresh-token cookie could not be written"),
        }
    }
    http
}

/// Puts error messages in the reader's words: a signed-in caller's chosen language,
/// else the one `Accept-Language` asks for. Looked up only when there are errors.
async fn say_errors_to_reader(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    response: &mut BatchResponse,
) {
    let responses = match response {
        BatchResponse::Single(response) => std::slice::from_mut(response),
        BatchResponse::Batch(responses) => responses.as_mut_slice(),
    };
    if responses.iter().all(|r| r.errors.is_empty()) {
        return;
    }
    let chosen = match caller.known_user() {
        Some(user) => state.auth.language_of(user).await,
        None => None,
    };
    let locale = chosen.map_or_else(|| accepted_locale(headers), |l| Locale::for_language(&l));
    for response in responses {
        translate(&mut response.errors, &state.catalog, locale);
    }
}

/// The request's refresh-token cookie, or why (a message id) the request is refused
/// before it runs.
/// In cookie mode a browser at an origin other than the app's may not call at all (no
/// sign-in whose cookie it could plant), nor may a request carry the cookie without
/// saying where it comes from, or carry it twice.
fn cookie_jar(state: &AppState, headers: &HeaderMap) -> Result<RefreshCookieJar, &'static str> {
    let Some(cookie) = &state.browsers.refresh_cookie else {
        return Ok(RefreshCookieJar::disabled());
    };
    let origins = &state.browsers.cookie_origins;
    if refresh_cookie::from_foreign_origin(headers, origins) {
        return Err("error-cookie-origin");
    }
    match refresh_cookie::presented(headers, cookie) {
        Presented::None => Ok(RefreshCookieJar::new(true, None)),
        Presented::Several => Err("error-cookie-twice"),
        Presented::One(token) if refresh_cookie::origin_allowed(headers, origins) => {
            Ok(RefreshCookieJar::new(true, Some(token)))
        }
        Presented::One(_) => Err("error-cookie-no-origin"),
    }
}

/// The errors of a single response with no data and a parse, validation or limit error.
fn did_not_execute(response: &BatchResponse) -> Option<&[async_graphql::ServerError]> {
    let BatchResponse::Single(response) = response else {
        return None;
    };
    let never_ran = response.data == async_graphql::Value::Null
        && response.errors.iter().any(|e| {
            let code = e.extensions.as_ref().and_then(|x| x.get("code"));
            [
                ErrorCode::GraphqlParseFailed,
                ErrorCode::GraphqlValidationFailed,
                ErrorCode::QueryTooComplex,
            ]
            .iter()
            .any(|c| code == Some(&async_graphql::Value::from(c.as_str())))
        });
    never_ran.then_some(response.errors.as_slice())
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

fn accepts(headers: &HeaderMap, media_type: &str) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            item.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case(media_type))
        })
}

/// Whether the operation a GET would run is a mutation. A document that does not parse
/// is left to the executor, which reports it properly.
fn is_mutation(request: &Request) -> bool {
    // The parser recurses per bracket: a deeply nested document is left to the
    // executor's limits, which refuse it without parsing.
    if crate::graphql::is_nested_too_deep(&request.query) {
        return false;
    }
    let Ok(document) = parse_query(&request.query) else {
        return false;
    };
    let wanted = request.operation_name.as_deref();
    document
        .operations
        .iter()
        .filter(|(name, _)| wanted.is_none() || name.map(|n| n.as_str()) == wanted)
        .any(|(_, op)| op.node.ty == OperationType::Mutation)
}

fn missing_query(state: &AppState, headers: &HeaderMap) -> Response {
    refusal(
        state,
        headers,
        StatusCode::BAD_REQUEST,
        ErrorCode::GraphqlParseFailed,
        "error-query-missing",
    )
}

/// An error answered before GraphQL runs, in the GraphQL response shape (no `data`),
/// in the language the request's `Accept-Language` asks for.
fn refusal(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    code: ErrorCode,
    message_id: &'static str,
) -> Response {
    let mut errors = [ApiError::new(code, message_id).into_server_error(None)];
    translate(&mut errors, &state.catalog, accepted_locale(headers));
    (status, axum::Json(json!({ "errors": errors }))).into_response()
}
