//! The `[seeder]` section of the configuration file.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// WebRTC seeder settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeederSettings {
    /// Seed every segment of the window over WebRTC.
    pub enabled: bool,
    /// The one UDP address all peer connections use. Port 0 picks a free port at start; set a
    /// fixed port when a firewall must let it through.
    pub udp_listen: SocketAddr,
    /// Tracker URLs written into magnets and `.torrent` files. Empty: the box's own tracker,
    /// `ws://<public_host>:<http port>/announce`.
    pub trackers: Vec<String>,
    /// Host name viewers reach the box by, for the default tracker URL.
    pub public_host: String,
    /// Most peer connections open at once.
    pub max_peers: usize,
    /// Most peer connections open at once for one segment.
    pub max_peers_per_segment: usize,
    /// Only advertise host candidates on these addresses (empty: every interface).
    pub candidate_ips: Vec<IpAddr>,
}

impl Default for SeederSettings {
    fn default() -> Self {
        SeederSettings {
            enabled: true,
            udp_listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
            trackers: Vec::new(),
            public_host: "venuebox.local".to_owned(),
            max_peers: 400,
            max_peers_per_segment: 32,
            candidate_ips: Vec::new(),
        }
    }
}

impl SeederSettings {
    /// Rejects settings that cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.max_peers == 0 || self.max_peers_per_segment == 0 || self.max_peers_per_segment > self.max_peers {
            return Err(ConfigError::Invalid(
                "seeder: max_peers and max_peers_per_segment must be positive, per segment <= total".into(),
            ));
        }
        Ok(())
    }
}
