//! A key ring file (`JWT_KEYS_FILE`, or `DATA_DIR/jwt-keys.json` in development): the
//! current key signs, the others still verify until retired. Servers re-read it every
//! `SIGNING_KEYS_REFRESH`, so a rotation needs no restart.
use std::{fs, path::Path};

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

use super::{KeyEntry, RingKey, SigningKey};
use crate::config::SigningAlgorithm;

/// The file's shape: `{ "current": kid, "keys": [{ kid, alg, secret | private_key }] }`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct KeyRingFile {
    current: String,
    keys: Vec<KeyEntry>,
}

/// Reads a key ring file: the current key signs, the others only verify.
pub fn load(path: &Path) -> anyhow::Result<Vec<RingKey>> {
    let file = read(path)?;
    if !file.keys.iter().any(|k| k.kid == file.current) {
        bail!(
            "{}: the current key {} is not in the ring",
            path.display(),
            file.current
        );
    }
    file.keys
        .iter()
        .map(|entry| {
            let key = SigningKey::from_entry(entry)?;
            Ok(if entry.kid == file.current {
                RingKey::signing(key)
            } else {
                RingKey::verifying(key)
            })
        })
        .collect()
}

/// The development default: the ring in `path`, created with one key of `algorithm`
/// the first time (as the HS256 secret is kept in `DATA_DIR`).
pub fn load_or_create(path: &Path, algorithm: SigningAlgorithm) -> anyhow::Result<Vec<RingKey>> {
    if !path.exists() {
        let kid = rotate(path, algorithm)?;
        tracing::info!(path = %path.display(), %kid, "generated a development signing key");
    }
    load(path)
}

/// Adds a new key and makes it current; the earlier keys keep verifying. Creates the
/// file when there is none. Returns the new `kid`.
pub fn rotate(path: &Path, algorithm: SigningAlgorithm) -> anyhow::Result<String> {
    let mut file = if path.exists() {
        read(path)?
    } else {
        KeyRingFile::default()
    };
    let entry = KeyEntry::generate(algorithm)?;
    let kid = entry.kid.clone();
    file.keys.push(entry);
    file.current = kid.clone();
    write(path, &file)?;
    Ok(kid)
}

/// Removes a key: tokens it signed stop verifying once servers re-read the ring. The
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

fn read(path: &Path) -> anyhow::Result<KeyRingFile> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    // serde's message quotes the value it choked on, which may be a private key: say
    // only where and what kind of error it is.
    let file: KeyRingFile = serde_json::from_str(&text).map_err(|err| {
        anyhow::anyhow!(
            "{} is not a key ring file ({:?} error at line {}, column {})",
            path.display(),
            err.classify(),
            err.line(),
            err.column()
        )
    })?;
    let mut kids: Vec<&str> = file.keys.iter().map(|k| k.kid.as_str()).collect();
    kids.sort_unstable();
    if let Some(twin) = kids.windows(2).find(|pair| pair[0] == pair[1]) {
        bail!("{}: the kid {} names two keys", path.display(), twin[0]);
    }
    Ok(file)
}

/// Writes the whole ring to a temporary file first: a server re-reading the ring never
/// sees half of it.
fn write(path: &Path, file: &KeyRingFile) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(file)?;
    let partial = path.with_extension(format!("json.{}.partial", std::process::id()));
    crate::auth::server_secret::write_private(&partial, &text)
        .with_context(|| format!("writing {}", partial.display()))?;
    fs::rename(&partial, path).with_context(|| format!("replacing {}", path.display()))
}
