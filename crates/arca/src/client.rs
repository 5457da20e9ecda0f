//! Who is on the other end of a request: the client's address and whether its connection was TLS,
//! handed to the wire crates as a [`RequestFacts`] request extension (they add the request id).
//!
//! Arca serves plain HTTP; TLS, when there is any, ends at a proxy in front of it. So:
//! - **Source address:** the TCP peer. When the peer is one of the operator's `trusted_proxies`,
//!   `X-Forwarded-For` is read from its right end, skipping trusted proxies: the first address
//!   that is not one is the client (all trusted: the leftmost). A missing or malformed header
//!   leaves the peer. Without `trusted_proxies` the header is ignored (anyone could send it).
//! - **TLS:** from a trusted proxy, its `X-Forwarded-Proto` (`https` or not); otherwise, whether
//!   `public_url` is `https://` (the operator's statement of how clients reach the server).

use std::net::{IpAddr, SocketAddr};

use arca_service::RequestFacts;
use axum::http::HeaderMap;
use ipnet::IpNet;

/// The operator's settings for reading client facts.
#[derive(Debug, Clone, Default)]
pub struct ClientFacts {
    pub trusted_proxies: Vec<IpNet>,
    /// `public_url` starts with `https://`.
    pub public_https: bool,
}

impl ClientFacts {
    fn trusted(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.trusted_proxies.iter().any(|n| n.contains(&ip))
    }

    /// The facts of a request from `peer` with `headers` (its request id is the wire's to set).
    pub fn of(&self, peer: SocketAddr, headers: &HeaderMap) -> RequestFacts {
        let peer_ip = canonical(peer.ip());
        if !self.trusted(peer_ip) {
            return RequestFacts {
                request_id: String::new(),
                source_ip: Some(peer_ip),
                secure_transport: self.public_https,
            };
        }
        let forwarded: Option<Vec<IpAddr>> = headers
            .get_all("x-forwarded-for")
            .iter()
            .map(|v| v.to_str().ok())
            .collect::<Option<Vec<_>>>()
            .and_then(|values| {
                values
                    .iter()
                    .flat_map(|v| v.split(','))
                    .map(|a| a.trim().parse::<IpAddr>().ok().map(canonical))
                    .collect()
            });
        let source = match forwarded {
            Some(hops) if !hops.is_empty() => hops
                .iter()
                .rev()
                .find(|ip| !self.trusted(**ip))
                .or(hops.first())
                .copied(),
            _ => None,
        };
        let proto = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .map(|p| p.trim().eq_ignore_ascii_case("https"));
        RequestFacts {
            request_id: String::new(),
            source_ip: Some(source.unwrap_or(peer_ip)),
            secure_transport: proto.unwrap_or(self.public_https),
        }
    }
}

/// An IPv4 address mapped into IPv6 (`::ffff:a.b.c.d`, a dual-stack socket's view) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(trusted: &[&str], https: bool) -> ClientFacts {
        ClientFacts {
            trusted_proxies: trusted.iter().map(|n| n.parse().unwrap()).collect(),
            public_https: https,
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn peer(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().unwrap(), 40000)
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let f = facts(&[], false);
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("x-forwarded-proto", "https"),
        ]);
        let got = f.of(peer("198.51.100.7"), &h);
        assert_eq!(got.source_ip, ip("198.51.100.7"));
        assert!(!got.secure_transport);
        assert!(facts(&[], true).of(peer("::1"), &h).secure_transport);
    }

    #[test]
    fn a_trusted_proxy_names_the_first_untrusted_hop_from_the_right() {
        let f = facts(&["10.0.0.0/8", "fd00::/8"], false);
        let h = headers(&[
            ("x-forwarded-for", "192.0.2.1, 203.0.113.9"),
            ("x-forwarded-for", "10.1.1.1"),
            ("x-forwarded-proto", "https"),
        ]);
        let got = f.of(peer("10.0.0.2"), &h);
        assert_eq!(got.source_ip, ip("203.0.113.9"));
        assert!(got.secure_transport);
        let all_trusted = headers(&[("x-forwarded-for", "10.3.3.3, 10.1.1.1")]);
        assert_eq!(
            f.of(peer("fd00::2"), &all_trusted).source_ip,
            ip("10.3.3.3")
        );
        let malformed = headers(&[("x-forwarded-for", "a.b.c.d, 203.0.113.9")]);
        assert_eq!(f.of(peer("10.0.0.2"), &malformed).source_ip, ip("10.0.0.2"));
        assert_eq!(
            f.of(peer("::ffff:10.0.0.2"), &headers(&[])).source_ip,
            ip("10.0.0.2")
        );
    }
}
