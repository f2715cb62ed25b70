//! The segment window: the last minute or so of the stream, in memory, bounded by count, bytes
//! and duration; what every other part of the box serves from.

mod core;
mod report;
mod shared;

pub use self::core::{SegmentWindow, WindowLimits, WindowStats};
pub use self::shared::SharedWindow;

use bytes::Bytes;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

pub use crate::config::HARD_MAX_SEGMENTS;

/// Container of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentKind {
    /// MPEG transport stream.
    Ts,
    /// Fragmented MP4 media segment; needs its [`InitSegment`].
    Fmp4,
}

impl SegmentKind {
    /// File extension the box uses for this kind.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Ts => "ts",
            Self::Fmp4 => "m4s",
        }
    }

    /// Guesses the kind from a producer's URI, defaulting to MPEG-TS.
    pub fn from_uri(uri: &str) -> Self {
        let path = uri.split(['?', '#']).next().unwrap_or(uri);
        if [".m4s", ".mp4", ".cmfv", ".m4v"].iter().any(|e| path.ends_with(e)) {
            Self::Fmp4
        } else {
            Self::Ts
        }
    }
}

/// The fMP4 initialisation segment (`EXT-X-MAP`) that media segments refer to.
#[derive(Debug, PartialEq)]
pub struct InitSegment {
    /// The box's name for it, e.g. `init-3.mp4`.
    pub name: String,
    /// Its bytes.
    pub data: Bytes,
}

/// A complete segment the producer listed, as the box serves it.
#[derive(Debug)]
pub struct Segment {
    /// The box's own sequence number: monotonic across producer restarts.
    pub seq: u64,
    /// The box's file name for it, e.g. `seg-00000042.ts`.
    pub name: String,
    /// Its torrent (single file named `name`, SHA-1 pieces), made once when it enters the window;
    /// `None` only for a segment a torrent cannot describe (empty).
    pub torrent: Option<Arc<venuebox_proto::torrent::Torrent>>,
    /// Container.
    pub kind: SegmentKind,
    /// Duration, seconds.
    pub duration: f64,
    /// The bytes (clone and slice without copying).
    pub data: Bytes,
    /// A discontinuity precedes this segment (producer restart, OBS reconnect, new init).
    pub discontinuity: bool,
    /// `EXT-X-PROGRAM-DATE-TIME` from the producer.
    pub program_date_time: Option<String>,
    /// The init segment of an fMP4 stream.
    pub init: Option<Arc<InitSegment>>,
    /// The producer's URI, for logs.
    pub source_uri: String,
    /// When the box added it (monotonic clock).
    pub added_at: Instant,
    /// When the box added it (wall clock).
    pub added_wall: SystemTime,
}

/// A segment the watcher hands to the window.
#[derive(Debug, Clone)]
pub struct IncomingSegment {
    /// The producer's URI.
    pub source_uri: String,
    /// Container.
    pub kind: SegmentKind,
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
