//! What operators see: Prometheus metrics, and sessions people recognise.
use reqwest::{StatusCode, header};
use serde_json::json;

use crate::{
    backend_tests,
    helpers::{Backend, PASSWORD, spawn_app, spawn_app_with, tokens},
};

backend_tests!(
    metrics_count_auth_events_and_time_requests,
    metrics_can_require_a_token,
    sessions_name_the_device_from_the_user_agent,
    sessions_are_located_with_a_geoip_database,
);

async fn metrics_count_auth_events_and_time_requests(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register("amina").await;
    app.login_raw(
        json!({ "username": "amina", "password": "wrong password" }),
        &[],
    )
    .await;
    let response = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    for needle in [
        "auth_events_total{kind=\"REGISTERED\"}",
        "auth_events_total{kind=\"LOGIN_FAILED\"}",
        "http_request_duration_seconds_bucket{method=\"POST\",route=\"/graphql\",status=\"200\"",
        "db_pool_connections",
        "graphql_execution_duration_seconds_bucket{batch=\"false\"",
    ] {
        assert!(text.contains(needle), "missing {needle} in:\n{text}");
    }
}

async fn metrics_can_require_a_token(backend: Backend) {
    let app = spawn_app_with(backend, &[("METRICS_TOKEN", "scrape-me-please")]).await;
    for auth in [None, Some("Bearer wrong"), Some("scrape-me-please")] {
        let mut request = app.http.get(app.url("/metrics"));
        if let Some(value) = auth {
            request = request.header(header::AUTHORIZATION, value);
        }
        assert_eq!(
            request.send().await.unwrap().status(),
            StatusCode::UNAUTHORIZED,
            "{auth:?}"
        );
    }
    let ok = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth("scrape-me-please")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
}

async fn sessions_name_the_device_from_the_user_agent(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register("amina").await;
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0";
    let body = app
        .login_raw(
            json!({ "username": "amina", "password": PASSWORD }),
            &[("User-Agent", firefox)],
        )
        .await;
    let me = tokens(&body, "login");
    let body = app
        .graphql(
            Some(&me.access),
            "{ sessions { current deviceName location { country } } }",
            json!({}),
        )
        .await;
    let sessions = body["data"]["sessions"].as_array().unwrap();
    assert_eq!(sessions[0]["deviceName"], "Firefox on Linux");
    assert!(
        sessions[0]["location"].is_null(),
        "no geo-IP database is configured"
    );
    assert!(
        sessions[1]["deviceName"].is_null(),
        "api-tests/1.0 names no device"
    );
}

async fn sessions_are_located_with_a_geoip_database(backend: Backend) {
    let geoip = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/geoip/test-city.mmdb"
    );
    let app = spawn_app_with(
        backend,
        &[("GEOIP_DB", geoip), ("TRUSTED_PROXIES", "127.0.0.1/32")],
    )
    .await;
    let me = app.register("amina").await;
    for (ip, device) in [("203.0.113.7", "laptop"), ("2001:db8::1", "phone")] {
        let body = app
            .login_raw(
                json!({ "username": "amina", "password": PASSWORD, "deviceFingerprint": device }),
                &[("X-Forwarded-For", ip)],
            )
            .await;
        tokens(&body, "login");
    }
    let body = app
        .graphql(
            Some(&me.access),
            "{ sessions { deviceFingerprint ipAddress location { countryCode country city } } }",
            json!({}),
        )
        .await;
    let sessions = body["data"]["sessions"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    let location = |fingerprint: Option<&str>| {
        sessions
            .iter()
            .find(|s| s["deviceFingerprint"].as_str() == fingerprint)
            .map(|s| s["location"].clone())
            .unwrap()
    };
    assert_eq!(
        location(Some("laptop")),
        json!({ "countryCode": "DZ", "country": "Algeria", "city": "Algiers" })
    );
    assert_eq!(
        location(Some("phone")),
        json!({ "countryCode": "CA", "country": "Canada", "city": null })
    );
    assert!(location(None).is_null(), "127.0.0.1 is nowhere");
}
