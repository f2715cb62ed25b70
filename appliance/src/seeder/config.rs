//! Seeder settings: UDP port, peer bounds and per-session limits.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::config::SeederSettings;
use venuebox_proto::session::SessionConfig;

/// How the WebRTC seeder runs.
#[derive(Debug, Clone)]
pub struct SeederConfig {
    /// The one UDP address every peer connection uses (port 0 picks a free port).
    pub udp_bind: SocketAddr,
    /// Tracker URLs put into magnets and `.torrent` files (the box's own tracker first).
    pub trackers: Vec<String>,
    /// Peer connections open at once, over all segments.
    pub max_peers: usize,
    /// Peer connections open at once for one segment.
    pub max_peers_per_segment: usize,
    /// A connection whose data channel is not open by then is closed.
    pub connect_timeout: Duration,
    /// Limit for gathering the box's host candidates before answering.
    pub gather_timeout: Duration,
    /// Advertise loopback host candidates too (tests on one machine).
    pub include_loopback: bool,
    /// Only advertise host candidates on these addresses (empty: every interface).
    pub candidate_ips: Vec<IpAddr>,
    /// Limits and timers of each peer session.
    pub session: SessionConfig,
    /// The live mesh's stream swarm, when the box takes part in it.
    pub mesh: Option<super::mesh::MeshConfig>,
}

impl SeederConfig {
    /// The runtime configuration of the `[seeder]` section, given the HTTP port the box's
    /// tracker listens on (the default tracker URL names it).
    pub fn from_settings(settings: &SeederSettings, http_port: u16) -> Self {
        let trackers = if settings.trackers.is_empty() {
            vec![format!("ws://{}:{http_port}/announce", settings.public_host)]
        } else {
            settings.trackers.clone()
        };
        SeederConfig {
            udp_bind: settings.udp_listen,
            trackers,
            max_peers: settings.max_peers,
            max_peers_per_segment: settings.max_peers_per_segment,
            candidate_ips: settings.candidate_ips.clone(),
            ..SeederConfig::default()
        }
    }
}

impl Default for SeederConfig {
    fn default() -> Self {
        let shipped = SeederSettings::default();
        SeederConfig {
            udp_bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
            trackers: Vec::new(),
            max_peers: shipped.max_peers,
            max_peers_per_segment: shipped.max_peers_per_segment,
            connect_timeout: Duration::from_secs(15),
            gather_timeout: Duration::from_secs(2),
            include_loopback: false,
            candidate_ips: Vec::new(),
            session: SessionConfig::default(),
            mesh: None,
        }
    }
}
