//! Tracker counters (monotonic) and gauges (current sizes) for /api/status and /metrics.

/// Monotonic counters since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Announces processed (including answer-carrying ones).
    pub announces: u64,
    /// Scrapes processed.
    pub scrapes: u64,
    /// Offers forwarded to peers on WebSockets.
    pub offers_relayed: u64,
    /// Offers handed to the box's seeder.
    pub box_offers: u64,
    /// Answers relayed (from peers and from the box's seeder).
    pub answers_relayed: u64,
    /// Frames answered with a `failure reason`.
    pub failures: u64,
    /// Messages dropped by the per-connection rate limit.
    pub rate_limited: u64,
    /// Connections closed for flooding.
    pub flood_closes: u64,
    /// Peers dropped because they stopped announcing.
    pub peers_expired: u64,
    /// Swarms dropped because their segment left the window.
    pub swarms_dropped: u64,
}

/// Current sizes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gauges {
    /// Connections known to the core.
    pub connections: u64,
    /// Swarms.
    pub swarms: u64,
    /// Swarms registered by the box.
    pub registered_swarms: u64,
    /// Peers over all swarms.
    pub peers: u64,
    /// Seeders over all swarms (peers with the whole segment; the box not included).
    pub seeders: u64,
    /// Leechers over all swarms.
    pub leechers: u64,
    /// Offers forwarded and not yet answered.
    pub pending_offers: u64,
}
