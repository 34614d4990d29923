//! Attacks on sign-in: brute force in parallel, through aliases, batches and replicas;
//! enumeration; rate-limit evasion; spoofed client IPs; oversized and hostile input.
use std::collections::HashMap;

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{Backend, PASSWORD, TestApp, error_code, redis_url, spawn_app, spawn_app_with},
};

backend_tests!(
    parallel_wrong_passwords_get_at_most_five_checks,
    fifty_aliased_logins_get_at_most_five_checks,
    a_document_over_the_alias_limit_is_refused_before_anything_runs,
    a_batch_of_fifty_logins_gets_at_most_five_checks,
    two_replicas_on_one_database_share_the_lockout,
    unknown_identifiers_get_exactly_the_same_answers,
    a_success_resets_the_count_and_the_lock_expires,
    every_aliased_field_counts_against_the_rate_limit,
    register_and_refresh_have_their_own_limits,
    a_spoofed_forwarded_for_from_an_untrusted_peer_changes_nothing,
    behind_a_trusted_proxy_the_forwarded_client_is_used,
    replicas_share_rate_limits_through_redis,
    query_limits_refuse_expensive_documents_but_not_introspection,
    introspection_can_be_switched_off,
    common_and_personal_passwords_are_refused_with_reasons,
    hostile_input_gets_clean_errors_and_stores_nothing,
);

const NO_LOGIN_LIMIT: (&str, &str) = ("RATE_LIMIT_LOGIN", "off");

/// How many answers carried each error code (`OK` for successes).
fn tally<'a>(errors: impl IntoIterator<Item = &'a Value>) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for error in errors {
        let code = error["extensions"]["code"]
            .as_str()
            .unwrap_or("NO CODE")
            .to_owned();
        *counts.entry(code).or_default() += 1;
    }
    counts
}

fn wrong_login(identifier: &str, i: usize) -> Value {
    json!({ "username": identifier, "password": format!("wrong-password-{i}") })
}

async fn assert_locked_now(app: &TestApp, identifier: &str) {
    let body = app
        .login_raw(json!({ "username": identifier, "password": PASSWORD }), &[])
        .await;
    assert_eq!(error_code(&body), Some("ACCOUNT_LOCKED"), "{body}");
}

async fn parallel_wrong_passwords_get_at_most_five_checks(backend: Backend) {
    let app = spawn_app_with(backend, &[NO_LOGIN_LIMIT]).await;
    app.register("amina").await;
    let answers =
        futures::future::join_all((0..50).map(|i| app.login_raw(wrong_login("amina", i), &[])))
            .await;
    let counts = tally(answers.iter().map(|a| &a["errors"][0]));
    assert_eq!(counts.get("INVALID_CREDENTIALS"), Some(&5), "{counts:?}");
    assert_eq!(counts.get("ACCOUNT_LOCKED"), Some(&45), "{counts:?}");
    assert_locked_now(&app, "amina").await;
}

fn aliased_logins(identifier: &str, n: usize) -> String {
    let fields: String = (0..n)
        .map(|i| {
            format!(
                "a{i}: login(input: {{ username: \"{identifier}\", password: \"wrong-password-{i}\" }}) {{ accessToken }} "
            )
        })
        .collect();
    format!("mutation {{ {fields} }}")
}

const GENEROUS_QUERY_LIMITS: [(&str, &str); 4] = [
    ("GRAPHQL_MAX_ALIASES", "100"),
    ("GRAPHQL_MAX_ROOT_FIELDS", "100"),
    ("GRAPHQL_MAX_COMPLEXITY", "1000"),
    NO_LOGIN_LIMIT,
];

async fn fifty_aliased_logins_get_at_most_five_checks(backend: Backend) {
    let app = spawn_app_with(backend, &GENEROUS_QUERY_LIMITS).await;
    app.register("amina").await;
    let body = app
        .graphql(None, &aliased_logins("amina", 50), json!({}))
        .await;
    let counts = tally(body["errors"].as_array().unwrap());
    assert_eq!(counts.get("INVALID_CREDENTIALS"), Some(&5), "{counts:?}");
    assert_eq!(counts.get("ACCOUNT_LOCKED"), Some(&45), "{counts:?}");
    assert_locked_now(&app, "amina").await;
}

async fn a_document_over_the_alias_limit_is_refused_before_anything_runs(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register("amina").await;
    let body = app
        .graphql(None, &aliased_logins("amina", 11), json!({}))
        .await;
    assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
    assert_eq!(body["errors"].as_array().unwrap().len(), 1);
    // Nothing ran: no attempt was counted, the right password still signs in.
    app.login("amina", None).await;
}

async fn a_batch_of_fifty_logins_gets_at_most_five_checks(backend: Backend) {
    let app = spawn_app_with(backend, &[("GRAPHQL_MAX_BATCH", "100"), NO_LOGIN_LIMIT]).await;
    app.register("amina").await;
    let batch: Vec<Value> = (0..50)
        .map(|i| {
            json!({
                "query": "mutation($input: LoginInput!) { login(input: $input) { accessToken } }",
                "variables": { "input": wrong_login("amina", i) },
            })
        })
        .collect();
    let answers: Vec<Value> = app
        .http
        .post(app.url("/graphql"))
        .json(&batch)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let counts = tally(answers.iter().map(|a| &a["errors"][0]));
    assert_eq!(counts.get("INVALID_CREDENTIALS"), Some(&5), "{counts:?}");
    assert_eq!(counts.get("ACCOUNT_LOCKED"), Some(&45), "{counts:?}");
    // Over the batch limit, nothing runs at all.
    let small = spawn_app_with(backend, &[("GRAPHQL_MAX_BATCH", "10")]).await;
    let response = small
        .http
        .post(small.url("/graphql"))
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"));
}

async fn two_replicas_on_one_database_share_the_lockout(backend: Backend) {
    let first = spawn_app_with(backend, &[NO_LOGIN_LIMIT]).await;
    let second = first.replica(&[NO_LOGIN_LIMIT]).await;
    first.register("amina").await;
    let attempts = (0..50).map(|i| {
        let app = if i % 2 == 0 { &first } else { &second };
        app.login_raw(wrong_login("amina", i), &[])
    });
    let answers = futures::future::join_all(attempts).await;
    let counts = tally(answers.iter().map(|a| &a["errors"][0]));
    assert_eq!(counts.get("INVALID_CREDENTIALS"), Some(&5), "{counts:?}");
    assert_locked_now(&first, "amina").await;
    assert_locked_now(&second, "amina@example.dz").await;
}

async fn unknown_identifiers_get_exactly_the_same_answers(backend: Backend) {
    let app = spawn_app_with(backend, &[NO_LOGIN_LIMIT]).await;
    app.register("amina").await;
    let mut transcripts = Vec::new();
    for identifier in ["amina", "nobody", "ghost@example.dz"] {
        let mut transcript = Vec::new();
        for i in 0..7 {
            let body = app.login_raw(wrong_login(identifier, i), &[]).await;
            let error = &body["errors"][0];
            let retry = error["extensions"]["retryAfterSeconds"].as_u64();
            assert!(retry.is_none_or(|s| (1790..=1800).contains(&s)), "{body}");
            transcript.push((
                error["message"].clone(),
                error["extensions"]["code"].clone(),
                retry.is_some(),
            ));
        }
        transcripts.push(transcript);
    }
    assert_eq!(transcripts[0], transcripts[1]);
    assert_eq!(transcripts[0], transcripts[2]);
    assert_eq!(transcripts[0][4].1, "INVALID_CREDENTIALS");
    assert_eq!(transcripts[0][5].1, "ACCOUNT_LOCKED");
}

async fn a_success_resets_the_count_and_the_lock_expires(backend: Backend) {
    let app = spawn_app_with(backend, &[NO_LOGIN_LIMIT, ("LOCKOUT_DURATION", "1s")]).await;
    app.register("amina").await;
    for round in 0..2 {
        for i in 0..4 {
            let body = app.login_raw(wrong_login("amina", i), &[]).await;
            assert_eq!(
                error_code(&body),
                Some("INVALID_CREDENTIALS"),
                "round {round}"
            );
        }
        app.login("amina", None).await;
    }
    for i in 0..5 {
        app.login_raw(wrong_login("amina", i), &[]).await;
    }
    assert_locked_now(&app, "amina").await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    app.login("amina", None).await;
}

async fn every_aliased_field_counts_against_the_rate_limit(backend: Backend) {
    let app = spawn_app_with(backend, &[("RATE_LIMIT_LOGIN", "3/min")]).await;
    let body = app
        .graphql(None, &aliased_logins("nobody", 4), json!({}))
        .await;
    let errors = body["errors"].as_array().unwrap();
    let counts = tally(errors);
    assert_eq!(counts.get("INVALID_CREDENTIALS"), Some(&3), "{counts:?}");
    assert_eq!(counts.get("RATE_LIMITED"), Some(&1), "{counts:?}");
    let limited = errors
        .iter()
        .find(|e| e["extensions"]["code"] == "RATE_LIMITED")
        .unwrap();
    let retry = limited["extensions"]["retryAfterSeconds"].as_u64().unwrap();
    assert!((1..=20).contains(&retry), "{retry}");
    // The next request, of any shape, is limited too.
    let body = app
        .login_raw(json!({ "username": "x", "password": "y" }), &[])
        .await;
    assert_eq!(error_code(&body), Some("RATE_LIMITED"));
}

async fn register_and_refresh_have_their_own_limits(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("RATE_LIMIT_REGISTER", "2/hour"),
            ("RATE_LIMIT_REFRESH", "2/min"),
        ],
    )
    .await;
    let first = app.register("amina").await;
    app.register("yacine").await;
    let body = app
        .graphql(
            None,
            "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
            json!({ "i": { "username": "third", "email": "third@example.dz", "password": PASSWORD, "passwordConfirm": PASSWORD } }),
        )
        .await;
    assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
    let mut refresh = first.refresh.clone();
    for _ in 0..2 {
        let body = app.refresh_raw(&refresh).await;
        refresh = body["data"]["refresh"]["refreshToken"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    assert_eq!(
        error_code(&app.refresh_raw(&refresh).await),
        Some("RATE_LIMITED")
    );
    // Login is limited separately and still open.
    app.login("amina", None).await;
}

async fn a_spoofed_forwarded_for_from_an_untrusted_peer_changes_nothing(backend: Backend) {
    let app = spawn_app_with(backend, &[("RATE_LIMIT_LOGIN", "2/min")]).await;
    app.register("amina").await;
    let login = |ip: &'static str| {
        let app = &app;
        async move {
            app.login_raw(
                json!({ "username": "amina", "password": PASSWORD }),
                &[("X-Forwarded-For", ip), ("Forwarded", "for=198.51.100.77")],
            )
            .await
        }
    };
    let first = login("203.0.113.1").await;
    let token = first["data"]["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(login("203.0.113.2").await["data"]["login"].is_object());
    assert_eq!(
        error_code(&login("203.0.113.3").await),
        Some("RATE_LIMITED")
    );
    let sessions = app.sessions(&token).await;
    assert!(
        sessions.iter().all(|s| s["ipAddress"] == "127.0.0.1"),
        "{sessions:?}"
    );
}

async fn behind_a_trusted_proxy_the_forwarded_client_is_used(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("RATE_LIMIT_LOGIN", "2/min"),
            ("TRUSTED_PROXIES", "127.0.0.1/32, 10.0.0.0/8"),
        ],
    )
    .await;
    app.register("amina").await;
    let login = |xff: &'static str| {
        let app = &app;
        async move {
            app.login_raw(
                json!({ "username": "amina", "password": PASSWORD }),
                &[("X-Forwarded-For", xff)],
            )
            .await
        }
    };
    let first = login("203.0.113.1").await;
    let token = first["data"]["login"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    login("203.0.113.1").await;
    assert_eq!(
        error_code(&login("203.0.113.1").await),
        Some("RATE_LIMITED")
    );
    // Another client behind the same proxy has its own allowance; a spoofed left-most
    // entry is ignored in favour of the right-most untrusted hop.
    let other = login("6.6.6.6, 203.0.113.9, 10.1.2.3").await;
    assert!(other["data"]["login"].is_object(), "{other}");
    let ips: Vec<Value> = app
        .sessions(&token)
        .await
        .iter()
        .map(|s| s["ipAddress"].clone())
        .collect();
    assert!(
        ips.contains(&json!("203.0.113.1")) && ips.contains(&json!("203.0.113.9")),
        "{ips:?}"
    );
    assert!(!ips.contains(&json!("6.6.6.6")));
}

async fn replicas_share_rate_limits_through_redis(backend: Backend) {
    let Some(redis) = redis_url() else {
        eprintln!("skipped: set TEST_REDIS_URL to test the shared limiter");
        return;
    };
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    let settings = [
        ("REDIS_URL", redis.as_str()),
        ("REDIS_KEY_PREFIX", prefix.as_str()),
        ("RATE_LIMIT_LOGIN", "3/min"),
    ];
    let first = spawn_app_with(backend, &settings).await;
    let second = first.replica(&settings).await;
    async fn attempt(app: &TestApp) -> Value {
        app.login_raw(
            json!({ "username": "nobody", "password": "whatever1" }),
            &[],
        )
        .await
    }
    for app in [&first, &second, &first] {
        assert_eq!(error_code(&attempt(app).await), Some("INVALID_CREDENTIALS"));
    }
    for app in [&second, &first] {
        let body = attempt(app).await;
        assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
        assert!(
            body["errors"][0]["extensions"]["retryAfterSeconds"]
                .as_u64()
                .unwrap()
                <= 60
        );
    }
}

/// GraphiQL's schema query: deep `ofType` chains, well past the depth limit.
const INTROSPECTION: &str = "query IntrospectionQuery { __schema { queryType { name } mutationType { name } \
    types { ...FullType } directives { name locations args { ...InputValue } } } }
    fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name args { ...InputValue }
      type { ...TypeRef } isDeprecated } inputFields { ...InputValue } interfaces { ...TypeRef }
      enumValues(includeDeprecated: true) { name } possibleTypes { ...TypeRef } }
    fragment InputValue on __InputValue { name type { ...TypeRef } defaultValue }
    fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
      ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }";

async fn query_limits_refuse_expensive_documents_but_not_introspection(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    let wide: String = (0..11).map(|i| format!("f{i}: __typename ")).collect();
    let many_roots = "{ me { id } sessions { id } a: me { id } b: me { id } c: me { id } d: me { id } e: me { id } \
                      f: me { id } g: me { id } h: me { id } i: me { id } }";
    let mut heavy = String::from("id username email language timezone isStaff isActive");
    for _ in 0..4 {
        heavy = format!(
            "sessions {{ id userAgent ipAddress createdAt expiresAt user {{ {heavy} }} }} {heavy}"
        );
    }
    let fragment_loop = "query { me { ...A } } fragment A on User { sessions { user { ...A } } }";
    for (what, query) in [
        ("aliases", format!("{{ {wide} }}")),
        ("root fields", many_roots.to_owned()),
        ("complexity", format!("{{ me {{ {heavy} }} }}")),
    ] {
        let body = app.graphql(Some(&me.access), &query, json!({})).await;
        assert_eq!(
            error_code(&body),
            Some("QUERY_TOO_COMPLEX"),
            "{what}: {body}"
        );
        assert!(body["data"].is_null(), "{what}");
    }
    // Revision 2: a fragment cycle breaks the spec's validation rule.
    let body = app
        .graphql(Some(&me.access), fragment_loop, json!({}))
        .await;
    assert_eq!(
        error_code(&body),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{body}"
    );
    assert!(body["data"].is_null());
    let body = app.graphql(None, INTROSPECTION, json!({})).await;
    assert!(body["data"]["__schema"]["types"].is_array(), "{body}");
    assert!(
        app.whoami(&me.access).await.is_ok(),
        "the server keeps serving"
    );
}

async fn introspection_can_be_switched_off(backend: Backend) {
    let app = spawn_app_with(backend, &[("INTROSPECTION", "false")]).await;
    for query in [INTROSPECTION, "{ __type(name: \"User\") { name } }"] {
        let body = app.graphql(None, query, json!({})).await;
        assert!(body["data"].is_null(), "{body}");
        assert_eq!(error_code(&body), Some("GRAPHQL_VALIDATION_FAILED"));
    }
    let body = app.graphql(None, "{ __typename }", json!({})).await;
    assert_eq!(body["data"]["__typename"], "Query");
}

async fn common_and_personal_passwords_are_refused_with_reasons(backend: Backend) {
    let app = spawn_app(backend).await;
    for (password, reason) in [
        ("password123", "TOO_COMMON"),
        ("qwertyuiop", "TOO_COMMON"),
        ("azerty2024", "TOO_COMMON"),
        ("amina.k-secret", "SIMILAR_TO_EMAIL"),
        ("seven", "TOO_SHORT"),
    ] {
        let body = app
            .graphql(
                None,
                "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
                json!({ "i": { "username": "someone", "email": "amina.k@example.dz", "password": password, "passwordConfirm": password } }),
            )
            .await;
        assert_eq!(
            error_code(&body),
            Some("WEAK_PASSWORD"),
            "{password}: {body}"
        );
        let reasons = body["errors"][0]["extensions"]["reasons"]
            .as_array()
            .unwrap();
        assert!(reasons.contains(&json!(reason)), "{password}: {reasons:?}");
    }
}

async fn hostile_input_gets_clean_errors_and_stores_nothing(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            ("MAX_BODY_BYTES", "3000000"),
            NO_LOGIN_LIMIT,
            ("RATE_LIMIT_REGISTER", "off"),
        ],
    )
    .await;
    let me = app.register("amina").await;
    let register = |input: Value| {
        let app = &app;
        async move {
            app.graphql(
                None,
                "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
                json!({ "i": input }),
            )
            .await
        }
    };
    let base = |username: &str, email: &str, password: &str| json!({ "username": username, "email": email, "password": password, "passwordConfirm": password });
    let megabyte = "p".repeat(1 << 20);
    let cases = [
        (
            base("nul\u{0}user", "n@example.dz", PASSWORD),
            "BAD_USER_INPUT",
        ),
        (
            base("nuluser", "n\u{0}@example.dz", PASSWORD),
            "BAD_USER_INPUT",
        ),
        (
            base("robert'); DROP TABLE users;--", "r@example.dz", PASSWORD),
            "BAD_USER_INPUT",
        ),
        (
            base("scripted", "<script>alert(1)</script>@example.dz", PASSWORD),
            "BAD_USER_INPUT",
        ),
        (
            base("lookalike", "аmina@example.dz", PASSWORD),
            "BAD_USER_INPUT",
        ),
        (
            base("casevariant", "AMINA@EXAMPLE.DZ", PASSWORD),
            "BAD_USER_INPUT",
        ),
        (
            base("bigpassword", "big@example.dz", &megabyte),
            "WEAK_PASSWORD",
        ),
        (
            base("ﬃ-ligature", "l@example.dz", PASSWORD),
            "BAD_USER_INPUT",
        ),
    ];
    for (input, code) in cases {
        let body = register(input.clone()).await;
        assert_eq!(
            error_code(&body),
            Some(code),
            "{}: {body}",
            &input.to_string()[..80.min(input.to_string().len())]
        );
    }
    for identifier in [
        "amina\u{0}",
        "' OR '1'='1",
        "\u{202e}anima",
        &"x".repeat(5000),
    ] {
        let body = app.login_raw(json!({ "username": identifier, "password": PASSWORD, "deviceFingerprint": "fp\u{0}\u{7}" }), &[]).await;
        assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
    }
    let body = app
        .login_raw(json!({ "username": "amina", "password": megabyte }), &[])
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"));
    // A null byte in a fingerprint is dropped, not stored or choked on.
    let body = app
        .login_raw(
            json!({ "username": "amina", "password": PASSWORD, "deviceFingerprint": "fp\u{0}x" }),
            &[],
        )
        .await;
    assert!(body["data"]["login"].is_object(), "{body}");
    let body = app
        .graphql(
            Some(&me.access),
            "mutation($i: PreferencesInput!) { updatePreferences(input: $i) { timezone } }",
            json!({ "i": { "timezone": "Africa/Algiers\u{0}" } }),
        )
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"));
    let response = app
        .http
        .post(app.url("/graphql"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(
            json!({ "query": "{ __typename }", "variables": { "x": "y".repeat(4_000_000) } })
                .to_string(),
        )
        .send()
        .await;
    // The server answers 413 as soon as it has the headers and closes the connection;
    // a client still writing the body may then see its write fail instead of the 413.
    match response {
        Ok(response) => assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE),
        Err(err) => {
            let text = format!("{err:?}");
            assert!(
                text.contains("BrokenPipe") || text.contains("ConnectionReset"),
                "{text}"
            );
        }
    }
    // Nothing half-done: the refused names and addresses are all still free.
    let body = register(base("casevariant", "case@example.dz", PASSWORD)).await;
    assert!(body["data"]["register"].is_object(), "{body}");
    assert!(app.whoami(&me.access).await.is_ok());
}

mod recovery_limits {
    use serde_json::json;

    use crate::{
        backend_tests,
        helpers::{Backend, error_code, spawn_app_with},
    };

    backend_tests!(
        recovery_operations_have_their_own_limits,
        reset_requests_are_limited_per_email_across_client_addresses,
    );

    const REQUEST: &str = "mutation($e: String!) { requestPasswordReset(email: $e) }";

    async fn recovery_operations_have_their_own_limits(backend: Backend) {
        let app = spawn_app_with(
            backend,
            &[
                ("RATE_LIMIT_REQUEST_PASSWORD_RESET", "2/hour"),
                ("RATE_LIMIT_CONFIRM_PASSWORD_RESET", "2/hour"),
                ("RATE_LIMIT_VERIFY_EMAIL", "2/hour"),
                ("RATE_LIMIT_RESEND_VERIFICATION_EMAIL", "1/hour"),
            ],
        )
        .await;
        let me = app.register("amina").await;
        let cases = [
            (REQUEST.to_owned(), json!({ "e": "someone@example.dz" }), "requestPasswordReset"),
            (
                "mutation($t: String!) { confirmPasswordReset(input: { token: $t, newPassword: \"x\", newPasswordConfirm: \"x\" }) }".to_owned(),
                json!({ "t": "not-a-token" }),
                "confirmPasswordReset",
            ),
            ("mutation($t: String!) { verifyEmail(token: $t) { id } }".to_owned(), json!({ "t": "nope" }), "verifyEmail"),
        ];
        for (query, variables, field) in cases {
            for _ in 0..2 {
                let body = app.graphql(None, &query, variables.clone()).await;
                assert_ne!(error_code(&body), Some("RATE_LIMITED"), "{field}: {body}");
            }
            let body = app.graphql(None, &query, variables).await;
            assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{field}: {body}");
        }
        let resend = "mutation { resendVerificationEmail }";
        assert_eq!(
            app.graphql(Some(&me.access), resend, json!({})).await["data"]["resendVerificationEmail"],
            true
        );
        let body = app.graphql(Some(&me.access), resend, json!({})).await;
        assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
    }

    async fn reset_requests_are_limited_per_email_across_client_addresses(backend: Backend) {
        let app = spawn_app_with(
            backend,
            &[
                ("RATE_LIMIT_REQUEST_PASSWORD_RESET", "2/hour"),
                ("TRUSTED_PROXIES", "127.0.0.1/32"),
            ],
        )
        .await;
        let ask = |ip: &'static str, email: &'static str| {
            let app = &app;
            async move {
                app.graphql_with(
                    None,
                    &[("X-Forwarded-For", ip)],
                    REQUEST,
                    json!({ "e": email }),
                )
                .await
            }
        };
        assert_eq!(
            ask("203.0.113.1", "victim@example.dz").await["data"]["requestPasswordReset"],
            true
        );
        assert_eq!(
            ask("203.0.113.2", "VICTIM@example.dz").await["data"]["requestPasswordReset"],
            true
        );
        let body = ask("203.0.113.3", "victim@example.dz").await;
        assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
        // Another address from a fresh client is unaffected.
        assert_eq!(
            ask("203.0.113.4", "other@example.dz").await["data"]["requestPasswordReset"],
            true
        );
    }
}
