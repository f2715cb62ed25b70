//! Limits and policy knobs of the swarm core; `Default` is the shipped default.
use std::time::Duration;

use super::id::PeerId;
use super::request::DecodeLimits;

/// Everything the swarm core is bounded by.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerConfig {
    /// Frame size, offers per announce, info hashes per scrape.
    pub decode: DecodeLimits,
    /// `interval` sent to clients.
    pub interval: Duration,
    /// `min interval` sent to clients.
    pub min_interval: Duration,
    /// A peer that has not announced for this long is dropped.
    pub peer_timeout: Duration,
    /// A forwarded offer not answered within this long is forgotten (the JS client gives up
    /// after 50 s).
    pub offer_timeout: Duration,
    /// How often `handle_timeout` sweeps expired peers and offers.
    pub sweep_interval: Duration,
    /// Open WebSocket connections.
    pub max_connections: usize,
    /// Swarms in total (registered by the box or opened by announces).
    pub max_swarms: usize,
    /// Swarms opened by announces for info hashes the box did not register.
    pub max_open_swarms: usize,
    /// Peers in one swarm.
    pub max_peers_per_swarm: usize,
    /// Swarms one connection may be in.
    pub max_swarms_per_connection: usize,
    /// Distinct peer ids one connection may announce (WebTorrent uses one per client).
    pub max_peer_ids_per_connection: usize,
    /// Offers a peer may be sent per `load_window` in one swarm before others are preferred
    /// (its spare capacity).
    pub peer_capacity: usize,
    /// Offers a peer is sent per `load_window` in one swarm at most: past it the peer gets no
    /// more (a popular holder is never flooded; docs/decisions/0103).
    pub peer_max_offers: usize,
    /// Window over which a peer's recent offers count as load.
    pub load_window: Duration,
    /// The box's own seeder gets an offer from each of the first this-many newcomers.
    pub box_first_peers: u32,
    /// Unanswered offers the box's seeder may hold per swarm.
    pub box_capacity: usize,
    /// The box seeder's peer id (what browsers see as `peer_id` of its answers).
    pub box_peer_id: PeerId,
    /// Token bucket: messages per second per connection.
    pub rate_per_sec: u32,
    /// Token bucket: burst size.
    pub rate_burst: u32,
    /// Messages refused by the rate limit before the connection is closed.
    pub max_strikes: u32,
    /// Seed of the routing tie-breaker (deterministic in tests).
    pub seed: u64,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            decode: DecodeLimits::default(),
            interval: Duration::from_secs(120),
            min_interval: Duration::from_secs(30),
            peer_timeout: Duration::from_secs(300),
            offer_timeout: Duration::from_secs(50),
            sweep_interval: Duration::from_secs(5),
            max_connections: 4096,
            max_swarms: 1024,
            max_open_swarms: 256,
            max_peers_per_swarm: 2048,
            max_swarms_per_connection: 128,
            max_peer_ids_per_connection: 4,
            peer_capacity: 8,
            peer_max_offers: 16,
            load_window: Duration::from_secs(10),
            box_first_peers: 2,
            box_capacity: 8,
            box_peer_id: PeerId::from_binary_str("-VB0100-venueboxseed").expect("20 ASCII characters"),
            rate_per_sec: 20,
            rate_burst: 40,
            max_strikes: 40,
            seed: 0x5eed_7ac4_e700_0001,
        }
    }
}
