//! The uplink's figures in `/api/status` (`"uplink"`) and `/metrics` (`venuebox_uplink_*`):
//! queue depth, lag, bytes uploaded, failures and the last error.

use crate::status::StatusSource;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

/// A snapshot of the scheduler's figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UplinkStats {
    /// Segments waiting for upload.
    pub queued_segments: usize,
    /// Requests running.
    pub in_flight: usize,
    /// Deletions waiting.
    pub pending_deletes: usize,
    /// When the oldest segment not yet announced by an uploaded playlist entered the window.
    pub oldest_waiting: Option<Instant>,
    /// Until when requests wait after failures.
    pub backoff_until: Option<Instant>,
    /// Failures since the last success.
    pub consecutive_failures: u32,
    /// Box sequence number of the newest segment the uploaded playlist names.
    pub newest_announced_seq: Option<u64>,
    /// Segments the current playlist names.
    pub playlist_segments: usize,
    /// Bytes uploaded successfully.
    pub bytes_uploaded: u64,
    /// Objects uploaded successfully.
    pub objects_uploaded: u64,
    /// Objects deleted.
    pub objects_deleted: u64,
    /// Deletions given up (left to a lifecycle rule).
    pub deletes_dropped: u64,
    /// Segments skipped to keep the upload live.
    pub segments_skipped: u64,
    /// Failed requests.
    pub failures: u64,
    /// The last failure's reason.
    pub last_error: Option<String>,
}

/// The uplink's status source.
#[derive(Debug)]
pub struct UplinkStatus {
    enabled: bool,
    public_playlist: String,
    stats: Mutex<UplinkStats>,
}

impl UplinkStatus {
    /// A status for an uplink that is `enabled`, playing from `public_playlist`.
    pub fn new(enabled: bool, public_playlist: String) -> Self {
        Self {
            enabled,
            public_playlist,
            stats: Mutex::new(UplinkStats::default()),
        }
    }

    /// Replaces the figures.
    pub fn update(&self, stats: UplinkStats) {
        *self.stats.lock().unwrap_or_else(|p| p.into_inner()) = stats;
    }

    /// The current figures.
    pub fn stats(&self) -> UplinkStats {
        self.stats.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Seconds the oldest unannounced segment has waited, at `now`.
    pub fn lag_secs(&self, now: Instant) -> f64 {
        self.stats()
            .oldest_waiting
            .map_or(0.0, |t| now.saturating_duration_since(t).as_secs_f64())
    }
}

impl StatusSource for UplinkStatus {
    fn name(&self) -> &'static str {
        "uplink"
    }

    fn status_json(&self) -> Value {
        if !self.enabled {
            return json!({ "enabled": false });
        }
        let now = Instant::now();
        let s = self.stats();
        json!({
            "enabled": true,
            "public_playlist": self.public_playlist,
            "queued_segments": s.queued_segments,
            "in_flight": s.in_flight,
            "pending_deletes": s.pending_deletes,
            "lag_secs": self.lag_secs(now),
            "backing_off_secs": s.backoff_until.map(|u| u.saturating_duration_since(now).as_secs_f64()),
            "consecutive_failures": s.consecutive_failures,
            "newest_announced_seq": s.newest_announced_seq,
            "playlist_segments": s.playlist_segments,
            "bytes_uploaded": s.bytes_uploaded,
            "objects_uploaded": s.objects_uploaded,
            "objects_deleted": s.objects_deleted,
            "deletes_dropped": s.deletes_dropped,
            "segments_skipped": s.segments_skipped,
            "failures": s.failures,
            "last_error": s.last_error,
        })
    }

    fn write_metrics(&self, out: &mut String) {
        let s = self.stats();
        let lag = self.lag_secs(Instant::now());
        let mut metric = |name: &str, kind: &str, help: &str, value: f64| {
            let _ = writeln!(
                out,
                "# HELP venuebox_uplink_{name} {help}\n# TYPE venuebox_uplink_{name} {kind}\nvenuebox_uplink_{name} {value}"
            );
        };
        metric(
            "enabled",
            "gauge",
            "1 when the R2 uplink is on.",
            f64::from(u8::from(self.enabled)),
        );
        if !self.enabled {
            return;
        }
        metric(
            "queue_segments",
            "gauge",
            "Segments waiting for upload.",
            s.queued_segments as f64,
        );
        metric("in_flight", "gauge", "Requests running.", s.in_flight as f64);
        metric(
            "pending_deletes",
            "gauge",
            "Deletions waiting.",
            s.pending_deletes as f64,
        );
        metric(
            "lag_seconds",
            "gauge",
            "Age of the oldest segment not yet announced in the bucket.",
            lag,
        );
        metric(
            "uploaded_bytes_total",
            "counter",
            "Bytes uploaded.",
            s.bytes_uploaded as f64,
        );
        metric(
            "uploaded_objects_total",
            "counter",
            "Objects uploaded.",
            s.objects_uploaded as f64,
        );
        metric(
            "deleted_objects_total",
            "counter",
            "Objects deleted.",
            s.objects_deleted as f64,
        );
        metric(
            "skipped_segments_total",
            "counter",
            "Segments skipped to stay live.",
            s.segments_skipped as f64,
        );
        metric("failures_total", "counter", "Failed requests.", s.failures as f64);
        metric(
            "consecutive_failures",
            "gauge",
            "Failures since the last success.",
            f64::from(s.consecutive_failures),
        );
        if let Some(e) = &s.last_error {
            let _ = writeln!(
                out,
                "# HELP venuebox_uplink_last_error_info The last failure's reason.\n# TYPE venuebox_uplink_last_error_info gauge\nvenuebox_uplink_last_error_info{{error=\"{}\"}} 1",
                label_value(e)
            );
        }
    }
}

/// Escapes a Prometheus label value.
fn label_value(text: &str) -> String {
    text.chars()
        .take(200)
        .flat_map(|c| match c {
            '\\' => vec!['\\', '\\'],
            '"' => vec!['\\', '"'],
            '\n' => vec!['\\', 'n'],
            c if c.is_control() => vec![' '],
            c => vec![c],
        })
        .collect()
}
