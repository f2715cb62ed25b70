//! Aggregation of viewers' stats reports: per-client latest report, totals, P2P share and viewer
//! count, with a bounded number of clients and a per-client report rate limit.
//!
//! Driving loop: [`StatsAggregator::join`] when a signaling socket opens (refused when full),
//! [`StatsAggregator::report`] for each decoded stats message, [`StatsAggregator::leave`] when it
//! closes, [`StatsAggregator::summary`] whenever figures are needed. Time is a parameter
//! (milliseconds on any monotonic clock). Invariants: at most `max_clients` entries; byte totals
//! never decrease (a departing client's last counters move into the departed totals); a client's
//! counters never go back; each client spends one token per report from a bucket of `burst`
//! tokens refilled every `min_interval_ms`.
//!
//! Offload (`p2p_share`) is the share of all viewer bytes that came from other viewers: bytes
//! from the box (its WebRTC seeder or HTTP) and from R2 are not offload. Client isolation: a
//! viewer that reached the box over WebRTC, tried at least [`ISOLATED_FAILED_TRIES`] viewers
//! without those links opening and has no link to a viewer open is *isolated*; the summary says
//! `isolation.suspected` when at least two fresh reporters are isolated and they outnumber the
//! fresh reporters with a link to another viewer open (it clears as soon as they do not).

use super::{DeliveryPath, ViewerStats};
use std::collections::HashMap;

/// Identifies one signaling connection.
pub type ClientId = u64;

/// Bounds of the aggregator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsLimits {
    /// Most clients at once.
    pub max_clients: usize,
    /// One report per this many ms on average.
    pub min_interval_ms: u64,
    /// Reports allowed in a burst.
    pub burst: u32,
    /// A client whose last report is older than this is not counted in means.
    pub stale_ms: u64,
}

impl Default for StatsLimits {
    fn default() -> Self {
        Self {
            max_clients: 2000,
            min_interval_ms: 1000,
            burst: 5,
            stale_ms: 30_000,
        }
    }
}

/// Why a report was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The client sends faster than allowed.
    #[error("stats reports arrive too fast")]
    RateLimited,
    /// A cumulative counter is lower than in the previous report.
    #[error("a cumulative counter went back")]
    CounterWentBack,
    /// The client never joined or has left.
    #[error("unknown client")]
    UnknownClient,
}

/// Figures over all viewers.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct StatsSummary {
    /// Connected signaling clients.
    pub viewers: usize,
    /// Clients with a report fresher than `stale_ms`.
    pub reporting: usize,
    /// Bytes viewers got from each other, all clients ever.
    pub bytes_p2p: u64,
    /// Bytes viewers got from the box over HTTP.
    pub bytes_http: u64,
    /// Bytes viewers got from the box's WebRTC seeder.
    pub bytes_seeder: u64,
    /// Bytes viewers got from R2.
    pub bytes_r2: u64,
    /// Offload: `bytes_p2p` over all viewer bytes (other viewers, box seeder, box HTTP, R2), if any.
    pub p2p_share: Option<f64>,
    /// Connected viewers by how they said they get the stream.
    pub paths: Paths,
    /// Mean peers per reporting viewer.
    pub peers_mean: Option<f64>,
    /// Mean buffer, seconds.
    pub buffer_mean_secs: Option<f64>,
    /// Mean latency behind the live edge, seconds.
    pub latency_mean_secs: Option<f64>,
    /// Largest latency, seconds.
    pub latency_max_secs: Option<f64>,
    /// Median latency of fresh reporters, seconds.
    pub latency_p50_secs: Option<f64>,
    /// 95th percentile latency of fresh reporters, seconds.
    pub latency_p95_secs: Option<f64>,
    /// Fresh reporters that have stalled at least once.
    pub viewers_stalled: usize,
    /// Whether viewers reach the box but not each other.
    pub isolation: Isolation,
    /// Stalls, all clients ever.
    pub stalls: u64,
    /// Reports refused (rate limit, bad counters).
    pub rejected_reports: u64,
}

#[derive(Debug)]
struct Client {
    last: Option<ViewerStats>,
    last_at_ms: u64,
    tokens: u32,
    refilled_at_ms: u64,
}

/// The aggregator.
#[derive(Debug)]
pub struct StatsAggregator {
    limits: StatsLimits,
    clients: HashMap<ClientId, Client>,
    next_id: ClientId,
    departed: [u64; COUNTERS],
    rejected: u64,
}

impl StatsAggregator {
    /// An empty aggregator.
    pub fn new(limits: StatsLimits) -> Self {
        Self {
            limits,
            clients: HashMap::new(),
            next_id: 1,
            departed: [0; COUNTERS],
            rejected: 0,
        }
    }

    /// Registers a new client; `None` when `max_clients` are connected.
    pub fn join(&mut self, now_ms: u64) -> Option<ClientId> {
        if self.clients.len() >= self.limits.max_clients {
            return None;
        }
        let id = self.next_id;
        self.next_id += 1;
        let client = Client {
            last: None,
            last_at_ms: now_ms,
            tokens: self.limits.burst,
            refilled_at_ms: now_ms,
        };
        self.clients.insert(id, client);
        Some(id)
    }

    /// Forgets a client, keeping its byte and stall counters in the totals.
    pub fn leave(&mut self, id: ClientId) {
        if let Some(Client { last: Some(s), .. }) = self.clients.remove(&id) {
            for (total, n) in self.departed.iter_mut().zip(counters(&s)) {
                *total = total.saturating_add(n);
            }
        }
    }

    /// Takes a (validated) report.
    pub fn report(&mut self, id: ClientId, stats: ViewerStats, now_ms: u64) -> Result<(), ReportError> {
        let limits = self.limits;
        let client = self.clients.get_mut(&id).ok_or(ReportError::UnknownClient)?;
        let result = client.take(stats, now_ms, limits);
        if result.is_err() {
            self.rejected += 1;
        }
        result
    }

    /// Figures now.
    pub fn summary(&self, now_ms: u64) -> StatsSummary {
        let mut totals = self.departed;
        let fresh: Vec<&ViewerStats> = self
            .clients
            .values()
            .filter_map(|c| {
                let s = c.last.as_ref()?;
                for (total, n) in totals.iter_mut().zip(counters(s)) {
                    *total = total.saturating_add(n);
                }
                (now_ms.saturating_sub(c.last_at_ms) <= self.limits.stale_ms).then_some(s)
            })
            .collect();
        let all_bytes = totals[..4].iter().fold(0u64, |a, b| a.saturating_add(*b));
        let mean = |f: &dyn Fn(&ViewerStats) -> Option<f64>| {
            let xs: Vec<f64> = fresh.iter().filter_map(|s| f(s)).collect();
            (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
        };
        StatsSummary {
            viewers: self.clients.len(),
            reporting: fresh.len(),
            bytes_p2p: totals[0],
            bytes_http: totals[1],
            bytes_r2: totals[2],
            bytes_seeder: totals[3],
            p2p_share: (all_bytes > 0).then(|| totals[0] as f64 / all_bytes as f64),
            paths: Paths::of(self.clients.values().filter_map(|c| c.last.as_ref())),
            peers_mean: mean(&|s| Some(f64::from(s.peers))),
            buffer_mean_secs: mean(&|s| Some(s.buffer_secs)),
            latency_mean_secs: mean(&|s| s.latency_secs),
            latency_max_secs: fresh.iter().filter_map(|s| s.latency_secs).reduce(f64::max),
            latency_p50_secs: percentile(fresh.iter().filter_map(|s| s.latency_secs), 0.5),
            latency_p95_secs: percentile(fresh.iter().filter_map(|s| s.latency_secs), 0.95),
            viewers_stalled: fresh.iter().filter(|s| s.stalls > 0).count(),
            isolation: Isolation::of(&fresh),
            stalls: totals[4],
            rejected_reports: self.rejected,
        }
    }
}

impl Client {
    fn take(&mut self, stats: ViewerStats, now_ms: u64, limits: StatsLimits) -> Result<(), ReportError> {
        let interval = limits.min_interval_ms.max(1);
        let earned = now_ms.saturating_sub(self.refilled_at_ms) / interval;
        if earned > 0 {
            self.tokens = (u64::from(self.tokens) + earned).min(u64::from(limits.burst)) as u32;
            self.refilled_at_ms += earned * interval;
        }
        if self.tokens == 0 {
            return Err(ReportError::RateLimited);
        }
        self.tokens -= 1;
        if let Some(prev) = &self.last {
            if counters(&stats).iter().zip(counters(prev)).any(|(new, old)| *new < old) {
                return Err(ReportError::CounterWentBack);
            }
        }
        self.last = Some(stats);
        self.last_at_ms = now_ms;
        Ok(())
    }
}

/// Cumulative counters per client: bytes from viewers, box HTTP, R2, box seeder; stalls.
const COUNTERS: usize = 5;

fn counters(s: &ViewerStats) -> [u64; COUNTERS] {
    [
        s.bytes_p2p,
        s.bytes_http,
        s.bytes_r2,
        s.bytes_seeder,
        u64::from(s.stalls),
    ]
}

/// The `q` quantile (nearest rank) of `xs`, if any.
fn percentile(xs: impl Iterator<Item = f64>, q: f64) -> Option<f64> {
    let mut v: Vec<f64> = xs.collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    Some(v[rank - 1])
}

/// Connected viewers by delivery path (those that never said are `unknown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Paths {
    /// hls.js with the live mesh (P2P-capable).
    pub p2p: usize,
    /// hls.js over HTTP only.
    pub http: usize,
    /// The browser's own HLS player.
    pub native: usize,
    /// No report, or a report without a path.
    pub unknown: usize,
}

impl Paths {
    fn of<'a>(reports: impl Iterator<Item = &'a ViewerStats>) -> Self {
        let mut p = Self::default();
        for s in reports {
            match s.path {
                Some(DeliveryPath::P2p) => p.p2p += 1,
                Some(DeliveryPath::Http) => p.http += 1,
                Some(DeliveryPath::Native) => p.native += 1,
                None => p.unknown += 1,
            }
        }
        p
    }
}

/// Failed (or still pending) connections to other viewers after which a viewer without any
/// viewer link, but with a box link, counts as isolated.
pub const ISOLATED_FAILED_TRIES: u64 = 2;

/// Whether viewers reach the box but not each other (venue Wi-Fi client isolation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Isolation {
    /// Fresh reporters that reached the box's seeder but no other viewer (see module doc).
    pub isolated: usize,
    /// Fresh reporters with a link to another viewer open.
    pub connected: usize,
    /// At least two isolated viewers and more isolated than connected ones.
    pub suspected: bool,
}

impl Isolation {
    fn of(fresh: &[&ViewerStats]) -> Self {
        let mut i = Self::default();
        for l in fresh.iter().filter_map(|s| s.links) {
            if l.viewers_open > 0 {
                i.connected += 1;
            } else if l.box_opened > 0 && l.viewers_tried.saturating_sub(l.viewers_opened) >= ISOLATED_FAILED_TRIES {
                i.isolated += 1;
            }
        }
        i.suspected = i.isolated >= 2 && i.isolated > i.connected;
        i
    }
}
