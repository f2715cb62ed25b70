//! Signaling figures for `/api/status` (`signal`) and `/metrics` (`venuebox_signal_*`).

use super::SignalHub;
use crate::status::StatusSource;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::sync::atomic::Ordering;

impl StatusSource for SignalHub {
    fn name(&self) -> &'static str {
        "signal"
    }

    fn status_json(&self) -> Value {
        let c = &self.counters;
        json!({
            "viewers": self.summary(),
            "connections_total": c.connections.load(Ordering::Relaxed),
            "refused_full_total": c.refused_full.load(Ordering::Relaxed),
            "dropped_slow_total": c.dropped_slow.load(Ordering::Relaxed),
            "rejected_messages_total": c.rejected_messages.load(Ordering::Relaxed),
            "closed_abuse_total": c.closed_abuse.load(Ordering::Relaxed),
            "max_clients": self.settings.max_clients,
        })
    }

    fn write_metrics(&self, out: &mut String) {
        let s = self.summary();
        let c = &self.counters;
        let mut put = |name: &str, kind: &str, help: &str, value: f64| {
            let _ = writeln!(
                out,
                "# HELP venuebox_signal_{name} {help}\n# TYPE venuebox_signal_{name} {kind}\nvenuebox_signal_{name} {value}"
            );
        };
        put("viewers", "gauge", "Connected signaling clients.", s.viewers as f64);
        put(
            "viewers_reporting",
            "gauge",
            "Viewers with a fresh stats report.",
            s.reporting as f64,
        );
        put(
            "p2p_share",
            "gauge",
            "Share of viewer bytes that came from peers (0-1).",
            s.p2p_share.unwrap_or(0.0),
        );
        put(
            "latency_mean_seconds",
            "gauge",
            "Mean viewer latency behind the live edge.",
            s.latency_mean_secs.unwrap_or(0.0),
        );
        put(
            "buffer_mean_seconds",
            "gauge",
            "Mean viewer buffer.",
            s.buffer_mean_secs.unwrap_or(0.0),
        );
        put(
            "peers_mean",
            "gauge",
            "Mean peers per viewer.",
            s.peers_mean.unwrap_or(0.0),
        );
        put(
            "stalls_total",
            "counter",
            "Playback stalls viewers reported.",
            s.stalls as f64,
        );
        put(
            "rejected_messages_total",
            "counter",
            "Viewer messages rejected.",
            c.rejected_messages.load(Ordering::Relaxed) as f64,
        );
        put(
            "dropped_slow_total",
            "counter",
            "Viewers dropped for not keeping up.",
            c.dropped_slow.load(Ordering::Relaxed) as f64,
        );
        put(
            "refused_full_total",
            "counter",
            "Viewers refused at max_clients.",
            c.refused_full.load(Ordering::Relaxed) as f64,
        );
        let _ = writeln!(
            out,
            "# HELP venuebox_signal_viewer_bytes_total Bytes viewers received, by source.\n\
             # TYPE venuebox_signal_viewer_bytes_total counter\n\
             venuebox_signal_viewer_bytes_total{{source=\"p2p\"}} {}\n\
             venuebox_signal_viewer_bytes_total{{source=\"box\"}} {}\n\
             venuebox_signal_viewer_bytes_total{{source=\"r2\"}} {}",
            s.bytes_p2p, s.bytes_http, s.bytes_r2
        );
    }
}
