//! The window's pure state: push segments in, get eviction events and the live playlist out.
//!
//! Driving contract: call [`SegmentWindow::push`] with each complete segment and the current
//! time; publish the returned events in order. Invariants: at most `max_segments` (and never
//! more than [`HARD_MAX_SEGMENTS`]) segments, at most `max_bytes` bytes and, while more than one
//! segment is held, at most `max_duration_secs` seconds; sequence numbers strictly increase; the
//! rendered playlist always describes exactly the segments held.

use super::{Container, IncomingSegment, InitSegment, Segment, WindowEvent, HARD_MAX_SEGMENTS};
use heapless::Deque;
use std::sync::Arc;
use std::time::{Instant, SystemTime};
use venuebox_proto::m3u8::{MediaMap, MediaPlaylist, MediaSegment};
use venuebox_proto::torrent::Torrent;

/// Bounds of the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowLimits {
    /// Seconds of stream kept.
    pub max_duration_secs: f64,
    /// Most segments kept.
    pub max_segments: usize,
    /// Most bytes kept.
    pub max_bytes: u64,
}

/// Figures about the window for status pages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowStats {
    /// Segments held.
    pub segments: usize,
    /// Bytes held.
    pub bytes: u64,
    /// Seconds of stream held.
    pub duration_secs: f64,
    /// Mean bitrate of the held segments, bits per second.
    pub bitrate_bps: f64,
    /// Sequence of the newest segment.
    pub newest_seq: Option<u64>,
    /// When the newest segment was added.
    pub newest_added_at: Option<Instant>,
    /// The producer ended the stream and nothing came since.
    pub ended: bool,
    /// Bytes of every segment added since start (one copy of the stream).
    pub added_bytes: u64,
}

/// The bounded window of segments.
#[derive(Debug)]
pub struct SegmentWindow {
    limits: WindowLimits,
    segments: Deque<Arc<Segment>, HARD_MAX_SEGMENTS>,
    next_seq: u64,
    bytes: u64,
    added_bytes: u64,
    discontinuity_seq: u64,
    target_duration: u64,
    ended: bool,
    playlist: Arc<str>,
}

impl SegmentWindow {
    /// An empty window; the first segment gets sequence `first_seq`.
    pub fn new(limits: WindowLimits, first_seq: u64) -> Self {
        let mut w = Self {
            limits,
            segments: Deque::new(),
            next_seq: first_seq,
            bytes: 0,
            added_bytes: 0,
            discontinuity_seq: 0,
            target_duration: 1,
            ended: false,
            playlist: Arc::from(""),
        };
        w.render();
        w
    }

    /// Adds a complete segment, evicting the oldest as the limits require.
    pub fn push(&mut self, incoming: IncomingSegment, now: Instant, wall: SystemTime) -> Vec<WindowEvent> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let name = format!("seg-{seq:08}.{}", incoming.kind.extension());
        let torrent = Torrent::build(&name, &incoming.data).ok().map(Arc::new);
        let segment = Arc::new(Segment {
            seq,
            name,
            torrent,
            added_at: now,
            added_wall: wall,
            media: IncomingSegment {
                discontinuity: incoming.discontinuity || (self.ended && !self.segments.is_empty()),
                ..incoming
            },
        });
        self.ended = false;
        let mut events = Vec::new();
        if self.segments.is_full() {
            events.extend(self.pop_oldest());
        }
        self.bytes += segment.data.len() as u64;
        self.added_bytes += segment.data.len() as u64;
        // RFC 8216 4.3.3.1: each EXTINF rounded to the nearest integer is at most the target.
        // (Rounding up made 2.03 s segments a 3 s target, and players ~3 targets behind live 9 s.)
        self.target_duration = self.target_duration.max((segment.duration.round() as u64).max(1));
        self.segments
            .push_back(segment.clone())
            .expect("a slot was freed above");
        events.extend(self.evict());
        events.push(WindowEvent::Added(segment));
        self.render();
        events
    }

    /// Records that the producer ended the stream; the next segment starts a discontinuity.
    pub fn end_of_stream(&mut self) -> Option<WindowEvent> {
        (!std::mem::replace(&mut self.ended, true)).then_some(WindowEvent::EndOfStream)
    }

    /// Applies new limits (configuration reload) and evicts what no longer fits.
    pub fn set_limits(&mut self, limits: WindowLimits) -> Vec<WindowEvent> {
        self.limits = limits;
        let events = self.evict();
        self.render();
        events
    }

    /// The segment the box calls `name`.
    pub fn segment(&self, name: &str) -> Option<Arc<Segment>> {
        self.segments.iter().find(|s| s.name == name).cloned()
    }

    /// The init segment the box calls `name`, while a held segment refers to it.
    pub fn init_segment(&self, name: &str) -> Option<Arc<InitSegment>> {
        self.segments
            .iter()
            .filter_map(|s| s.init.as_ref())
            .find(|i| i.name == name)
            .cloned()
    }

    /// The held segments, oldest first.
    pub fn segments(&self) -> impl Iterator<Item = &Arc<Segment>> {
        self.segments.iter()
    }

    /// The box's live media playlist of the held segments.
    pub fn playlist(&self) -> Arc<str> {
        self.playlist.clone()
    }

    /// Current figures.
    pub fn stats(&self) -> WindowStats {
        let duration: f64 = self.segments.iter().map(|s| s.duration).sum();
        let newest = self.segments.back();
        WindowStats {
            segments: self.segments.len(),
            bytes: self.bytes,
            duration_secs: duration,
            bitrate_bps: if duration > 0.0 {
                self.bytes as f64 * 8.0 / duration
            } else {
                0.0
            },
            newest_seq: newest.map(|s| s.seq),
            newest_added_at: newest.map(|s| s.added_at),
            ended: self.ended,
            added_bytes: self.added_bytes,
        }
    }

    fn evict(&mut self) -> Vec<WindowEvent> {
        let mut events = Vec::new();
        while self.over_limits() {
            events.extend(self.pop_oldest());
        }
        events
    }

    fn over_limits(&self) -> bool {
        let n = self.segments.len();
        let duration: f64 = self.segments.iter().map(|s| s.duration).sum();
        n > 1
            && (n > self.limits.max_segments
                || self.bytes > self.limits.max_bytes
                || duration > self.limits.max_duration_secs)
    }

    fn pop_oldest(&mut self) -> Option<WindowEvent> {
        let old = self.segments.pop_front()?;
        self.bytes -= old.data.len() as u64;
        if old.discontinuity {
            // RFC 8216 6.2.2: count the discontinuity tags that scroll out of the playlist.
            self.discontinuity_seq += 1;
        }
        Some(WindowEvent::Removed(old))
    }

    fn render(&mut self) {
        let fmp4 = self.segments.iter().any(|s| s.kind == Container::Fmp4);
        let playlist = MediaPlaylist {
            version: if fmp4 { 7 } else { 3 },
            target_duration: self.target_duration,
            media_sequence: self.segments.front().map_or(self.next_seq, |s| s.seq),
            discontinuity_sequence: self.discontinuity_seq,
            independent_segments: false,
            segments: self.segments.iter().map(|s| media_segment(s)).collect(),
            end_list: false,
        };
        self.playlist = Arc::from(playlist.render());
    }
}

fn media_segment(s: &Segment) -> MediaSegment {
    MediaSegment {
        uri: s.name.clone(),
        duration: s.duration,
        discontinuity: s.discontinuity,
        program_date_time: s.program_date_time.clone(),
        map: s.init.as_ref().map(|i| MediaMap { uri: i.name.clone() }),
    }
}

#[cfg(test)]
#[path = "core_tests.rs"]
mod tests;
