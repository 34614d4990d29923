//! Reading variables: the typed parsers every setting goes through, and the error that
//! names the variable at fault.
use std::{fmt::Display, net::Ipv6Addr, ops::RangeInclusive, str::FromStr, time::Duration};

use ipnet::IpNet;

use super::{ConfigError, Quota};

/// A CIDR, or a single address standing for itself.
pub(super) struct ProxyNetwork(pub(super) IpNet);

impl FromStr for ProxyNetwork {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<IpNet>()
            .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
            .map(Self)
            .map_err(|_| "expected a CIDR such as 10.0.0.0/8 or an IP address".to_owned())
    }
}

/// A browser origin, `scheme://host[:port]`, lower-cased: what a browser sends in
/// `Origin`, which CORS compares byte for byte. A path would never match, and `*` is
/// refused: it would let any site call the API from a signed-in browser.
pub(super) struct Origin(pub(super) String);

impl FromStr for Origin {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.contains('*') {
            return Err("wildcards are refused: list each origin, scheme://host[:port]".into());
        }
        let (origin, rest) = split_http_url(s)?;
        if !rest.is_empty() {
            return Err("an origin is scheme://host[:port], without a path, not even /".into());
        }
        Ok(Self(origin))
    }
}

/// `PUBLIC_URL`: an http(s) URL, perhaps with a path, without a trailing `/`; links in
/// mail are built by appending to it, so it has no query or fragment.
pub(super) struct PublicUrl(pub(super) String);

impl FromStr for PublicUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The origin as browsers write it, so that `APP_URL` and `PUBLIC_URL` compare
        // equal when they name the same place.
        let (origin, rest) = split_http_url(s)?;
        if rest.contains(['?', '#']) {
            return Err("links are built by appending to it: no query or fragment".into());
        }
        Ok(Self(format!("{origin}{}", rest.trim_end_matches('/'))))
    }
}

/// Splits `http(s)://host[:port]…` into its origin and the rest. The origin is as a
/// browser sends it in `Origin`: lower-cased, without the scheme's default port.
pub(super) fn split_http_url(s: &str) -> Result<(String, &str), String> {
    let (scheme, rest) = s
        .split_once("://")
        .ok_or("expected http://host[:port] or https://host[:port]")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err("expected http:// or https://".into());
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(end);
    check_authority(authority)?;
    let authority = authority.to_ascii_lowercase();
    let default_port = if scheme == "http" { ":80" } else { ":443" };
    let authority = authority.strip_suffix(default_port).unwrap_or(&authority);
    Ok((format!("{scheme}://{authority}"), rest))
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`, in ASCII, without user information.
pub(super) fn check_authority(authority: &str) -> Result<(), String> {
    let bad = || format!("{authority:?} is not host[:port] (hosts in ASCII, IPv6 as [addr])");
    let port = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let (ip, after) = bracketed.split_once(']').ok_or_else(bad)?;
            ip.parse::<Ipv6Addr>().map_err(|_| bad())?;
            match after {
                "" => None,
                _ => Some(after.strip_prefix(':').ok_or_else(bad)?),
            }
        }
        None => {
            let (host, port) = match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            };
            let is_host_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
            if host.is_empty() || !host.chars().all(is_host_char) {
                return Err(bad());
            }
            port
        }
    };
    match port.map(str::parse::<u16>) {
        None | Some(Ok(1..)) => Ok(()),
        Some(_) => Err(format!(
            "{authority:?}: the port is a number from 1 to 65535"
        )),
    }
}

pub(super) fn error(variable: &'static str, value: &str, reason: impl ToString) -> ConfigError {
    ConfigError {
        variable,
        value: value.to_owned(),
        reason: reason.to_string(),
    }
}

/// Lifetimes and durations end within this: humantime's `10y`. Beyond it, dates
/// computed from them overflow.
pub(super) const TEN_YEARS: Duration = Duration::from_secs(315_576_000);
pub(super) const TEN_MS: Duration = Duration::from_millis(10);
pub(super) const MAX_HASH_CONCURRENCY: usize = 1024;

pub(super) struct Vars<'a>(pub(super) &'a dyn Fn(&str) -> Option<String>);

impl Vars<'_> {
    /// The value, with empty strings treated as unset.
    pub(super) fn raw(&self, key: &str) -> Option<String> {
        (self.0)(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub(super) fn parse<T: FromStr>(
        &self,
        key: &'static str,
        default: &str,
    ) -> Result<T, ConfigError>
    where
        T::Err: ToString,
    {
        let value = self.raw(key).unwrap_or_else(|| default.to_owned());
        value.parse().map_err(|e: T::Err| error(key, &value, e))
    }

    /// A number within `range`.
    pub(super) fn count_in<T>(
        &self,
        key: &'static str,
        default: &str,
        range: RangeInclusive<T>,
    ) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + Display,
        T::Err: ToString,
    {
        let value = self.raw(key).unwrap_or_else(|| default.to_owned());
        let count: T = value.parse().map_err(|e: T::Err| error(key, &value, e))?;
        if !range.contains(&count) {
            let reason = format!("must be from {} to {}", range.start(), range.end());
            return Err(error(key, &value, reason));
        }
        Ok(count)
    }

    /// Durations are written `30s`, `10m`, `24h`, `7d`.
    pub(super) fn duration_in(
        &self,
        key: &'static str,
        default: &str,
        range: RangeInclusive<Duration>,
    ) -> Result<Duration, ConfigError> {
        let value = self.raw(key).unwrap_or_else(|| default.to_owned());
        let duration = humantime::parse_duration(&value).map_err(|e| error(key, &value, e))?;
        if !range.contains(&duration) {
            let reason = format!(
                "must be from {} to {}",
                humantime::format_duration(*range.start()),
                humantime::format_duration(*range.end())
            );
            return Err(error(key, &value, reason));
        }
        Ok(duration)
    }

    /// How long something lives: at least a second, at most ten years.
    pub(super) fn lifetime(
        &self,
        key: &'static str,
        default: &str,
    ) -> Result<Duration, ConfigError> {
        self.duration_in(key, default, Duration::from_secs(1)..=TEN_YEARS)
    }

    /// A duration where `0s` turns the thing off.
    pub(super) fn duration_at_most(
        &self,
        key: &'static str,
        default: &str,
    ) -> Result<Duration, ConfigError> {
        self.duration_in(key, default, Duration::ZERO..=TEN_YEARS)
    }

    pub(super) fn quota(
        &self,
        key: &'static str,
        default: &str,
    ) -> Result<Option<Quota>, ConfigError> {
        let value = self.raw(key).unwrap_or_else(|| default.to_owned());
        if value.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        value.parse().map(Some).map_err(|e| error(key, &value, e))
    }

    /// A comma-separated list.
    pub(super) fn list<T: FromStr>(&self, key: &'static str) -> Result<Vec<T>, ConfigError>
    where
        T::Err: ToString,
    {
        self.raw(key)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| item.parse().map_err(|e: T::Err| error(key, item, e)))
            .collect()
    }
}

#[cfg(unix)]
pub(super) fn is_readable_by_others(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o044 != 0)
}

#[cfg(not(unix))]
pub(super) fn is_readable_by_others(_: &std::path::Path) -> bool {
    false
}
