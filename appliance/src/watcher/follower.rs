//! Follows a producer's live playlist across reloads and decides which listed segments are new.
//!
//! Driving contract: parse the playlist each time it changes and call [`Follower::diff`]; read
//! and add the returned picks in order. A segment counts only once the playlist lists it.
//! Invariants: every (media sequence, URI) is picked at most once per producer run; a producer
//! restart (numbering that goes back, or a known number with a new URI) or a return after
//! `EXT-X-ENDLIST` makes the first pick of the new run a discontinuity.

use venuebox_proto::m3u8::MediaPlaylist;

/// A listed segment to read and add to the window.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    /// The producer's media sequence number.
    pub msn: u64,
    /// URI as listed, relative to the playlist.
    pub uri: String,
    /// Duration, seconds.
    pub duration: f64,
    /// Starts a discontinuity.
    pub discontinuity: bool,
    /// `EXT-X-PROGRAM-DATE-TIME`.
    pub program_date_time: Option<String>,
    /// URI of the `EXT-X-MAP` init segment in effect.
    pub map_uri: Option<String>,
}

/// What one playlist reload brought.
#[derive(Debug, Default, PartialEq)]
pub struct Diff {
    /// New segments, oldest first.
    pub picks: Vec<Pick>,
    /// The producer restarted (new numbering) since the last reload.
    pub restarted: bool,
    /// The producer has just ended the stream (`EXT-X-ENDLIST` appeared).
    pub ended: bool,
}

/// The follower's memory of the producer.
#[derive(Debug, Default)]
pub struct Follower {
    last: Option<(u64, String)>,
    ended: bool,
}

impl Follower {
    /// A follower that has seen nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Compares a freshly parsed playlist with what was seen; `max_new` bounds how many of the
    /// newest segments are picked at once (a first look or a restart takes only the tail).
    pub fn diff(&mut self, playlist: &MediaPlaylist, max_new: usize) -> Diff {
        let mut diff = Diff::default();
        let start = match &self.last {
            None => 0,
            Some((msn, uri)) => match position(playlist, *msn) {
                Some(i) if playlist.segments[i].uri == *uri => i + 1,
                Some(_) => self.restart(&mut diff),
                None if playlist.sequence_of(playlist.segments.len()) <= *msn => self.restart(&mut diff),
                None => 0, // everything listed is newer than what we saw: a gap, not a restart
            },
        };
        let fresh = &playlist.segments[start.min(playlist.segments.len())..];
        let skip = fresh.len().saturating_sub(max_new);
        for (offset, seg) in fresh.iter().enumerate().skip(skip) {
            let msn = playlist.sequence_of(start + offset);
            let resumed = std::mem::take(&mut self.ended);
            let first_of_restart = diff.restarted && diff.picks.is_empty();
            diff.picks.push(Pick {
                msn,
                uri: seg.uri.clone(),
                duration: seg.duration,
                discontinuity: seg.discontinuity || first_of_restart || resumed,
                program_date_time: seg.program_date_time.clone(),
                map_uri: seg.map.as_ref().map(|m| m.uri.clone()),
            });
            self.last = Some((msn, seg.uri.clone()));
        }
        if playlist.end_list && !self.ended && !playlist.segments.is_empty() {
            diff.ended = self.mark_ended(playlist);
        }
        diff
    }

    fn restart(&mut self, diff: &mut Diff) -> usize {
        diff.restarted = true;
        self.ended = false;
        0
    }

    /// Remembers the end once the last listed segment has been picked.
    fn mark_ended(&mut self, playlist: &MediaPlaylist) -> bool {
        let last_listed = playlist.sequence_of(playlist.segments.len() - 1);
        let caught_up = self.last.as_ref().is_some_and(|(msn, _)| *msn == last_listed);
        self.ended = caught_up;
        caught_up
    }
}

fn position(playlist: &MediaPlaylist, msn: u64) -> Option<usize> {
    let i = usize::try_from(msn.checked_sub(playlist.media_sequence)?).ok()?;
    (i < playlist.segments.len()).then_some(i)
}

#[cfg(test)]
#[path = "follower_tests.rs"]
mod tests;
