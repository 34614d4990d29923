//! One signing key: how it is written down (a key ring file's entry, or the sealed
//! plaintext of a database row), and the same key ready to sign and verify.
use anyhow::{Context as _, bail};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use rand::{RngCore, rngs::OsRng};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{auth::server_secret::MIN_SECRET_BYTES, config::SigningAlgorithm, domain::hex};

/// A key as it is stored: `{ kid, alg, secret | private_key }`.
#[derive(Clone, Serialize, Deserialize)]
pub struct KeyEntry {
    pub kid: String,
    /// `HS256`, `EdDSA` or `ES256`.
    pub alg: String,
    /// HS256: the shared secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// EdDSA / ES256: the PKCS#8 PEM private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<String>,
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl KeyEntry {
    /// A new random key of `algorithm`, with a `kid` that says what and when it is.
    pub fn generate(algorithm: SigningAlgorithm) -> anyhow::Result<Self> {
        let mut suffix = [0u8; 4];
        OsRng.fill_bytes(&mut suffix);
        let kid = format!(
            "{}-{}-{}",
            algorithm.as_str().to_ascii_lowercase(),
            chrono::Utc::now().format("%Y%m%d"),
            hex(&suffix)
        );
        let (secret, private_key) = match algorithm {
            SigningAlgorithm::Hs256 => {
                let mut secret = [0u8; 48];
                OsRng.fill_bytes(&mut secret);
                (Some(URL_SAFE_NO_PAD.encode(secret)), None)
            }
            SigningAlgorithm::EdDsa => {
                let key = ed25519_dalek::SigningKey::generate(&mut OsRng);
                let pem = key
                    .to_pkcs8_pem(Default::default())
                    .context("encoding the Ed25519 key")?;
                (None, Some(pem.to_string()))
            }
            SigningAlgorithm::Es256 => {
                let key = p256::SecretKey::random(&mut OsRng);
                let pem = p256::pkcs8::EncodePrivateKey::to_pkcs8_pem(&key, Default::default())
                    .context("encoding the P-256 key")?;
                (None, Some(pem.to_string()))
            }
        };
        Ok(Self {
            kid,
            alg: algorithm.as_str().to_owned(),
            secret,
            private_key,
        })
    }
}

/// A key ready to sign and verify.
pub struct SigningKey {
    pub kid: String,
    pub algorithm: Algorithm,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    /// The public JWK, for asymmetric keys.
    pub jwk: Option<Value>,
}

impl SigningKey {
    /// The one key of `JWT_ALGORITHM=HS256` without a key ring: the server secret.
    pub fn hs256(secret: &SecretString) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let digest = Sha256::digest([b"graphql-auth kid:".as_slice(), bytes].concat());
        Self {
            kid: format!("hs256-{}", hex(&digest[..8])),
            algorithm: Algorithm::HS256,
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            jwk: None,
        }
    }

    pub fn from_entry(entry: &KeyEntry) -> anyhow::Result<Self> {
        let kid = entry.kid.clone();
        let pem = || {
            entry
                .private_key
                .as_deref()
                .with_context(|| format!("key {kid} has no private_key"))
        };
        match entry.alg.as_str() {
            "HS256" => {
                let secret = entry
                    .secret
                    .as_deref()
                    .with_context(|| format!("key {kid} has no secret"))?;
                if secret.len() < MIN_SECRET_BYTES {
                    bail!("key {kid}: an HS256 secret needs at least {MIN_SECRET_BYTES} bytes");
                }
                Ok(Self {
                    kid: kid.clone(),
                    ..Self::hs256(&SecretString::from(secret.to_owned()))
                })
            }
            "EdDSA" => {
                let key = ed25519_dalek::SigningKey::from_pkcs8_pem(pem()?)
                    .with_context(|| format!("key {kid}: not an Ed25519 PKCS#8 PEM"))?;
                let x = URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes());
                Ok(Self {
                    algorithm: Algorithm::EdDSA,
                    encoding: EncodingKey::from_ed_der(key.to_pkcs8_der()?.as_bytes()),
                    decoding: DecodingKey::from_ed_components(&x)?,
                    jwk: Some(
                        json!({ "kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig" }),
                    ),
                    kid,
                })
            }
            "ES256" => {
                let key = p256::SecretKey::from_pkcs8_pem(pem()?)
                    .with_context(|| format!("key {kid}: not a P-256 PKCS#8 PEM"))?;
                let point = p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(
                    &key.public_key(),
                    false,
                );
                let (x, y) = match (point.x(), point.y()) {
                    (Some(x), Some(y)) => (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y)),
                    _ => bail!("key {kid}: the public point is not uncompressed"),
                };
                Ok(Self {
                    algorithm: Algorithm::ES256,
                    encoding: EncodingKey::from_ec_der(
                        p256::pkcs8::EncodePrivateKey::to_pkcs8_der(&key)?.as_bytes(),
                    ),
                    decoding: DecodingKey::from_ec_components(&x, &y)?,
                    jwk: Some(
                        json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "alg": "ES256", "use": "sig" }),
                    ),
                    kid,
                })
            }
            other => bail!("key {kid}: unsupported alg {other} (use HS256, EdDSA or ES256)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_of_every_algorithm_load() {
        for algorithm in [
            SigningAlgorithm::EdDsa,
            SigningAlgorithm::Es256,
            SigningAlgorithm::Hs256,
        ] {
            let entry = KeyEntry::generate(algorithm).unwrap();
            let key = SigningKey::from_entry(&entry).unwrap();
            assert_eq!(key.kid, entry.kid);
            assert_eq!(key.jwk.is_some(), algorithm != SigningAlgorithm::Hs256);
        }
    }

    #[test]
    fn a_key_entry_never_prints_its_secret() {
        let entry = KeyEntry::generate(SigningAlgorithm::EdDsa).unwrap();
        assert!(!format!("{entry:?}").contains("PRIVATE"));
    }
}
