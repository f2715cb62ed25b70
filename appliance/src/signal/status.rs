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
        let path = |path: &str, n: usize| {
            Figure::count(
                "signal_viewers_by_path",
                "Connected viewers by delivery path.",
                n as u64,
            )
            .label("path", path)
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
                "Offload: share of viewer bytes that came from other viewers, not the box or R2 (0-1).",
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
            Figure::maybe(
                "signal_latency_p50_seconds",
                "Median viewer latency behind the live edge.",
                s.latency_p50_secs,
                0.0,
            ),
            Figure::maybe(
                "signal_latency_p95_seconds",
                "95th percentile viewer latency behind the live edge.",
                s.latency_p95_secs,
                0.0,
            ),
            Figure::count(
                "signal_viewers_stalled",
                "Reporting viewers that stalled at least once.",
                s.viewers_stalled as u64,
            ),
            path("p2p", s.paths.p2p),
            path("http", s.paths.http),
            path("native", s.paths.native),
            path("unknown", s.paths.unknown),
            Figure::count(
                "signal_isolated_viewers",
                "Viewers that reach the box's seeder but none of the viewers they tried.",
                s.isolation.isolated as u64,
            ),
            Figure::count(
                "signal_isolation_suspected",
                "1 when viewers reach the box but not each other (client isolation on the Wi-Fi).",
                u64::from(s.isolation.suspected),
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
            viewers("seeder", s.bytes_seeder),
            viewers("http", s.bytes_http),
            viewers("r2", s.bytes_r2),
        ]
    }
}
