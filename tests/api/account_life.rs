//! The account's life after registration: moving to another email address, and staff
//! turning an account off and on again.
use serde_json::{Value, json};

use crate::{
    audit, backend_tests,
    helpers::{
        AUTH_PAYLOAD, Backend, MAIL_WAIT, PASSWORD, TestApp, error_code, spawn_app, spawn_app_with,
        spawn_app_with_mail, within,
    },
    smtp_sink::{ReceivedMail, SmtpSink},
};

backend_tests!(
    an_email_change_moves_the_account_only_when_the_new_address_confirms,
    an_email_change_needs_the_password_and_counts_wrong_ones_toward_the_lockout,
    an_email_change_link_loses_to_an_account_that_took_the_address_meanwhile,
    an_email_change_kills_links_mailed_to_the_old_address,
    a_new_password_or_deactivation_voids_a_pending_email_change,
    an_email_change_refuses_bad_input_without_mailing_anyone,
    deactivation_ends_sessions_at_once_and_refuses_sign_in_until_reactivated,
    deactivation_is_for_staff_and_not_for_oneself,
    email_change_requests_are_counted_per_new_address,
    deleting_an_account_erases_its_data_and_the_trail_still_verifies,
    deleting_an_account_needs_the_password_and_counts_wrong_ones,
);

const REQUEST: &str =
    "mutation($e: String!, $p: String!) { requestEmailChange(newEmail: $e, password: $p) }";
const CONFIRM: &str =
    "mutation($t: String!) { confirmEmailChange(token: $t) { email emailVerified } }";

async fn request_change(app: &TestApp, access: &str, new_email: &str, password: &str) -> Value {
    app.graphql(
        Some(access),
        REQUEST,
        json!({ "e": new_email, "p": password }),
    )
    .await
}

async fn confirm(app: &TestApp, token: &str) -> Value {
    app.graphql(None, CONFIRM, json!({ "t": token })).await
}

/// The first of the `n` messages received so far that went to `to`.
async fn mail_to(sink: &SmtpSink, n: usize, to: &str) -> ReceivedMail {
    sink.wait_for(n, MAIL_WAIT)
        .await
        .into_iter()
        .rev()
        .find(|mail| mail.to() == to)
        .unwrap_or_else(|| panic!("no mail to {to}"))
}

async fn email_of(app: &TestApp, access: &str) -> Value {
    app.graphql(Some(access), "{ me { email emailVerified } }", json!({}))
        .await["data"]["me"]
        .clone()
}

async fn an_email_change_moves_the_account_only_when_the_new_address_confirms(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    let amina = app.register("amina").await;
    sink.wait_for(1, MAIL_WAIT).await; // the verification link
    let body = request_change(&app, &amina.access, "amina@new.dz", PASSWORD).await;
    assert_eq!(body["data"]["requestEmailChange"], true, "{body}");

    let link = mail_to(&sink, 3, "amina@new.dz").await;
    assert_eq!(link.subject(), "Confirmez votre nouvelle adresse e-mail");
    let token = link.token("confirm-email-change");
    let notice = mail_to(&sink, 3, "amina@example.dz").await;
    assert_eq!(notice.subject(), "Changement d'adresse e-mail demandé");
    // The old address learns where the account is going, masked; never the link.
    assert!(notice.text().contains("a***@new.dz"), "{}", notice.text());
    assert!(!notice.text().contains(&token));
    // Nothing moved yet.
    assert_eq!(
        email_of(&app, &amina.access).await["email"],
        "amina@example.dz"
    );

    let body = confirm(&app, &token).await;
    assert_eq!(
        body["data"]["confirmEmailChange"],
        json!({ "email": "amina@new.dz", "emailVerified": true }),
        "{body}"
    );
    assert_eq!(email_of(&app, &amina.access).await["email"], "amina@new.dz");
    assert_eq!(
        error_code(&confirm(&app, &token).await),
        Some("INVALID_TOKEN")
    );
    // The account signs in by its new address, no longer by the old one.
    let by_new = app
        .login_raw(
            json!({ "username": "amina@new.dz", "password": PASSWORD }),
            &[],
        )
        .await;
    assert!(by_new["data"]["login"].is_object(), "{by_new}");
    let by_old = app
        .login_raw(
            json!({ "username": "amina@example.dz", "password": PASSWORD }),
            &[],
        )
        .await;
    assert_eq!(error_code(&by_old), Some("INVALID_CREDENTIALS"));
    let events = staff_events(&app, "EMAIL_CHANGED").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        error_code(&confirm(&app, "forged-token").await),
        Some("INVALID_TOKEN")
    );
}

async fn staff_events(app: &TestApp, kind: &str) -> Vec<Value> {
    app.register("staffer").await;
    app.promote_to_staff("staffer").await;
    let staff = app.login("staffer", None).await;
    let body = app
        .graphql(
            Some(&staff.access),
            "query($k: SecurityEventKind) { authEvents(kind: $k) { edges { node { kind } } } }",
            json!({ "k": kind }),
        )
        .await;
    body["data"]["authEvents"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone()
}

async fn an_email_change_needs_the_password_and_counts_wrong_ones_toward_the_lockout(
    backend: Backend,
) {
    // Guesses go to different addresses from one IP: only the lockout should stop them.
    let app = spawn_app_with(backend, &[("RATE_LIMIT_REQUEST_EMAIL_CHANGE", "off")]).await;
    let amina = app.register("amina").await;
    let body = app
        .graphql(None, REQUEST, json!({ "e": "x@new.dz", "p": PASSWORD }))
        .await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
    // A stolen access token guesses: each guess is a failed sign-in; five lock the
    // account, and then even the right password is refused.
    // Each to another address, so the per-address budget does not stop it first.
    for guess in 0..5 {
        let address = format!("x{guess}@new.dz");
        let body = request_change(&app, &amina.access, &address, "wrong password").await;
        let code = error_code(&body);
        assert!(
            code == Some("INVALID_CREDENTIALS") || (guess == 4 && code == Some("ACCOUNT_LOCKED")),
            "{guess}: {body}"
        );
    }
    let body = request_change(&app, &amina.access, "x@new.dz", PASSWORD).await;
    assert_eq!(
        error_code(&body),
        Some("ACCOUNT_LOCKED"),
        "even the right one, now"
    );
    // Aliases in one document do not multiply the guesses.
    let other = app.register("bilal").await;
    let aliases: String = (0..10)
        .map(|i| {
            format!("a{i}: requestEmailChange(newEmail: \"b{i}@new.dz\", password: \"guess {i}\") ")
        })
        .collect();
    let body = app
        .graphql(
            Some(&other.access),
            &format!("mutation {{ {aliases} }}"),
            json!({}),
        )
        .await;
    let codes: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["extensions"]["code"].as_str())
        .collect();
    assert_eq!(
        codes
            .iter()
            .filter(|c| **c == "INVALID_CREDENTIALS")
            .count(),
        4,
        "{codes:?}"
    );
    assert!(
        codes
            .iter()
            .skip(4)
            .all(|c| *c == "ACCOUNT_LOCKED" || *c == "RATE_LIMITED"),
        "{codes:?}"
    );
}

async fn an_email_change_link_loses_to_an_account_that_took_the_address_meanwhile(
    backend: Backend,
) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    let amina = app.register("amina").await;
    sink.wait_for(1, MAIL_WAIT).await;
    request_change(&app, &amina.access, "shared@example.dz", PASSWORD).await;
    let token = mail_to(&sink, 3, "shared@example.dz")
        .await
        .token("confirm-email-change");
    // Someone registers with the address before the link is followed.
    let body = app
        .graphql(
            None,
            &format!("mutation($i: RegisterInput!) {{ register(input: $i) {{ {AUTH_PAYLOAD} }} }}"),
            json!({ "i": { "username": "sami", "email": "shared@example.dz",
                           "password": PASSWORD, "passwordConfirm": PASSWORD } }),
        )
        .await;
    assert!(body["data"]["register"].is_object(), "{body}");
    let body = confirm(&app, &token).await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(
        email_of(&app, &amina.access).await["email"],
        "amina@example.dz"
    );
    // And asking for a taken address is refused at once.
    let body = request_change(&app, &amina.access, "SHARED@example.dz", PASSWORD).await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "newEmail",
        "{body}"
    );
}

async fn an_email_change_kills_links_mailed_to_the_old_address(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    let amina = app.register("amina").await;
    let verification = sink.wait_for(1, MAIL_WAIT).await[0].token("verify-email");
    app.graphql(
        None,
        "mutation($e: String!) { requestPasswordReset(email: $e) }",
        json!({ "e": "amina@example.dz" }),
    )
    .await;
    let reset = mail_to(&sink, 2, "amina@example.dz")
        .await
        .token("reset-password");
    request_change(&app, &amina.access, "amina@new.dz", PASSWORD).await;
    let token = mail_to(&sink, 4, "amina@new.dz")
        .await
        .token("confirm-email-change");
    assert!(confirm(&app, &token).await["data"]["confirmEmailChange"].is_object());
    // Whoever reads the old mailbox can no longer take the account back.
    let body = app
        .graphql(
            None,
            "mutation($i: ConfirmPasswordResetInput!) { confirmPasswordReset(input: $i) }",
            json!({ "i": { "token": reset, "newPassword": "another long passphrase", "newPasswordConfirm": "another long passphrase" } }),
        )
        .await;
    assert_eq!(error_code(&body), Some("INVALID_TOKEN"), "{body}");
    let body = app
        .graphql(
            None,
            "mutation($t: String!) { verifyEmail(token: $t) { email } }",
            json!({ "t": verification }),
        )
        .await;
    assert_eq!(error_code(&body), Some("INVALID_TOKEN"), "{body}");
}

async fn an_email_change_refuses_bad_input_without_mailing_anyone(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    let amina = app.register("amina").await;
    sink.wait_for(1, MAIL_WAIT).await;
    let huge = format!("{}@example.dz", "a".repeat(1024));
    for bad in [
        "not an address",
        "",
        huge.as_str(),
        "amina@example.dz",
        "AMINA@example.dz",
    ] {
        let body = request_change(&app, &amina.access, bad, PASSWORD).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{bad}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"], "newEmail",
            "{body}"
        );
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.received().len(), 1, "nothing else was sent");
}

async fn deactivation_ends_sessions_at_once_and_refuses_sign_in_until_reactivated(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let amina = app.register("amina").await;
    let laptop = app.login("amina", Some("laptop")).await;
    app.register("staffer").await;
    app.promote_to_staff("staffer").await;
    let staff = app.login("staffer", None).await;
    let replica = app.replica(&[]).await;
    // The replica has seen the token: its session cache holds it.
    assert!(replica.whoami(&amina.access).await.is_ok());

    let body = app
        .graphql(
            Some(&staff.access),
            DEACTIVATE,
            json!({ "id": amina.user_id }),
        )
        .await;
    assert_eq!(body["data"]["deactivateUser"]["isActive"], false, "{body}");
    for tokens in [&amina, &laptop] {
        assert_eq!(
            app.whoami(&tokens.access).await,
            Err("UNAUTHENTICATED".into())
        );
        assert_eq!(
            error_code(&app.refresh_raw(&tokens.refresh).await),
            Some("INVALID_TOKEN")
        );
    }
    // Another replica follows within its session cache's half second.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(
        replica.whoami(&amina.access).await,
        Err("UNAUTHENTICATED".into())
    );
    let login = app
        .login_raw(json!({ "username": "amina", "password": PASSWORD }), &[])
        .await;
    assert_eq!(error_code(&login), Some("ACCOUNT_DISABLED"), "{login}");

    let body = app
        .graphql(
            Some(&staff.access),
            "mutation($id: ID!) { reactivateUser(id: $id) { isActive } }",
            json!({ "id": amina.user_id }),
        )
        .await;
    assert_eq!(body["data"]["reactivateUser"]["isActive"], true, "{body}");
    assert!(app.login("amina", None).await.access.len() > 20);
    // Ended sessions stay ended.
    assert_eq!(
        app.whoami(&laptop.access).await,
        Err("UNAUTHENTICATED".into())
    );
    for kind in ["ACCOUNT_DEACTIVATED", "ACCOUNT_REACTIVATED"] {
        let body = app
            .graphql(
                Some(&staff.access),
                "query($k: SecurityEventKind) { authEvents(kind: $k) { edges { node { kind } } } }",
                json!({ "k": kind }),
            )
            .await;
        assert_eq!(
            body["data"]["authEvents"]["edges"]
                .as_array()
                .unwrap()
                .len(),
            1,
            "{kind}"
        );
    }
}

async fn deactivation_is_for_staff_and_not_for_oneself(backend: Backend) {
    let app = spawn_app(backend).await;
    let amina = app.register("amina").await;
    let bilal = app.register("bilal").await;
    for mutation in ["deactivateUser", "reactivateUser"] {
        let body = app
            .graphql(
                Some(&bilal.access),
                &format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ isActive }} }}"),
                json!({ "id": amina.user_id }),
            )
            .await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{mutation}");
    }
    app.promote_to_staff("bilal").await;
    let staff = app.login("bilal", None).await;
    let body = app
        .graphql(
            Some(&staff.access),
            DEACTIVATE,
            json!({ "id": staff.user_id }),
        )
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    for unknown in ["not-an-id", "0190b7a6-0000-7000-8000-000000000000"] {
        let body = app
            .graphql(Some(&staff.access), DEACTIVATE, json!({ "id": unknown }))
            .await;
        assert_eq!(error_code(&body), Some("NOT_FOUND"), "{unknown}");
    }
    // Nor another staff account: one stolen staff session must not lock out the rest.
    app.promote_to_staff("amina").await;
    let body = app
        .graphql(
            Some(&staff.access),
            DEACTIVATE,
            json!({ "id": amina.user_id }),
        )
        .await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert!(
        app.whoami(&amina.access).await.is_ok(),
        "nothing happened to amina"
    );
}

/// Accounts held by one attacker, each asking from another address, cannot point more
/// mail at one mailbox than its own limit allows.
async fn email_change_requests_are_counted_per_new_address(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(
        backend,
        &[
            ("TRUSTED_PROXIES", "127.0.0.1/32"),
            ("RATE_LIMIT_REQUEST_EMAIL_CHANGE", "2/hour"),
        ],
    )
    .await;
    let amina = app.register("amina").await;
    let bilal = app.register("bilal").await;
    let from = |n: u8| format!("203.0.113.{n}");
    let ask = |access: &str, ip: String, new_email: &'static str| {
        let access = access.to_owned();
        let app = &app;
        async move {
            app.graphql_with(
                Some(&access),
                &[("X-Forwarded-For", ip.as_str())],
                REQUEST,
                json!({ "e": new_email, "p": PASSWORD }),
            )
            .await
        }
    };
    for (n, account) in [&amina, &bilal].into_iter().enumerate() {
        let body = ask(&account.access, from(n as u8 + 1), "victim@example.dz").await;
        assert_eq!(body["data"]["requestEmailChange"], true, "{body}");
    }
    // Both verifications, both links and both notices out, before amina's next request
    // replaces her pending change (a replaced link still unsent would be dropped).
    sink.wait_for(6, MAIL_WAIT).await;
    // Another spelling of the same address, from a fresh IP, is the same address.
    let body = ask(&bilal.access, from(3), "Victim@Example.DZ").await;
    assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
    // Another address is not held back.
    let body = ask(&amina.access, from(4), "amina.new@example.dz").await;
    assert_eq!(body["data"]["requestEmailChange"], true, "{body}");
    // Two links to the victim, one to amina's new address, three notices, and the
    // two verifications.
    let mails = sink.wait_for(8, MAIL_WAIT).await;
    let to_victim = mails
        .iter()
        .filter(|m| m.to() == "victim@example.dz")
        .count();
    assert_eq!(
        to_victim, 2,
        "only the two counted requests mailed the address"
    );
}

const DEACTIVATE: &str = "mutation($id: ID!) { deactivateUser(id: $id) { isActive } }";

const DELETE: &str = "mutation($p: String!) { deleteAccount(password: $p) }";

async fn events_of(app: &TestApp, staff: &str, user_id: &str) -> Vec<Value> {
    let body = app
        .graphql(
            Some(staff),
            "query($u: ID) { authEvents(userId: $u, first: 100) { edges { node { kind ipAddress userAgent } } } }",
            json!({ "u": user_id }),
        )
        .await;
    body["data"]["authEvents"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

async fn deleting_an_account_erases_its_data_and_the_trail_still_verifies(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    let amina = app.register("amina").await;
    let phone = app.login("amina", Some("phone")).await;
    app.register("staffer").await;
    app.promote_to_staff("staffer").await;
    let staff = app.login("staffer", None).await;
    let before = events_of(&app, &staff.access, &amina.user_id).await;
    assert!(
        before.iter().any(|e| e["ipAddress"].is_string()),
        "{before:?}"
    );

    let body = app
        .graphql(Some(&amina.access), DELETE, json!({ "p": PASSWORD }))
        .await;
    assert_eq!(body["data"]["deleteAccount"], true, "{body}");
    for tokens in [&amina, &phone] {
        assert_eq!(
            app.whoami(&tokens.access).await,
            Err("UNAUTHENTICATED".into())
        );
        assert_eq!(
            error_code(&app.refresh_raw(&tokens.refresh).await),
            Some("INVALID_TOKEN")
        );
    }
    let login = app
        .login_raw(json!({ "username": "amina", "password": PASSWORD }), &[])
        .await;
    assert_eq!(error_code(&login), Some("INVALID_CREDENTIALS"), "{login}");

    // The trail keeps what happened, with no trace of where from.
    within(MAIL_WAIT, "ACCOUNT_DELETED recorded", || async {
        events_of(&app, &staff.access, &amina.user_id)
            .await
            .iter()
            .any(|e| e["kind"] == "ACCOUNT_DELETED")
    })
    .await;
    let after = events_of(&app, &staff.access, &amina.user_id).await;
    assert!(after.len() > before.len(), "{after:?}");
    for event in &after {
        assert!(
            event["ipAddress"].is_null() && event["userAgent"].is_null(),
            "{event}"
        );
    }
    let (intact, report) = audit::verify(&app);
    assert!(intact, "{report}");
    // Erased is not unprotected: what is left of an event is still chained.
    let user = app
        .graphql(
            Some(&staff.access),
            "query($id: ID!) { user(id: $id) { username email isActive } }",
            json!({ "id": amina.user_id }),
        )
        .await;
    assert_eq!(user["data"]["user"]["isActive"], false, "{user}");
    assert!(
        !user.to_string().contains("amina"),
        "no name or address is left: {user}"
    );

    // The last notice reaches the old address; the name and address are free again.
    let notice = sink
        .wait_for(2, MAIL_WAIT)
        .await
        .into_iter()
        .find(|m| m.subject() == "Votre compte a été supprimé")
        .expect("the deletion notice");
    assert_eq!(notice.to(), "amina@example.dz");
    assert!(notice.text().contains("amina"));
    let again = app.register("amina").await;
    assert_ne!(again.user_id, amina.user_id);

    app.execute_sql(
        "UPDATE security_events SET detail = '{\"forged\":true}' WHERE kind = 'ACCOUNT_DELETED'",
    )
    .await;
    let (intact, _) = audit::verify(&app);
    assert!(!intact, "an erased event altered is found");
}

async fn deleting_an_account_needs_the_password_and_counts_wrong_ones(backend: Backend) {
    let app = spawn_app(backend).await;
    let amina = app.register("amina").await;
    let body = app.graphql(None, DELETE, json!({ "p": PASSWORD })).await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
    let aliases: String = (0..10)
        .map(|i| format!("a{i}: deleteAccount(password: \"guess {i}\") "))
        .collect();
    let body = app
        .graphql(
            Some(&amina.access),
            &format!("mutation {{ {aliases} }}"),
            json!({}),
        )
        .await;
    let codes: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["extensions"]["code"].as_str())
        .collect();
    assert_eq!(codes.len(), 10, "{body}");
    let checked = codes
        .iter()
        .filter(|c| **c == "INVALID_CREDENTIALS")
        .count();
    assert!((1..=5).contains(&checked), "at most five checks: {codes:?}");
    // Locked (or out of re-checks) now: even the right password deletes nothing.
    let body = app
        .graphql(Some(&amina.access), DELETE, json!({ "p": PASSWORD }))
        .await;
    let code = error_code(&body);
    assert!(
        code == Some("ACCOUNT_LOCKED") || code == Some("RATE_LIMITED"),
        "{body}"
    );
    assert!(app.whoami(&amina.access).await.is_ok());
    let huge = "x".repeat(4096);
    let body = app
        .graphql(Some(&amina.access), DELETE, json!({ "p": huge }))
        .await;
    assert!(error_code(&body).is_some(), "{body}");
    assert!(app.whoami(&amina.access).await.is_ok());
}

/// Whoever asked with a stolen password loses the pending move once the owner does what
/// the notice says: change the password (or reset it), or staff deactivate the account.
async fn a_new_password_or_deactivation_voids_a_pending_email_change(backend: Backend) {
    let (app, sink) = spawn_app_with_mail(backend, &[]).await;
    let amina = app.register("amina").await;
    let mut sent = 1;
    sink.wait_for(sent, MAIL_WAIT).await;
    app.register("staffer").await;
    app.promote_to_staff("staffer").await;
    let staff = app.login("staffer", None).await;
    sent += 1; // staffer's verification link
    for (n, owner_acts) in ["changePassword", "reset", "deactivate"]
        .into_iter()
        .enumerate()
    {
        let access = app.login("amina", None).await.access;
        let target = format!("thief{n}@evil.test");
        request_change(&app, &access, &target, PASSWORD).await;
        sent += 2;
        let token = mail_to(&sink, sent, &target)
            .await
            .token("confirm-email-change");
        match owner_acts {
            "changePassword" => {
                let body = app
                    .graphql(
                        Some(&access),
                        "mutation($i: ChangePasswordInput!) { changePassword(input: $i) { accessToken } }",
                        json!({ "i": { "currentPassword": PASSWORD, "newPassword": "a brand new passphrase",
                                       "newPasswordConfirm": "a brand new passphrase" } }),
                    )
                    .await;
                assert!(body["errors"].is_null(), "{body}");
                sent += 1; // the notice
                // Back to the test password, by reset: it voids nothing new.
                app.graphql(
                    None,
                    "mutation($e: String!) { requestPasswordReset(email: $e) }",
                    json!({ "e": "amina@example.dz" }),
                )
                .await;
                sent += 1;
                let reset = mail_to(&sink, sent, "amina@example.dz")
                    .await
                    .token("reset-password");
                confirm_reset(&app, &reset).await;
                sent += 1;
            }
            "reset" => {
                app.graphql(
                    None,
                    "mutation($e: String!) { requestPasswordReset(email: $e) }",
                    json!({ "e": "amina@example.dz" }),
                )
                .await;
                sent += 1;
                let reset = mail_to(&sink, sent, "amina@example.dz")
                    .await
                    .token("reset-password");
                confirm_reset(&app, &reset).await;
                sent += 1;
            }
            _ => {
                for mutation in ["deactivateUser", "reactivateUser"] {
                    let body = app
                        .graphql(
                            Some(&staff.access),
                            &format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ isActive }} }}"),
                            json!({ "id": amina.user_id }),
                        )
                        .await;
                    assert!(body["errors"].is_null(), "{body}");
                }
            }
        }
        let body = confirm(&app, &token).await;
        assert_eq!(
            error_code(&body),
            Some("INVALID_TOKEN"),
            "{owner_acts}: {body}"
        );
        let me = app.login("amina", None).await.access;
        assert_eq!(
            email_of(&app, &me).await["email"],
            "amina@example.dz",
            "{owner_acts}"
        );
    }
}

async fn confirm_reset(app: &TestApp, token: &str) {
    let body = app
        .graphql(
            None,
            "mutation($i: ConfirmPasswordResetInput!) { confirmPasswordReset(input: $i) }",
            json!({ "i": { "token": token, "newPassword": PASSWORD, "newPasswordConfirm": PASSWORD } }),
        )
        .await;
    assert_eq!(body["data"]["confirmPasswordReset"], true, "{body}");
}
