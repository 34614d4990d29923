//! The client's IP: the socket peer, unless that peer is a trusted proxy.
use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

use super::AppState;
use crate::{auth::ClientInfo, config::ForwardingHeader};

/// Networks whose forwarding header is believed (`TRUSTED_PROXIES`), and which header
/// that is (`TRUSTED_PROXY_HEADER`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    networks: Vec<IpNet>,
    header: ForwardingHeader,
}

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>, header: ForwardingHeader) -> Self {
        Self { networks, header }
    }

    fn contains(&self, ip: &IpAddr) -> bool {
        self.networks.iter().any(|net| net.contains(ip))
    }

    /// Walks the forwarding chain from the right, skipping trusted proxies, and takes
    /// the first address that is not one. A peer outside `TRUSTED_PROXIES` is the
    /// client, whatever headers it sends; the left-most entries are whatever the client
    /// wrote and are never believed past an untrusted hop.
    pub fn client_ip(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.ip().to_canonical();
        if !self.contains(&peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarded_chain(self.header, headers).into_iter().rev() {
            match hop {
                Some(ip) if self.contains(&ip) => client = ip,
                Some(ip) => return ip,
                // Garbage in the chain: nothing to its left can be trusted.
                None => return client,
            }
        }
        client
    }
}

/// Who calls, as the handlers pass it to the flows: the client IP as above, and the
/// headers that describe the device.
pub(super) fn client_info(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> ClientInfo {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    ClientInfo {
        ip: Some(state.trusted_proxies.client_ip(peer, headers)),
        user_agent: text("user-agent"),
        device_fingerprint: text("device-fingerprint"),
    }
}

/// The addresses of the one header the proxy sets, left to right; `None` for an entry
/// that is not an IP address. The other header is the client's own text: a proxy that
/// sets `Forwarded` passes a client's `X-Forwarded-For` through untouched.
fn forwarded_chain(header: ForwardingHeader, headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect::<Vec<_>>()
    };
    match header {
        ForwardingHeader::XForwardedFor => values("x-forwarded-for")
            .into_iter()
            .map(parse_node)
            .collect(),
        // Each element is `key=value` pairs; an element without `for=` says nothing
        // about the client and is skipped.
        ForwardingHeader::Forwarded => values("forwarded")
            .into_iter()
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (key, value) = pair.trim().split_once('=')?;
                    key.eq_ignore_ascii_case("for").then(|| parse_node(value))
                })
            })
            .collect(),
    }
}

/// `1.2.3.4`, `1.2.3.4:5678`, `"[2001:db8::1]:80"` or `2001:db8::1`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim().trim_matches('"');
    if let Ok(ip) = raw.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(addr) = raw.parse::<SocketAddr>() {
        return Some(addr.ip().to_canonical());
    }
    raw.strip_prefix('[')
        .and_then(|rest| rest.split(']').next())
        .and_then(|ip| ip.parse::<IpAddr>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        proxies_reading(list, ForwardingHeader::XForwardedFor)
    }

    fn proxies_reading(list: &[&str], header: ForwardingHeader) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|n| n.parse().unwrap()).collect(), header)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, v.parse().unwrap());
        }
        map
    }

    const PEER: &str = "10.0.0.5:443";

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let ip = proxies(&[]).client_ip(
            PEER.parse().unwrap(),
            &headers(&[("x-forwarded-for", "1.1.1.1")]),
        );
        assert_eq!(ip, "10.0.0.5".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn the_right_most_untrusted_hop_wins_over_a_spoofed_left_entry() {
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.0.0.9")]);
        let ip = proxies(&["10.0.0.0/8"]).client_ip(PEER.parse().unwrap(), &h);
        assert_eq!(ip, "203.0.113.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn the_forwarded_header_is_read_when_the_proxy_sets_it() {
        let h = headers(&[(
            "forwarded",
            "for=198.51.100.1;proto=https, for=\"[2001:db8::1]:4711\"",
        )]);
        let ip = proxies_reading(&["10.0.0.0/8"], ForwardingHeader::Forwarded)
            .client_ip(PEER.parse().unwrap(), &h);
        assert_eq!(ip, "2001:db8::1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn the_header_the_proxy_does_not_set_is_ignored() {
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("forwarded", "for=203.0.113.7"),
        ]);
        let peer = PEER.parse().unwrap();
        let forwarded = proxies_reading(&["10.0.0.0/8"], ForwardingHeader::Forwarded);
        assert_eq!(
            forwarded.client_ip(peer, &h),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        let xff = proxies_reading(&["10.0.0.0/8"], ForwardingHeader::XForwardedFor);
        assert_eq!(
            xff.client_ip(peer, &h),
            "6.6.6.6".parse::<IpAddr>().unwrap()
        );
        // Without its header, the proxy itself is the client: never the other header.
        let only_xff = headers(&[("x-forwarded-for", "6.6.6.6")]);
        assert_eq!(forwarded.client_ip(peer, &only_xff), peer.ip());
    }

    #[test]
    fn garbage_in_the_chain_stops_the_walk() {
        let h = headers(&[("x-forwarded-for", "1.2.3.4, not-an-ip, 10.0.0.9")]);
        let ip = proxies(&["10.0.0.0/8"]).client_ip(PEER.parse().unwrap(), &h);
        assert_eq!(ip, "10.0.0.9".parse::<IpAddr>().unwrap());
    }
}
