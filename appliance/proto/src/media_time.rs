//! The first timestamp of a media segment (MPEG-TS: the first PES PTS of the video stream;
//! fMP4: the video track's `tfdt` over its `mdhd` timescale) and the pure check that tells from
//! those timestamps whether a producer restarted between two segments.
//!
//! Readers take a whole segment as bytes and either return its first [`MediaTime`] or say why
//! they cannot ([`MediaTimeError`]); they read only the few boxes or packets they need, and never
//! index past the input.

mod continuity;
mod fmp4;
mod ts;

pub use continuity::{tolerance_secs, Continuity};
pub use fmp4::fmp4_first_time;
pub use ts::ts_first_time;

/// A media timestamp: `ticks` of `1 / timescale` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaTime {
    /// The timestamp in ticks.
    pub ticks: u64,
    /// Ticks per second (90 000 for MPEG-TS).
    pub timescale: u32,
    /// The counter wraps to 0 at this many ticks (2^33 for MPEG-TS PTS), or never.
    pub wraps_at: Option<u64>,
}

/// Why a segment's first timestamp cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaTimeError {
    /// No MPEG-TS sync byte where packets should start.
    #[error("no MPEG-TS packet sync")]
    NoSync,
    /// No program association or program map table in the segment.
    #[error("no PAT/PMT before the end of the segment")]
    NoProgram,
    /// A table or header is cut short or carries impossible lengths.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// The chosen stream never starts a PES packet with a PTS.
    #[error("no PES packet with a PTS")]
    NoTimestamp,
    /// The fMP4 init segment names no track with a timescale.
    #[error("init segment has no track with a timescale")]
    NoTrack,
    /// The fMP4 segment has no `moof`/`traf`/`tfdt` for the chosen track.
    #[error("segment has no tfdt for track {0}")]
    NoDecodeTime(u32),
}

#[cfg(test)]
mod tests;
