//! The server secret: it keys refresh, reset and verification tokens (and seals
//! signing keys kept in the database). From `JWT_SECRET`, or in development a secret
//! generated once and kept in `DATA_DIR`.
use std::{fs, io::Write, path::Path};

use anyhow::{Context as _, bail};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

use crate::config::Settings;

/// The shortest secret accepted in production: HS256 wants at least its hash size.
pub const MIN_SECRET_BYTES: usize = 32;
const DEV_KEY_FILE: &str = "jwt-secret";

pub fn load_server_secret(settings: &Settings) -> anyhow::Result<SecretString> {
    match &settings.jwt.secret {
        Some(secret) if secret.expose_secret().len() >= MIN_SECRET_BYTES => Ok(secret.clone()),
        Some(_) if settings.is_production() => {
            bail!("JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes in production")
        }
        Some(secret) => {
            tracing::warn!(
                "JWT_SECRET is shorter than {MIN_SECRET_BYTES} bytes; production would refuse it"
            );
            Ok(secret.clone())
        }
        None if settings.is_production() => {
            bail!(
                "APP_ENV=production needs an explicit JWT_SECRET of at least {MIN_SECRET_BYTES} bytes"
            )
        }
        None => development_secret(&settings.data_dir),
    }
}

fn development_secret(data_dir: &Path) -> anyhow::Result<SecretString> {
    let path = data_dir.join(DEV_KEY_FILE);
    if let Ok(existing) = fs::read_to_string(&path) {
        let existing = existing.trim().to_owned();
        if existing.len() >= MIN_SECRET_BYTES {
            return Ok(SecretString::from(existing));
        }
    }
    fs::create_dir_all(data_dir)
        .with_context(|| format!("creating data directory {}", data_dir.display()))?;
    let mut bytes = [0u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    write_private(&path, &secret).with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a development signing key");
    Ok(SecretString::from(secret))
}

pub(crate) fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}
