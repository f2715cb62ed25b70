//! Ingest as a figure source (`ingest` in `/api/status`, `venuebox_ingest_*`): its state,
//! bitrate and segment age read from the window, the watcher's, ffmpeg's, the RTMP gate's and
//! the probe's counters; and the one-line summary for `STATUS=` and logs.

use super::{IngestState, IngestStatus};
use crate::report::{Figure, Source};
use crate::window::SharedWindow;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The core figures every status reader needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Ingest state.
    pub state: IngestState,
    /// Segments in the window.
    pub segments: usize,
    /// Mean bitrate of the window, bits/s.
    pub bitrate_bps: f64,
    /// Seconds since the newest segment arrived.
    pub segment_age_secs: Option<f64>,
}

/// Ingest's figures: the window it fills and its own counters.
pub struct IngestReport {
    /// The window ingest fills.
    pub window: Arc<SharedWindow>,
    /// Ingest's counters.
    pub status: IngestStatus,
}

impl IngestReport {
    /// Computes the summary now.
    pub fn summary(&self) -> Summary {
        let stats = self.window.read().stats();
        let age = stats.newest_added_at.map(|t| t.elapsed().as_secs_f64());
        let segment_secs = if stats.segments > 0 {
            stats.duration_secs / stats.segments as f64
        } else {
            2.0
        };
        let publishing = self.status.rtmp.as_ref().map(|r| r.publishing.load(Ordering::Relaxed));
        let mut state = super::state(stats.ended, age, segment_secs);
        if publishing == Some(false) && state == IngestState::Live {
            state = IngestState::Waiting; // OBS left: say so at once
        }
        Summary {
            state,
            segments: stats.segments,
            bitrate_bps: stats.bitrate_bps,
            segment_age_secs: age,
        }
    }

    /// The one-line summary for `STATUS=` and logs.
    pub fn status_line(&self) -> String {
        let s = self.summary();
        let age = s
            .segment_age_secs
            .map_or("none yet".to_owned(), |a| format!("{a:.1} s ago"));
        format!(
            "{:?}: {} segments, {:.2} Mbit/s, last segment {age}",
            s.state,
            s.segments,
            s.bitrate_bps / 1e6
        )
        .to_lowercase()
    }

    fn rtmp_and_probe(&self, out: &mut Vec<Figure>) {
        if let Some(r) = &self.status.rtmp {
            let snap = r.snapshot();
            out.push(Figure::count(
                "ingest_rtmp_publishing",
                "1 while OBS is connected.",
                u64::from(snap.publishing),
            ));
            out.push(Figure::count(
                "ingest_rtmp_refused_total",
                "RTMP clients refused.",
                snap.refused,
            ));
            out.push(Figure::count(
                "ingest_rtmp_refused_per_address_total",
                "RTMP connections refused because their address already had the most allowed open.",
                snap.refused_per_address,
            ));
            out.push(Figure::count(
                "ingest_rtmp_bytes_in_total",
                "Bytes received over RTMP.",
                snap.bytes_in,
            ));
        }
        if let Some(info) = self.status.probe.info() {
            out.push(Figure::maybe(
                "ingest_keyframe_interval_seconds",
                "Seconds between keyframes in the newest probed segment.",
                info.keyframe_interval_secs,
                -1.0,
            ));
            out.push(Figure::count(
                "ingest_keyframe_warning",
                "1 when the keyframe interval does not fit the segment length.",
                u64::from(info.keyframe_warning.is_some()),
            ));
        }
    }
}

impl Source for IngestReport {
    fn name(&self) -> &'static str {
        "ingest"
    }

    fn figures(&self) -> Vec<Figure> {
        let s = self.summary();
        let w = &self.status.watch;
        let l = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        let st = &self.status;
        let mut out = vec![
            Figure::status("mode", json!(st.mode)),
            Figure::status("state", json!(s.state)),
            Figure::gauge(
                "ingest_bitrate_bps",
                "Mean bitrate of the window, bits per second.",
                s.bitrate_bps,
            )
            .at("bitrate_bps"),
            Figure::count(
                "ingest_live",
                "1 while segments arrive.",
                u64::from(s.state == IngestState::Live),
            ),
            Figure::maybe(
                "ingest_segment_age_seconds",
                "Seconds since the newest segment.",
                s.segment_age_secs,
                -1.0,
            )
            .at("segment_age_secs"),
            Figure::count(
                "ingest_segments_added_total",
                "Segments taken from the producer.",
                l(&w.segments_added),
            )
            .at("segments_added"),
            Figure::status("segments_missing", l(&w.segments_missing)),
            Figure::status("producer_restarts", l(&w.restarts)),
            Figure::status("timestamp_discontinuities", l(&w.timestamp_discontinuities)),
            Figure::status("timestamps_unreadable", l(&w.timestamps_unreadable)),
            Figure::status("playlist_reads", l(&w.playlist_reads)),
            Figure::count("ingest_errors_total", "Playlists or segments rejected.", l(&w.errors)).at("errors"),
            Figure::status(
                "last_error",
                json!(*w.last_error.lock().unwrap_or_else(|p| p.into_inner())),
            ),
            Figure::status("ffmpeg_starts", json!(st.child.as_ref().map(|c| l(&c.starts)))),
            Figure::status("rtmp", json!(st.rtmp.as_ref().map(|r| r.snapshot()))),
            Figure::status("stream", json!(st.probe.info())),
            Figure::status("probe_errors", l(&st.probe.errors)),
        ];
        self.rtmp_and_probe(&mut out);
        out
    }
}

impl std::ops::Deref for IngestReport {
    type Target = IngestStatus;

    fn deref(&self) -> &IngestStatus {
        &self.status
    }
}
