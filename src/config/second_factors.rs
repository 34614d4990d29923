//! Second factors: the two-step sign-in's token, TOTP's issuer, and who passkeys are
//! bound to.
use std::{str::FromStr, time::Duration};

use super::{
    ConfigError, Vars,
    vars::{Origin, error, split_http_url},
};

/// Two-step sign-in.
#[derive(Debug, Clone)]
pub struct MfaSettings {
    /// How long the `mfaToken` of a login that answered `MFA_REQUIRED` lasts
    /// (`MFA_TOKEN_TTL`).
    pub token_ttl: Duration,
    /// Wrong codes one `mfaToken` survives (`MFA_MAX_ATTEMPTS`); each also counts
    /// toward the account's lockout.
    pub max_attempts: u32,
    /// The name authenticator apps show next to the account (`TOTP_ISSUER`); by
    /// default the host of `PUBLIC_URL`.
    pub totp_issuer: String,
    /// Passkeys; `None` when `WEBAUTHN_RP_ID` is unset and `PUBLIC_URL`'s host is an
    /// IP address, which WebAuthn cannot bind a credential to.
    pub passkeys: Option<PasskeySettings>,
}

/// Who passkeys are bound to. A credential works only for its relying party id, so
/// changing `WEBAUTHN_RP_ID` strands every passkey registered before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeySettings {
    /// `WEBAUTHN_RP_ID`: a domain, by default the host of `PUBLIC_URL`.
    pub rp_id: String,
    /// `WEBAUTHN_ORIGINS`: the pages allowed to run the ceremonies, each the rp id's
    /// host or a subdomain of it; by default `PUBLIC_URL`'s origin.
    pub origins: Vec<String>,
}

/// `WEBAUTHN_RP_ID`: a domain name (no scheme, port or IP address).
struct RpId(String);

impl FromStr for RpId {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let id = s.trim().trim_end_matches('.').to_ascii_lowercase();
        let is_domain = !id.is_empty()
            && id.len() <= 253
            && id.parse::<std::net::IpAddr>().is_err()
            && id.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            })
            && !id
                .rsplit('.')
                .next()
                .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()));
        if is_domain {
            Ok(Self(id))
        } else {
            Err("a domain name such as example.dz: no scheme, port, path or IP address")
        }
    }
}

impl PasskeySettings {
    pub(super) fn load(vars: &Vars<'_>, public_url: &str) -> Result<Option<Self>, ConfigError> {
        let rp_id = match vars.raw("WEBAUTHN_RP_ID") {
            Some(_) => vars.parse::<RpId>("WEBAUTHN_RP_ID", "")?.0,
            None => match host_of(public_url).parse::<RpId>() {
                Ok(id) => id.0,
                // An IP address: passkeys stay off until a domain is named.
                Err(_) => return Ok(None),
            },
        };
        let mut origins: Vec<String> = vars
            .list::<Origin>("WEBAUTHN_ORIGINS")?
            .into_iter()
            .map(|o| o.0)
            .collect();
        if origins.is_empty() {
            let (origin, _) =
                split_http_url(public_url).map_err(|why| error("PUBLIC_URL", public_url, why))?;
            origins.push(origin);
        }
        let variable = if vars.raw("WEBAUTHN_ORIGINS").is_some() {
            "WEBAUTHN_ORIGINS"
        } else {
            "WEBAUTHN_RP_ID"
        };
        for origin in &origins {
            let host = host_of(origin);
            if host != rp_id && !host.ends_with(&format!(".{rp_id}")) {
                return Err(error(
                    variable,
                    origin,
                    format!("the origin's host must be {rp_id} or a subdomain of it"),
                ));
            }
        }
        Ok(Some(Self { rp_id, origins }))
    }
}

/// `TOTP_ISSUER`: what an authenticator app labels the account with. The otpauth URI
/// separates issuer and account with `:`, so the issuer has none.
pub(super) struct TotpIssuer(pub(super) String);

impl FromStr for TotpIssuer {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.contains(':') || s.chars().any(char::is_control) || s.chars().count() > 64 {
            return Err("at most 64 characters, without ':' or control characters");
        }
        Ok(Self(s.to_owned()))
    }
}

/// The default `TOTP_ISSUER`: the host of `PUBLIC_URL`, without its port; an IPv6
/// address (all colons) gets the service's name instead.
pub(super) fn default_totp_issuer(public_url: &str) -> String {
    let host = host_of(public_url).to_ascii_lowercase();
    if host.is_empty() || host.contains(':') {
        "graphql-auth".to_owned()
    } else {
        host
    }
}

/// The host of a URL that `split_http_url` accepted, without port or brackets.
pub(super) fn host_of(url: &str) -> String {
    let authority = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default().to_owned(),
        None => authority.split(':').next().unwrap_or_default().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::PasskeySettings;
    use crate::config::{
        check,
        tests::{refused, settings},
    };

    #[test]
    fn passkeys_are_bound_to_public_url_s_host_unless_told_otherwise() {
        let s = settings(&[]).unwrap();
        let expected = PasskeySettings {
            rp_id: "localhost".into(),
            origins: vec!["http://localhost:8000".into()],
        };
        assert_eq!(s.mfa.passkeys, Some(expected));
        let s = settings(&[("PUBLIC_URL", "https://Auth.Example.dz/auth")]).unwrap();
        let passkeys = s.mfa.passkeys.unwrap();
        assert_eq!(passkeys.rp_id, "auth.example.dz");
        assert_eq!(passkeys.origins, vec!["https://auth.example.dz".to_owned()]);
        // A site-wide id serves the app's subdomains.
        let s = settings(&[
            ("PUBLIC_URL", "https://auth.example.dz"),
            ("WEBAUTHN_RP_ID", "example.dz"),
            (
                "WEBAUTHN_ORIGINS",
                "https://app.example.dz,https://example.dz",
            ),
        ])
        .unwrap();
        assert_eq!(s.mfa.passkeys.unwrap().origins.len(), 2);
        // An IP address cannot be a relying party: off, and check-config says why.
        let s = settings(&[("PUBLIC_URL", "http://127.0.0.1:8000")]).unwrap();
        assert_eq!(s.mfa.passkeys, None);
        assert!(
            check(&s)
                .iter()
                .any(|(_, m)| m.contains("passkeys are off"))
        );
        for bad in [
            "127.0.0.1",
            "https://example.dz",
            "example.dz:443",
            "-x.dz",
            "a..dz",
            "1.2",
        ] {
            assert_eq!(refused("WEBAUTHN_RP_ID", bad), "WEBAUTHN_RP_ID", "{bad}");
        }
        // An origin outside the relying party would register keys that never work.
        let outside = settings(&[
            ("WEBAUTHN_RP_ID", "example.dz"),
            ("WEBAUTHN_ORIGINS", "https://example.dz.evil.com"),
        ]);
        assert_eq!(outside.unwrap_err().variable, "WEBAUTHN_ORIGINS");
        let outside = settings(&[("PUBLIC_URL", "https://a.dz"), ("WEBAUTHN_RP_ID", "b.dz")]);
        assert_eq!(outside.unwrap_err().variable, "WEBAUTHN_RP_ID");
    }
}
