use std::time::Duration;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::*;
use crate::domain::{AuthMethods, SessionId, TokenPurpose, UserId};

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn tokens() -> AccessTokens {
    AccessTokens::hs256(
        &secret("0123456789abcdef0123456789abcdef"),
        "https://auth.test",
        "graphql-auth",
        Duration::from_secs(3600),
    )
}

#[test]
fn an_access_token_round_trips() {
    let (user, session) = (UserId::new(), SessionId::new());
    let issued = tokens()
        .issue(user, session, 0, AuthMethods::Password, Utc::now())
        .unwrap();
    let verified = tokens().verify(&issued.token).unwrap();
    assert_eq!((verified.user_id, verified.session_id), (user, session));
}

#[test]
fn verified_claims_are_those_the_token_was_issued_with() {
    let (user, session) = (UserId::new(), SessionId::new());
    let now = Utc::now();
    let issued = tokens()
        .issue(user, session, 3, AuthMethods::Password, now)
        .unwrap();
    let claims = tokens().verify_claims(&issued.token).unwrap();
    assert_eq!(claims.access, tokens().verify(&issued.token).unwrap());
    assert_eq!(claims.access.credential_epoch, 3);
    assert_eq!(
        (claims.issuer.as_str(), claims.audience.as_str()),
        ("https://auth.test", "graphql-auth")
    );
    assert_eq!(claims.issued_at, now.timestamp());
    assert_eq!(claims.expires_at, issued.expires_at.timestamp());
    assert!(Uuid::parse_str(&claims.token_id).is_ok());
}

#[test]
fn expired_tokens_fail_past_a_few_seconds_of_leeway() {
    let t = tokens();
    let long_ago = Utc::now() - chrono::Duration::seconds(3600 + 10);
    let issued = t
        .issue(
            UserId::new(),
            SessionId::new(),
            0,
            AuthMethods::Password,
            long_ago,
        )
        .unwrap();
    assert!(t.verify(&issued.token).is_none());
}

#[test]
fn a_token_for_another_audience_or_issuer_fails() {
    let other = AccessTokens::hs256(
        &secret("0123456789abcdef0123456789abcdef"),
        "https://auth.test",
        "someone-else",
        Duration::from_secs(3600),
    );
    let issued = other
        .issue(
            UserId::new(),
            SessionId::new(),
            0,
            AuthMethods::Password,
            Utc::now(),
        )
        .unwrap();
    assert!(tokens().verify(&issued.token).is_none());
}

#[test]
fn refresh_tokens_round_trip_and_reject_any_change() {
    let r = RefreshTokens::new(&secret("server-secret"));
    let sid = SessionId::new();
    let token = r.encode(sid, 7);
    assert_eq!(r.decode(&token), Some((sid, 7)));
    let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
    bytes[20] ^= 1; // another counter, same MAC
    assert_eq!(r.decode(&URL_SAFE_NO_PAD.encode(bytes)), None);
    assert_eq!(RefreshTokens::new(&secret("other")).decode(&token), None);
    assert_eq!(r.decode("not a token"), None);
}

#[test]
fn one_time_tokens_are_bound_to_purpose_row_nonce_and_secret() {
    let tokens = OneTimeTokens::new(&secret("server-secret"));
    let issued = tokens.issue(TokenPurpose::PasswordReset);
    let token = tokens.derive(TokenPurpose::PasswordReset, issued.id, &issued.nonce);
    let token = token.expose_secret();
    assert_eq!(token.len(), 43, "256 bits, base64url without padding");
    assert_eq!(
        OneTimeTokens::hash_presented(token),
        Some(issued.hash.clone())
    );
    let for_verification = tokens.derive(TokenPurpose::EmailVerification, issued.id, &issued.nonce);
    assert_ne!(for_verification.expose_secret(), token);
    let other_secret = OneTimeTokens::new(&secret("other"));
    let elsewhere = other_secret.derive(TokenPurpose::PasswordReset, issued.id, &issued.nonce);
    assert_ne!(elsewhere.expose_secret(), token);
    let again = tokens.issue(TokenPurpose::PasswordReset);
    assert_ne!(again.nonce, issued.nonce);
    assert_eq!(OneTimeTokens::hash_presented("not a token!"), None);
    assert_eq!(OneTimeTokens::hash_presented(&"a".repeat(65)), None);
}
