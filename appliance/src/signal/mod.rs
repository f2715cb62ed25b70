//! Signaling (`/signal` WebSocket, docs/SIGNALING.md): tells viewers what exists (hello, one
//! announcement per segment, discontinuities, removals, end) and collects their stats for the
//! status page and `/metrics`.

pub mod conn;
pub mod hub;
mod status;
pub mod torrent;

use crate::config::SignalConfig;
use hub::Announcer;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;
use tokio_util::sync::CancellationToken;
use venuebox_proto::signal::{ClientId, StatsAggregator, StatsLimits, StatsSummary};

/// Counters of the signaling endpoint.
#[derive(Debug, Default)]
pub struct SignalCounters {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections refused because `max_clients` were connected.
    pub refused_full: AtomicU64,
    /// Connections dropped because they did not keep up.
    pub dropped_slow: AtomicU64,
    /// Messages from viewers rejected (malformed, invalid, too large, rate-limited).
    pub rejected_messages: AtomicU64,
    /// Connections closed for repeated bad messages.
    pub closed_abuse: AtomicU64,
}

impl SignalCounters {
    /// Adds one to `counter`.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The signaling subsystem shared by the hub task, the connections and the status page.
pub struct SignalHub {
    /// Announcements and fan-out.
    pub announcer: Announcer,
    stats: Mutex<StatsAggregator>,
    /// Counters.
    pub counters: SignalCounters,
    /// Settings fixed at start.
    pub settings: SignalConfig,
    /// Cancelled when the service stops; connections close.
    pub shutdown: CancellationToken,
    epoch: Instant,
}

impl SignalHub {
    /// A hub with the given settings and torrent hook.
    pub fn new(settings: SignalConfig, torrent_for: torrent::TorrentFn, shutdown: CancellationToken) -> Self {
        let limits = StatsLimits {
            max_clients: settings.max_clients,
            ..StatsLimits::default()
        };
        Self {
            announcer: Announcer::new(&settings.r2_base_url, torrent_for),
            stats: Mutex::new(StatsAggregator::new(limits)),
            counters: SignalCounters::default(),
            settings,
            shutdown,
            epoch: Instant::now(),
        }
    }

    /// Milliseconds since the hub started (the aggregator's clock).
    pub fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// The stats aggregator.
    pub fn stats(&self) -> MutexGuard<'_, StatsAggregator> {
        self.stats.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a connection; `None` when full.
    pub fn join(&self) -> Option<ClientId> {
        let now = self.now_ms();
        self.stats().join(now)
    }

    /// Figures over all viewers now.
    pub fn summary(&self) -> StatsSummary {
        let now = self.now_ms();
        self.stats().summary(now)
    }
}
