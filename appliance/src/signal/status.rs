//! Signaling figures for `/api/status` (`signal`) and `/metrics` (`venuebox_signal_*`).

use super::SignalHub;
use crate::report::{Figure, Source};
use serde_json::json;
use std::sync::atomic::Ordering;

impl Source for SignalHub {
    fn name(&self) -> &'static str {
        "signal"
    }

    fn figures(&self) -> Vec<Figure> {
        let s = self.summary();
        let c = &self.counters;
        let l = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        let viewers = |source: &str, bytes: u64| {
            Figure::counter("signal_viewer_bytes_total", "Bytes viewers received, by source.", bytes)
                .label("source", source)
        };
        vec![
            Figure::status("viewers", json!(s)),
            Figure::status("connections_total", l(&c.connections)),
            Figure::status("closed_abuse_total", l(&c.closed_abuse)),
            Figure::status("max_clients", self.settings.max_clients),
            Figure::count("signal_viewers", "Connected signaling clients.", s.viewers as u64),
            Figure::count(
                "signal_viewers_reporting",
                "Viewers with a fresh stats report.",
                s.reporting as u64,
            ),
            Figure::maybe(
                "signal_p2p_share",
                "Share of viewer bytes that came from peers (0-1).",
                s.p2p_share,
                0.0,
            ),
            Figure::maybe(
                "signal_latency_mean_seconds",
                "Mean viewer latency behind the live edge.",
                s.latency_mean_secs,
                0.0,
            ),
            Figure::maybe(
                "signal_buffer_mean_seconds",
                "Mean viewer buffer.",
                s.buffer_mean_secs,
                0.0,
            ),
            Figure::maybe("signal_peers_mean", "Mean peers per viewer.", s.peers_mean, 0.0),
            Figure::counter("signal_stalls_total", "Playback stalls viewers reported.", s.stalls),
            Figure::counter(
                "signal_rejected_messages_total",
                "Viewer messages rejected.",
                l(&c.rejected_messages),
            )
            .at("rejected_messages_total"),
            Figure::counter(
                "signal_dropped_slow_total",
                "Viewers dropped for not keeping up.",
                l(&c.dropped_slow),
            )
            .at("dropped_slow_total"),
            Figure::counter(
                "signal_refused_full_total",
                "Viewers refused at max_clients.",
                l(&c.refused_full),
            )
            .at("refused_full_total"),
            viewers("p2p", s.bytes_p2p),
            viewers("box", s.bytes_http),
            viewers("r2", s.bytes_r2),
        ]
    }
}
