//! The uplink's figures in `/api/status` (`"uplink"`) and `/metrics` (`venuebox_uplink_*`):
//! queue depth, lag, bytes uploaded, failures and the last error.

use crate::report::{Figure, Source};
use serde_json::json;
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

impl Source for UplinkStatus {
    fn name(&self) -> &'static str {
        "uplink"
    }

    fn figures(&self) -> Vec<Figure> {
        let enabled = Figure::count("uplink_enabled", "1 when the R2 uplink is on.", u64::from(self.enabled));
        if !self.enabled {
            return vec![enabled.at("enabled").shown(false)];
        }
        let now = Instant::now();
        let s = self.stats();
        let mut out = vec![
            enabled.at("enabled").shown(true),
            Figure::status("public_playlist", self.public_playlist.clone()),
            Figure::count(
                "uplink_queue_segments",
                "Segments waiting for upload.",
                s.queued_segments as u64,
            )
            .at("queued_segments"),
            Figure::count("uplink_in_flight", "Requests running.", s.in_flight as u64).at("in_flight"),
            Figure::count("uplink_pending_deletes", "Deletions waiting.", s.pending_deletes as u64)
                .at("pending_deletes"),
            Figure::gauge(
                "uplink_lag_seconds",
                "Age of the oldest segment not yet announced in the bucket.",
                self.lag_secs(now),
            )
            .at("lag_secs"),
            Figure::status(
                "backing_off_secs",
                json!(s.backoff_until.map(|u| u.saturating_duration_since(now).as_secs_f64())),
            ),
            Figure::status("newest_announced_seq", json!(s.newest_announced_seq)),
            Figure::status("playlist_segments", s.playlist_segments),
            Figure::counter("uplink_uploaded_bytes_total", "Bytes uploaded.", s.bytes_uploaded).at("bytes_uploaded"),
            Figure::counter("uplink_uploaded_objects_total", "Objects uploaded.", s.objects_uploaded)
                .at("objects_uploaded"),
            Figure::counter("uplink_deleted_objects_total", "Objects deleted.", s.objects_deleted)
                .at("objects_deleted"),
            Figure::status("deletes_dropped", s.deletes_dropped),
            Figure::counter(
                "uplink_skipped_segments_total",
                "Segments skipped to stay live.",
                s.segments_skipped,
            )
            .at("segments_skipped"),
            Figure::counter("uplink_failures_total", "Failed requests.", s.failures).at("failures"),
            Figure::count(
                "uplink_consecutive_failures",
                "Failures since the last success.",
                u64::from(s.consecutive_failures),
            )
            .at("consecutive_failures"),
            Figure::status("last_error", json!(s.last_error)),
        ];
        if let Some(e) = &s.last_error {
            out.push(
                Figure::count("uplink_last_error_info", "The last failure's reason.", 1).label("error", e.clone()),
            );
        }
        out
    }
}
