//! Signing keys for access tokens: one HS256 secret, or a key ring file
//! (`JWT_KEYS_FILE`) of keys with `kid`s — the current one signs, the others still
//! verify until retired. EdDSA (Ed25519) and ES256 keys publish their public half in
//! the JWKS.
use std::{fs, path::Path};

use anyhow::{Context as _, bail};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use rand::{RngCore, rngs::OsRng};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The file's shape: `{ "current": kid, "keys": [{ kid, alg, secret | private_key }] }`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct KeyRingFile {
    pub current: String,
    pub keys: Vec<KeyEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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
    pub fn hs256(secret: &SecretString) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let digest = Sha256::digest([b"graphql-auth kid:".as_slice(), bytes].concat());
        let kid: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        Self {
            kid: format!("hs256-{kid}"),
            algorithm: Algorithm::HS256,
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            jwk: None,
        }
    }

    fn from_entry(entry: &KeyEntry) -> anyhow::Result<Self> {
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
                if secret.len() < super::keys::MIN_SECRET_BYTES {
                    bail!("key {kid}: an HS256 secret needs at least 32 bytes");
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

/// Reads a key ring file: the current key first, then the others.
pub fn load(path: &Path) -> anyhow::Result<Vec<SigningKey>> {
    let file = read(path)?;
    let mut keys = file
        .keys
        .iter()
        .map(SigningKey::from_entry)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let Some(current) = keys.iter().position(|k| k.kid == file.current) else {
        bail!(
            "{}: the current key {} is not in the ring",
            path.display(),
            file.current
        );
    };
    keys.swap(0, current);
    Ok(keys)
}

fn read(path: &Path) -> anyhow::Result<KeyRingFile> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a key ring file", path.display()))
}

fn write(path: &Path, file: &KeyRingFile) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(file)?;
    super::keys::write_private(path, &text).with_context(|| format!("writing {}", path.display()))
}

/// Adds a new key and makes it current; the earlier keys keep verifying. Creates the
/// file when there is none. Returns the new `kid`.
pub fn rotate(path: &Path, alg: &str) -> anyhow::Result<String> {
    let mut file = if path.exists() {
        read(path)?
    } else {
        KeyRingFile::default()
    };
    let mut suffix = [0u8; 4];
    OsRng.fill_bytes(&mut suffix);
    let kid = format!(
        "{}-{}-{}",
        alg.to_ascii_lowercase(),
        chrono::Utc::now().format("%Y%m%d"),
        suffix
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let entry = match alg {
        "HS256" => {
            let mut secret = [0u8; 48];
            OsRng.fill_bytes(&mut secret);
            KeyEntry {
                kid: kid.clone(),
                alg: alg.into(),
                secret: Some(URL_SAFE_NO_PAD.encode(secret)),
                private_key: None,
            }
        }
        "EdDSA" => {
            let key = ed25519_dalek::SigningKey::generate(&mut OsRng);
            let pem = key
                .to_pkcs8_pem(Default::default())
                .context("encoding the Ed25519 key")?;
            KeyEntry {
                kid: kid.clone(),
                alg: alg.into(),
                secret: None,
                private_key: Some(pem.to_string()),
            }
        }
        "ES256" => {
            let key = p256::SecretKey::random(&mut OsRng);
            let pem = key
                .to_pkcs8_pem(Default::default())
                .context("encoding the P-256 key")?;
            KeyEntry {
                kid: kid.clone(),
                alg: alg.into(),
                secret: None,
                private_key: Some(pem.to_string()),
            }
        }
        other => bail!("unsupported alg {other} (use HS256, EdDSA or ES256)"),
    };
    SigningKey::from_entry(&entry)?;
    file.keys.push(entry);
    file.current = kid.clone();
    write(path, &file)?;
    Ok(kid)
}

/// Removes a key: tokens it signed stop verifying once servers reload the ring. The
/// current key cannot be retired; rotate first.
pub fn retire(path: &Path, kid: &str) -> anyhow::Result<()> {
    let mut file = read(path)?;
    if file.current == kid {
        bail!("{kid} is the current key; rotate to a new key before retiring it");
    }
    let before = file.keys.len();
    file.keys.retain(|k| k.kid != kid);
    if file.keys.len() == before {
        bail!("no key {kid} in {}", path.display());
    }
    write(path, &file)
}
