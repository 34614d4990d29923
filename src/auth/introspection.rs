//! Token introspection (RFC 7662) for resource servers: is this access token live,
//! and whose is it. Asked of the database every time, so a session ended through any
//! replica is inactive at once.
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{
    AuthError, AuthService, ClientInfo, now, rate_limit::Operation, session_state::SessionState,
};
use crate::{
    domain::{SessionId, UserId},
    store,
};

/// Longer input is not a token we issued; it is not even parsed.
const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The shared secret resource servers present (`INTROSPECTION_TOKEN`), kept only as
/// its SHA-256: comparing digests takes the same time whatever the presented length.
#[derive(Clone)]
pub struct IntrospectionSecret {
    digest: [u8; 32],
}

impl IntrospectionSecret {
    pub fn new(secret: &SecretString) -> Self {
        Self {
            digest: Sha256::digest(secret.expose_secret().as_bytes()).into(),
        }
    }

    fn matches(&self, presented: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        presented.ct_eq(&self.digest).into()
    }
}

/// What introspection says of a live access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Introspection {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub username: String,
    pub issuer: String,
    pub audience: String,
    pub token_id: String,
    /// `iat` and `exp`, in seconds since the epoch.
    pub issued_at: i64,
    pub expires_at: i64,
}

impl AuthService {
    /// Admits a resource server: counts the request against the client's IP first, so
    /// guessing the secret is budgeted too, then checks the secret it presents.
    pub async fn admit_introspection_caller(
        &self,
        secret: &IntrospectionSecret,
        presented: Option<&str>,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        self.rate_limit(Operation::Introspect, client, None).await?;
        match presented {
            Some(presented) if secret.matches(presented) => Ok(()),
            _ => Err(AuthError::Unauthenticated),
        }
    }

    /// The live access token's owner and claims; `None` for anything else — garbage,
    /// a forged, expired or refresh token, or one whose session, account or password
    /// has moved on. The session is read from the database, never from the cache.
    pub async fn introspect(&self, token: &str) -> Result<Option<Introspection>, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Ok(None);
        }
        let Some(claims) = self.0.access_tokens.verify_claims(token) else {
            return Ok(None);
        };
        let now = now();
        // `verify` forgives a few seconds past `exp` for verifiers with other clocks;
        // an answer from the issuer saying "active" with an `exp` already past would
        // contradict itself.
        if claims.expires_at <= now.timestamp() {
            return Ok(None);
        }
        let found = store::sessions::find_with_user(self.db(), claims.access.session_id).await?;
        let Some((session, user)) = found else {
            return Ok(None);
        };
        if !SessionState::of(&session, &user).admits(&claims.access, now) {
            return Ok(None);
        }
        Ok(Some(Introspection {
            user_id: claims.access.user_id,
            session_id: claims.access.session_id,
            username: user.username,
            issuer: claims.issuer,
            audience: claims.audience,
            token_id: claims.token_id,
            issued_at: claims.issued_at,
            expires_at: claims.expires_at,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_very_secret_is_admitted() {
        let secret = IntrospectionSecret::new(&SecretString::from("s".repeat(40)));
        assert!(secret.matches(&"s".repeat(40)));
        for wrong in ["", "s", &"s".repeat(39), &"s".repeat(41), &"t".repeat(40)] {
            assert!(!secret.matches(wrong), "{wrong:?}");
        }
    }
}
