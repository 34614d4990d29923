//! Access tokens (JWT, verified with the algorithm pinned), opaque refresh tokens, and
//! the one-time tokens of password-reset and verification links.
use std::{collections::HashMap, sync::Arc, time::Duration};

use anyhow::Context as _;
use arc_swap::ArcSwap;
use tokio::sync::Notify;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::signing::{RingKey, SigningKey};
use crate::{
    domain::{AuthMethods, SessionId, TokenId, UserId},
    store::one_time_tokens::TokenPurpose,
};

/// At most this much clock skew is forgiven on `exp` (jsonwebtoken's default is 60 s).
pub const CLOCK_LEEWAY: Duration = Duration::from_secs(5);
const ACCESS: &str = "access";

#[derive(Debug, Serialize, Deserialize)]
struct AccessClaims {
    iss: String,
    aud: String,
    sub: String,
    user_id: String,
    sid: String,
    jti: String,
    iat: i64,
    exp: i64,
    token_type: String,
    /// The account's credential epoch at issue; tokens from before the last password
    /// change carry an older one. Absent in tokens of earlier versions: epoch 0.
    #[serde(default)]
    credential_epoch: i32,
    /// How the session was signed in (RFC 8176): `["pwd"]` or `["pwd", "otp"]`.
    /// Absent in tokens of earlier versions.
    #[serde(default)]
    amr: Vec<String>,
}

/// What a verified access token says. Whether its session is still alive is the
/// caller's next question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedAccess {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub credential_epoch: i32,
}

/// Everything a verified access token claims, for introspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedClaims {
    pub access: VerifiedAccess,
    pub issuer: String,
    pub audience: String,
    pub token_id: String,
    /// `iat` and `exp`, in seconds since the epoch.
    pub issued_at: i64,
    pub expires_at: i64,
}

/// The JSON Web Key Set as served: its bytes and an entity tag naming them, so
/// verifiers that cache it can ask whether it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedKeys {
    pub body: String,
    /// A strong validator: `"` + the first 16 bytes of the body's SHA-256, in hex + `"`.
    pub etag: String,
}

impl PublishedKeys {
    pub fn of(jwks: &Value) -> Self {
        let body = jwks.to_string();
        let digest = Sha256::digest(body.as_bytes());
        let etag = format!("\"{}\"", crate::domain::hex(&digest[..16]));
        Self { body, etag }
    }
}

/// A freshly signed access token.
#[derive(Clone)]
pub struct IssuedAccess {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// The expiry only: a token in a log line is a session handed to whoever reads it.
impl std::fmt::Debug for IssuedAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedAccess")
            .field("token", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

struct VerificationKey {
    key: DecodingKey,
    validation: Validation,
}

/// One state of the key ring, swapped whole when the ring changes.
struct KeySet {
    /// Keys that may sign, newest `signs_from` first.
    signers: Vec<Signer>,
    verifying: HashMap<String, VerificationKey>,
    published: Arc<PublishedKeys>,
}

struct Signer {
    kid: String,
    algorithm: Algorithm,
    encoding: EncodingKey,
    signs_from: DateTime<Utc>,
}

/// Signs with the ring's current key; verifies with whichever key the token's `kid`
/// names. The ring can be replaced while tokens are issued and verified.
pub struct AccessTokens {
    keys: ArcSwap<KeySet>,
    /// Woken by a token whose `kid` is unknown: the ring may have rotated elsewhere.
    unknown_key: Notify,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl AccessTokens {
    pub fn hs256(secret: &SecretString, issuer: &str, audience: &str, ttl: Duration) -> Self {
        Self::new(
            vec![RingKey::signing(SigningKey::hs256(secret))],
            issuer,
            audience,
            ttl,
        )
    }

    pub fn new(keys: Vec<RingKey>, issuer: &str, audience: &str, ttl: Duration) -> Self {
        let tokens = Self {
            keys: ArcSwap::from_pointee(KeySet {
                signers: Vec::new(),
                verifying: HashMap::new(),
                published: Arc::new(PublishedKeys::of(&json!({ "keys": [] }))),
            }),
            unknown_key: Notify::new(),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl,
        };
        tokens.replace_keys(keys);
        tokens
    }

    /// Takes a new state of the ring: every key verifies the tokens that name it, with
    /// the algorithm it was made for. A ring without a key that may sign is refused
    /// (the one in use stays).
    pub fn replace_keys(&self, keys: Vec<RingKey>) {
        if keys.iter().all(|k| k.signs_from.is_none()) {
            tracing::error!("a key ring without a signing key was ignored");
            return;
        }
        let jwks =
            json!({ "keys": keys.iter().filter_map(|k| k.key.jwk.clone()).collect::<Vec<_>>() });
        let published = PublishedKeys::of(&jwks);
        let mut signers = Vec::new();
        let mut verifying = HashMap::new();
        for RingKey { key, signs_from } in keys {
            verifying.insert(
                key.kid.clone(),
                VerificationKey {
                    key: key.decoding,
                    validation: self.validation(key.algorithm),
                },
            );
            if let Some(signs_from) = signs_from {
                signers.push(Signer {
                    kid: key.kid,
                    algorithm: key.algorithm,
                    encoding: key.encoding,
                    signs_from,
                });
            }
        }
        signers.sort_by_key(|s| std::cmp::Reverse(s.signs_from));
        self.keys.store(Arc::new(KeySet {
            signers,
            verifying,
            published: Arc::new(published),
        }));
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        validation.leeway = CLOCK_LEEWAY.as_secs();
        validation.validate_exp = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        validation
    }

    /// The JSON Web Key Set of the asymmetric keys (empty for HS256), as served.
    pub fn published_keys(&self) -> Arc<PublishedKeys> {
        self.keys.load().published.clone()
    }

    /// Completes when a token named a key this instance does not know.
    pub async fn unknown_key_seen(&self) {
        self.unknown_key.notified().await;
    }

    pub fn issue(
        &self,
        user_id: UserId,
        session_id: SessionId,
        credential_epoch: i32,
        amr: AuthMethods,
        now: DateTime<Utc>,
    ) -> anyhow::Result<IssuedAccess> {
        let expires_at = now + self.ttl;
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id.to_string(),
            user_id: user_id.to_string(),
            sid: session_id.to_string(),
            jti: Uuid::new_v4().to_string(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            token_type: ACCESS.to_owned(),
            credential_epoch,
            amr: amr.amr().iter().map(|&m| m.to_owned()).collect(),
        };
        let keys = self.keys.load();
        // The newest key whose time has come; before any has, the earliest.
        let signer = keys
            .signers
            .iter()
            .find(|s| s.signs_from <= now)
            .or(keys.signers.last())
            .context("no signing key")?;
        let mut header = Header::new(signer.algorithm);
        header.kid = Some(signer.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &signer.encoding)?;
        Ok(IssuedAccess { token, expires_at })
    }

    /// Checks signature (with the algorithm the key was made for, never the one the
    /// token claims), `exp`, `iss`, `aud`, and that it is an access token.
    pub fn verify(&self, token: &str) -> Option<VerifiedAccess> {
        self.verify_claims(token).map(|claims| claims.access)
    }

    /// `verify`, keeping the registered claims as well.
    pub fn verify_claims(&self, token: &str) -> Option<VerifiedClaims> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let kid = header.kid?;
        let keys = self.keys.load();
        let Some(key) = keys.verifying.get(&kid) else {
            self.unknown_key.notify_one();
            return None;
        };
        let data = jsonwebtoken::decode::<AccessClaims>(token, &key.key, &key.validation).ok()?;
        let claims = data.claims;
        if claims.token_type != ACCESS || claims.user_id != claims.sub {
            return None;
        }
        Some(VerifiedClaims {
            access: VerifiedAccess {
                user_id: UserId::parse(&claims.sub)?,
                session_id: SessionId::parse(&claims.sid)?,
                credential_epoch: claims.credential_epoch,
            },
            issuer: claims.iss,
            audience: claims.aud,
            token_id: claims.jti,
            issued_at: claims.iat,
            expires_at: claims.exp,
        })
    }
}

type HmacSha256 = Hmac<Sha256>;
const MAC_LEN: usize = 32;
const REFRESH_LEN: usize = 16 + 8 + MAC_LEN;

/// Opaque refresh tokens: `base64url(session id ‖ counter ‖ HMAC(secret, session id ‖ counter))`.
///
/// Only the counter is stored (on the session), so a database leak yields no usable
/// token, and a token re-presented within the grace window gets back the very
/// successor its first use got: it is recomputed, never stored.
pub struct RefreshTokens {
    key: Vec<u8>,
}

impl RefreshTokens {
    pub fn new(server_secret: &SecretString) -> Self {
        // A key of its own, derived from the server secret, so access and refresh
        // tokens never share key material.
        let mut mac = HmacSha256::new_from_slice(server_secret.expose_secret().as_bytes())
            .expect("HMAC accepts keys of any length");
        mac.update(b"graphql-auth refresh-token key v1");
        Self {
            key: mac.finalize().into_bytes().to_vec(),
        }
    }

    pub fn encode(&self, session_id: SessionId, counter: i64) -> String {
        let mut bytes = Vec::with_capacity(REFRESH_LEN);
        bytes.extend_from_slice(session_id.as_uuid().as_bytes());
        bytes.extend_from_slice(&counter.to_be_bytes());
        let mac = self.mac(&bytes).finalize().into_bytes();
        bytes.extend_from_slice(&mac);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The session and counter a token names, if we made it.
    pub fn decode(&self, token: &str) -> Option<(SessionId, i64)> {
        let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
        if bytes.len() != REFRESH_LEN {
            return None;
        }
        let (payload, mac) = bytes.split_at(16 + 8);
        self.mac(payload).verify_slice(mac).ok()?;
        let session_id = SessionId::from(Uuid::from_slice(&payload[..16]).ok()?);
        let counter = i64::from_be_bytes(payload[16..].try_into().ok()?);
        Some((session_id, counter))
    }

    fn mac(&self, payload: &[u8]) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(&self.key).expect("HMAC accepts keys of any length");
        mac.update(payload);
        mac
    }
}

/// The tokens of password-reset and email-verification links:
/// `base64url(HMAC(key, purpose ‖ row id ‖ nonce))`, 256 bits, with a fresh 128-bit
/// random nonce per token.
///
/// The row keeps the nonce and the token's SHA-256 (for the look-up). The outbox
/// keeps only the row id: the mail worker derives the token again when it writes the
/// link, so neither table, nor a dump of both, yields a usable token without the
/// server secret.
#[derive(Clone)]
pub struct OneTimeTokens {
    key: Vec<u8>,
}

/// What the database keeps of a new token; the token itself is derived when needed.
pub struct IssuedOneTimeToken {
    pub id: TokenId,
    pub nonce: String,
    pub hash: String,
}

impl OneTimeTokens {
    const NONCE_BYTES: usize = 16;
    /// Longer input is not a token we made; it is not even hashed.
    const MAX_TOKEN_CHARS: usize = 64;

    pub fn new(server_secret: &SecretString) -> Self {
        let mut mac = HmacSha256::new_from_slice(server_secret.expose_secret().as_bytes())
            .expect("HMAC accepts keys of any length");
        mac.update(b"graphql-auth one-time-token key v1");
        Self {
            key: mac.finalize().into_bytes().to_vec(),
        }
    }

    /// A new token's row data: a fresh id and nonce, and the hash to look it up by.
    pub fn issue(&self, purpose: TokenPurpose) -> IssuedOneTimeToken {
        let mut nonce = [0u8; Self::NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let id = TokenId::new();
        let nonce = URL_SAFE_NO_PAD.encode(nonce);
        let hash = Self::hash(self.derive(purpose, id, &nonce).expose_secret());
        IssuedOneTimeToken { id, nonce, hash }
    }

    /// The token of a row, for the link in its email.
    pub fn derive(&self, purpose: TokenPurpose, id: TokenId, nonce: &str) -> SecretString {
        let mut mac =
            HmacSha256::new_from_slice(&self.key).expect("HMAC accepts keys of any length");
        mac.update(purpose.as_str().as_bytes());
        mac.update(b"\0");
        mac.update(id.as_uuid().as_bytes());
        mac.update(nonce.as_bytes());
        SecretString::from(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    /// What the database stores and is searched by: the token's SHA-256, in hex.
    pub fn hash(token: &str) -> String {
        crate::domain::hex(&Sha256::digest(token.as_bytes()))
    }

    /// The look-up hash of a presented token; `None` when it cannot be one of ours.
    pub fn hash_presented(token: &str) -> Option<String> {
        let token = token.trim();
        let plausible = !token.is_empty()
            && token.len() <= Self::MAX_TOKEN_CHARS
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        plausible.then(|| Self::hash(token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let for_verification =
            tokens.derive(TokenPurpose::EmailVerification, issued.id, &issued.nonce);
        assert_ne!(for_verification.expose_secret(), token);
        let other_secret = OneTimeTokens::new(&secret("other"));
        let elsewhere = other_secret.derive(TokenPurpose::PasswordReset, issued.id, &issued.nonce);
        assert_ne!(elsewhere.expose_secret(), token);
        let again = tokens.issue(TokenPurpose::PasswordReset);
        assert_ne!(again.nonce, issued.nonce);
        assert_eq!(OneTimeTokens::hash_presented("not a token!"), None);
        assert_eq!(OneTimeTokens::hash_presented(&"a".repeat(65)), None);
    }
}
