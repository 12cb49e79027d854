//! Client addresses as abuse controls (rate limits, login lockout) count them: an IPv4 client
//! is its address, an IPv6 client its /64, the smallest block one subscriber is given. Keyed
//! by full IPv6 addresses, one host could take a fresh budget for every request.

use std::net::{IpAddr, Ipv6Addr};

/// The block `ip` is counted under: IPv4 (also IPv4-mapped IPv6) as is, IPv6 as its /64.
pub fn address_block(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mask = u128::MAX << 64;
                IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn ipv6_addresses_of_one_slash_64_share_a_block() {
        assert_eq!(
            address_block(ip("2001:db8:1:2:aaaa::1")),
            address_block(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"))
        );
        assert_eq!(address_block(ip("2001:db8:1:2::5")), ip("2001:db8:1:2::"));
        assert_ne!(
            address_block(ip("2001:db8:1:2::1")),
            address_block(ip("2001:db8:1:3::1"))
        );
    }

    #[test]
    fn ipv4_addresses_stay_distinct_also_when_mapped() {
        assert_eq!(address_block(ip("192.0.2.1")), ip("192.0.2.1"));
        assert_ne!(
            address_block(ip("192.0.2.1")),
            address_block(ip("192.0.2.2"))
        );
        assert_eq!(address_block(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
    }
}
