//! The uploaded playlist: the box's window playlist restricted to segments that are in the
//! bucket, with its own media sequence numbers (segments skipped after an outage do not
//! appear, and a discontinuity marks each gap, so the numbers stay consecutive and stable).
//!
//! Invariants: entries only join at the end and leave at the front, each with the next media
//! sequence number; a version number grows with every change; the version known to be in the
//! bucket never exceeds the newest version.

use crate::window::{Container, Segment};
use std::collections::VecDeque;
use std::time::Instant;
use venuebox_proto::m3u8::{MediaMap, MediaPlaylist, MediaSegment};

/// A segment the uploaded playlist names.
#[derive(Debug, Clone)]
struct Entry {
    seq: u64,
    segment: MediaSegment,
    fmp4: bool,
    /// The playlist version that first named it.
    version: u64,
    added_at: Instant,
}

/// The uploaded playlist's state.
#[derive(Debug, Default)]
pub struct Published {
    entries: VecDeque<Entry>,
    first_msn: u64,
    next_msn: Option<u64>,
    discontinuity_seq: u64,
    target_duration: u64,
    version: u64,
    uploaded: u64,
    in_flight: Option<u64>,
}

impl Published {
    /// Appends an uploaded segment; `gap` marks skipped segments before it.
    pub fn push(&mut self, seg: &Segment, gap: bool) {
        let msn = *self.next_msn.get_or_insert(seg.seq);
        if self.entries.is_empty() {
            self.first_msn = msn;
        }
        self.next_msn = Some(msn + 1);
        self.version += 1;
        self.target_duration = self.target_duration.max(seg.duration.round() as u64).max(1);
        self.entries.push_back(Entry {
            seq: seg.seq,
            segment: MediaSegment {
                uri: seg.name.clone(),
                duration: seg.duration,
                discontinuity: seg.discontinuity || gap,
                program_date_time: seg.program_date_time.clone(),
                map: seg.init.as_ref().map(|i| MediaMap { uri: i.name.clone() }),
            },
            fmp4: seg.kind == Container::Fmp4,
            version: self.version,
            added_at: seg.added_at,
        });
    }

    /// Drops the segment `seq` if named; returns whether it was.
    pub fn remove(&mut self, seq: u64) -> bool {
        let Some(pos) = self.entries.iter().position(|e| e.seq == seq) else {
            return false;
        };
        // Segments leave the window oldest first, so `pos` is 0; anything before goes too.
        for e in self.entries.drain(..=pos) {
            self.first_msn += 1;
            if e.segment.discontinuity {
                self.discontinuity_seq += 1; // RFC 8216 6.2.2
            }
        }
        self.version += 1;
        true
    }

    /// Whether a playlist upload should start now.
    pub fn needs_upload(&self) -> bool {
        self.version > self.uploaded && self.in_flight.is_none() && self.next_msn.is_some()
    }

    /// Starts uploading the current version: returns it and its text.
    pub fn start_upload(&mut self) -> (u64, String) {
        self.in_flight = Some(self.version);
        (self.version, self.render())
    }

    /// Records the end of an upload of `version`.
    pub fn upload_done(&mut self, version: u64, ok: bool) {
        self.in_flight = None;
        if ok {
            self.uploaded = self.uploaded.max(version);
        }
    }

    /// The newest version known to be in the bucket.
    pub fn uploaded_version(&self) -> u64 {
        self.uploaded
    }

    /// The current version.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Whether a named segment refers to the init segment `name`.
    pub fn uses_init(&self, name: &str) -> bool {
        self.entries
            .iter()
            .any(|e| e.segment.map.as_ref().is_some_and(|m| m.uri == name))
    }

    /// When the oldest segment named only by a playlist not yet in the bucket was added.
    pub fn oldest_unannounced(&self) -> Option<Instant> {
        self.entries
            .iter()
            .find(|e| e.version > self.uploaded)
            .map(|e| e.added_at)
    }

    /// Box sequence of the newest segment a playlist in the bucket names.
    pub fn newest_announced_seq(&self) -> Option<u64> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.version <= self.uploaded)
            .map(|e| e.seq)
    }

    /// Segments named.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no segment is named.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The playlist text.
    pub fn render(&self) -> String {
        MediaPlaylist {
            version: if self.entries.iter().any(|e| e.fmp4) { 7 } else { 3 },
            target_duration: self.target_duration.max(1),
            media_sequence: self.first_msn,
            discontinuity_sequence: self.discontinuity_seq,
            independent_segments: false,
            segments: self.entries.iter().map(|e| e.segment.clone()).collect(),
            end_list: false,
        }
        .render()
    }
}
