//! `REFRESH_TOKEN_COOKIE=true`: the refresh token lives in an HttpOnly cookie a page's
//! scripts cannot read; the body says `refreshToken: null`. Each test plays a browser
//! by hand (its cookie, its `Origin`), so every attribute and refusal is seen as sent.
use std::time::Duration;

use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{AUTH_PAYLOAD, Backend, PASSWORD, TestApp, error_code, spawn_app, spawn_app_with},
};

backend_tests!(
    sign_ins_set_an_http_only_cookie_and_the_body_holds_no_refresh_token,
    an_https_deployment_gets_a_host_prefixed_cookie,
    a_foreign_origin_cannot_sign_in_to_plant_a_cookie,
    a_cookie_sent_twice_is_refused_so_a_planted_one_is_never_used,
    other_cookies_with_any_bytes_do_not_hide_the_refresh_cookie,
    a_batch_that_signs_in_and_signs_out_keeps_the_live_session_in_the_cookie,
    refresh_without_an_argument_reads_the_cookie_and_rotates_it,
    a_replayed_cookie_ends_the_session_and_clears_the_cookie,
    logout_logout_all_and_revoking_this_session_clear_the_cookie,
    a_cookie_from_a_foreign_origin_or_none_is_forbidden_before_anything_runs,
    a_listed_cors_origin_may_send_the_cookie_with_credentials,
    without_cookie_mode_a_cookie_is_ignored_and_tokens_stay_in_the_body,
    a_batch_of_refreshes_on_one_cookie_mints_one_successor,
);

const ORIGIN: &str = "http://auth.test";
const COOKIE_MODE: (&str, &str) = ("REFRESH_TOKEN_COOKIE", "true");

/// What one answer did: its status, body and `Set-Cookie` headers.
struct Answer {
    status: u16,
    body: Value,
    set_cookies: Vec<String>,
}

impl Answer {
    /// The refresh-token cookie this answer sets (name=value; attributes), if any.
    fn cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies
            .iter()
            .map(String::as_str)
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    fn cookie_value(&self, name: &str) -> Option<String> {
        let cookie = self.cookie(name)?;
        let pair = cookie.split(';').next()?;
        Some(pair[name.len() + 1..].to_owned())
    }
}

fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// One POST as a browser at `origin` holding `cookie` would send it.
async fn post(
    app: &TestApp,
    origin: Option<&str>,
    cookie: Option<(&str, &str)>,
    bearer: Option<&str>,
    body: Value,
) -> Answer {
    let mut request = app.http.post(app.url("/graphql")).json(&body);
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    if let Some((name, value)) = cookie {
        request = request.header("Cookie", format!("theme=dark; {name}={value}"));
    }
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let set_cookies = set_cookies(response.headers());
    let body = response.json().await.unwrap();
    Answer {
        status,
        body,
        set_cookies,
    }
}

fn register_body(username: &str) -> Value {
    json!({
        "query": format!("mutation($input: RegisterInput!) {{ register(input: $input) {{ {AUTH_PAYLOAD} }} }}"),
        "variables": { "input": {
            "username": username, "email": format!("{username}@example.dz"),
            "password": PASSWORD, "passwordConfirm": PASSWORD,
        }},
    })
}

fn login_body(username: &str, remember_me: bool) -> Value {
    json!({
        "query": format!("mutation($input: LoginInput!) {{ login(input: $input) {{ {AUTH_PAYLOAD} }} }}"),
        "variables": { "input": { "username": username, "password": PASSWORD, "rememberMe": remember_me } },
    })
}

fn refresh_body() -> Value {
    json!({ "query": format!("mutation {{ refresh {{ {AUTH_PAYLOAD} }} }}") })
}

fn access_token(answer: &Answer, field: &str) -> String {
    answer.body["data"][field]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{field} failed: {}", answer.body))
        .to_owned()
}

fn max_age(cookie: &str) -> Option<i64> {
    cookie
        .split(';')
        .map(str::trim)
        .find_map(|attr| attr.strip_prefix("Max-Age="))
        .map(|v| v.parse().unwrap())
}

fn attributes(cookie: &str) -> Vec<String> {
    cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

async fn sign_ins_set_an_http_only_cookie_and_the_body_holds_no_refresh_token(backend: Backend) {
    let app = spawn_app_with(backend, &[COOKIE_MODE]).await;
    let registered = post(&app, Some(ORIGIN), None, None, register_body("amina")).await;
    assert_eq!(
        registered.body["data"]["register"]["refreshToken"],
        Value::Null
    );
    let cookie = registered.cookie("refresh_token").expect("a cookie is set");
    let attributes = attributes(cookie);
    for wanted in ["httponly", "samesite=strict", "path=/graphql"] {
        assert!(attributes.contains(&wanted.to_owned()), "{cookie}");
    }
    // Plain http (development): a Secure cookie would be dropped by the browser.
    assert!(!attributes.contains(&"secure".to_owned()), "{cookie}");
    // Not remembered: the cookie lasts as long as the browser.
    assert_eq!(max_age(cookie), None, "{cookie}");
    assert!(registered.cookie_value("refresh_token").unwrap().len() > 20);

    // Remembered: the cookie lasts as long as the session (7 days).
    let remembered = post(&app, Some(ORIGIN), None, None, login_body("amina", true)).await;
    assert_eq!(
        remembered.body["data"]["login"]["refreshToken"],
        Value::Null
    );
    let age = max_age(remembered.cookie("refresh_token").unwrap()).unwrap();
    assert!((7 * 86_400 - 60..=7 * 86_400).contains(&age), "{age}");
}

async fn an_https_deployment_gets_a_host_prefixed_cookie(backend: Backend) {
    let app = spawn_app_with(backend, &[COOKIE_MODE, ("PUBLIC_URL", "https://auth.test")]).await;
    let answer = post(
        &app,
        Some("https://auth.test"),
        None,
        None,
        register_body("amina"),
    )
    .await;
    let cookie = answer
        .cookie("__Host-refresh_token")
        .unwrap_or_else(|| panic!("{:?}", answer.set_cookies));
    // What the __Host- prefix demands: Secure, Path=/, no Domain (no sibling host can
    // set or overwrite it).
    let attributes = attributes(cookie);
    for wanted in ["secure", "path=/", "httponly", "samesite=strict"] {
        assert!(attributes.contains(&wanted.to_owned()), "{cookie}");
    }
    assert!(
        !attributes.iter().any(|a| a.starts_with("domain")),
        "{cookie}"
    );
    // The origin is compared exactly: the http twin of the site may not use it.
    let value = answer.cookie_value("__Host-refresh_token").unwrap();
    let refused = post(
        &app,
        Some("http://auth.test"),
        Some(("__Host-refresh_token", &value)),
        None,
        refresh_body(),
    )
    .await;
    assert_eq!(refused.status, 403);
}

async fn refresh_without_an_argument_reads_the_cookie_and_rotates_it(backend: Backend) {
    let app = spawn_app_with(backend, &[COOKIE_MODE]).await;
    let registered = post(&app, Some(ORIGIN), None, None, register_body("amina")).await;
    let first = registered.cookie_value("refresh_token").unwrap();
    let refreshed = post(
        &app,
        Some(ORIGIN),
        Some(("refresh_token", &first)),
        None,
        refresh_body(),
    )
    .await;
    assert_eq!(
        refreshed.body["data"]["refresh"]["refreshToken"],
        Value::Null,
        "{}",
        refreshed.body
    );
    let second = refreshed.cookie_value("refresh_token").expect("rotated");
    assert_ne!(second, first);
    let access = access_token(&refreshed, "refresh");
    assert_eq!(app.whoami(&access).await.map(|_| ()), Ok(()));
    // The successor rotates in turn.
    let again = post(
        &app,
        Some(ORIGIN),
        Some(("refresh_token", &second)),
        None,
        refresh_body(),
    )
    .await;
    assert_ne!(again.cookie_value("refresh_token").unwrap(), second);
    // No cookie and no argument: nothing to refresh.
    let nothing = post(&app, Some(ORIGIN), None, None, refresh_body()).await;
    assert_eq!(error_code(&nothing.body), Some("UNAUTHENTICATED"));
    assert!(nothing.set_cookies.is_empty());
}

async fn a_replayed_cookie_ends_the_session_and_clears_the_cookie(backend: Backend) {
    let app = spawn_app_with(backend, &[COOKIE_MODE, ("REFRESH_REUSE_GRACE", "1s")]).await;
    let registered = post(&app, Some(ORIGIN), None, None, register_body("amina")).await;
    let stolen = registered.cookie_value("refresh_token").unwrap();
    let refreshed = post(
        &app,
        Some(ORIGIN),
        Some(("refresh_token", &stolen)),
        None,
        refresh_body(),
    )
    .await;
    let current = refreshed.cookie_value("refresh_token").unwrap();
    tokio::time::sleep(Duration::from_millis(1300)).await;

    let replay = post(
        &app,
        Some(ORIGIN),
        Some(("refresh_token", &stolen)),
        None,
        refresh_body(),
    )
    .await;
    assert_eq!(
        error_code(&replay.body),
        Some("TOKEN_REUSED"),
        "{}",
        replay.body
    );
    let cleared = replay
        .cookie("refresh_token")
        .expect("the dead cookie is cleared");
    assert_eq!(max_age(cleared), Some(0), "{cleared}");
    assert_eq!(replay.cookie_value("refresh_token").unwrap(), "");
    // The owner's current cookie died with the session.
    let owner = post(
        &app,
        Some(ORIGIN),
        Some(("refresh_token", &current)),
        None,
        refresh_body(),
    )
    .await;
    assert_eq!(error_code(&owner.body), Some("INVALID_TOKEN"));
    assert_eq!(max_age(owner.cookie("refresh_token").unwrap()), Some(0));
}

async fn logout_logout_all_and_revoking_this_session_clear_the_cookie(backend: Backend) {
    let app = spawn_app_with(backend, &[COOKIE_MODE]).await;
    post(&app, Some(ORIGIN), None, None, register_body("amina")).await;
    for mutation in ["mutation { logout }", "mutation { logoutAll }", "REVOKE"] {
        let signed_in = post(&app, Some(ORIGIN), None, None, login_body("amina", false)).await;
        let access = access_token(&signed_in, "login");
        let cookie = signed_in.cookie_value("refresh_token").unwrap();
        let query = if mutation == "REVOKE" {
            let session = signed_in.body["data"]["login"]["session"]["id"]
                .as_str()
                .unwrap();
            format!("mutation {{ revokeSession(id: \"{session}\") {{ id }} }}")
        } else {
            mutation.to_owned()
        };
        let out = post(
            &app,
            Some(ORIGIN),
            Some(("refresh_token", &cookie)),
            Some(&access),
            json!({ "query": query }),
        )
        .await;
        assert!(out.body["errors"].is_null(), "{query}: {}", out.body);
        let cleared = out
            .cookie("refresh_token")
            .unwrap_or_else(|| panic!("{query}"));
        assert_eq!(max_age(cleared), Some(0), "{query}: {cleared}");
        let after = post(
            &app,
            Some(ORIGIN),
            Some(("refresh_token", &cookie)),
            None,
            refresh_body(),
        )
        .await;
        assert_eq!(error_code(&after.body), Some("INVALID_TOKEN"), "{query}");
    }
    // Revoking another session leaves this browser's cookie alone.
    let here = post(&app, Some(ORIGIN), None, None, login_body("amina", false)).await;
    let elsewhere = post(&app, Some(ORIGIN), None, None, login_body("amina", false)).await;
    let other = elsewhere.body["data"]["login"]["session"]["id"]
        .as_str()
        .unwrap();
    let out = post(
        &app,
        Some(ORIGIN),
        Some((
            "refresh_token",
            &here.cookie_value("refresh_token").unwrap(),
        )),
        Some(&access_token(&here, "login")),
        json!({ "query": format!("mutation {{ revokeSession(id: \"{other}\") {{ id }} }}") }),
    )
    .await;
    assert!(out.body["errors"].is_null(), "{}", out.body);
    assert!(out.set_cookies.is_empty(), "{:?}", out.set_cookies);
}

async fn a_cookie_from_a_foreign_origin_or_none_is_forbidden_before_anything_runs(
    backend: Backend,
) {
    let app = spawn_app_with(backend, &[COOKIE_MODE]).await;
    let registered = post(&app, Some(ORIGIN), None, None, register_body("amina")).await;
    let cookie = registered.cookie_value("refresh_token").unwrap();
    for origin in [
        Some("https://evil.test"),
        Some("null"),
        Some("http://auth.test.evil.test"),
        None,
    ] {
        // A refresh, and a registration beside it that must not happen either.
        let batch = json!([refresh_body(), register_body("mallory")]);
        let refused = post(&app, origin, Some(("refresh_token", &cookie)), None, batch).await;
        assert_eq!(refused.status, 403, "{origin:?}");
        assert_eq!(error_code(&refused.body), Some("FORBIDDEN"), "{origin:?}");
        assert!(refused.body.get("data").is_none(), "{origin:?}");
        assert!(refused.set_cookies.is_empty());
    }
    let login = app
        .login_raw(json!({ "username": "mallory", "password": PASSWORD }), &[])
        .await;
    assert_eq!(
        error_code(&login),
        Some("INVALID_CREDENTIALS"),
        "nothing ran"
    );
    // The cookie still works from the app's own origin.
    let ok = post(
        &app,
        Some(ORIGIN),
        Some(("refresh_token", &cookie)),
        None,
        refresh_body(),
    )
    .await;
    assert!(ok.body["data"]["refresh"].is_object(), "{}", ok.body);
    // A request without the cookie needs no Origin (servers, mobile apps, curl).
    let server = post(&app, None, None, None, login_body("amina", false)).await;
    assert!(server.body["data"]["login"].is_object());
}

async fn a_listed_cors_origin_may_send_the_cookie_with_credentials(backend: Backend) {
    let app_origin = "https://app.example.dz";
    let app = spawn_app_with(backend, &[COOKIE_MODE, ("CORS_ORIGINS", app_origin)]).await;
    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/graphql"))
        .header("Origin", app_origin)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    let headers = preflight.headers();
    assert_eq!(headers["access-control-allow-origin"], app_origin);
    assert_eq!(headers["access-control-allow-credentials"], "true");

    let registered = post(&app, Some(app_origin), None, None, register_body("amina")).await;
    let cookie = registered.cookie_value("refresh_token").unwrap();
    let refreshed = post(
        &app,
        Some(app_origin),
        Some(("refresh_token", &cookie)),
        None,
        refresh_body(),
    )
    .await;
    assert!(
        refreshed.body["data"]["refresh"].is_object(),
        "{}",
        refreshed.body
    );
}

async fn without_cookie_mode_a_cookie_is_ignored_and_tokens_stay_in_the_body(backend: Backend) {
    let app = spawn_app(backend).await;
    let registered = post(
        &app,
        Some("https://evil.test"),
        None,
        None,
        register_body("amina"),
    )
    .await;
    assert!(registered.set_cookies.is_empty());
    let token = registered.body["data"]["register"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    // A cookie holding a real token is not read, from any origin: no argument, nothing.
    let answer = post(
        &app,
        Some("https://evil.test"),
        Some(("refresh_token", &token)),
        None,
        refresh_body(),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(error_code(&answer.body), Some("UNAUTHENTICATED"));
    assert!(answer.set_cookies.is_empty());
    // The token itself still refreshes by argument.
    assert!(app.refresh_raw(&token).await["data"]["refresh"]["refreshToken"].is_string());
    // Credentials are not offered to other origins either.
    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/graphql"))
        .header("Origin", "https://evil.test")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        preflight
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
}

async fn a_batch_of_refreshes_on_one_cookie_mints_one_successor(backend: Backend) {
    let app = spawn_app_with(backend, &[COOKIE_MODE]).await;
    let registered = post(&app, Some(ORIGIN), None, None, register_body("amina")).await;
    let cookie = registered.cookie_value("refresh_token").unwrap();
    let batch = Value::Array(vec![refresh_body(); 10]);
    let answer = post(
        &app,
        Some(ORIGIN),
        Some(("refresh_token", &cookie)),
        None,
        batch,
    )
    .await;
    let sessions: Vec<&Value> = answer
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|item| &item["data"]["refresh"]["session"]["id"])
        .collect();
    assert!(
        sessions.iter().all(|s| s == &sessions[0] && s.is_string()),
        "{}",
        answer.body
    );
    // One Set-Cookie, holding the one successor: it refreshes, the old one is retired.
    assert_eq!(answer.set_cookies.len(), 1, "{:?}", answer.set_cookies);
    let successor = answer.cookie_value("refresh_token").unwrap();
    assert_ne!(successor, cookie);
    let next = post(
        &app,
        Some(ORIGIN),
        Some(("refresh_token", &successor)),
        None,
        refresh_body(),
    )
    .await;
    assert!(next.body["data"]["refresh"].is_object(), "{}", next.body);
}

async fn a_foreign_origin_cannot_sign_in_to_plant_a_cookie(backend: Backend) {
    let app = spawn_app_with(backend, &[COOKIE_MODE]).await;
    post(&app, Some(ORIGIN), None, None, register_body("amina")).await;
    // Login CSRF: a page elsewhere signs the victim's browser in to its own account.
    let planted = post(
        &app,
        Some("https://evil.test"),
        None,
        None,
        login_body("amina", false),
    )
    .await;
    assert_eq!(planted.status, 403);
    assert_eq!(error_code(&planted.body), Some("FORBIDDEN"));
    assert!(planted.set_cookies.is_empty());
    let mine = post(&app, Some(ORIGIN), None, None, login_body("amina", false)).await;
    let sessions = app.sessions(&access_token(&mine, "login")).await;
    assert_eq!(sessions.len(), 2, "the refused login opened nothing");
}

async fn a_cookie_sent_twice_is_refused_so_a_planted_one_is_never_used(backend: Backend) {
    let app = spawn_app_with(backend, &[COOKIE_MODE]).await;
    let victim = post(&app, Some(ORIGIN), None, None, register_body("amina")).await;
    let mallory = post(&app, Some(ORIGIN), None, None, register_body("mallory")).await;
    let victim_cookie = victim.cookie_value("refresh_token").unwrap();
    let planted = mallory.cookie_value("refresh_token").unwrap();
    let answer = app
        .http
        .post(app.url("/graphql"))
        .header("Origin", ORIGIN)
        .header(
            "Cookie",
            format!("refresh_token={planted}; refresh_token={victim_cookie}"),
        )
        .json(&refresh_body())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    assert!(set_cookies(answer.headers()).is_empty());
    // Neither was rotated: each still refreshes on its own.
    for cookie in [&planted, &victim_cookie] {
        let ok = post(
            &app,
            Some(ORIGIN),
            Some(("refresh_token", cookie)),
            None,
            refresh_body(),
        )
        .await;
        assert!(ok.body["data"]["refresh"].is_object(), "{}", ok.body);
    }
}

async fn other_cookies_with_any_bytes_do_not_hide_the_refresh_cookie(backend: Backend) {
    let app = spawn_app_with(backend, &[COOKIE_MODE]).await;
    let registered = post(&app, Some(ORIGIN), None, None, register_body("amina")).await;
    let cookie = registered.cookie_value("refresh_token").unwrap();
    let mut header = b"x=\xc3\xa9\xff; refresh_token=".to_vec();
    header.extend_from_slice(cookie.as_bytes());
    let answer = app
        .http
        .post(app.url("/graphql"))
        .header("Origin", ORIGIN)
        .header(
            "Cookie",
            reqwest::header::HeaderValue::from_bytes(&header).unwrap(),
        )
        .json(&refresh_body())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    assert!(body["data"]["refresh"].is_object(), "{body}");
}

async fn a_batch_that_signs_in_and_signs_out_keeps_the_live_session_in_the_cookie(
    backend: Backend,
) {
    let app = spawn_app_with(backend, &[COOKIE_MODE]).await;
    let first = post(&app, Some(ORIGIN), None, None, register_body("amina")).await;
    let access = access_token(&first, "register");
    let cookie = first.cookie_value("refresh_token").unwrap();
    // The batch's operations run concurrently: the logout's clear must not erase the
    // new session's token, whichever finishes last.
    let batch = json!([login_body("amina", false), { "query": "mutation { logout }" }]);
    let answer = post(
        &app,
        Some(ORIGIN),
        Some(("refresh_token", &cookie)),
        Some(&access),
        batch,
    )
    .await;
    assert!(
        answer.body[0]["data"]["login"].is_object(),
        "{}",
        answer.body
    );
    assert_eq!(answer.body[1]["data"]["logout"], true, "{}", answer.body);
    let kept = answer
        .cookie_value("refresh_token")
        .expect("the new session's cookie");
    assert_ne!(kept, cookie);
    let refreshed = post(
        &app,
        Some(ORIGIN),
        Some(("refresh_token", &kept)),
        None,
        refresh_body(),
    )
    .await;
    assert!(
        refreshed.body["data"]["refresh"].is_object(),
        "{}",
        refreshed.body
    );
}
