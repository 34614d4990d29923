//! Who the client is: behind a trusted proxy, only the header that proxy sets is
//! believed, and IPv6 clients are counted by network, not by address.
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{Backend, PASSWORD, TestApp, error_code, spawn_app_with},
};

backend_tests!(
    behind_a_proxy_that_sets_forwarded_a_spoofed_x_forwarded_for_is_ignored,
    behind_a_proxy_that_sets_x_forwarded_for_a_spoofed_forwarded_is_ignored,
    two_addresses_of_one_ipv6_64_share_a_login_limit_and_another_64_does_not,
);

const BEHIND_THE_PROXY: (&str, &str) = ("TRUSTED_PROXIES", "127.0.0.1/32");

/// The address the service recorded for the session `headers` signed in with.
async fn recorded_ip(app: &TestApp, username: &str, headers: &[(&str, &str)]) -> Value {
    let tokens = app
        .register_with(username, &format!("{username}@example.dz"), headers)
        .await;
    let sessions = app.sessions(&tokens.access).await;
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    sessions[0]["ipAddress"].clone()
}

/// A login with an identifier of its own, so only the per-IP limit can refuse it.
async fn login_from(app: &TestApp, attempt: usize, headers: &[(&str, &str)]) -> Value {
    app.login_raw(
        json!({ "username": format!("nobody-{attempt}"), "password": PASSWORD }),
        headers,
    )
    .await
}

async fn behind_a_proxy_that_sets_forwarded_a_spoofed_x_forwarded_for_is_ignored(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            BEHIND_THE_PROXY,
            ("TRUSTED_PROXY_HEADER", "forwarded"),
            ("RATE_LIMIT_LOGIN", "2/min"),
        ],
    )
    .await;
    // The proxy writes `Forwarded`; `X-Forwarded-For` is whatever the client sent.
    let ip = recorded_ip(
        &app,
        "amina",
        &[
            ("Forwarded", "for=203.0.113.7;proto=https"),
            ("X-Forwarded-For", "6.6.6.6"),
        ],
    )
    .await;
    assert_eq!(ip, "203.0.113.7");

    // A fresh X-Forwarded-For on every attempt buys no fresh allowance.
    let mut codes = Vec::new();
    for attempt in 0..4 {
        let spoofed = format!("198.51.100.{attempt}");
        let headers = [
            ("Forwarded", "for=203.0.113.7"),
            ("X-Forwarded-For", spoofed.as_str()),
        ];
        let body = login_from(&app, attempt, &headers).await;
        codes.push(error_code(&body).map(str::to_owned));
    }
    let limited = codes
        .iter()
        .filter(|c| c.as_deref() == Some("RATE_LIMITED"))
        .count();
    assert_eq!(limited, 2, "{codes:?}");
    // Without the proxy's header, the proxy itself is the client, never the other header.
    let ip = recorded_ip(&app, "yacine", &[("X-Forwarded-For", "6.6.6.6")]).await;
    assert_eq!(ip, "127.0.0.1");
}

async fn behind_a_proxy_that_sets_x_forwarded_for_a_spoofed_forwarded_is_ignored(backend: Backend) {
    // `x-forwarded-for` is the default header.
    let app = spawn_app_with(backend, &[BEHIND_THE_PROXY, ("RATE_LIMIT_LOGIN", "2/min")]).await;
    let ip = recorded_ip(
        &app,
        "amina",
        &[
            ("X-Forwarded-For", "203.0.113.7"),
            ("Forwarded", "for=6.6.6.6"),
        ],
    )
    .await;
    assert_eq!(ip, "203.0.113.7");

    let mut limited = 0;
    for attempt in 0..4 {
        let spoofed = format!("for=198.51.100.{attempt}");
        let headers = [
            ("X-Forwarded-For", "203.0.113.7"),
            ("Forwarded", spoofed.as_str()),
        ];
        let body = login_from(&app, attempt, &headers).await;
        limited += usize::from(error_code(&body) == Some("RATE_LIMITED"));
    }
    assert_eq!(limited, 2);
    let ip = recorded_ip(&app, "yacine", &[("Forwarded", "for=6.6.6.6")]).await;
    assert_eq!(ip, "127.0.0.1");
}

async fn two_addresses_of_one_ipv6_64_share_a_login_limit_and_another_64_does_not(
    backend: Backend,
) {
    let app = spawn_app_with(backend, &[BEHIND_THE_PROXY, ("RATE_LIMIT_LOGIN", "2/min")]).await;
    let from = |ip: &'static str| [("X-Forwarded-For", ip)];
    let first = login_from(&app, 1, &from("2001:db8:aa:1::1")).await;
    let second = login_from(&app, 2, &from("2001:db8:aa:1:ffff:ffff:ffff:fffe")).await;
    for body in [&first, &second] {
        assert_eq!(error_code(body), Some("INVALID_CREDENTIALS"), "{body}");
    }
    // A third address of the same /64 finds the allowance spent…
    let third = login_from(&app, 3, &from("2001:db8:aa:1:1234::9")).await;
    assert_eq!(error_code(&third), Some("RATE_LIMITED"), "{third}");
    // …while the neighbouring /64 has its own.
    let neighbour = login_from(&app, 4, &from("2001:db8:aa:2::1")).await;
    assert_eq!(
        error_code(&neighbour),
        Some("INVALID_CREDENTIALS"),
        "{neighbour}"
    );
}
