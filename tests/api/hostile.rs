//! A catalogue of hostile documents, each a few KB as an attacker's would be, sent over
//! real HTTP and refused with the contract's code before anything runs. That the
//! checks cost time linear in the document is proved by the visit counts in
//! `src/graphql/limits.rs`; here the server must answer, and keep answering.
use std::time::Duration;

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{Backend, TestApp, error_code, spawn_app, spawn_app_with},
};

backend_tests!(
    fragment_fan_out_is_refused_under_every_root_and_nested_field,
    aliases_in_fragments_count_at_every_spread_and_nothing_runs,
    directives_are_limited,
    deep_nesting_of_objects_and_lists_is_refused,
    variables_and_arguments_are_limited,
    fragment_chains_are_refused,
    fragment_cycles_are_validation_errors,
    introspection_bombs_are_refused,
    introspection_bombs_stay_refused_with_introspection_off,
    a_batch_of_hostile_documents_is_refused_item_by_item,
    hostile_documents_through_get_are_refused_too,
    normal_queries_and_graphiqls_introspection_still_work,
    suggestions_follow_the_setting,
    graphiql_does_not_keep_the_authorization_header,
);

/// Only a guard so that a regression fails instead of hanging the suite; the bound
/// itself is proved by counting in the unit tests.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);

/// `query` POSTed as JSON; the body, whatever the status.
async fn post(app: &TestApp, body: Value) -> (StatusCode, Value) {
    let send = app.http.post(app.url("/graphql")).json(&body).send();
    let response = tokio::time::timeout(ANSWER_WITHIN, send)
        .await
        .expect("the server answers")
        .expect("request sent");
    let status = response.status();
    (status, response.json().await.expect("a JSON answer"))
}

/// `query` is refused with `code` and a message containing `words`, and never ran.
async fn assert_refused(app: &TestApp, query: &str, code: &str, words: &str) {
    assert!(
        query.len() <= 10_100,
        "an attacker's few KB: {}",
        query.len()
    );
    let (status, body) = post(app, json!({ "query": query })).await;
    assert!(status.is_client_error() || status.is_success(), "{status}");
    assert_eq!(error_code(&body), Some(code), "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains(words), "{message}");
    assert!(body["data"].is_null(), "{body}");
}

async fn assert_healthy(app: &TestApp) {
    let probe = app.http.get(app.url("/healthz")).send();
    let response = tokio::time::timeout(ANSWER_WITHIN, probe)
        .await
        .expect("/healthz answers")
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// The reproduced attack's operation.
const ROOT: &str = "query { ...F0 }";

/// `operation` (which spreads `...F0`) and fragments on `on` that each spread the
/// next `width` times, down to `leaf`.
fn fan_out(operation: &str, on: &str, levels: usize, width: usize, leaf: &str) -> String {
    let mut query = format!("{operation}\n");
    for level in 0..levels {
        let spreads = format!("...F{} ", level + 1).repeat(width);
        query.push_str(&format!("fragment F{level} on {on} {{ {spreads}}}\n"));
    }
    query.push_str(&format!("fragment F{levels} on {on} {{ {leaf} }}\n"));
    query
}

async fn fragment_fan_out_is_refused_under_every_root_and_nested_field(backend: Backend) {
    let app = spawn_app(backend).await;
    // The reproduced attack, 1.1 KB: 3^25 fields.
    let reproduced = fan_out(ROOT, "Query", 25, 3, "__typename");
    assert!(reproduced.len() < 1200);
    assert_refused(&app, &reproduced, "QUERY_TOO_COMPLEX", "fields").await;
    // 10^30 fields, past what a 64-bit counter holds; and 3^40 over 41 levels.
    let huge = fan_out(ROOT, "Query", 30, 10, "__typename");
    assert_refused(&app, &huge, "QUERY_TOO_COMPLEX", "fields").await;
    let deep = fan_out(ROOT, "Query", 40, 3, "__typename");
    assert_refused(&app, &deep, "QUERY_TOO_COMPLEX", "nested deeper").await;
    for (operation, on, leaf) in [
        ("{ me { ...F0 } }", "User", "id"),
        ("{ sessions { ...F0 } }", "Session", "id"),
        (
            "{ securityEvents { edges { node { ...F0 } } } }",
            "SecurityEvent",
            "id",
        ),
        ("{ users { edges { node { ...F0 } } } }", "User", "id"),
        ("{ user(id: \"x\") { ...F0 } }", "User", "id"),
        (
            "{ authEvents { pageInfo { ...F0 } } }",
            "PageInfo",
            "hasNextPage",
        ),
        (
            "{ me { sessions { user { sessions { ...F0 } } } } }",
            "Session",
            "id",
        ),
        (
            "mutation { login(input: { username: \"amina\", password: \"x\" }) { user { ...F0 } } }",
            "User",
            "id",
        ),
    ] {
        let query = fan_out(operation, on, 25, 3, leaf);
        assert_refused(&app, &query, "QUERY_TOO_COMPLEX", "fields").await;
    }
    assert_healthy(&app).await;
}

async fn aliases_in_fragments_count_at_every_spread_and_nothing_runs(backend: Backend) {
    let app = spawn_app_with(backend, &[("RATE_LIMIT_LOGIN", "off")]).await;
    app.register("amina").await;
    // Two aliased logins, spread six times: twelve password checks in one document.
    let login = |alias: &str| {
        format!(
            "{alias}: login(input: {{ username: \"amina\", password: \"wrong\" }}) {{ accessToken }}"
        )
    };
    let query = format!(
        "mutation {{ ...L ...L ...L ...L ...L ...L }} fragment L on Mutation {{ {} {} }}",
        login("a"),
        login("b")
    );
    assert_refused(&app, &query, "QUERY_TOO_COMPLEX", "").await;
    let query = "{ me { ...A ...A ...A ...A ...A ...A } } fragment A on User { a: id b: id }";
    assert_refused(&app, query, "QUERY_TOO_COMPLEX", "aliases").await;
    // Nothing ran: no failure was counted, so the account is not locked.
    app.login("amina", None).await;
    assert_healthy(&app).await;
}

async fn directives_are_limited(backend: Backend) {
    let app = spawn_app(backend).await;
    let eleven = "@include(if: true) ".repeat(11);
    let query = format!("{{ me {eleven} {{ id }} }}");
    assert_refused(&app, &query, "QUERY_TOO_COMPLEX", "directives").await;
    // A few KB of directives on one field.
    let many = "@skip(if: false) ".repeat(400);
    let query = format!("{{ __typename {many} }}");
    assert_refused(&app, &query, "QUERY_TOO_COMPLEX", "directives").await;
    // Two directives in a fragment spread six times.
    let query = "{ me { ...D ...D ...D ...D ...D ...D } } \
                 fragment D on User { id @include(if: true) @skip(if: false) }";
    assert_refused(&app, query, "QUERY_TOO_COMPLEX", "directives").await;
    // On inline fragments too.
    let inline = "... on User @include(if: true) { id } ".repeat(11);
    let query = format!("{{ me {{ {inline} }} }}");
    assert_refused(&app, &query, "QUERY_TOO_COMPLEX", "directives").await;
    assert_healthy(&app).await;
}

async fn deep_nesting_of_objects_and_lists_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register("amina").await;
    let mut nested = String::from("id");
    for _ in 0..20 {
        nested = format!("sessions {{ user {{ {nested} }} }}");
    }
    let query = format!("{{ me {{ {nested} }} }}");
    let body = app.graphql(Some(&tokens.access), &query, json!({})).await;
    assert_eq!(error_code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
    // Thousands of levels of selections, lists and objects: text the parser recurses
    // into level by level (5,000 levels of a list exhaust a 2 MiB stack: 10 KB that
    // would abort the process).
    for (query, words) in [
        (
            format!(
                "{{ user(id: {}1{}) {{ id }} }}",
                "[".repeat(5000),
                "]".repeat(5000)
            ),
            "brackets",
        ),
        (
            format!("{}{}", "{ a ".repeat(1000), "}".repeat(1000)),
            "brackets",
        ),
        (
            format!(
                "{{ user(id: {}1{}) {{ id }} }}",
                "[".repeat(1000),
                "]".repeat(1000)
            ),
            "brackets",
        ),
        (
            format!(
                "{{ user(id: {}1{}) {{ id }} }}",
                "{a: ".repeat(1000),
                "}".repeat(1000)
            ),
            "brackets",
        ),
        (
            format!("{}{}", "{ ... on Query ".repeat(200), "}".repeat(200)),
            "brackets",
        ),
        // Just past the limits: the levels as people count them.
        (
            format!(
                "{{ {}__typename{} }}",
                "... on Query { ".repeat(40),
                "}".repeat(40)
            ),
            "nested deeper than 32",
        ),
    ] {
        assert_refused(&app, &query, "QUERY_TOO_COMPLEX", words).await;
    }
    // Variables nested deep are refused by the JSON reader, cleanly.
    let mut deep = json!(1);
    for _ in 0..1000 {
        deep = json!([deep]);
    }
    let body =
        json!({ "query": "query($v: ID!) { user(id: $v) { id } }", "variables": { "v": deep } });
    let raw = serde_json::to_string(&body).unwrap();
    let response = app
        .http
        .post(app.url("/graphql"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), Some("GRAPHQL_PARSE_FAILED"), "{body}");
    assert_healthy(&app).await;
}

async fn variables_and_arguments_are_limited(backend: Backend) {
    let app = spawn_app(backend).await;
    let variables: String = (0..200).map(|i| format!("$v{i}: ID ")).collect();
    let query = format!("query({variables}) {{ __typename }}");
    assert_refused(&app, &query, "QUERY_TOO_COMPLEX", "variables").await;
    let arguments: String = (0..300).map(|i| format!("a{i}: 1 ")).collect();
    let query = format!(
        "{{ a: user(id: \"1\", {arguments}) {{ id }} b: user(id: \"1\", {arguments}) {{ id }} }}"
    );
    assert_refused(&app, &query, "QUERY_TOO_COMPLEX", "arguments").await;
    assert_healthy(&app).await;
}

async fn fragment_chains_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    // Each fragment spreads the next once: one field, but a hundred levels.
    let chain = fan_out(ROOT, "Query", 100, 1, "__typename");
    assert_refused(&app, &chain, "QUERY_TOO_COMPLEX", "nested deeper").await;
    // A chain that fans out at its end.
    let mut query = fan_out("{ me { ...F0 } }", "User", 20, 1, "...W");
    let wide: String = (0..250).map(|i| format!("f{i}: id ")).collect();
    query.push_str(&format!("fragment W on User {{ {wide} }}"));
    assert_refused(&app, &query, "QUERY_TOO_COMPLEX", "fields").await;
    assert_healthy(&app).await;
}

async fn fragment_cycles_are_validation_errors(backend: Backend) {
    let app = spawn_app(backend).await;
    let direct = "query { me { ...A } } fragment A on User { sessions { user { ...A } } }";
    assert_refused(
        &app,
        direct,
        "GRAPHQL_VALIDATION_FAILED",
        "Cannot spread fragment \"A\" within itself.",
    )
    .await;
    let indirect = "query { me { ...A } } fragment A on User { sessions { ...B } } \
                    fragment B on Session { user { ...A } }";
    assert_refused(
        &app,
        indirect,
        "GRAPHQL_VALIDATION_FAILED",
        "Cannot spread fragment \"A\" within itself via \"B\".",
    )
    .await;
    // A cycle that fans out at every turn is found as fast.
    let fanning = "query { ...A } fragment A on Query { ...B ...B ...B } \
                   fragment B on Query { ...A ...A ...A }";
    assert_refused(&app, fanning, "GRAPHQL_VALIDATION_FAILED", "within itself").await;
    assert_healthy(&app).await;
}

/// Documents that ask introspection for far more than any client does.
fn introspection_bombs() -> Vec<(String, &'static str)> {
    let copy = "__schema { types { fields { type { ofType { ofType { name } } } } } }";
    let aliased: String = (0..10).map(|i| format!("s{i}: {copy} ")).collect();
    let fanned = fan_out("{ __schema { types { ...F0 } } }", "__Type", 20, 3, "name");
    vec![
        (format!("{{ {aliased} }}"), "`__schema` only once"),
        (
            "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
                .to_owned(),
            "at most 2 deep",
        ),
        (fanned, "introspection query selects"),
        (
            format!(
                "{{ __type(name: \"User\") {{ {}name{} }} }}",
                "ofType { ".repeat(20),
                " }".repeat(20)
            ),
            "introspection query is nested",
        ),
    ]
}

async fn introspection_bombs_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    for (query, words) in introspection_bombs() {
        assert_refused(&app, &query, "QUERY_TOO_COMPLEX", words).await;
    }
    assert_healthy(&app).await;
}

async fn introspection_bombs_stay_refused_with_introspection_off(backend: Backend) {
    let app = spawn_app_with(backend, &[("INTROSPECTION", "false")]).await;
    for (query, _) in introspection_bombs() {
        assert_refused(&app, &query, "GRAPHQL_VALIDATION_FAILED", "disabled").await;
    }
    assert_healthy(&app).await;
}

async fn a_batch_of_hostile_documents_is_refused_item_by_item(backend: Backend) {
    let app = spawn_app(backend).await;
    let fan = |operation: &str, on: &str, leaf: &str| fan_out(operation, on, 25, 3, leaf);
    let documents = [
        (fan(ROOT, "Query", "__typename"), "QUERY_TOO_COMPLEX"),
        (fan("{ me { ...F0 } }", "User", "id"), "QUERY_TOO_COMPLEX"),
        (
            fan("{ sessions { ...F0 } }", "Session", "id"),
            "QUERY_TOO_COMPLEX",
        ),
        (fan(ROOT, "Query", "...F0"), "GRAPHQL_VALIDATION_FAILED"),
        (
            fan("{ __schema { types { ...F0 } } }", "__Type", "name"),
            "QUERY_TOO_COMPLEX",
        ),
        (
            fan_out(ROOT, "Query", 100, 1, "__typename"),
            "QUERY_TOO_COMPLEX",
        ),
        (
            format!("{}{}", "{ a ".repeat(1000), "}".repeat(1000)),
            "QUERY_TOO_COMPLEX",
        ),
        (
            format!("{{ me {} {{ id }} }}", "@include(if: true) ".repeat(50)),
            "QUERY_TOO_COMPLEX",
        ),
        (introspection_bombs().remove(0).0, "QUERY_TOO_COMPLEX"),
        (
            fan("{ me { sessions { user { ...F0 } } } }", "User", "id"),
            "QUERY_TOO_COMPLEX",
        ),
    ];
    let batch: Vec<Value> = documents
        .iter()
        .map(|(query, _)| json!({ "query": query }))
        .collect();
    let (status, body) = post(&app, json!(batch)).await;
    assert_eq!(status, StatusCode::OK);
    let answers = body.as_array().unwrap();
    assert_eq!(answers.len(), documents.len());
    for ((query, code), answer) in documents.iter().zip(answers) {
        assert_eq!(error_code(answer), Some(*code), "{answer} for {query}");
    }
    assert_healthy(&app).await;
}

async fn hostile_documents_through_get_are_refused_too(backend: Backend) {
    let app = spawn_app(backend).await;
    for (query, code) in [
        (
            fan_out(ROOT, "Query", 25, 3, "__typename"),
            "QUERY_TOO_COMPLEX",
        ),
        (
            fan_out(ROOT, "Query", 2, 3, "...F0"),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            format!("{}{}", "{ a ".repeat(1000), "}".repeat(1000)),
            "QUERY_TOO_COMPLEX",
        ),
        (introspection_bombs().remove(1).0, "QUERY_TOO_COMPLEX"),
        // Nested argument lists: the GET path's own mutation check once parsed this
        // recursively and overflowed the stack.
        (
            format!(
                "{{ user(id: {}1{}) {{ id }} }}",
                "[".repeat(5000),
                "]".repeat(5000)
            ),
            "QUERY_TOO_COMPLEX",
        ),
    ] {
        let response = tokio::time::timeout(
            ANSWER_WITHIN,
            app.http
                .get(app.url("/graphql"))
                .query(&[("query", &query)])
                .send(),
        )
        .await
        .expect("the server answers")
        .unwrap();
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), Some(code), "{body}");
    }
    assert_healthy(&app).await;
}

/// GraphiQL 3.8.3's schema query as it sends it: graphql-js 16's
/// `getIntrospectionQuery()` with GraphiQL's options left at their defaults.
const GRAPHIQL_INTROSPECTION: &str = "
    query IntrospectionQuery {
      __schema {
        queryType { name } mutationType { name } subscriptionType { name }
        types { ...FullType }
        directives { name description locations args { ...InputValue } }
      }
    }
    fragment FullType on __Type {
      kind name description
      fields(includeDeprecated: true) {
        name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
      }
      inputFields { ...InputValue }
      interfaces { ...TypeRef }
      enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
      possibleTypes { ...TypeRef }
    }
    fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
    fragment TypeRef on __Type {
      kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
      ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
    }";

async fn normal_queries_and_graphiqls_introspection_still_work(backend: Backend) {
    let app = spawn_app(backend).await;
    let tokens = app.register("amina").await;
    let (_, body) = post(&app, json!({ "query": GRAPHIQL_INTROSPECTION })).await;
    let types = body["data"]["__schema"]["types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["name"] == "User"), "{body}");
    // With GraphiQL's two options on (`inputValueDeprecation`, `schemaDescription`).
    let with_options = GRAPHIQL_INTROSPECTION
        .replace("__schema {", "__schema { description")
        .replace("args {", "args(includeDeprecated: true) {")
        .replace("inputFields {", "inputFields(includeDeprecated: true) {")
        .replace(
            "defaultValue }",
            "defaultValue isDeprecated deprecationReason }",
        );
    let (_, body) = post(&app, json!({ "query": with_options })).await;
    assert!(body["data"]["__schema"]["types"].is_array(), "{body}");
    // An ordinary query with fragments, an alias and a directive.
    let query = "query($full: Boolean!) { me { ...Who sessions @include(if: $full) { ...Device } } \
                 again: me { id } } \
                 fragment Who on User { id username } fragment Device on Session { id current }";
    let body = app
        .graphql(Some(&tokens.access), query, json!({ "full": true }))
        .await;
    assert_eq!(body["data"]["me"]["username"], "amina", "{body}");
    assert_eq!(body["data"]["me"]["sessions"][0]["current"], true, "{body}");
    assert_eq!(body["data"]["again"]["id"], body["data"]["me"]["id"]);
    assert_healthy(&app).await;
}

async fn suggestions_follow_the_setting(backend: Backend) {
    let typo = "{ sesions { id } }";
    let app = spawn_app(backend).await;
    let body = app.graphql(None, typo, json!({})).await;
    assert_eq!(error_code(&body), Some("GRAPHQL_VALIDATION_FAILED"));
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("Did you mean \"sessions\""), "{message}");

    let quiet = spawn_app_with(backend, &[("GRAPHQL_SUGGESTIONS", "false")]).await;
    let body = quiet.graphql(None, typo, json!({})).await;
    assert_eq!(error_code(&body), Some("GRAPHQL_VALIDATION_FAILED"));
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");
    assert!(message.contains("sesions"), "{message}");
}

async fn graphiql_does_not_keep_the_authorization_header(backend: Backend) {
    let app = spawn_app(backend).await;
    let script = app
        .http
        .get(app.url("/graphql/assets/graphiql-init.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // GraphiQL 3.8.3 writes the headers editor to localStorage only when this is on.
    assert!(script.contains("shouldPersistHeaders: false"), "{script}");
    assert!(!script.contains("shouldPersistHeaders: true"), "{script}");
    // The page runs only that script and GraphiQL's own bundle.
    let page = app
        .http
        .get(app.url("/graphql"))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("/graphql/assets/graphiql-init.js"));
}
