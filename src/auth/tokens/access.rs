//! Access tokens: JWTs signed with the current key of the ring, verified with each key's
//! own algorithm pinned, whatever a header claims.
use std::{collections::HashMap, sync::Arc, time::Duration};

use anyhow::Context as _;
use arc_swap::ArcSwap;
use tokio::sync::Notify;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::signing::{RingKey, SigningKey};
use crate::domain::{AuthMethods, SessionId, UserId};

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
