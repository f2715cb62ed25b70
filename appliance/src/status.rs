//! `/api/status` (JSON) and `/metrics` (Prometheus text), assembled from the window, ingest and
//! every registered [`StatusSource`].

use crate::ingest::{self, IngestState};
use crate::state::AppState;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::sync::atomic::Ordering;

/// A subsystem that reports figures.
pub trait StatusSource: Send + Sync {
    /// Key of its object in `/api/status`.
    fn name(&self) -> &'static str;
    /// Its figures as JSON.
    fn status_json(&self) -> Value;
    /// Its figures as Prometheus text lines (`venuebox_<name>_...`).
    fn write_metrics(&self, out: &mut String);
}

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

/// Computes the summary now.
pub fn summary(state: &AppState) -> Summary {
    let stats = state.window.read().stats();
    let age = stats.newest_added_at.map(|t| t.elapsed().as_secs_f64());
    let segment_secs = if stats.segments > 0 {
        stats.duration_secs / stats.segments as f64
    } else {
        2.0
    };
    let publishing = state.ingest.rtmp.as_ref().map(|r| r.publishing.load(Ordering::Relaxed));
    let mut ingest_state = ingest::state(stats.ended, age, segment_secs);
    if publishing == Some(false) && ingest_state == IngestState::Live {
        ingest_state = IngestState::Waiting; // OBS left: say so at once
    }
    Summary {
        state: ingest_state,
        segments: stats.segments,
        bitrate_bps: stats.bitrate_bps,
        segment_age_secs: age,
    }
}

/// The one-line summary for `STATUS=` and logs.
pub fn status_line(state: &AppState) -> String {
    let s = summary(state);
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

/// The `/api/status` document.
pub fn status_json(state: &AppState) -> Value {
    let window = state.window.read();
    let stats = window.stats();
    let s = summary(state);
    let w = &state.ingest.watch;
    let mut doc = json!({
        "service": "venuebox",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_secs": state.started.elapsed().as_secs_f64(),
        "ingest": {
            "mode": state.ingest.mode,
            "state": s.state,
            "bitrate_bps": s.bitrate_bps,
            "segment_age_secs": s.segment_age_secs,
            "segments_added": w.segments_added.load(Ordering::Relaxed),
            "segments_missing": w.segments_missing.load(Ordering::Relaxed),
            "producer_restarts": w.restarts.load(Ordering::Relaxed),
            "playlist_reads": w.playlist_reads.load(Ordering::Relaxed),
            "errors": w.errors.load(Ordering::Relaxed),
            "last_error": *w.last_error.lock().unwrap_or_else(|p| p.into_inner()),
            "ffmpeg_starts": state.ingest.child.as_ref().map(|c| c.starts.load(Ordering::Relaxed)),
            "rtmp": state.ingest.rtmp.as_ref().map(|r| r.snapshot()),
            "stream": state.ingest.probe.info(),
            "probe_errors": state.ingest.probe.errors.load(Ordering::Relaxed),
        },
        "window": {
            "segments": stats.segments,
            "bytes": stats.bytes,
            "duration_secs": stats.duration_secs,
            "first_seq": window.segments().next().map(|s| s.seq),
            "newest_seq": stats.newest_seq,
            "items": window.segments().map(|s| json!({
                "seq": s.seq, "name": s.name, "bytes": s.data.len(), "duration": s.duration,
                "discontinuity": s.discontinuity, "program_date_time": s.program_date_time,
            })).collect::<Vec<_>>(),
        },
    });
    drop(window);
    for source in &state.sources {
        doc[source.name()] = source.status_json();
    }
    doc
}

/// The `/metrics` text.
pub fn metrics_text(state: &AppState) -> String {
    let stats = state.window.read().stats();
    let s = summary(state);
    let w = &state.ingest.watch;
    let mut out = String::with_capacity(2048);
    let mut gauge = |name: &str, help: &str, value: f64| {
        let _ = writeln!(
            out,
            "# HELP venuebox_{name} {help}\n# TYPE venuebox_{name} gauge\nvenuebox_{name} {value}"
        );
    };
    gauge("window_segments", "Segments in the window.", stats.segments as f64);
    gauge("window_bytes", "Bytes in the window.", stats.bytes as f64);
    gauge(
        "window_duration_seconds",
        "Seconds of stream in the window.",
        stats.duration_secs,
    );
    gauge(
        "ingest_bitrate_bps",
        "Mean bitrate of the window, bits per second.",
        s.bitrate_bps,
    );
    gauge(
        "ingest_live",
        "1 while segments arrive.",
        f64::from(u8::from(s.state == IngestState::Live)),
    );
    gauge(
        "ingest_segment_age_seconds",
        "Seconds since the newest segment.",
        s.segment_age_secs.unwrap_or(-1.0),
    );
    gauge(
        "ingest_segments_added_total",
        "Segments taken from the producer.",
        w.segments_added.load(Ordering::Relaxed) as f64,
    );
    gauge(
        "ingest_errors_total",
        "Playlists or segments rejected.",
        w.errors.load(Ordering::Relaxed) as f64,
    );
    if let Some(r) = &state.ingest.rtmp {
        let snap = r.snapshot();
        gauge(
            "ingest_rtmp_publishing",
            "1 while OBS is connected.",
            f64::from(u8::from(snap.publishing)),
        );
        gauge(
            "ingest_rtmp_refused_total",
            "RTMP clients refused.",
            snap.refused as f64,
        );
        gauge(
            "ingest_rtmp_bytes_in_total",
            "Bytes received over RTMP.",
            snap.bytes_in as f64,
        );
    }
    if let Some(info) = state.ingest.probe.info() {
        gauge(
            "ingest_keyframe_interval_seconds",
            "Seconds between keyframes in the newest probed segment.",
            info.keyframe_interval_secs.unwrap_or(-1.0),
        );
        gauge(
            "ingest_keyframe_warning",
            "1 when the keyframe interval does not fit the segment length.",
            f64::from(u8::from(info.keyframe_warning.is_some())),
        );
    }
    gauge(
        "uptime_seconds",
        "Seconds since start.",
        state.started.elapsed().as_secs_f64(),
    );
    for source in &state.sources {
        source.write_metrics(&mut out);
    }
    out
}
