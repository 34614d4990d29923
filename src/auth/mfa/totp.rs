//! RFC 6238 as authenticator apps implement it: HMAC-SHA-1, 6 digits, 30-second steps,
//! one step of clock drift either way. `totp-rs` computes the codes (and zeroes the
//! secret it holds when dropped); which step matched is decided here, because the
//! step is what the database claims so that no code works twice.
use chrono::{DateTime, Utc};
use rand::{RngCore, rngs::OsRng};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

use crate::domain::TotpCode;

const STEP_SECONDS: i64 = 30;
/// Steps accepted on either side of the current one.
const DRIFT_STEPS: i64 = 1;
/// 160 bits, RFC 4226's recommendation.
const SECRET_BYTES: usize = 20;

/// A fresh shared secret from the operating system's random source.
pub(super) fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_BYTES];
    OsRng.fill_bytes(&mut secret);
    secret
}

/// The generator for `secret`, labelled `issuer:account` in authenticator apps.
pub(super) fn generator(secret: Vec<u8>, issuer: &str, account: &str) -> anyhow::Result<TOTP> {
    let skew = u8::try_from(DRIFT_STEPS)?;
    let step = u64::try_from(STEP_SECONDS)?;
    Ok(TOTP::new(
        Algorithm::SHA1,
        TotpCode::DIGITS,
        skew,
        step,
        secret,
        Some(issuer.to_owned()),
        account.to_owned(),
    )?)
}

/// The step whose code `code` is, among the current one and its neighbours, if any.
/// All candidates are computed and compared in constant time, whatever matches.
pub(super) fn matching_step(totp: &TOTP, code: &TotpCode, now: DateTime<Utc>) -> Option<i64> {
    let current = now.timestamp().div_euclid(STEP_SECONDS);
    let mut matched = None;
    for step in current - DRIFT_STEPS..=current + DRIFT_STEPS {
        let Ok(at) = u64::try_from(step * STEP_SECONDS) else {
            continue;
        };
        let candidate = totp.generate(at);
        if bool::from(candidate.as_bytes().ct_eq(code.as_str().as_bytes())) {
            matched = Some(step);
        }
    }
    matched
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(totp: &TOTP, at: i64) -> TotpCode {
        TotpCode::parse(&totp.generate(at as u64), "code").unwrap()
    }

    #[test]
    fn the_rfc_6238_sha1_vectors_hold() {
        // RFC 6238 appendix B, SHA-1, truncated to 6 digits.
        let totp = generator(b"12345678901234567890".to_vec(), "test", "amina").unwrap();
        assert_eq!(totp.generate(59), "287082");
        assert_eq!(totp.generate(1_111_111_109), "081804");
        assert_eq!(totp.generate(2_000_000_000), "279037");
    }

    #[test]
    fn one_step_of_drift_either_way_is_accepted_and_two_are_not() {
        let totp = generator(new_secret(), "test", "amina").unwrap();
        let now = DateTime::from_timestamp(1_800_000_015, 0).unwrap();
        let current = now.timestamp() / STEP_SECONDS;
        for offset in -1..=1 {
            let at = now.timestamp() + offset * STEP_SECONDS;
            assert_eq!(
                matching_step(&totp, &code(&totp, at), now),
                Some(current + offset),
                "{offset}"
            );
        }
        for offset in [-2, 2] {
            let at = now.timestamp() + offset * STEP_SECONDS;
            assert_eq!(
                matching_step(&totp, &code(&totp, at), now),
                None,
                "{offset}"
            );
        }
    }

    #[test]
    fn the_uri_names_issuer_account_and_secret() {
        let totp = generator(new_secret(), "auth.example.dz", "amina").unwrap();
        let uri = totp.get_url();
        assert!(
            uri.starts_with("otpauth://totp/auth.example.dz:amina?"),
            "{uri}"
        );
        assert!(uri.contains(&format!("secret={}", totp.get_secret_base32())));
        assert!(uri.contains("issuer=auth.example.dz"));
    }
}
