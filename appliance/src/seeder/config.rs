//! Seeder settings: UDP port, peer bounds and per-session limits.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

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
}

impl Default for SeederConfig {
    fn default() -> Self {
        SeederConfig {
            udp_bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
            trackers: Vec::new(),
            max_peers: 400,
            max_peers_per_segment: 32,
            connect_timeout: Duration::from_secs(15),
            gather_timeout: Duration::from_secs(2),
            include_loopback: false,
            candidate_ips: Vec::new(),
            session: SessionConfig::default(),
        }
    }
}
