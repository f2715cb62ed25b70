//! Figures the core task publishes once a second, plus IO counters, for status and metrics.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::report::{Figure, Source};
use venuebox_proto::tracker::{Counters, Gauges};

/// Per-second rates over the last publication interval.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rates {
    /// Announces per second.
    pub announces: f64,
    /// Offers relayed (to peers and to the box) per second.
    pub offers: f64,
    /// Answers relayed per second.
    pub answers: f64,
}

/// The published figures.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Snapshot {
    /// Core counters.
    pub counters: Counters,
    /// Core sizes.
    pub gauges: Gauges,
    /// Rates.
    pub rates: Rates,
}

/// Shared tracker figures.
#[derive(Debug, Default)]
pub struct TrackerStats {
    snapshot: Mutex<Snapshot>,
    /// WebSockets accepted.
    pub sockets_accepted: AtomicU64,
    /// Clients dropped because their outbound queue was full.
    pub slow_dropped: AtomicU64,
    /// Sockets closed for idling.
    pub idle_closed: AtomicU64,
    /// Sockets closed on a protocol error (too large a frame, bad framing).
    pub socket_errors: AtomicU64,
    /// Offers for the box's seeder dropped because its queue was full.
    pub box_offers_dropped: AtomicU64,
    /// Box seeder answers refused (late, duplicate, unknown).
    pub box_answers_refused: AtomicU64,
}

impl TrackerStats {
    /// Replaces the snapshot.
    pub fn publish(&self, s: Snapshot) {
        *self.snapshot.lock().unwrap_or_else(|p| p.into_inner()) = s;
    }

    /// The latest snapshot.
    pub fn snapshot(&self) -> Snapshot {
        *self.snapshot.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn io(&self) -> [(&'static str, &'static str, u64); 6] {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        [
            ("sockets_accepted", "WebSockets accepted.", l(&self.sockets_accepted)),
            (
                "slow_dropped",
                "Clients dropped for a full outbound queue.",
                l(&self.slow_dropped),
            ),
            ("idle_closed", "Sockets closed for idling.", l(&self.idle_closed)),
            (
                "socket_errors",
                "Sockets closed on a protocol error.",
                l(&self.socket_errors),
            ),
            (
                "box_offers_dropped",
                "Offers dropped: seeder queue full.",
                l(&self.box_offers_dropped),
            ),
            (
                "box_answers_refused",
                "Box seeder answers refused.",
                l(&self.box_answers_refused),
            ),
        ]
    }
}

impl Source for TrackerStats {
    fn name(&self) -> &'static str {
        "tracker"
    }

    fn figures(&self) -> Vec<Figure> {
        let Snapshot {
            counters: c,
            gauges: g,
            rates: r,
        } = self.snapshot();
        let gauge = |name: &str, key: &str, help: &'static str, v: u64| {
            Figure::count(format!("tracker_{name}"), help, v).at(key)
        };
        let counter = |name: &str, key: &str, help: &'static str, v: u64| {
            Figure::counter(format!("tracker_{name}"), help, v).at(key)
        };
        let mut out = vec![
            gauge("connections", "connections", "Open tracker WebSockets.", g.connections),
            gauge("swarms", "swarms", "Swarms.", g.swarms),
            gauge("peers", "peers", "Peers over all swarms.", g.peers),
            gauge("seeders", "seeders", "Peers holding their whole segment.", g.seeders),
            gauge("leechers", "leechers", "Peers still downloading.", g.leechers),
            gauge(
                "pending_offers",
                "pending_offers",
                "Offers forwarded and not answered.",
                g.pending_offers,
            ),
            Figure::status("registered_swarms", g.registered_swarms),
            Figure::gauge("tracker_announces_per_second", "Announces per second.", r.announces).at("announces_per_sec"),
            Figure::gauge(
                "tracker_offers_relayed_per_second",
                "Offers relayed per second.",
                r.offers,
            )
            .at("offers_relayed_per_sec"),
            Figure::status("answers_relayed_per_sec", r.answers),
            counter("announces_total", "announces", "Announces.", c.announces),
            counter("scrapes_total", "scrapes", "Scrapes.", c.scrapes),
            counter(
                "offers_relayed_total",
                "offers_relayed",
                "Offers forwarded to peers.",
                c.offers_relayed,
            ),
            counter(
                "box_offers_total",
                "box_offers",
                "Offers routed to the box's seeder.",
                c.box_offers,
            ),
            counter(
                "answers_relayed_total",
                "answers_relayed",
                "Answers relayed.",
                c.answers_relayed,
            ),
            counter("failures_total", "failures", "Failure replies.", c.failures),
            counter(
                "rate_limited_total",
                "rate_limited",
                "Messages refused by the rate limit.",
                c.rate_limited,
            ),
            Figure::status("flood_closes", c.flood_closes),
            Figure::status("peers_expired", c.peers_expired),
            Figure::status("swarms_dropped", c.swarms_dropped),
        ];
        for (name, help, v) in self.io() {
            out.push(counter(&format!("{name}_total"), name, help, v));
        }
        out
    }
}
