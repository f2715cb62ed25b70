//! Figures the core task publishes once a second, plus IO counters, for status and metrics.
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde_json::{json, Value};
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

    /// The `tracker` object of `/api/status`.
    pub fn status_json(&self) -> Value {
        let Snapshot {
            counters: c,
            gauges: g,
            rates: r,
        } = self.snapshot();
        let mut doc = json!({
            "connections": g.connections, "swarms": g.swarms, "registered_swarms": g.registered_swarms,
            "peers": g.peers, "seeders": g.seeders, "leechers": g.leechers,
            "pending_offers": g.pending_offers,
            "announces_per_sec": r.announces, "offers_relayed_per_sec": r.offers,
            "answers_relayed_per_sec": r.answers,
            "announces": c.announces, "scrapes": c.scrapes, "offers_relayed": c.offers_relayed,
            "box_offers": c.box_offers, "answers_relayed": c.answers_relayed, "failures": c.failures,
            "rate_limited": c.rate_limited, "flood_closes": c.flood_closes,
            "peers_expired": c.peers_expired, "swarms_dropped": c.swarms_dropped,
        });
        for (name, _, v) in self.io() {
            doc[name] = v.into();
        }
        doc
    }

    /// `venuebox_tracker_*` Prometheus lines.
    pub fn write_metrics(&self, out: &mut String) {
        let Snapshot {
            counters: c,
            gauges: g,
            rates: r,
        } = self.snapshot();
        let mut line = |name: &str, kind: &str, help: &str, v: f64| {
            let _ = writeln!(
                out,
                "# HELP venuebox_tracker_{name} {help}\n# TYPE venuebox_tracker_{name} {kind}\nvenuebox_tracker_{name} {v}"
            );
        };
        let gauges = [
            ("connections", "Open tracker WebSockets.", g.connections),
            ("swarms", "Swarms.", g.swarms),
            ("peers", "Peers over all swarms.", g.peers),
            ("seeders", "Peers holding their whole segment.", g.seeders),
            ("leechers", "Peers still downloading.", g.leechers),
            ("pending_offers", "Offers forwarded and not answered.", g.pending_offers),
        ];
        for (name, help, v) in gauges {
            line(name, "gauge", help, v as f64);
        }
        line("announces_per_second", "gauge", "Announces per second.", r.announces);
        line(
            "offers_relayed_per_second",
            "gauge",
            "Offers relayed per second.",
            r.offers,
        );
        let counters = [
            ("announces_total", "Announces.", c.announces),
            ("scrapes_total", "Scrapes.", c.scrapes),
            ("offers_relayed_total", "Offers forwarded to peers.", c.offers_relayed),
            ("box_offers_total", "Offers routed to the box's seeder.", c.box_offers),
            ("answers_relayed_total", "Answers relayed.", c.answers_relayed),
            ("failures_total", "Failure replies.", c.failures),
            (
                "rate_limited_total",
                "Messages refused by the rate limit.",
                c.rate_limited,
            ),
        ];
        for (name, help, v) in counters {
            line(name, "counter", help, v as f64);
        }
        for (name, help, v) in self.io() {
            line(&format!("{name}_total"), "counter", help, v as f64);
        }
    }
}

impl crate::status::StatusSource for TrackerStats {
    fn name(&self) -> &'static str {
        "tracker"
    }

    fn status_json(&self) -> Value {
        TrackerStats::status_json(self)
    }

    fn write_metrics(&self, out: &mut String) {
        TrackerStats::write_metrics(self, out);
    }
}
