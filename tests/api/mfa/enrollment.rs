//! Turning TOTP on and off, recovery codes, staff's reset, the trail and the mail, and
//! what the database keeps.
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use super::{
    Authenticator, ME, claims, complete, confirm, enrol, event_details, first_step, start,
    steady_clock, strings,
};
use crate::{
    backend_tests,
    helpers::{
        Backend, MAIL_WAIT, PASSWORD, TestApp, error_code, spawn_app, spawn_app_with,
        spawn_app_with_mail, tokens,
    },
};

backend_tests!(
    nothing_is_active_until_a_first_code_confirms_it,
    starting_again_replaces_a_secret_not_yet_confirmed,
    concurrent_confirmations_leave_one_secret_and_one_set_of_codes,
    a_recovery_code_signs_in_once,
    regenerated_codes_replace_the_old_ones,
    wrong_passwords_to_disable_or_regenerate_count_like_failed_logins,
    disabling_totp_ends_pending_sign_ins_and_the_password_alone_signs_in,
    staff_can_reset_a_lost_second_factor,
    each_change_is_in_the_trail_and_mailed_but_failures_are_not,
    secrets_and_codes_are_not_kept_in_clear,
);

const DISABLE: &str =
    "mutation($p: String!) { disableTotp(password: $p) { mfaEnabled recoveryCodesLeft } }";
const REGENERATE: &str =
    "mutation($p: String!) { regenerateRecoveryCodes(password: $p) { codes } }";
const RESET: &str = "mutation($id: ID!) { resetMfa(id: $id) { id mfaEnabled recoveryCodesLeft } }";

async fn me(app: &TestApp, access: &str) -> Value {
    let body = app.graphql(Some(access), ME, json!({})).await;
    body["data"]["me"].clone()
}

fn is_recovery_code(code: &str) -> bool {
    let alphabet = |c: char| c.is_ascii_uppercase() || ('2'..='7').contains(&c);
    code.len() == 11
        && code
            .chars()
            .enumerate()
            .all(|(i, c)| if i == 5 { c == '-' } else { alphabet(c) })
}

async fn nothing_is_active_until_a_first_code_confirms_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.register("amina").await;
    let started = start(&app, &first.access).await;
    let enrollment = &started["data"]["startTotpEnrollment"];
    let secret = enrollment["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32, "160 bits in base32: {secret}");
    let uri = enrollment["otpauthUri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/auth.test:amina?"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")) && uri.contains("issuer=auth.test"));
    assert_eq!(
        me(&app, &first.access).await,
        json!({ "id": first.user_id, "mfaEnabled": false, "recoveryCodesLeft": 0 })
    );
    app.login("amina", None).await;
    let authenticator = Authenticator::from_secret(secret);
    let body = confirm(&app, &first.access, &authenticator.wrong_code()).await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "code");
    app.login("amina", None).await;
    steady_clock().await;
    let body = confirm(&app, &first.access, &authenticator.code(0)).await;
    let codes = strings(&body["data"]["confirmTotpEnrollment"]["codes"]).unwrap();
    assert_eq!(codes.len(), 10);
    assert!(codes.iter().all(|c| is_recovery_code(c)), "{codes:?}");
    let distinct: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(distinct.len(), 10);
    let status = me(&app, &first.access).await;
    assert_eq!(
        (
            status["mfaEnabled"].clone(),
            status["recoveryCodesLeft"].clone()
        ),
        (json!(true), json!(10))
    );
    first_step(&app, "amina").await;
    // While it is on, no new secret replaces it and no second confirmation happens.
    for body in [
        start(&app, &first.access).await,
        confirm(&app, &first.access, &authenticator.code(1)).await,
    ] {
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    }
}

async fn starting_again_replaces_a_secret_not_yet_confirmed(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    let secret = |body: Value| {
        body["data"]["startTotpEnrollment"]["secret"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let first = Authenticator::from_secret(&secret(start(&app, &me.access).await));
    let second = Authenticator::from_secret(&secret(start(&app, &me.access).await));
    steady_clock().await;
    let body = confirm(&app, &me.access, &first.code(0)).await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    let body = confirm(&app, &me.access, &second.code(0)).await;
    assert_eq!(
        strings(&body["data"]["confirmTotpEnrollment"]["codes"]).map(|c| c.len()),
        Some(10),
        "{body}"
    );
}

async fn concurrent_confirmations_leave_one_secret_and_one_set_of_codes(backend: Backend) {
    let app = spawn_app(backend).await;
    for round in 0..3 {
        let me = app.register(&format!("amina{round}")).await;
        let started = start(&app, &me.access).await;
        let secret = started["data"]["startTotpEnrollment"]["secret"]
            .as_str()
            .unwrap();
        let authenticator = Authenticator::from_secret(secret);
        steady_clock().await;
        let (now, next) = (authenticator.code(0), authenticator.code(1));
        let (a, b) = tokio::join!(
            confirm(&app, &me.access, &now),
            confirm(&app, &me.access, &next),
        );
        let won: Vec<&Value> = [&a, &b]
            .into_iter()
            .filter(|body| body["data"].is_object())
            .collect();
        assert_eq!(won.len(), 1, "round {round}: {a} / {b}");
        let lost = if a["data"].is_object() { &b } else { &a };
        assert_eq!(error_code(lost), Some("BAD_USER_INPUT"), "{lost}");
        let rows = app
            .query_strings(&format!(
                "SELECT CAST(COUNT(*) AS TEXT) FROM recovery_codes \
                 WHERE user_id = (SELECT id FROM users WHERE username = 'amina{round}')"
            ))
            .await;
        assert_eq!(rows, ["10"], "round {round}");
        assert_eq!(me_status(&app, &me.access).await, (true, 10));
    }
    assert_eq!(event_details(&app, "MFA_ENABLED").await.len(), 3);
}

async fn me_status(app: &TestApp, access: &str) -> (bool, i64) {
    let status = me(app, access).await;
    (
        status["mfaEnabled"].as_bool().unwrap(),
        status["recoveryCodesLeft"].as_i64().unwrap(),
    )
}

async fn a_recovery_code_signs_in_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    let (_, codes) = enrol(&app, &me.access).await;
    // Typed as people do: lower case, without the hyphen.
    let typed = codes[0].replace('-', " ").to_lowercase();
    let token = first_step(&app, "amina").await;
    let signed_in = tokens(&complete(&app, &token, &typed).await, "completeLogin");
    assert_eq!(claims(&signed_in.access)["amr"], json!(["pwd", "otp"]));
    assert_eq!(me_status(&app, &signed_in.access).await, (true, 9));
    let token = first_step(&app, "amina").await;
    let body = complete(&app, &token, &codes[0]).await;
    assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
    // Two sign-ins racing with one code: one gets in.
    let (first, second) = (
        first_step(&app, "amina").await,
        first_step(&app, "amina").await,
    );
    let (a, b) = tokio::join!(
        complete(&app, &first, &codes[1]),
        complete(&app, &second, &codes[1])
    );
    let signed_in = [&a, &b]
        .iter()
        .filter(|body| body["data"]["completeLogin"].is_object())
        .count();
    assert_eq!(signed_in, 1, "{a} / {b}");
    let used = event_details(&app, "RECOVERY_CODE_USED").await;
    assert_eq!(used.len(), 2, "{used:?}");
    assert!(used[0].contains("\"codesLeft\":9"), "{used:?}");
}

async fn regenerated_codes_replace_the_old_ones(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    let (_, old) = enrol(&app, &me.access).await;
    let body = app
        .graphql(Some(&me.access), REGENERATE, json!({ "p": PASSWORD }))
        .await;
    let new = strings(&body["data"]["regenerateRecoveryCodes"]["codes"]).unwrap();
    assert_eq!(new.len(), 10);
    assert!(new.iter().all(|c| !old.contains(c)));
    let token = first_step(&app, "amina").await;
    let body = complete(&app, &token, &old[0]).await;
    assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
    let signed_in = tokens(&complete(&app, &token, &new[0]).await, "completeLogin");
    assert_eq!(me_status(&app, &signed_in.access).await, (true, 9));
    // Without TOTP there is nothing to regenerate.
    let other = app.register("nadia").await;
    let body = app
        .graphql(Some(&other.access), REGENERATE, json!({ "p": PASSWORD }))
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
}

async fn wrong_passwords_to_disable_or_regenerate_count_like_failed_logins(backend: Backend) {
    let app = spawn_app_with(backend, &[("LOCKOUT_THRESHOLD", "3")]).await;
    let me = app.register("amina").await;
    enrol(&app, &me.access).await;
    for query in [DISABLE, REGENERATE, DISABLE] {
        let body = app
            .graphql(Some(&me.access), query, json!({ "p": "not my password" }))
            .await;
        assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
    }
    let body = app
        .graphql(Some(&me.access), DISABLE, json!({ "p": PASSWORD }))
        .await;
    assert_eq!(error_code(&body), Some("ACCOUNT_LOCKED"), "{body}");
    let body = app
        .login_raw(json!({ "username": "amina", "password": PASSWORD }), &[])
        .await;
    assert_eq!(error_code(&body), Some("ACCOUNT_LOCKED"), "{body}");
    assert_eq!(me_status(&app, &me.access).await, (true, 10));
    let failed = event_details(&app, "LOGIN_FAILED").await;
    assert!(
        failed.iter().any(|d| d.contains("disableTotp")),
        "{failed:?}"
    );
    assert!(
        failed.iter().any(|d| d.contains("regenerateRecoveryCodes")),
        "{failed:?}"
    );
}

async fn disabling_totp_ends_pending_sign_ins_and_the_password_alone_signs_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    let (authenticator, _) = enrol(&app, &me.access).await;
    let pending = first_step(&app, "amina").await;
    let body = app
        .graphql(Some(&me.access), DISABLE, json!({ "p": PASSWORD }))
        .await;
    assert_eq!(
        body["data"]["disableTotp"],
        json!({ "mfaEnabled": false, "recoveryCodesLeft": 0 }),
        "{body}"
    );
    let body = complete(&app, &pending, &authenticator.code(1)).await;
    assert_eq!(error_code(&body), Some("INVALID_TOKEN"), "{body}");
    let signed_in = app.login("amina", None).await;
    assert_eq!(claims(&signed_in.access)["amr"], json!(["pwd"]));
    assert_eq!(event_details(&app, "MFA_DISABLED").await.len(), 1);
    // Turning it off again only checks the password: no second event.
    let body = app
        .graphql(Some(&me.access), DISABLE, json!({ "p": PASSWORD }))
        .await;
    assert_eq!(body["data"]["disableTotp"]["mfaEnabled"], false, "{body}");
    assert_eq!(event_details(&app, "MFA_DISABLED").await.len(), 1);
}

async fn staff_can_reset_a_lost_second_factor(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    let me = app.register("amina").await;
    let admin = app.register("admin").await;
    app.promote_to_staff("admin").await;
    enrol(&app, &me.access).await;
    let body = app
        .graphql(Some(&me.access), RESET, json!({ "id": me.user_id }))
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let body = app
        .graphql(
            Some(&admin.access),
            RESET,
            json!({ "id": uuid::Uuid::new_v4() }),
        )
        .await;
    assert_eq!(error_code(&body), Some("NOT_FOUND"), "{body}");
    let body = app
        .graphql(Some(&admin.access), RESET, json!({ "id": me.user_id }))
        .await;
    assert_eq!(
        body["data"]["resetMfa"],
        json!({ "id": me.user_id, "mfaEnabled": false, "recoveryCodesLeft": 0 }),
        "{body}"
    );
    app.login("amina", None).await;
    let disabled = event_details(&app, "MFA_DISABLED").await;
    assert_eq!(disabled.len(), 1);
    assert!(disabled[0].contains(&admin.user_id), "{disabled:?}");
    // Two verification mails, the enabled notice, then this one, in French.
    let mail = sink.wait_for(4, MAIL_WAIT).await;
    let subjects: Vec<String> = mail.iter().map(|m| m.subject()).collect();
    let notice = mail
        .iter()
        .find(|m| m.subject().contains("désactivée"))
        .unwrap_or_else(|| panic!("no notice in {subjects:?}"));
    assert_eq!(notice.to(), "amina@example.dz");
    assert!(
        notice.text().contains("par notre équipe"),
        "{}",
        notice.text()
    );
}

async fn each_change_is_in_the_trail_and_mailed_but_failures_are_not(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    let me = app.register("amina").await;
    let english = "mutation { updatePreferences(input: { language: \"en\" }) { language } }";
    app.graphql(Some(&me.access), english, json!({})).await;
    sink.wait_for(1, MAIL_WAIT).await;
    let (authenticator, codes) = enrol(&app, &me.access).await;
    let token = first_step(&app, "amina").await;
    complete(&app, &token, &authenticator.wrong_code()).await;
    tokens(&complete(&app, &token, &codes[0]).await, "completeLogin");
    app.graphql(Some(&me.access), DISABLE, json!({ "p": PASSWORD }))
        .await;
    for kind in [
        "MFA_ENABLED",
        "MFA_FAILED",
        "RECOVERY_CODE_USED",
        "MFA_DISABLED",
    ] {
        assert_eq!(event_details(&app, kind).await.len(), 1, "{kind}");
    }
    let mail = sink.wait_for(4, MAIL_WAIT).await;
    let subjects: Vec<String> = mail[1..].iter().map(|m| m.subject()).collect();
    assert_eq!(
        subjects,
        [
            "Two-step sign-in is on",
            "A recovery code was used",
            "Two-step sign-in is off"
        ]
    );
    assert!(
        mail[2].text().contains("You have 9 left"),
        "{}",
        mail[2].text()
    );
    // Nothing more is on its way: a wrong code mails no one.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(sink.received().len(), 4);
}

async fn secrets_and_codes_are_not_kept_in_clear(backend: Backend) {
    let app = spawn_app(backend).await;
    let me = app.register("amina").await;
    let started = start(&app, &me.access).await;
    let secret = started["data"]["startTotpEnrollment"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let authenticator = Authenticator::from_secret(&secret);
    steady_clock().await;
    let body = confirm(&app, &me.access, &authenticator.code(0)).await;
    let codes = strings(&body["data"]["confirmTotpEnrollment"]["codes"]).unwrap();
    let sealed = app
        .query_strings("SELECT sealed_secret FROM totp_factors")
        .await;
    assert_eq!(sealed.len(), 1);
    let raw = totp_rs::Secret::Encoded(secret.clone()).to_bytes().unwrap();
    let opened = URL_SAFE_NO_PAD.decode(&sealed[0]).unwrap();
    assert!(!sealed[0].contains(&secret));
    assert!(
        !opened.windows(raw.len()).any(|w| w == raw.as_slice()),
        "the raw secret is stored"
    );
    let hashes = app
        .query_strings("SELECT code_hash FROM recovery_codes")
        .await;
    assert_eq!(hashes.len(), 10);
    for code in &codes {
        let compact = code.replace('-', "");
        assert!(
            hashes
                .iter()
                .all(|h| !h.contains(&compact) && !h.contains(&compact.to_lowercase()))
        );
    }
    let token = first_step(&app, "amina").await;
    let kept = app
        .query_strings("SELECT token_hash FROM mfa_challenges")
        .await;
    assert_eq!(kept.len(), 1);
    assert!(!kept[0].contains(&token) && kept[0].len() == 64);
}
