//! The figures of the last minutes for the staff page's charts: a bounded ring of samples of the
//! figures, read by name from the sources (see `crate::report`).

use crate::report::Snapshot;
use serde::Serialize;
use std::collections::VecDeque;

/// Samples kept (at one per [`SAMPLE_SECS`], 15 minutes).
pub const MAX_SAMPLES: usize = 180;
/// Seconds between samples.
pub const SAMPLE_SECS: u64 = 5;

/// The figures whose sum is the box's egress in bytes: HTTP response bodies and the WebRTC
/// seeder's uploads, both counted by the box itself as it sends.
pub const EGRESS_FIGURES: &[&str] = &[
    "http_body_bytes_total",
    "seeder_uploaded_bytes_total",
    "seeder_mesh_bytes_sent_total",
];

/// One sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sample {
    /// Seconds since the service started.
    pub t: f64,
    /// Ingest bitrate, bits/s.
    pub bitrate_bps: f64,
    /// Connected viewers.
    pub viewers: f64,
    /// P2P share of viewer bytes (0-1), if any bytes yet.
    pub p2p_share: Option<f64>,
    /// Box egress since the previous sample, bits/s.
    pub egress_bps: Option<f64>,
    /// Seconds since the newest segment.
    pub segment_age_secs: Option<f64>,
    /// Uplink lag, seconds.
    pub uplink_lag_secs: Option<f64>,
}

/// The ring of samples.
#[derive(Debug, Default)]
pub struct History {
    samples: VecDeque<Sample>,
    last_egress: Option<(f64, f64)>,
}

impl History {
    /// Takes a sample of the figures `now` at `t` seconds.
    pub fn record(&mut self, t: f64, now: &Snapshot) {
        let num = |name: &str| now.value(name);
        let egress_total = egress_bytes(now);
        let egress_bps = match (self.last_egress, egress_total) {
            (Some((t0, b0)), Some(b1)) if t > t0 && b1 >= b0 => Some((b1 - b0) * 8.0 / (t - t0)),
            _ => None,
        };
        self.last_egress = egress_total.map(|b| (t, b));
        if self.samples.len() == MAX_SAMPLES {
            self.samples.pop_front();
        }
        let lag = num("uplink_enabled")
            .filter(|on| *on > 0.0)
            .and(num("uplink_lag_seconds"));
        let p2p = num("signal_viewer_bytes_total")
            .filter(|total| *total > 0.0)
            .and(num("signal_p2p_share"));
        self.samples.push_back(Sample {
            t,
            bitrate_bps: num("ingest_bitrate_bps").unwrap_or(0.0),
            viewers: num("signal_viewers").unwrap_or(0.0),
            p2p_share: p2p,
            egress_bps,
            segment_age_secs: num("ingest_segment_age_seconds").filter(|a| *a >= 0.0),
            uplink_lag_secs: lag,
        });
    }

    /// The samples, oldest first.
    pub fn samples(&self) -> Vec<Sample> {
        self.samples.iter().copied().collect()
    }
}

/// The box's egress in bytes since start, as its own counters have it.
pub fn egress_bytes(now: &Snapshot) -> Option<f64> {
    let own: Vec<f64> = EGRESS_FIGURES.iter().filter_map(|name| now.value(name)).collect();
    (!own.is_empty()).then(|| own.iter().sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Figure, Reports, Source};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    #[derive(Default)]
    struct Sent(AtomicU64);
    impl Source for Sent {
        fn name(&self) -> &'static str {
            "http"
        }
        fn figures(&self) -> Vec<Figure> {
            let b = self.0.load(Ordering::Relaxed);
            vec![
                Figure::counter("http_body_bytes_total", "Bytes.", b),
                Figure::gauge("ingest_bitrate_bps", "Bitrate.", 2.5e6),
            ]
        }
    }

    #[test]
    fn samples_rates_and_bounds() {
        let counter = Arc::new(Sent::default());
        let reports = Reports::new(vec![counter.clone()], vec![]);
        let mut h = History::default();
        h.record(0.0, &reports.snapshot());
        counter.0.store(625_000, Ordering::Relaxed);
        h.record(5.0, &reports.snapshot());
        let s = h.samples();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].egress_bps, None);
        assert_eq!(s[1].egress_bps, Some(1e6));
        assert_eq!((s[1].bitrate_bps, s[1].viewers, s[1].p2p_share), (2.5e6, 0.0, None));
        for i in 0..500 {
            h.record(10.0 + f64::from(i), &reports.snapshot());
        }
        assert_eq!(h.samples().len(), MAX_SAMPLES);
        assert_eq!(h.samples().last().unwrap().egress_bps, Some(0.0));
    }
}
