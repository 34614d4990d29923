//! The one-time tokens of password-reset and verification links.
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::Mac;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::refresh::HmacSha256;
use crate::domain::{TokenId, TokenPurpose};

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
