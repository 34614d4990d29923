//! What resource servers read: the discovery document, and a JWKS they may cache and
//! revalidate with its entity tag.
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{Backend, TestApp, spawn_app, spawn_app_with},
};

backend_tests!(
    the_discovery_document_names_the_issuer_and_the_key_set,
    the_discovery_document_names_introspection_only_when_it_is_on,
    the_jwks_is_cacheable_and_tagged_the_same_by_every_replica,
    the_jwks_answers_304_to_a_matching_if_none_match,
    the_jwks_answers_200_to_a_tag_that_does_not_match,
);

const CACHEABLE: &str = "public, max-age=300";

async fn discovery(app: &TestApp) -> Value {
    let response = app
        .http
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], CACHEABLE);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    response.json().await.unwrap()
}

async fn get_jwks(app: &TestApp, if_none_match: &[&str]) -> reqwest::Response {
    let mut request = app.http.get(app.url("/.well-known/jwks.json"));
    for tag in if_none_match {
        request = request.header(header::IF_NONE_MATCH, *tag);
    }
    request.send().await.unwrap()
}

/// The JWKS's entity tag, with the opening and closing quotes.
async fn etag(app: &TestApp) -> String {
    let response = get_jwks(app, &[]).await;
    response.headers()[header::ETAG]
        .to_str()
        .unwrap()
        .to_owned()
}

async fn the_discovery_document_names_the_issuer_and_the_key_set(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(
        discovery(&app).await,
        json!({
            "issuer": "http://auth.test",
            "jwks_uri": "http://auth.test/.well-known/jwks.json",
        })
    );
    // The issuer is the tokens' `iss`, which need not be the public URL.
    let app = spawn_app_with(backend, &[("JWT_ISSUER", "https://issuer.example.dz")]).await;
    let document = discovery(&app).await;
    assert_eq!(document["issuer"], "https://issuer.example.dz");
    assert_eq!(
        document["jwks_uri"],
        "http://auth.test/.well-known/jwks.json"
    );
}

async fn the_discovery_document_names_introspection_only_when_it_is_on(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(
        discovery(&app)
            .await
            .get("introspection_endpoint")
            .is_none()
    );
    let app = spawn_app_with(
        backend,
        &[
            ("INTROSPECTION_TOKEN", "resource-servers-0123456789abcdef"),
            ("PUBLIC_URL", "https://auth.example.dz/base/"),
        ],
    )
    .await;
    assert_eq!(
        discovery(&app).await,
        json!({
            "issuer": "https://auth.example.dz/base",
            "jwks_uri": "https://auth.example.dz/base/.well-known/jwks.json",
            "introspection_endpoint": "https://auth.example.dz/base/oauth/introspect",
        })
    );
}

async fn the_jwks_is_cacheable_and_tagged_the_same_by_every_replica(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = get_jwks(&app, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers[header::CACHE_CONTROL], CACHEABLE);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    let tag = headers[header::ETAG].to_str().unwrap().to_owned();
    assert!(
        tag.len() > 2 && tag.starts_with('"') && tag.ends_with('"') && !tag.starts_with("W/"),
        "a strong entity tag: {tag}"
    );
    let keys = response.json::<Value>().await.unwrap();
    assert_eq!(keys["keys"][0]["kty"], "OKP", "{keys}");
    // Behind a load balancer a verifier's copy stays current whichever replica answers.
    let replica = app.replica(&[]).await;
    assert_eq!(etag(&replica).await, tag);
    assert_eq!(etag(&app).await, tag);
}

async fn the_jwks_answers_304_to_a_matching_if_none_match(backend: Backend) {
    let app = spawn_app(backend).await;
    let tag = etag(&app).await;
    let weak = format!("W/{tag}");
    let listed = format!("\"older\", {tag}");
    let listed_weak = format!("W/\"older\",W/{tag}");
    for if_none_match in [
        vec![tag.as_str()],
        vec![weak.as_str()],
        vec!["*"],
        vec![listed.as_str()],
        vec![listed_weak.as_str()],
        vec!["\"older\"", tag.as_str()],
    ] {
        let response = get_jwks(&app, &if_none_match).await;
        assert_eq!(
            response.status(),
            StatusCode::NOT_MODIFIED,
            "{if_none_match:?}"
        );
        // What a 200 would have said about caching, without the body.
        assert_eq!(response.headers()[header::ETAG], tag.as_str());
        assert_eq!(response.headers()[header::CACHE_CONTROL], CACHEABLE);
        assert!(response.bytes().await.unwrap().is_empty());
    }
}

async fn the_jwks_answers_200_to_a_tag_that_does_not_match(backend: Backend) {
    let app = spawn_app(backend).await;
    let tag = etag(&app).await;
    let keys = get_jwks(&app, &[]).await.json::<Value>().await.unwrap();
    let unquoted = tag.trim_matches('"').to_owned();
    let truncated = format!("{}\"", &tag[..tag.len() - 2]);
    for if_none_match in [
        "\"older\"",
        "W/\"older\", \"another\"",
        unquoted.as_str(),
        truncated.as_str(),
        "",
        "**",
    ] {
        let response = get_jwks(&app, &[if_none_match]).await;
        assert_eq!(response.status(), StatusCode::OK, "{if_none_match:?}");
        assert_eq!(response.headers()[header::ETAG], tag.as_str());
        assert_eq!(response.json::<Value>().await.unwrap(), keys);
    }
}
