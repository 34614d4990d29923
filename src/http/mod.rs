//! The HTTP surface: routes, middleware, and the GraphQL handlers.
mod client_ip;
mod discovery;
mod graphiql;
mod graphql;
mod health;
mod introspect;
mod metrics;
mod pages;
mod refresh_cookie;

use std::{sync::Arc, time::Duration};

use tracing::Level;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::{HeaderName, HeaderValue, Method, header},
    routing::{get, post},
};
use tower_http::{
    LatencyUnit,
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    trace::{DefaultOnResponse, TraceLayer},
};

pub use client_ip::TrustedProxies;
pub use discovery::openid_configuration;
use pages::LinkPage;

use crate::{
    auth::{AuthService, IntrospectionSecret},
    config::{BrowserSettings, GraphqlSettings},
    graphql::AppSchema,
    i18n::{Catalog, Locale},
};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub schema: AppSchema,
    pub auth: AuthService,
    pub limits: GraphqlSettings,
    pub trusted_proxies: TrustedProxies,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// When set, `/metrics` asks for it as a bearer token.
    pub metrics_token: Option<secrecy::SecretString>,
    /// The body of `/.well-known/openid-configuration`, made once at start.
    pub discovery: Arc<str>,
    /// When set, `POST /oauth/introspect` exists and asks for it as a bearer token.
    pub introspection: Option<IntrospectionSecret>,
    /// The refresh-token cookie, and the origins that may send it.
    pub browsers: BrowserSettings,
    /// The words and layouts of the pages and error messages.
    pub catalog: Arc<Catalog>,
    /// The service's name on its pages.
    pub product: String,
    /// Whether mail links lead to this service's own pages (`APP_URL` is `PUBLIC_URL`).
    pub serves_link_pages: bool,
}

pub use metrics::handle as metrics_handle;
pub use pages::check_layout as check_page_layout;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState, cors_origins: &[String], is_production: bool) -> Router {
    // The listed origins may send the refresh-token cookie, in cookie mode.
    let credentials = state.browsers.refresh_cookie.is_some();
    let body_limit = state.limits.max_body_bytes;
    let mut routes = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/assets/{file}", get(graphiql::asset))
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .route("/metrics", get(metrics::render))
        .route("/.well-known/jwks.json", get(discovery::jwks))
        .route(
            "/.well-known/openid-configuration",
            get(discovery::configuration),
        );
    if state.serves_link_pages {
        // With APP_URL elsewhere the links lead to the frontend; these paths are unknown.
        for page in LinkPage::ALL {
            routes = routes.route(
                page.path(),
                get(move |state, headers, query| pages::show(page, state, headers, query)).post(
                    move |state, peer, headers, form| {
                        pages::submit(page, state, peer, headers, form)
                    },
                ),
            );
        }
        routes = routes.route("/assets/pages.css", get(pages::style));
    }
    if state.introspection.is_some() {
        // Without the setting the path is unknown, like any other: 404.
        routes = routes.route(
            "/oauth/introspect",
            post(introspect::post).layer(DefaultBodyLimit::max(introspect::MAX_BODY_BYTES)),
        );
    }
    let router = routes
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::map_response(close_after_refused_body))
        .layer(cors(cors_origins, credentials))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(LatencyUnit::Millis),
                ),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(CatchPanicLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        // Tokens travel in these responses: no cache may keep them.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .with_state(state);
    if is_production {
        // Production is served over HTTPS (behind a proxy); browsers should insist.
        router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ))
    } else {
        router
    }
}

/// A body refused for its size is left unread on the connection, so the connection
/// cannot carry another request: say so, or a keep-alive client sends its next request
/// into a socket the server is closing.
async fn close_after_refused_body(
    mut response: axum::response::Response,
) -> axum::response::Response {
    if response.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// The bearer token, if any. A malformed `Authorization` header counts as an invalid
/// (empty) token, not as no token, so whatever checks it refuses it.
fn bearer_token(headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    Some(token.unwrap_or_default())
}

/// The language the request's `Accept-Language` asks for, of those the service writes.
fn accepted_locale(headers: &axum::http::HeaderMap) -> Locale {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .map(Locale::negotiate)
        .unwrap_or_default()
}

/// One span per request, named by its id, method and path (never its query string,
/// which could hold a token sent by mistake).
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    )
}

/// Browser origins allowed to call the API; none by default (same origin only).
/// `Settings` accepts only `scheme://host[:port]`; a `*` that got here anyway is
/// dropped rather than handed to `AllowOrigin::list`, which panics on it.
fn cors(origins: &[String], credentials: bool) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter(|o| o.as_str() != "*")
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("device-fingerprint"),
        ])
        .allow_credentials(credentials)
        .max_age(Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_list_of_origins_makes_cors_panic() {
        let origins = [
            "*".to_owned(),
            "https://app.example.dz".to_owned(),
            "\n".to_owned(),
        ];
        let _ = super::cors(&origins, true);
    }
}
