//! Refresh tokens: opaque, single use, only their counter stored.
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use uuid::Uuid;

use crate::domain::SessionId;

pub(super) type HmacSha256 = Hmac<Sha256>;
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
