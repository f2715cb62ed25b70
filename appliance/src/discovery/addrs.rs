//! Choosing the address viewers reach the box by: a pure ranking of interface addresses.

use std::net::Ipv4Addr;

/// One interface address as the system reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfAddr {
    /// Interface name, e.g. `eth0`.
    pub interface: String,
    /// Its IPv4 address.
    pub ip: Ipv4Addr,
}

/// The best LAN address: private (RFC 1918) before other global ones, link-local (169.254/16)
/// last, loopback never; ties broken by interface name, then address, so the choice is stable.
pub fn best_lan_ipv4(addrs: &[IfAddr]) -> Option<Ipv4Addr> {
    addrs
        .iter()
        .filter(|a| !a.ip.is_loopback() && !a.ip.is_unspecified() && !a.ip.is_multicast())
        .min_by_key(|a| (rank(a.ip), a.interface.clone(), a.ip))
        .map(|a| a.ip)
}

fn rank(ip: Ipv4Addr) -> u8 {
    if ip.is_private() {
        0
    } else if ip.is_link_local() {
        2
    } else {
        1
    }
}

/// The machine's IPv4 interface addresses now (empty if they cannot be read).
pub fn system_ipv4() -> Vec<IfAddr> {
    let Ok(list) = if_addrs::get_if_addrs() else {
        return Vec::new();
    };
    list.into_iter()
        .filter_map(|i| match i.ip() {
            std::net::IpAddr::V4(ip) => Some(IfAddr { interface: i.name, ip }),
            std::net::IpAddr::V6(_) => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(interface: &str, ip: [u8; 4]) -> IfAddr {
        IfAddr {
            interface: interface.into(),
            ip: Ipv4Addr::from(ip),
        }
    }

    #[test]
    fn prefers_private_then_global_then_link_local_never_loopback() {
        assert_eq!(best_lan_ipv4(&[a("lo", [127, 0, 0, 1])]), None);
        let all = [
            a("lo", [127, 0, 0, 1]),
            a("wlan0", [169, 254, 3, 4]),
            a("eth1", [198, 18, 0, 1]),
            a("eth0", [192, 168, 1, 20]),
        ];
        assert_eq!(best_lan_ipv4(&all), Some(Ipv4Addr::new(192, 168, 1, 20)));
        assert_eq!(best_lan_ipv4(&all[..3]), Some(Ipv4Addr::new(198, 18, 0, 1)));
        assert_eq!(best_lan_ipv4(&all[..2]), Some(Ipv4Addr::new(169, 254, 3, 4)));
    }

    #[test]
    fn choice_is_stable_whatever_the_order() {
        let mut xs = vec![
            a("eth1", [10, 0, 0, 2]),
            a("eth0", [10, 0, 0, 9]),
            a("eth0", [10, 0, 0, 3]),
        ];
        let first = best_lan_ipv4(&xs);
        xs.reverse();
        assert_eq!(best_lan_ipv4(&xs), first);
        assert_eq!(first, Some(Ipv4Addr::new(10, 0, 0, 3)));
    }
}
