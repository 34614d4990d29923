//! Passkeys through the API, answered by a software authenticator: registration, sign-in
//! by username and with a discoverable credential, and what must be refused — replayed
//! answers, other origins and relying parties, cloned authenticators, other accounts'
//! challenges, and a stolen session planting a key.
use serde_json::{Value, json};

use super::{
    authenticator::{Bend, SoftAuthenticator},
    claims, enrol, event_details, tally,
};
use crate::{
    backend_tests,
    helpers::{AUTH_PAYLOAD, Backend, PASSWORD, TestApp, error_code, spawn_app, tokens},
};

backend_tests!(
    a_passkey_registers_and_signs_in_by_username_without_the_second_step,
    a_discoverable_passkey_signs_in_without_a_username,
    an_answer_is_accepted_once_on_every_replica,
    answers_for_another_origin_or_relying_party_are_refused,
    a_cloned_authenticator_is_refused_once_its_twin_moved_the_counter,
    unknown_usernames_get_the_same_believable_challenge_as_real_ones,
    an_older_session_confirms_the_password_before_adding_a_second_factor,
    challenges_of_another_account_or_ceremony_are_refused,
    passkeys_are_removed_by_their_owner_only_and_by_staff_resets,
    a_disabled_account_is_refused_and_a_locked_one_is_not,
);

pub const ORIGIN: &str = "http://auth.test";
const CHROME: (&str, &str) = (
    "user-agent",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
);
pub const START_REGISTRATION: &str =
    "mutation($p: String) { startPasskeyRegistration(password: $p) { challengeId options } }";
pub const FINISH_REGISTRATION: &str = "mutation($i: FinishPasskeyInput!) { \
     finishPasskeyRegistration(input: $i) { id name createdAt lastUsedAt } }";
pub const START_LOGIN: &str =
    "mutation($u: String) { startPasskeyLogin(username: $u) { challengeId options } }";

/// `(challengeId, options)` of a started ceremony.
pub fn challenge(body: &Value, field: &str) -> (String, String) {
    let started = &body["data"][field];
    let id = started["challengeId"]
        .as_str()
        .unwrap_or_else(|| panic!("{field} failed: {body}"));
    (
        id.to_owned(),
        started["options"].as_str().unwrap().to_owned(),
    )
}

pub async fn start_registration(app: &TestApp, access: &str) -> (String, String) {
    let body = app
        .graphql(Some(access), START_REGISTRATION, json!({}))
        .await;
    challenge(&body, "startPasskeyRegistration")
}

pub async fn finish_registration(
    app: &TestApp,
    access: &str,
    challenge_id: &str,
    credential: &str,
) -> Value {
    app.graphql_with(
        Some(access),
        &[CHROME],
        FINISH_REGISTRATION,
        json!({ "i": { "challengeId": challenge_id, "credential": credential } }),
    )
    .await
}

/// Registers a new passkey of `authenticator` for the caller; the stored passkey.
pub async fn add_passkey(
    app: &TestApp,
    access: &str,
    authenticator: &mut SoftAuthenticator,
) -> Value {
    let (id, options) = start_registration(app, access).await;
    let body = finish_registration(app, access, &id, &authenticator.create(&options)).await;
    body["data"]["finishPasskeyRegistration"].clone()
}

pub async fn start_login(app: &TestApp, username: Option<&str>) -> (String, String) {
    let body = app
        .graphql(None, START_LOGIN, json!({ "u": username }))
        .await;
    challenge(&body, "startPasskeyLogin")
}

pub async fn finish_login(app: &TestApp, challenge_id: &str, credential: &str) -> Value {
    app.graphql(
        None,
        &format!(
            "mutation($i: FinishPasskeyInput!) {{ finishPasskeyLogin(input: $i) {{ {AUTH_PAYLOAD} }} }}"
        ),
        json!({ "i": { "challengeId": challenge_id, "credential": credential,
            "deviceFingerprint": "yubikey-laptop", "rememberMe": true } }),
    )
    .await
}

/// A whole passkey sign-in; the answer of `finishPasskeyLogin`.
pub async fn passkey_sign_in(
    app: &TestApp,
    authenticator: &mut SoftAuthenticator,
    username: Option<&str>,
) -> Value {
    let (id, options) = start_login(app, username).await;
    finish_login(app, &id, &authenticator.get(&options)).await
}

async fn my_passkeys(app: &TestApp, access: &str) -> Vec<Value> {
    let body = app
        .graphql(
            Some(access),
            "{ me { passkeys { id name createdAt lastUsedAt } } }",
            json!({}),
        )
        .await;
    body["data"]["me"]["passkeys"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone()
}

async fn mails_of_kind(app: &TestApp, kind: &str) -> usize {
    app.query_strings(&format!(
        "SELECT kind FROM mail_outbox WHERE kind = '{kind}'"
    ))
    .await
    .len()
}

async fn a_passkey_registers_and_signs_in_by_username_without_the_second_step(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    enrol(&app, &me.access).await;
    let mut authenticator = SoftAuthenticator::new(ORIGIN);
    let (id, options) = start_registration(&app, &me.access).await;
    let parsed: Value = serde_json::from_str(&options).unwrap();
    assert_eq!(parsed["publicKey"]["rp"]["id"], "auth.test", "{options}");
    assert_eq!(
        parsed["publicKey"]["authenticatorSelection"]["residentKey"],
        "preferred"
    );
    let body = finish_registration(&app, &me.access, &id, &authenticator.create(&options)).await;
    let passkey = &body["data"]["finishPasskeyRegistration"];
    assert_eq!(passkey["name"], "Chrome on Linux", "{body}");
    assert!(passkey["lastUsedAt"].is_null());
    assert_eq!(my_passkeys(&app, &me.access).await, vec![passkey.clone()]);
    assert_eq!(mails_of_kind(&app, "passkey_added").await, 1);
    assert_eq!(event_details(&app, "PASSKEY_ADDED").await.len(), 1);
    // A second registration excludes the first credential.
    let (_, options) = start_registration(&app, &me.access).await;
    let parsed: Value = serde_json::from_str(&options).unwrap();
    let excluded = parsed["publicKey"]["excludeCredentials"]
        .as_array()
        .unwrap();
    assert_eq!(excluded.len(), 1, "{options}");
    // The password login of this account still asks for TOTP, and says a passkey works.
    let body = app
        .login_raw(json!({ "username": "amina", "password": PASSWORD }), &[])
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["methods"],
        json!(["TOTP", "RECOVERY_CODE", "PASSKEY"]),
        "{body}"
    );
    // The passkey signs in by itself: no MFA_REQUIRED.
    let (id, options) = start_login(&app, Some("amina")).await;
    let parsed: Value = serde_json::from_str(&options).unwrap();
    let allowed = parsed["publicKey"]["allowCredentials"].as_array().unwrap();
    assert_eq!(allowed.len(), 1, "{options}");
    assert!(parsed.get("mediation").is_none(), "{options}");
    let body = finish_login(&app, &id, &authenticator.get(&options)).await;
    let signed_in = tokens(&body, "finishPasskeyLogin");
    assert_eq!(signed_in.user_id, me.user_id);
    assert_eq!(claims(&signed_in.access)["amr"], json!(["webauthn"]));
    let refreshed = tokens(&app.refresh_raw(&signed_in.refresh).await, "refresh");
    assert_eq!(claims(&refreshed.access)["amr"], json!(["webauthn"]));
    let sessions = app.sessions(&signed_in.access).await;
    assert_eq!(sessions[0]["deviceFingerprint"], "yubikey-laptop");
    let listed = my_passkeys(&app, &signed_in.access).await;
    assert!(listed[0]["lastUsedAt"].is_string(), "{listed:?}");
    let succeeded = event_details(&app, "LOGIN_SUCCEEDED").await;
    assert!(
        succeeded.last().unwrap().contains("\"method\":\"passkey\""),
        "{succeeded:?}"
    );
}

async fn a_discoverable_passkey_signs_in_without_a_username(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    app.register("yacine").await;
    let mut authenticator = SoftAuthenticator::new(ORIGIN);
    add_passkey(&app, &me.access, &mut authenticator).await;
    let (id, options) = start_login(&app, None).await;
    let parsed: Value = serde_json::from_str(&options).unwrap();
    assert!(
        parsed["publicKey"]["allowCredentials"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "{options}"
    );
    let body = finish_login(&app, &id, &authenticator.get(&options)).await;
    assert_eq!(tokens(&body, "finishPasskeyLogin").user_id, me.user_id);
    // Named for another account, the same passkey is refused.
    let (id, options) = start_login(&app, Some("yacine")).await;
    let answer = authenticator.get(&options.replace("allowCredentials", "ignored"));
    let body = finish_login(&app, &id, &answer).await;
    assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
}

async fn an_answer_is_accepted_once_on_every_replica(backend: Backend) {
    let app = spawn_app(backend).await;
    let replica = app.replica(&[]).await;
    let me = app.register("amina").await;
    let mut authenticator = SoftAuthenticator::new(ORIGIN);
    add_passkey(&app, &me.access, &mut authenticator).await;
    // Started on one replica, finished on the other.
    let (id, options) = start_login(&app, Some("amina")).await;
    let answer = authenticator.get(&options);
    tokens(
        &finish_login(&replica, &id, &answer).await,
        "finishPasskeyLogin",
    );
    // The same answer again, anywhere: the challenge is used up.
    for server in [&app, &replica] {
        let body = finish_login(server, &id, &answer).await;
        assert_eq!(error_code(&body), Some("INVALID_TOKEN"), "{body}");
    }
    // Replayed against a fresh challenge, it signed another one: refused.
    let (fresh, _) = start_login(&app, Some("amina")).await;
    let body = finish_login(&app, &fresh, &answer).await;
    assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
    // And that wrong answer burnt the fresh challenge too.
    let (_, options) = start_login(&app, Some("amina")).await;
    let body = finish_login(&app, &fresh, &authenticator.get(&options)).await;
    assert_eq!(error_code(&body), Some("INVALID_TOKEN"), "{body}");
    // Ten answers to one challenge at once, across replicas: one session.
    let (id, options) = start_login(&app, Some("amina")).await;
    let answer = authenticator.get(&options);
    let finishes = (0..10).map(|i| {
        let server = if i % 2 == 0 { &app } else { &replica };
        finish_login(server, &id, &answer)
    });
    let answers = futures::future::join_all(finishes).await;
    let won = answers
        .iter()
        .filter(|a| a["data"]["finishPasskeyLogin"].is_object())
        .count();
    assert_eq!(won, 1, "{answers:?}");
    assert_eq!(tally(&answers).get("INVALID_TOKEN"), Some(&9));
    // A registration answer is used once too.
    let (id, options) = start_registration(&app, &me.access).await;
    let answer = SoftAuthenticator::new(ORIGIN).create(&options);
    let first = finish_registration(&replica, &me.access, &id, &answer).await;
    assert!(
        first["data"]["finishPasskeyRegistration"].is_object(),
        "{first}"
    );
    let again = finish_registration(&app, &me.access, &id, &answer).await;
    assert_eq!(error_code(&again), Some("INVALID_TOKEN"), "{again}");
}

async fn answers_for_another_origin_or_relying_party_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    // Registration from a phishing page, or for another relying party.
    for bend in [
        Bend {
            origin: Some("http://auth.test.evil.dz"),
            ..Bend::default()
        },
        Bend {
            origin: Some("https://auth.test"),
            ..Bend::default()
        },
        Bend {
            rp_id: Some("evil.dz"),
            ..Bend::default()
        },
        Bend {
            no_user_verification: true,
            ..Bend::default()
        },
    ] {
        let (id, options) = start_registration(&app, &me.access).await;
        let answer = SoftAuthenticator::new(ORIGIN).create_bent(&options, bend);
        let body = finish_registration(&app, &me.access, &id, &answer).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "credential");
    }
    assert!(my_passkeys(&app, &me.access).await.is_empty());
    let mut authenticator = SoftAuthenticator::new(ORIGIN);
    add_passkey(&app, &me.access, &mut authenticator).await;
    for bend in [
        Bend {
            origin: Some("http://evil.dz"),
            ..Bend::default()
        },
        Bend {
            rp_id: Some("evil.dz"),
            ..Bend::default()
        },
        Bend {
            no_user_verification: true,
            ..Bend::default()
        },
        Bend {
            user_handle: Some(vec![7; 16]),
            ..Bend::default()
        },
    ] {
        let (id, options) = start_login(&app, Some("amina")).await;
        let answer = authenticator.get_bent(&options, bend);
        let body = finish_login(&app, &id, &answer).await;
        assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
    }
    let failures = event_details(&app, "LOGIN_FAILED").await;
    assert_eq!(failures.len(), 4, "{failures:?}");
    assert!(
        failures
            .iter()
            .all(|d| d.contains("\"method\":\"passkey\""))
    );
    // The genuine page still signs in.
    tokens(
        &passkey_sign_in(&app, &mut authenticator, Some("amina")).await,
        "finishPasskeyLogin",
    );
}

async fn a_cloned_authenticator_is_refused_once_its_twin_moved_the_counter(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    let mut original = SoftAuthenticator::new(ORIGIN);
    add_passkey(&app, &me.access, &mut original).await;
    tokens(
        &passkey_sign_in(&app, &mut original, Some("amina")).await,
        "finishPasskeyLogin",
    );
    let mut clone = original.clone();
    tokens(
        &passkey_sign_in(&app, &mut original, Some("amina")).await,
        "finishPasskeyLogin",
    );
    // The copy signs with the counter value the original already used.
    let body = passkey_sign_in(&app, &mut clone, Some("amina")).await;
    assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
    let failures = event_details(&app, "LOGIN_FAILED").await;
    assert!(
        failures.last().unwrap().contains("counter_went_back"),
        "{failures:?}"
    );
    // Two answers carrying one counter value, checked at once on two replicas: one wins.
    let replica = app.replica(&[]).await;
    let (first, options_a) = start_login(&app, Some("amina")).await;
    let (second, options_b) = start_login(&app, Some("amina")).await;
    let counter = Some(100);
    let a = original.get_bent(
        &options_a,
        Bend {
            counter,
            ..Bend::default()
        },
    );
    let b = original.get_bent(
        &options_b,
        Bend {
            counter,
            ..Bend::default()
        },
    );
    let (a, b) = tokio::join!(
        finish_login(&app, &first, &a),
        finish_login(&replica, &second, &b)
    );
    let won = [&a, &b]
        .iter()
        .filter(|x| x["data"]["finishPasskeyLogin"].is_object())
        .count();
    assert_eq!(won, 1, "{a} {b}");
}

async fn unknown_usernames_get_the_same_believable_challenge_as_real_ones(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    app.register("yacine").await;
    add_passkey(&app, &me.access, &mut SoftAuthenticator::new(ORIGIN)).await;
    let shape = |options: &str| {
        let parsed: Value = serde_json::from_str(options).unwrap();
        let allowed = parsed["publicKey"]["allowCredentials"]
            .as_array()
            .unwrap()
            .clone();
        let mut keys: Vec<String> = parsed["publicKey"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        keys.sort();
        (keys, allowed)
    };
    let (real_keys, real) = shape(&start_login(&app, Some("amina")).await.1);
    for username in ["nobody", "yacine", "nobody@example.dz"] {
        let (keys, fake) = shape(&start_login(&app, Some(username)).await.1);
        assert_eq!(keys, real_keys, "{username}");
        assert_ne!(fake, real, "{username}");
        // As many made-up ids as real accounts tend to hold (0 to 3), each shaped alike.
        assert!(fake.len() <= 3, "{username}: {fake:?}");
        let entry_keys = |entry: &Value| {
            let mut k: Vec<String> = entry.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        assert!(
            fake.iter().all(|e| entry_keys(e) == entry_keys(&real[0])),
            "{fake:?}"
        );
        // The same made-up credentials at every ask, as a real account's would be.
        let (_, again) = shape(&start_login(&app, Some(username)).await.1);
        assert_eq!(again, fake, "{username}");
    }
}

async fn an_older_session_confirms_the_password_before_adding_a_second_factor(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    let signed_in_at = chrono::Utc::now() - chrono::Duration::minutes(10);
    app.execute_sql(&format!(
        "UPDATE sessions SET created_at = '{}'",
        signed_in_at.format("%Y-%m-%d %H:%M:%S%.6f+00:00")
    ))
    .await;
    let body = app
        .graphql(Some(&me.access), START_REGISTRATION, json!({}))
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "password");
    let body = app
        .graphql(
            Some(&me.access),
            START_REGISTRATION,
            json!({ "p": "not my password" }),
        )
        .await;
    assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
    let body = app
        .graphql(
            Some(&me.access),
            START_REGISTRATION,
            json!({ "p": PASSWORD }),
        )
        .await;
    let (id, options) = challenge(&body, "startPasskeyRegistration");
    let answer = SoftAuthenticator::new(ORIGIN).create(&options);
    let body = finish_registration(&app, &me.access, &id, &answer).await;
    assert!(
        body["data"]["finishPasskeyRegistration"].is_object(),
        "{body}"
    );
    // An authenticator app of the thief's would lock the owner out: the same rule.
    let totp = "mutation($p: String) { startTotpEnrollment(password: $p) { secret } }";
    let body = app.graphql(Some(&me.access), totp, json!({})).await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "password");
    let body = app
        .graphql(Some(&me.access), totp, json!({ "p": PASSWORD }))
        .await;
    assert!(
        body["data"]["startTotpEnrollment"]["secret"].is_string(),
        "{body}"
    );
    // Refreshing does not make a session young again.
    let refreshed = tokens(&app.refresh_raw(&me.refresh).await, "refresh");
    let body = app
        .graphql(Some(&refreshed.access), START_REGISTRATION, json!({}))
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    // Ten aliases guessing the password get no more checks than the reauthentication
    // budget allows (10 an hour).
    let guesses: Vec<String> = (0..10)
        .map(|i| {
            format!(r#"g{i}: startPasskeyRegistration(password: "guess {i}") {{ challengeId }}"#)
        })
        .collect();
    let body = app
        .graphql(
            Some(&me.access),
            &format!("mutation {{ {} }}", guesses.join(" ")),
            json!({}),
        )
        .await;
    let counts = tally(std::slice::from_ref(&body));
    assert!(
        counts.get("RATE_LIMITED").copied().unwrap_or(0) >= 1,
        "{body}"
    );
}

async fn challenges_of_another_account_or_ceremony_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let amina = app.register("amina").await;
    let yacine = app.register("yacine").await;
    let mut authenticator = SoftAuthenticator::new(ORIGIN);
    // Yacine answers Amina's registration challenge: it is not his.
    let (id, options) = start_registration(&app, &amina.access).await;
    let answer = authenticator.create(&options);
    let body = finish_registration(&app, &yacine.access, &id, &answer).await;
    assert_eq!(error_code(&body), Some("INVALID_TOKEN"), "{body}");
    assert!(my_passkeys(&app, &yacine.access).await.is_empty());
    // A sign-in challenge does not finish a registration, nor the other way round.
    let (login_id, _) = start_login(&app, None).await;
    let (id, options) = start_registration(&app, &amina.access).await;
    let answer = authenticator.create(&options);
    let body = finish_registration(&app, &amina.access, &login_id, &answer).await;
    assert_eq!(error_code(&body), Some("INVALID_TOKEN"), "{body}");
    let body = finish_login(&app, &id, &answer).await;
    assert!(
        matches!(error_code(&body), Some("INVALID_TOKEN" | "BAD_USER_INPUT")),
        "{body}"
    );
    for bad in ["", "not-a-uuid", "00000000-0000-0000-0000-000000000000"] {
        let body = finish_login(&app, bad, "{}").await;
        assert!(
            matches!(error_code(&body), Some("INVALID_TOKEN" | "BAD_USER_INPUT")),
            "{body}"
        );
    }
    // One credential registered twice, by the same or another account: refused.
    let mut key = SoftAuthenticator::new(ORIGIN);
    let (id, options) = start_registration(&app, &amina.access).await;
    let created = key.create(&options);
    // (The exclusion list of later registrations asks browsers not to; this one
    // ignores it, as a hostile client would.)
    assert!(finish_registration(&app, &amina.access, &id, &created).await["data"]
        ["finishPasskeyRegistration"]
        .is_object());
    let reuse = Bend {
        reuse: Some(0),
        ..Bend::default()
    };
    for who in [&yacine, &amina] {
        let (id, options) = start_registration(&app, &who.access).await;
        let again = key.create_bent(&options, reuse.clone());
        let body = finish_registration(&app, &who.access, &id, &again).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    }
    assert!(my_passkeys(&app, &yacine.access).await.is_empty());
    assert_eq!(my_passkeys(&app, &amina.access).await.len(), 1);
}

async fn passkeys_are_removed_by_their_owner_only_and_by_staff_resets(backend: Backend) {
    let app = spawn_app(backend).await;
    let amina = app.register("amina").await;
    let yacine = app.register("yacine").await;
    let mut authenticator = SoftAuthenticator::new(ORIGIN);
    let passkey = add_passkey(&app, &amina.access, &mut authenticator).await;
    let remove = "mutation($id: ID!) { removePasskey(id: $id) }";
    for (who, id) in [
        (&yacine.access, passkey["id"].as_str().unwrap()),
        (&amina.access, "not-an-id"),
        (&amina.access, "0190a8a0-0000-7000-8000-000000000000"),
    ] {
        let body = app.graphql(Some(who), remove, json!({ "id": id })).await;
        assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    }
    let body = app
        .graphql(Some(&amina.access), remove, json!({ "id": passkey["id"] }))
        .await;
    assert_eq!(body["data"]["removePasskey"], true, "{body}");
    assert_eq!(mails_of_kind(&app, "passkey_removed").await, 1);
    assert_eq!(event_details(&app, "PASSKEY_REMOVED").await.len(), 1);
    let body = passkey_sign_in(&app, &mut authenticator, None).await;
    assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
    // Staff's resetMfa takes the passkeys with TOTP.
    add_passkey(&app, &amina.access, &mut authenticator).await;
    app.register("staff").await;
    app.promote_to_staff("staff").await;
    let staff = app.login("staff", None).await;
    let body = app
        .graphql(
            Some(&staff.access),
            "mutation($id: ID!) { resetMfa(id: $id) { passkeys { id } } }",
            json!({ "id": amina.user_id }),
        )
        .await;
    assert_eq!(body["data"]["resetMfa"]["passkeys"], json!([]), "{body}");
    let body = passkey_sign_in(&app, &mut authenticator, None).await;
    assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
}

async fn a_disabled_account_is_refused_and_a_locked_one_is_not(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    let mut authenticator = SoftAuthenticator::new(ORIGIN);
    add_passkey(&app, &me.access, &mut authenticator).await;
    // Someone else fails the password until the account locks: the passkey still works.
    for _ in 0..5 {
        app.login_raw(
            json!({ "username": "amina", "password": "wrong guess" }),
            &[],
        )
        .await;
    }
    let body = app
        .login_raw(json!({ "username": "amina", "password": PASSWORD }), &[])
        .await;
    assert_eq!(error_code(&body), Some("ACCOUNT_LOCKED"), "{body}");
    tokens(
        &passkey_sign_in(&app, &mut authenticator, Some("amina")).await,
        "finishPasskeyLogin",
    );
    app.execute_sql("UPDATE users SET is_active = false WHERE username = 'amina'")
        .await;
    let body = passkey_sign_in(&app, &mut authenticator, None).await;
    assert_eq!(error_code(&body), Some("ACCOUNT_DISABLED"), "{body}");
}
