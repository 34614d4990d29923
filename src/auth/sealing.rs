//! Secrets at rest in the database (signing keys' private halves, second-factor
//! secrets): XChaCha20-Poly1305 under a key derived from the server secret for each
//! purpose, the row's id bound in as associated data so a sealed value copied onto
//! another row does not open.
use anyhow::{Context as _, anyhow};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use hmac::{Hmac, Mac};
use rand::{RngCore, rngs::OsRng};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

const NONCE_LEN: usize = 24;

pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

/// What a sealer seals; each purpose has a key of its own.
#[derive(Debug, Clone, Copy)]
pub enum SealedPurpose {
    SigningKey,
    /// A TOTP shared secret, bound to its user's id.
    TotpSecret,
}

impl SealedPurpose {
    fn label(self) -> &'static [u8] {
        match self {
            Self::SigningKey => b"graphql-auth signing-key sealing v1",
            Self::TotpSecret => b"graphql-auth totp-secret sealing v1",
        }
    }
}

impl Sealer {
    pub fn new(server_secret: &SecretString, purpose: SealedPurpose) -> Self {
        // A key of its own, as refresh and one-time tokens have theirs.
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(server_secret.expose_secret().as_bytes())
                .expect("HMAC accepts keys of any length");
        mac.update(purpose.label());
        let key = mac.finalize().into_bytes();
        Self {
            cipher: XChaCha20Poly1305::new(&key),
        }
    }

    /// `base64url(nonce ‖ ciphertext)`, with a fresh random nonce, bound to `id`.
    pub fn seal(&self, id: &str, plaintext: &[u8]) -> anyhow::Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext,
            aad: id.as_bytes(),
        };
        let ciphertext = self
            .cipher
            .encrypt(&XNonce::from(nonce), payload)
            .map_err(|_| anyhow!("sealing {id}"))?;
        Ok(URL_SAFE_NO_PAD.encode([nonce.as_slice(), &ciphertext].concat()))
    }

    /// The plaintext, if `sealed` was sealed for `id` with this server secret.
    pub fn open(&self, id: &str, sealed: &str) -> anyhow::Result<Vec<u8>> {
        let bytes = URL_SAFE_NO_PAD
            .decode(sealed)
            .with_context(|| format!("{id}: not a sealed value"))?;
        if bytes.len() <= NONCE_LEN {
            return Err(anyhow!("{id}: not a sealed value"));
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into()?;
        let payload = Payload {
            msg: ciphertext,
            aad: id.as_bytes(),
        };
        self.cipher
            .decrypt(&XNonce::from(nonce), payload)
            .map_err(|_| {
                anyhow!("{id} does not open with this JWT_SECRET: it was sealed with another one")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(secret: &str) -> Sealer {
        Sealer::new(
            &SecretString::from(secret.to_owned()),
            SealedPurpose::SigningKey,
        )
    }

    #[test]
    fn opens_only_with_the_same_secret_and_kid() {
        let sealed = sealer("one secret").seal("k1", b"private").unwrap();
        assert_eq!(
            sealer("one secret").open("k1", &sealed).unwrap(),
            b"private"
        );
        assert!(sealer("another").open("k1", &sealed).is_err());
        assert!(sealer("one secret").open("k2", &sealed).is_err());
        assert!(sealer("one secret").open("k1", "AAAA").is_err());
        assert!(sealer("one secret").open("k1", "not base64!").is_err());
        let again = sealer("one secret").seal("k1", b"private").unwrap();
        assert_ne!(sealed, again, "a fresh nonce each time");
        let other_purpose = Sealer::new(
            &SecretString::from("one secret".to_owned()),
            SealedPurpose::TotpSecret,
        );
        assert!(
            other_purpose.open("k1", &sealed).is_err(),
            "a key per purpose"
        );
    }
}
