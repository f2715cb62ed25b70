//! The figures of the last minutes for the staff page's charts: a bounded ring of samples taken
//! from `/api/status` (so pieces other subsystems add show up without code here).

use serde::Serialize;
use serde_json::Value;
use std::collections::VecDeque;

/// Samples kept (at one per [`SAMPLE_SECS`], 15 minutes).
pub const MAX_SAMPLES: usize = 180;
/// Seconds between samples.
pub const SAMPLE_SECS: u64 = 5;

/// JSON pointers into `/api/status` whose sum is the box's egress in bytes (the first ones other
/// subsystems may add; the last is what viewers report fetching from the box over HTTP).
pub const EGRESS_POINTERS: &[&str] = &["/http/bytes_sent_total", "/seeder/bytes_sent_total"];
/// Fallback egress counter when no subsystem reports its own.
pub const VIEWER_HTTP_BYTES: &str = "/signal/viewers/bytes_http";
/// Where the uplink reports how far R2 is behind, seconds.
pub const UPLINK_LAG: &str = "/uplink/lag_secs";

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
    /// Takes a sample from a status document at `t` seconds.
    pub fn record(&mut self, t: f64, status: &Value) {
        let num = |p: &str| status.pointer(p).and_then(Value::as_f64);
        let egress_total = egress_bytes(status);
        let egress_bps = match (self.last_egress, egress_total) {
            (Some((t0, b0)), Some(b1)) if t > t0 && b1 >= b0 => Some((b1 - b0) * 8.0 / (t - t0)),
            _ => None,
        };
        self.last_egress = egress_total.map(|b| (t, b));
        if self.samples.len() == MAX_SAMPLES {
            self.samples.pop_front();
        }
        self.samples.push_back(Sample {
            t,
            bitrate_bps: num("/ingest/bitrate_bps").unwrap_or(0.0),
            viewers: num("/signal/viewers/viewers").unwrap_or(0.0),
            p2p_share: num("/signal/viewers/p2p_share"),
            egress_bps,
            segment_age_secs: num("/ingest/segment_age_secs"),
            uplink_lag_secs: num(UPLINK_LAG),
        });
    }

    /// The samples, oldest first.
    pub fn samples(&self) -> Vec<Sample> {
        self.samples.iter().copied().collect()
    }
}

/// The box's egress counter in bytes from a status document, if any subsystem reports one.
pub fn egress_bytes(status: &Value) -> Option<f64> {
    let own: Vec<f64> = EGRESS_POINTERS
        .iter()
        .filter_map(|p| status.pointer(p).and_then(Value::as_f64))
        .collect();
    if own.is_empty() {
        status.pointer(VIEWER_HTTP_BYTES).and_then(Value::as_f64)
    } else {
        Some(own.iter().sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn samples_rates_and_bounds() {
        let mut h = History::default();
        let doc = |bytes: u64| json!({"ingest": {"bitrate_bps": 2.5e6}, "signal": {"viewers": {"viewers": 3, "bytes_http": bytes, "p2p_share": 0.9}}});
        h.record(0.0, &doc(0));
        h.record(5.0, &doc(625_000));
        let s = h.samples();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].egress_bps, None);
        assert_eq!(s[1].egress_bps, Some(1e6));
        assert_eq!((s[1].viewers, s[1].p2p_share), (3.0, Some(0.9)));
        for i in 0..500 {
            h.record(10.0 + f64::from(i), &doc(1));
        }
        assert_eq!(h.samples().len(), MAX_SAMPLES);
        assert_eq!(h.samples().last().unwrap().egress_bps, Some(0.0));
    }

    #[test]
    fn own_egress_counters_win_over_viewer_reports() {
        let doc = json!({"seeder": {"bytes_sent_total": 10}, "http": {"bytes_sent_total": 5}, "signal": {"viewers": {"bytes_http": 99}}});
        assert_eq!(egress_bytes(&doc), Some(15.0));
        assert_eq!(egress_bytes(&json!({})), None);
    }
}
