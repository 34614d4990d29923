//! How browser apps hold a session: the refresh-token cookie and the origins it may
//! come from.
use super::{
    ConfigError,
    vars::{Vars, split_http_url},
};

/// `REFRESH_TOKEN_COOKIE=true`: refresh tokens travel in an HttpOnly cookie that page
/// scripts cannot read, instead of the response body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshCookie {
    /// `__Host-refresh_token` behind https: the prefix makes browsers refuse the
    /// name from any other host (a sibling subdomain planting its own session) and
    /// requires `Path=/`. On plain http no prefix is possible: `refresh_token`.
    pub name: &'static str,
    /// `/` behind https (the `__Host-` rule), `/graphql` otherwise. Nothing but the
    /// API reads it: pages and `GET /graphql` ignore it.
    pub path: &'static str,
    /// Off only when `PUBLIC_URL` is plain http (development): a browser keeps no
    /// `Secure` cookie from an http origin other than localhost.
    pub secure: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserSettings {
    pub refresh_cookie: Option<RefreshCookie>,
    /// Origins a request carrying the cookie may come from: `PUBLIC_URL`'s and
    /// `CORS_ORIGINS`.
    pub cookie_origins: Vec<String>,
}

impl BrowserSettings {
    /// `PUBLIC_URL`'s origin: the only one this service's own pages post from.
    pub fn own_origin(&self) -> &str {
        &self.cookie_origins[0]
    }

    pub(super) fn load(
        vars: &Vars<'_>,
        public_url: &str,
        cors_origins: &[String],
    ) -> Result<Self, ConfigError> {
        let on: bool = vars.parse("REFRESH_TOKEN_COOKIE", "false")?;
        // PUBLIC_URL was checked already; its origin always splits off.
        let own_origin = split_http_url(public_url)
            .map(|(origin, _)| origin)
            .unwrap_or_default();
        let secure = own_origin.starts_with("https://");
        let mut cookie_origins = vec![own_origin];
        cookie_origins.extend(cors_origins.iter().cloned());
        Ok(Self {
            refresh_cookie: on.then_some(RefreshCookie {
                name: if secure {
                    "__Host-refresh_token"
                } else {
                    "refresh_token"
                },
                path: if secure { "/" } else { "/graphql" },
                secure,
            }),
            cookie_origins,
        })
    }
}
