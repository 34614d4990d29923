//! The HTTP surface: content types, GET rules, GraphiQL, probes, limits.
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{Backend, PASSWORD, TestApp, error_code, spawn_app, spawn_app_with},
};

backend_tests!(
    non_json_posts_are_refused_and_never_run,
    a_get_never_runs_a_mutation,
    a_get_runs_queries,
    browsers_get_graphiql_served_by_the_service_itself,
    graphiql_can_be_turned_off,
    probes_answer,
    malformed_json_is_a_clean_400,
    an_oversized_body_is_a_413,
    batches_run_up_to_the_limit,
    too_deep_queries_are_refused_and_the_server_keeps_serving,
    graphql_response_json_gets_400_for_invalid_documents,
    responses_carry_a_request_id_and_security_headers,
);

const REGISTER: &str = r#"{"query":"mutation { register(input: { username: \"csrf\", email: \"csrf@example.dz\", password: \"correct horse battery staple\", passwordConfirm: \"correct horse battery staple\" }) { accessToken } }"}"#;

async fn account_exists(app: &TestApp, username: &str) -> bool {
    let body = app
        .login_raw(json!({ "username": username, "password": PASSWORD }), &[])
        .await;
    body["data"]["login"].is_object()
}

async fn non_json_posts_are_refused_and_never_run(backend: Backend) {
    let app = spawn_app(backend).await;
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jsonx"),
        None,
    ] {
        let mut request = app.http.post(app.url("/graphql")).body(REGISTER);
        if let Some(ct) = content_type {
            request = request.header(header::CONTENT_TYPE, ct);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        let body: Value = response.json().await.unwrap();
        assert!(error_code(&body).is_some());
    }
    assert!(!account_exists(&app, "csrf").await, "a refused request ran");
    let ok = app
        .http
        .post(app.url("/graphql"))
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(REGISTER)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(account_exists(&app, "csrf").await);
}

async fn a_get_never_runs_a_mutation(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register("amina").await;
    for (query, operation) in [
        ("mutation { logout }", None),
        ("query A { me { id } } mutation B { logout }", Some("B")),
    ] {
        let mut params = vec![("query", query)];
        if let Some(op) = operation {
            params.push(("operationName", op));
        }
        let response = app
            .http
            .get(app.url("/graphql"))
            .bearer_auth(&tokens.access)
            .query(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{query}");
        assert_eq!(response.headers()[header::ALLOW], "POST");
    }
    assert!(
        app.whoami(&tokens.access).await.is_ok(),
        "the session survived"
    );
}

async fn a_get_runs_queries(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register("amina").await;
    let body: Value = app
        .http
        .get(app.url("/graphql"))
        .bearer_auth(&tokens.access)
        .query(&[("query", "{ me { username } }")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["data"]["me"]["username"], "amina");
}

async fn browsers_get_graphiql_served_by_the_service_itself(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .http
        .get(app.url("/graphql"))
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let page = response.text().await.unwrap();
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no external resources"
    );
    let scripts: Vec<&str> = page
        .split("src=\"")
        .skip(1)
        .chain(page.split("href=\"").skip(1))
        .map(|s| s.split('"').next().unwrap())
        .collect();
    assert_eq!(scripts.len(), 5, "{scripts:?}");
    for path in scripts {
        let asset = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(asset.status(), StatusCode::OK, "{path}");
        let body = asset.bytes().await.unwrap();
        assert!(!body.is_empty());
        if path.ends_with("react.production.min.js") {
            assert!(
                !String::from_utf8_lossy(&body).contains("development"),
                "production build"
            );
        }
    }
    let missing = app
        .http
        .get(app.url("/graphql/assets/../Cargo.toml"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

async fn graphiql_can_be_turned_off(backend: Backend) {
    let app = spawn_app_with(backend, &[("GRAPHIQL", "false")]).await;
    let response = app
        .http
        .get(app.url("/graphql"))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_ne!(response.status(), StatusCode::OK);
    assert!(!response.text().await.unwrap().contains("<html"));
}

async fn probes_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/healthz", "/readyz"] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
}

async fn post_raw(app: &TestApp, body: impl Into<reqwest::Body>) -> reqwest::Response {
    app.http
        .post(app.url("/graphql"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn malformed_json_is_a_clean_400(backend: Backend) {
    let app = spawn_app(backend).await;
    for body in [
        b"{\"query\": ".to_vec(),
        b"[]".to_vec(),
        vec![b'{', 0xff, 0xfe, b'}'],
        b"{\"query\": 42}".to_vec(),
    ] {
        let response = post_raw(&app, body.clone()).await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{}",
            String::from_utf8_lossy(&body)
        );
        let json: Value = response.json().await.unwrap();
        assert!(error_code(&json).is_some(), "{json}");
    }
}

async fn an_oversized_body_is_a_413(backend: Backend) {
    let app = spawn_app_with(backend, &[("MAX_BODY_BYTES", "4096")]).await;
    let big = json!({ "query": "{ __typename }", "variables": { "pad": "x".repeat(10_000) } });
    let response = post_raw(&app, big.to_string()).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // The unread body spoils the connection; the client is told not to reuse it.
    assert_eq!(response.headers()[header::CONNECTION], "close");
    let small = post_raw(&app, json!({ "query": "{ __typename }" }).to_string()).await;
    assert_eq!(small.status(), StatusCode::OK);
}

async fn batches_run_up_to_the_limit(backend: Backend) {
    let app = spawn_app_with(backend, &[("GRAPHQL_MAX_BATCH", "3")]).await;
    let batch = |n: usize| {
        json!(
            (0..n)
                .map(|_| json!({ "query": "{ __typename }" }))
                .collect::<Vec<_>>()
        )
        .to_string()
    };
    let response = post_raw(&app, batch(3)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body.as_array().unwrap().len(), 3);
    let response = post_raw(&app, batch(4)).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
}

async fn too_deep_queries_are_refused_and_the_server_keeps_serving(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register("amina").await;
    let mut query = String::from("id");
    for _ in 0..8 {
        query = format!("sessions {{ user {{ {query} }} }}");
    }
    let body = app
        .graphql(
            Some(&tokens.access),
            &format!("{{ me {{ {query} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
    assert!(app.whoami(&tokens.access).await.is_ok());
}

async fn graphql_response_json_gets_400_for_invalid_documents(backend: Backend) {
    let app = spawn_app(backend).await;
    let send = |query: &'static str| {
        app.http
            .post(app.url("/graphql"))
            .header(header::ACCEPT, "application/graphql-response+json")
            .json(&json!({ "query": query }))
            .send()
    };
    let bad = send("{ nope }").await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.headers()[header::CONTENT_TYPE],
        "application/graphql-response+json"
    );
    let body: Value = bad.json().await.unwrap();
    assert_eq!(error_code(&body), Some("GRAPHQL_VALIDATION_FAILED"));
    // It never ran, so there is no `data` entry, not even null.
    assert!(body.get("data").is_none(), "{body}");
    let unparsable = send("{ me {").await.unwrap();
    assert_eq!(unparsable.status(), StatusCode::BAD_REQUEST);
    let body: Value = unparsable.json().await.unwrap();
    assert_eq!(error_code(&body), Some("GRAPHQL_PARSE_FAILED"));
    assert!(body.get("data").is_none(), "{body}");
    // An execution error is still a 200: the request was valid.
    let guarded = send("{ me { id } }").await.unwrap();
    assert_eq!(guarded.status(), StatusCode::OK);
}

async fn responses_carry_a_request_id_and_security_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert!(response.headers().contains_key("x-request-id"));
    let response = app
        .http
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert!(
        !headers.contains_key(header::STRICT_TRANSPORT_SECURITY),
        "not in development"
    );
}
