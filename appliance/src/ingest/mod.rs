//! Ingest: where segments come from. `rtmp` takes OBS's push through a key-checking gate into
//! a supervised ffmpeg; `hls-dir` watches a folder another program writes (Owncast, ffmpeg);
//! `demo` supervises an ffmpeg test pattern into a temporary folder.

pub mod demo;
pub mod ffmpeg;
pub mod gate;
pub mod probe;
pub mod report;
pub mod rtmp;

use crate::config::IngestMode;
use crate::watcher::WatchStats;
use std::sync::Arc;

/// Live state of ingest, for status pages and sd-notify: the state the signaling hello
/// reports, one type.
pub use venuebox_proto::signal::StreamState as IngestState;

/// What the status page shows about ingest.
#[derive(Debug)]
pub struct IngestStatus {
    /// The configured mode.
    pub mode: IngestMode,
    /// The watcher's counters.
    pub watch: Arc<WatchStats>,
    /// The supervised ffmpeg, when there is one.
    pub child: Option<Arc<ffmpeg::ChildStats>>,
    /// The RTMP gate (`rtmp` mode).
    pub rtmp: Option<Arc<gate::RtmpStats>>,
    /// Resolution, codecs and keyframes of the newest segments.
    pub probe: Arc<probe::ProbeStats>,
}

/// A segment older than this many target durations means ingest is no longer live.
pub const STALE_FACTOR: f64 = 3.0;

/// Decides the ingest state from the window's figures.
pub fn state(ended: bool, newest_age_secs: Option<f64>, segment_secs: f64) -> IngestState {
    match newest_age_secs {
        _ if ended => IngestState::Ended,
        Some(age) if age <= segment_secs.max(1.0) * STALE_FACTOR => IngestState::Live,
        _ => IngestState::Waiting,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_follows_segment_age() {
        assert_eq!(state(false, None, 2.0), IngestState::Waiting);
        assert_eq!(state(false, Some(1.0), 2.0), IngestState::Live);
        assert_eq!(state(false, Some(7.0), 2.0), IngestState::Waiting);
        assert_eq!(state(true, Some(1.0), 2.0), IngestState::Ended);
    }
}
