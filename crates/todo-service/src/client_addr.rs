//! The client's address behind reverse proxies, for throttling.
//!
//! `X-Forwarded-For` is only believed when the connection comes from a trusted
//! proxy (`TRUSTED_PROXIES`): anyone else could write any address into it and
//! escape per-address limits, or pin them on somebody else.

use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// Default `TRUSTED_PROXIES`: the loopback networks, where the all-in-one
/// launcher's web half calls its API half and a local reverse proxy would sit.
pub const DEFAULT_TRUSTED_PROXIES: &str = "127.0.0.0/8,::1/128";

/// The networks whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl FromStr for TrustedProxies {
    type Err = String;

    /// Comma-separated addresses or CIDR networks; empty trusts nobody.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let net = match item.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => item
                    .parse::<IpAddr>()
                    .map(IpNet::from)
                    .map_err(|_| format!("{item:?} is not an IP address or CIDR network (like 10.0.0.0/8)"))?,
            };
            nets.push(net.trunc());
        }
        Ok(TrustedProxies(nets))
    }
}

impl TrustedProxies {
    /// Whether the address belongs to a trusted proxy (IPv4-mapped IPv6 counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: the peer itself, or, when the peer is a trusted
    /// proxy, the right-most `X-Forwarded-For` entry that is not a trusted proxy
    /// (proxies append, so entries further left were written by the client and
    /// prove nothing). An unparsable entry ends the walk at the last trusted hop.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.contains(client) {
            return client;
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) => {
                    client = canonical(ip);
                    if !self.contains(client) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        client
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`, seen on dual-stack sockets) as
/// the IPv4 address they are.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The unit a per-address limit counts: an IPv4 address, or the /64 network of
/// an IPv6 address (one subscriber usually holds a whole /64, so counting single
/// IPv6 addresses would give an attacker 2^64 fresh budgets).
pub fn throttle_key(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_addresses_and_networks_and_names_bad_entries() {
        let t: TrustedProxies = "10.0.0.0/8, 192.168.1.7 ,fd00::/8,".parse().unwrap();
        assert!(t.contains(ip("10.1.2.3")) && t.contains(ip("192.168.1.7")) && t.contains(ip("fd12::1")));
        assert!(!t.contains(ip("192.168.1.8")) && !t.contains(ip("11.0.0.1")));
        assert_eq!("".parse::<TrustedProxies>().unwrap(), TrustedProxies::default());
        let err = "10.0.0.0/8,proxy.local".parse::<TrustedProxies>().unwrap_err();
        assert!(err.contains("\"proxy.local\""), "{err}");
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_peers() {
        let t: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        // An untrusted peer cannot choose its address.
        assert_eq!(t.client_ip(ip("203.0.113.9"), &headers(&["1.2.3.4"])), ip("203.0.113.9"));
        // A trusted peer without the header is the client itself.
        assert_eq!(t.client_ip(ip("10.0.0.5"), &headers(&[])), ip("10.0.0.5"));
        // The right-most untrusted hop is the client; what the client wrote
        // further left is ignored.
        assert_eq!(t.client_ip(ip("10.0.0.5"), &headers(&["6.6.6.6, 198.51.100.7, 10.0.0.9"])), ip("198.51.100.7"));
        // Several headers are one list, in order.
        assert_eq!(t.client_ip(ip("10.0.0.5"), &headers(&["6.6.6.6", "198.51.100.7"])), ip("198.51.100.7"));
        // Garbage stops the walk at the last trusted hop.
        assert_eq!(t.client_ip(ip("10.0.0.5"), &headers(&["1.1.1.1, garbage"])), ip("10.0.0.5"));
        // Only trusted hops: the left-most of them.
        assert_eq!(t.client_ip(ip("10.0.0.5"), &headers(&["10.0.0.7"])), ip("10.0.0.7"));
        // Nobody trusted: the header never matters.
        let none = TrustedProxies::default();
        assert_eq!(none.client_ip(ip("127.0.0.1"), &headers(&["1.2.3.4"])), ip("127.0.0.1"));
    }

    #[test]
    fn ipv4_mapped_peers_and_ipv6_networks() {
        let t: TrustedProxies = DEFAULT_TRUSTED_PROXIES.parse().unwrap();
        assert_eq!(t.client_ip(ip("::ffff:127.0.0.1"), &headers(&["192.0.2.1"])), ip("192.0.2.1"));
        assert_eq!(throttle_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
        assert_eq!(throttle_key(ip("2001:db8:1:2:aaaa::1")), throttle_key(ip("2001:db8:1:2:bbbb::9")));
        assert_eq!(throttle_key(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_ne!(throttle_key(ip("2001:db8:1:3::1")), throttle_key(ip("2001:db8:1:2::1")));
    }
}
