//! Discovery: how viewers find the box. The viewer URL by address and by `<hostname>.local`,
//! mDNS advertisement (mdns-sd), QR codes, and the join banner printed on the console at start
//! and whenever the address or the name changes.

pub mod addrs;
pub mod console;
pub mod http;
pub mod mdns;
pub mod qr;

use crate::config::DiscoveryConfig;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Which form of the viewer URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// `http://<LAN address>[:port]/`: works on every phone.
    Ip,
    /// `http://<hostname>.local[:port]/`: needs mDNS on the phone.
    Name,
}

impl By {
    /// Reads `?by=ip|name` (default `ip`); `None` for anything else.
    pub fn from_query(query: Option<&str>) -> Option<Self> {
        let Some(q) = query else {
            return Some(Self::Ip);
        };
        let mut by = Self::Ip;
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            match pair {
                "by=ip" => by = Self::Ip,
                "by=name" => by = Self::Name,
                p if p.starts_with("by=") => return None,
                _ => {}
            }
        }
        Some(by)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Current {
    hostname: String,
    ip: Option<Ipv4Addr>,
}

/// The box's current name and address.
#[derive(Debug)]
pub struct Discovery {
    config: DiscoveryConfig,
    listen: SocketAddr,
    current: RwLock<Current>,
}

impl Discovery {
    /// Starts from the configured name and the current interface addresses.
    pub fn new(config: DiscoveryConfig, listen: SocketAddr) -> Self {
        let d = Self {
            current: RwLock::new(Current {
                hostname: config.hostname.clone(),
                ip: None,
            }),
            config,
            listen,
        };
        d.refresh_address();
        d
    }

    /// Is mDNS to run? Not when configured off, nor when the box only listens on loopback.
    pub fn mdns_wanted(&self) -> bool {
        self.config.mdns && !self.listen.ip().is_loopback()
    }

    /// The settings.
    pub fn config(&self) -> &DiscoveryConfig {
        &self.config
    }

    /// The HTTP address the box listens on.
    pub fn listen(&self) -> SocketAddr {
        self.listen
    }

    fn read(&self) -> Current {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The advertised host name (without `.local`).
    pub fn hostname(&self) -> String {
        self.read().hostname
    }

    /// The address viewers reach the box by.
    pub fn ip(&self) -> IpAddr {
        match self.listen.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => self.read().ip.unwrap_or(Ipv4Addr::LOCALHOST).into(),
            ip => ip,
        }
    }

    /// The viewer URL.
    pub fn viewer_url(&self, by: By) -> String {
        let port = match self.listen.port() {
            80 => String::new(),
            p => format!(":{p}"),
        };
        match (by, self.ip()) {
            (By::Name, _) => format!("http://{}.local{port}/", self.hostname()),
            (By::Ip, IpAddr::V6(ip)) => format!("http://[{ip}]{port}/"),
            (By::Ip, ip) => format!("http://{ip}{port}/"),
        }
    }

    /// Re-reads the interface addresses; `true` when the chosen address changed.
    pub fn refresh_address(&self) -> bool {
        let ip = addrs::best_lan_ipv4(&addrs::system_ipv4());
        let mut cur = self.current.write().unwrap_or_else(|p| p.into_inner());
        std::mem::replace(&mut cur.ip, ip) != ip
    }

    /// Records a new host name (after an mDNS conflict); `true` when it changed.
    pub fn set_hostname(&self, name: &str) -> bool {
        let mut cur = self.current.write().unwrap_or_else(|p| p.into_inner());
        std::mem::replace(&mut cur.hostname, name.to_owned()) != name
    }
}

impl crate::report::Source for Discovery {
    fn name(&self) -> &'static str {
        "discovery"
    }

    fn figures(&self) -> Vec<crate::report::Figure> {
        use crate::report::Figure;
        vec![
            Figure::status("hostname", self.hostname()),
            Figure::status("mdns", self.mdns_wanted()),
            Figure::status("viewer_url_ip", self.viewer_url(By::Ip)),
            Figure::status("viewer_url_name", self.viewer_url(By::Name)),
        ]
    }
}

/// Prints the join banner, then again whenever the address changes, until `shutdown`.
pub async fn watch_addresses(discovery: Arc<Discovery>, shutdown: CancellationToken) -> anyhow::Result<()> {
    console::print_join(&discovery);
    let mut tick = tokio::time::interval(Duration::from_secs(discovery.config.address_check_secs));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tick.tick() => {}
        }
        if discovery.refresh_address() {
            tracing::info!(url = %discovery.viewer_url(By::Ip), "viewer address changed");
            console::print_join(&discovery);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_selects_the_url_form() {
        assert_eq!(By::from_query(None), Some(By::Ip));
        assert_eq!(By::from_query(Some("by=name")), Some(By::Name));
        assert_eq!(By::from_query(Some("x=1&by=ip")), Some(By::Ip));
        assert_eq!(By::from_query(Some("by=dns")), None);
    }

    #[test]
    fn urls_follow_listen_address_name_and_port() {
        let d = Discovery::new(DiscoveryConfig::default(), "10.1.2.3:80".parse().unwrap());
        assert_eq!(d.viewer_url(By::Ip), "http://10.1.2.3/");
        assert_eq!(d.viewer_url(By::Name), "http://venuebox.local/");
        assert!(d.set_hostname("venuebox-2"));
        assert!(!d.set_hostname("venuebox-2"));
        assert_eq!(d.viewer_url(By::Name), "http://venuebox-2.local/");
        let d = Discovery::new(DiscoveryConfig::default(), "127.0.0.1:8080".parse().unwrap());
        assert_eq!(d.viewer_url(By::Ip), "http://127.0.0.1:8080/");
        assert!(!d.mdns_wanted(), "never advertise a loopback-only box");
    }
}
