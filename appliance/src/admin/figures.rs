//! The box's own view of its delivery (`box` in `/api/status`, `venuebox_box_*`), derived from
//! the other sources' figures: egress by its own counters, egress against the link's capacity,
//! copies of each segment it sent over HTTP and WebRTC, and the problems staff can act on.

use super::history::EGRESS_FIGURES;
use super::problems::{self, Facts};
use crate::config::{Config, IngestMode};
use crate::report::{Derived, Figure, Snapshot};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

/// Egress rates are measured over at least this long.
const RATE_SECS: f64 = 2.0;

/// The derived source.
pub struct BoxFigures {
    started: Instant,
    segment_secs: u32,
    uplink_max_lag_secs: f64,
    disks: Vec<PathBuf>,
    rate: Mutex<Rate>,
}

#[derive(Default)]
struct Rate {
    last: Option<(Instant, f64)>,
    bps: Option<f64>,
}

impl BoxFigures {
    /// For the service configured by `config`.
    pub fn new(config: &Config) -> Self {
        let segment_secs = match config.ingest.mode {
            IngestMode::Demo => config.demo.segment_secs,
            _ => config.ingest.segment_secs,
        };
        Self {
            started: Instant::now(),
            segment_secs,
            uplink_max_lag_secs: config.uplink.max_lag_secs,
            disks: vec![config.ingest.hls_dir.clone(), config.admin.state_dir.clone()],
            rate: Mutex::new(Rate::default()),
        }
    }

    fn egress_bps(&self, bytes: Option<f64>) -> Option<f64> {
        let mut r = self.rate.lock().unwrap_or_else(|p| p.into_inner());
        let (now, bytes) = (Instant::now(), bytes?);
        match r.last {
            Some((t0, _)) if now.duration_since(t0).as_secs_f64() < RATE_SECS => {}
            Some((t0, b0)) => {
                r.bps = Some((bytes - b0).max(0.0) * 8.0 / now.duration_since(t0).as_secs_f64());
                r.last = Some((now, bytes));
            }
            None => r.last = Some((now, bytes)),
        }
        r.bps
    }

    fn facts(&self, all: &Snapshot, egress_bps: Option<f64>, link_bps: Option<f64>) -> Facts {
        let n = |name: &str| all.value(name);
        let disks: Vec<&std::path::Path> = self.disks.iter().map(PathBuf::as_path).collect();
        let failing = n("uplink_consecutive_failures").unwrap_or(0.0) > 0.0;
        Facts {
            uptime_secs: self.started.elapsed().as_secs_f64(),
            live: n("ingest_live").unwrap_or(0.0) > 0.0,
            segment_age_secs: n("ingest_segment_age_seconds").filter(|a| *a >= 0.0),
            keyframe_interval_secs: n("ingest_keyframe_interval_seconds"),
            keyframe_warning: n("ingest_keyframe_warning").unwrap_or(0.0) > 0.0,
            segment_secs: self.segment_secs,
            bitrate_bps: n("ingest_bitrate_bps").unwrap_or(0.0),
            viewers_reporting: n("signal_viewers_reporting").unwrap_or(0.0) as u64,
            viewers_stalled: n("signal_viewers_stalled").unwrap_or(0.0) as u64,
            uplink_enabled: n("uplink_enabled").unwrap_or(0.0) > 0.0,
            uplink_error: failing.then(|| all.label("uplink_last_error_info", "error")).flatten(),
            uplink_lag_secs: n("uplink_lag_seconds"),
            uplink_max_lag_secs: self.uplink_max_lag_secs,
            isolation_suspected: n("signal_isolation_suspected").unwrap_or(0.0) > 0.0,
            isolated_viewers: n("signal_isolated_viewers").unwrap_or(0.0) as u64,
            egress_bps,
            link_bps,
            memory_available: super::host::memory_available(),
            disk_free: super::host::disk_free(&disks),
        }
    }
}

impl Derived for BoxFigures {
    fn name(&self) -> &'static str {
        "box"
    }

    fn figures(&self, all: &Snapshot) -> Vec<Figure> {
        let own: Vec<f64> = EGRESS_FIGURES.iter().filter_map(|name| all.value(name)).collect();
        let egress = (!own.is_empty()).then(|| own.iter().sum::<f64>());
        let egress_bps = self.egress_bps(egress);
        let link_bps = super::host::link_capacity_bps();
        let added = all.value("window_added_bytes_total").filter(|b| *b > 0.0);
        let per_segment = |bytes: Option<f64>| bytes.zip(added).map(|(b, a)| b / a);
        let seeder = all.value("seeder_uploaded_bytes_total").unwrap_or(0.0)
            + all.value("seeder_mesh_bytes_sent_total").unwrap_or(0.0);
        let problems = problems::problems(&self.facts(all, egress_bps, link_bps));
        vec![
            Figure::counter(
                "box_egress_bytes_total",
                "Bytes the box sent to viewers by its own counters: HTTP bodies + WebRTC seeder.",
                egress.unwrap_or(0.0) as u64,
            )
            .at("egress_bytes_total"),
            Figure::maybe(
                "box_egress_bps",
                "Box egress rate over the last seconds, bits/s.",
                egress_bps,
                0.0,
            )
            .at("egress_bps"),
            Figure::maybe(
                "box_link_capacity_bps",
                "Speed of the box's fastest wired link that is up, bits/s (0: unknown).",
                link_bps,
                0.0,
            )
            .at("link_capacity_bps"),
            Figure::maybe(
                "box_egress_link_share",
                "Box egress over the link's capacity (0-1).",
                egress_bps.zip(link_bps).map(|(e, l)| e / l),
                0.0,
            )
            .at("egress_link_share"),
            Figure::maybe(
                "box_http_copies_per_segment",
                "HTTP segment bytes sent over bytes of segments made: copies of each segment over HTTP.",
                per_segment(all.value("http_segment_bytes_total")),
                0.0,
            )
            .at("http_copies_per_segment"),
            Figure::maybe(
                "box_seeder_copies_per_segment",
                "WebRTC seeder bytes sent over bytes of segments made: copies of each segment over WebRTC.",
                per_segment(Some(seeder)),
                0.0,
            )
            .at("seeder_copies_per_segment"),
            Figure::count("box_problems", "Problems on the staff page now.", problems.len() as u64),
            Figure::status("problems", serde_json::json!(problems)),
        ]
    }
}
