//! Where an IP address is, from a MaxMind-format database (`GEOIP_DB`).
use std::{net::IpAddr, path::Path};

use anyhow::Context as _;
use maxminddb::{Reader, geoip2};

/// A place, as far as the database knows it; names in English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub country_code: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
}

pub struct GeoIp(Reader<Vec<u8>>);

impl GeoIp {
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        Reader::open_readfile(path)
            .map(Self)
            .with_context(|| format!("opening the geo-IP database {}", path.display()))
    }

    /// `None` for addresses the database does not know (private ranges among them).
    pub fn locate(&self, ip: IpAddr) -> Option<Location> {
        let found = self.0.lookup(ip).ok()?;
        let city: geoip2::City<'_> = found.decode().ok()??;
        let location = Location {
            country_code: city.country.iso_code.map(str::to_owned),
            country: city.country.names.english.map(str::to_owned),
            city: city.city.names.english.map(str::to_owned),
        };
        let known = location.country_code.is_some() || location.city.is_some();
        known.then_some(location)
    }
}
