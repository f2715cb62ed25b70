//! The window as a figure source (`window` in `/api/status`, `venuebox_window_*`).

use super::SharedWindow;
use crate::report::{Figure, Source};
use serde_json::json;

impl Source for SharedWindow {
    fn name(&self) -> &'static str {
        "window"
    }

    fn figures(&self) -> Vec<Figure> {
        let window = self.read();
        let stats = window.stats();
        let items: Vec<_> = window
            .segments()
            .map(|s| {
                json!({
                    "seq": s.seq, "name": s.name, "bytes": s.data.len(), "duration": s.duration,
                    "discontinuity": s.discontinuity, "program_date_time": s.program_date_time,
                })
            })
            .collect();
        let first_seq = window.segments().next().map(|s| s.seq);
        vec![
            Figure::count("window_segments", "Segments in the window.", stats.segments as u64).at("segments"),
            Figure::count("window_bytes", "Bytes in the window.", stats.bytes).at("bytes"),
            Figure::counter(
                "window_added_bytes_total",
                "Bytes of every segment added since start (one copy of the stream).",
                stats.added_bytes,
            )
            .at("added_bytes_total"),
            Figure::gauge(
                "window_duration_seconds",
                "Seconds of stream in the window.",
                stats.duration_secs,
            )
            .at("duration_secs"),
            Figure::status("first_seq", json!(first_seq)),
            Figure::status("newest_seq", json!(stats.newest_seq)),
            Figure::status("items", items),
        ]
    }
}
