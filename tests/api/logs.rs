//! The log: one JSON object per line with `LOG_FORMAT=json`, one line per request with
//! its id, and never a password, token or secret.
use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use serde_json::{Value, json};

use crate::{
    backend_tests,
    cli::binary,
    helpers::{Backend, TestDatabase},
};

const SECRET: &str = "log-test-secret-0123456789abcdef0123456789";
const PASSWORD: &str = "a very private passphrase";

backend_tests!(introspection_never_logs_a_token_or_its_secret);

/// The binary serving with JSON logs at debug level, and every line it has written.
struct LoggedServer {
    child: Child,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
    addr: String,
    _data_dir: tempfile::TempDir,
}

impl LoggedServer {
    fn start(env: &[(&str, &str)]) -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let mut command = binary();
        command
            .arg("serve")
            .env("LOG_FORMAT", "json")
            .env(
                "RUST_LOG",
                "debug,sqlx=warn,sea_orm=warn,hyper=warn,h2=warn",
            )
            .env("DATA_DIR", data_dir.path())
            .env("BIND_ADDR", "127.0.0.1:0")
            .env("JWT_SECRET", SECRET)
            // A relay that is not there: mail stays queued instead of going to the log,
            // where development mode would print reset links on purpose.
            .env("SMTP_URL", "smtp://127.0.0.1:9")
            .envs(env.iter().copied())
            .stderr(Stdio::piped())
            .stdout(Stdio::null());
        let mut child = command.spawn().unwrap();
        let (lines_tx, lines) = mpsc::channel::<String>();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = lines_tx.send(line);
            }
        });
        let mut log = Vec::new();
        let addr = loop {
            let line = lines
                .recv_timeout(Duration::from_secs(20))
                .expect("the server logs its address");
            log.push(line.clone());
            let entry: Value = serde_json::from_str(&line).unwrap_or_default();
            if entry["message"] == "listening" {
                break entry["addr"].as_str().unwrap().to_owned();
            }
        };
        Self {
            child,
            lines,
            log,
            addr,
            _data_dir: data_dir,
        }
    }

    /// Stops the server and returns the whole log, each line checked to be JSON.
    fn stop(mut self) -> Vec<String> {
        std::thread::sleep(Duration::from_millis(500));
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
            self.log.push(line);
        }
        for line in &self.log {
            assert!(
                serde_json::from_str::<Value>(line).is_ok(),
                "not JSON: {line}"
            );
        }
        self.log
    }
}

#[tokio::test]
async fn json_logs_carry_request_ids_and_never_a_secret() {
    let server = LoggedServer::start(&[]);
    let addr = server.addr.clone();
    let http = reqwest::Client::new();
    let gql = |query: &'static str, variables: Value, token: Option<String>| {
        let http = http.clone();
        let url = format!("http://{addr}/graphql");
        async move {
            let mut request = http
                .post(url)
                .json(&json!({ "query": query, "variables": variables }));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            let id = response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned();
            (id, response.json::<Value>().await.unwrap())
        }
    };
    let (request_id, registered) = gql(
        "mutation($i: RegisterInput!) { register(input: $i) { accessToken refreshToken } }",
        json!({ "i": { "username": "amina", "email": "amina@example.dz", "password": PASSWORD, "passwordConfirm": PASSWORD } }),
        None,
    )
    .await;
    let access = registered["data"]["register"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let refresh = registered["data"]["register"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, refreshed) = gql(
        "mutation($t: String!) { refresh(refreshToken: $t) { accessToken refreshToken } }",
        json!({ "t": refresh }),
        None,
    )
    .await;
    let new_refresh = refreshed["data"]["refresh"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    gql(
        "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
        json!({ "i": { "username": "amina", "password": "wrong but private" } }),
        None,
    )
    .await;
    gql("{ me { id } }", json!({}), Some(access.clone())).await;
    // Two-step sign-in: the secret, the codes and the mfaToken stay out of the log too.
    let (_, started) = gql(
        "mutation { startTotpEnrollment { secret otpauthUri } }",
        json!({}),
        Some(access.clone()),
    )
    .await;
    let totp_secret = started["data"]["startTotpEnrollment"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let authenticator = crate::mfa::Authenticator::from_secret(&totp_secret);
    crate::mfa::steady_clock().await;
    let (_, confirmed) = gql(
        "mutation($c: String!) { confirmTotpEnrollment(code: $c) { codes } }",
        json!({ "c": authenticator.code(0) }),
        Some(access.clone()),
    )
    .await;
    let recovery_code = confirmed["data"]["confirmTotpEnrollment"]["codes"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, asked) = gql(
        "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
        json!({ "i": { "username": "amina", "password": PASSWORD } }),
        None,
    )
    .await;
    let mfa_token = crate::mfa::mfa_token(&asked);
    let (_, completed) = gql(
        "mutation($i: CompleteLoginInput!) { completeLogin(input: $i) { accessToken } }",
        json!({ "i": { "mfaToken": mfa_token, "code": recovery_code } }),
        None,
    )
    .await;
    assert!(
        completed["data"]["completeLogin"]["accessToken"].is_string(),
        "{completed}"
    );
    gql(
        "mutation($e: String!) { requestPasswordReset(email: $e) }",
        json!({ "e": "amina@example.dz" }),
        None,
    )
    .await;
    gql("mutation($t: String!) { confirmPasswordReset(input: { token: $t, newPassword: \"another private one\", newPasswordConfirm: \"another private one\" }) }", json!({ "t": "forged-token-value" }), None).await;

    let log = server.stop();
    let text = log.join("\n");
    let signature = access.rsplit('.').next().unwrap();
    for secret in [
        PASSWORD,
        "wrong but private",
        "another private one",
        SECRET,
        signature,
        &refresh,
        &new_refresh,
        "forged-token-value",
        &totp_secret,
        &recovery_code,
        &recovery_code.replace('-', ""),
        &mfa_token,
    ] {
        assert!(!text.contains(secret), "the log holds {secret:?}");
    }
    assert!(
        log.iter()
            .any(|l| l.contains(&request_id) && l.contains("finished processing request")),
        "no request line with id {request_id}"
    );
    assert!(
        text.contains("security event"),
        "security events are logged"
    );
}

async fn introspection_never_logs_a_token_or_its_secret(backend: Backend) {
    const INTROSPECTION_TOKEN: &str = "introspection-secret-for-logs-0123456789";
    let db = TestDatabase::new(backend).await;
    let server = LoggedServer::start(&[
        ("DATABASE_URL", db.url.as_str()),
        ("INTROSPECTION_TOKEN", INTROSPECTION_TOKEN),
    ]);
    let http = reqwest::Client::new();
    let url = |path: &str| format!("http://{}{path}", server.addr);
    let registered: Value = http
        .post(url("/graphql"))
        .json(&json!({
            "query": "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
            "variables": { "i": { "username": "amina", "email": "amina@example.dz",
                                  "password": PASSWORD, "passwordConfirm": PASSWORD } },
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = registered["data"]["register"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let garbage = "an-introspected-garbage-token-value";
    let introspect = |bearer: &str, form: String| {
        http.post(url("/oauth/introspect"))
            .bearer_auth(bearer)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
    };
    let answers = [
        introspect(INTROSPECTION_TOKEN, format!("token={access}")),
        introspect(INTROSPECTION_TOKEN, format!("token={garbage}")),
        introspect(
            INTROSPECTION_TOKEN,
            format!("token={access}&token={garbage}"),
        ),
        introspect("a-wrong-introspection-secret", format!("token={access}")),
    ];
    let mut statuses = Vec::new();
    for answer in answers {
        statuses.push(answer.await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 400, 401]);

    let log = server.stop();
    let text = log.join("\n");
    let signature = access.rsplit('.').next().unwrap();
    for secret in [
        signature,
        garbage,
        INTROSPECTION_TOKEN,
        "a-wrong-introspection-secret",
    ] {
        assert!(!text.contains(secret), "the log holds {secret:?}");
    }
    let requests = log
        .iter()
        .filter(|l| l.contains("/oauth/introspect") && l.contains("finished processing request"))
        .count();
    assert_eq!(requests, 4, "one line per introspection request");
}
