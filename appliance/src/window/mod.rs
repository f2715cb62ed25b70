//! The segment window: the last minute or so of the stream, in memory, bounded by count, bytes
//! and duration; what every other part of the box serves from.

mod core;
mod follower;
mod report;
mod shared;

pub use self::core::{SegmentWindow, WindowLimits, WindowStats};
pub use self::follower::{Followed, WindowFollower};
pub use self::shared::SharedWindow;

use bytes::Bytes;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

pub use crate::config::HARD_MAX_SEGMENTS;
/// Container of a segment (MPEG-TS, or fMP4 with its [`InitSegment`]).
pub use venuebox_proto::signal::Container;

/// The fMP4 initialisation segment (`EXT-X-MAP`) that media segments refer to.
#[derive(Debug, PartialEq)]
pub struct InitSegment {
    /// The box's name for it, e.g. `init-3.mp4`.
    pub name: String,
    /// Its bytes.
    pub data: Bytes,
}

/// A complete segment the producer listed, as the box serves it: what the watcher handed in
/// (`media`, read through `Deref`: `seg.data`, `seg.kind`, ...) plus what the window gave it.
#[derive(Debug)]
pub struct Segment {
    /// The box's own sequence number: monotonic across producer restarts.
    pub seq: u64,
    /// The box's file name for it, e.g. `seg-00000042.ts`.
    pub name: String,
    /// Its torrent (single file named `name`, SHA-1 pieces), made once when it enters the window;
    /// `None` only for a segment a torrent cannot describe (empty).
    pub torrent: Option<Arc<venuebox_proto::torrent::Torrent>>,
    /// When the box added it (monotonic clock).
    pub added_at: Instant,
    /// When the box added it (wall clock).
    pub added_wall: SystemTime,
    /// The segment as the watcher handed it in (its `discontinuity` also set after an end of
    /// stream).
    pub media: IncomingSegment,
}

impl std::ops::Deref for Segment {
    type Target = IncomingSegment;

    fn deref(&self) -> &IncomingSegment {
        &self.media
    }
}

/// A segment the watcher hands to the window.
#[derive(Debug, Clone)]
pub struct IncomingSegment {
    /// The producer's URI.
    pub source_uri: String,
    /// Container.
    pub kind: Container,
    /// Duration, seconds.
    pub duration: f64,
    /// The bytes.
    pub data: Bytes,
    /// A discontinuity precedes it.
    pub discontinuity: bool,
    /// `EXT-X-PROGRAM-DATE-TIME`, verbatim.
    pub program_date_time: Option<String>,
    /// The fMP4 init segment in effect.
    pub init: Option<Arc<InitSegment>>,
}

#[cfg(test)]
impl IncomingSegment {
    /// A one-second MPEG-TS segment for unit tests.
    pub(crate) fn test_ts(source_uri: String, data: Vec<u8>) -> Self {
        Self {
            source_uri,
            kind: Container::Ts,
            duration: 1.0,
            data: Bytes::from(data),
            discontinuity: false,
            program_date_time: None,
            init: None,
        }
    }
}

/// What changed in the window; published to every subsystem.
#[derive(Debug, Clone)]
pub enum WindowEvent {
    /// A segment entered the window (check `discontinuity`).
    Added(Arc<Segment>),
    /// A segment left the window: drop its swarm, torrent and remote copy.
    Removed(Arc<Segment>),
    /// The producer ended the stream (`EXT-X-ENDLIST`).
    EndOfStream,
}
