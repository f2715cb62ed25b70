//! The watcher's edge of the timestamp check: reads each segment's first timestamp before it is
//! published and asks [`Continuity`] whether the producer restarted (a restart that kept its
//! numbering counting forward shows only there).

use super::WatchStats;
use crate::window::{Container, InitSegment};
use std::sync::atomic::Ordering;
use venuebox_proto::media_time::{
    fmp4_first_time, tolerance_secs, ts_first_time, Continuity, MediaTime, MediaTimeError,
};

/// The continuity of the segments published so far.
#[derive(Debug, Default)]
pub(super) struct TimestampCheck {
    continuity: Continuity,
    warned_unreadable: bool,
}

/// One segment as the check sees it.
pub(super) struct Observed<'a> {
    pub kind: Container,
    pub data: &'a [u8],
    pub init: Option<&'a InitSegment>,
    pub duration: f64,
    /// The producer playlist's `EXT-X-TARGETDURATION`, seconds.
    pub target_duration: f64,
}

impl TimestampCheck {
    /// Whether `seg`'s timestamps say a discontinuity precedes it; call once per segment that
    /// will be published, in order. An unreadable timestamp is never one (logged once).
    pub fn jumped(&mut self, seg: &Observed<'_>, stats: &WatchStats) -> bool {
        let first = match first_time(seg) {
            Ok(t) => Some(t),
            Err(e) => {
                stats.timestamps_unreadable.fetch_add(1, Ordering::Relaxed);
                if !std::mem::replace(&mut self.warned_unreadable, true) {
                    tracing::warn!(error = %e, "segment timestamps unreadable: restarts are seen by numbering only (logged once)");
                }
                None
            }
        };
        let tolerance = tolerance_secs(seg.target_duration);
        self.continuity.observe(first, seg.duration, tolerance)
    }
}

fn first_time(seg: &Observed<'_>) -> Result<MediaTime, MediaTimeError> {
    match (seg.kind, seg.init) {
        (Container::Fmp4, Some(init)) => fmp4_first_time(&init.data, seg.data),
        (Container::Fmp4, None) => Err(MediaTimeError::NoTrack),
        (Container::Ts, _) => ts_first_time(seg.data),
    }
}
