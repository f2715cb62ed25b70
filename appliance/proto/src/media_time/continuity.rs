//! Tells a producer restart from its segments' first timestamps: each segment should start
//! where the previous one started plus that one's duration.
//!
//! Driving contract: call [`Continuity::observe`] once for every segment the box publishes, in
//! order, with its first timestamp (or `None` when it cannot be read) and its duration; mark the
//! segment as a discontinuity when it returns `true`. Invariants: the first segment is never a
//! discontinuity; a segment without a timestamp is never one, and its duration is added to what
//! the next readable segment must continue from; the answer depends only on the last readable
//! segment and the durations since, so one restart is reported once.

use super::MediaTime;

/// Seconds a segment may start away from where the previous one ended: half a target
/// duration, at least half a second (a frame or two of jitter never comes near it).
pub fn tolerance_secs(target_duration_secs: f64) -> f64 {
    (target_duration_secs / 2.0).max(0.5)
}

/// The last readable segment's first timestamp and the media time that followed it.
#[derive(Debug, Default, Clone)]
pub struct Continuity {
    last: Option<Expected>,
}

#[derive(Debug, Clone, Copy)]
struct Expected {
    /// First timestamp of the last segment that had one.
    start: MediaTime,
    /// Seconds of media published since it started (its duration and any unreadable segment's).
    elapsed_secs: f64,
}

impl Continuity {
    /// A check that has seen nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one segment; `true` when its first timestamp jumps backwards, or forwards by more
    /// than `tolerance_secs` past where the previous segments end.
    pub fn observe(&mut self, first: Option<MediaTime>, duration_secs: f64, tolerance_secs: f64) -> bool {
        let Some(start) = first else {
            if let Some(last) = &mut self.last {
                last.elapsed_secs += duration_secs;
            }
            return false;
        };
        let jumped = self.last.is_some_and(|last| {
            let advance = seconds_between(last.start, start);
            (advance - last.elapsed_secs).abs() > tolerance_secs
        });
        self.last = Some(Expected {
            start,
            elapsed_secs: duration_secs,
        });
        jumped
    }
}

/// Seconds from `a` to `b` (negative when `b` is earlier). On one wrapping clock the shorter
/// way round counts, so a 33-bit PTS that wrapped still moves forward.
pub(super) fn seconds_between(a: MediaTime, b: MediaTime) -> f64 {
    match (a.wraps_at, b.wraps_at) {
        (Some(m), Some(n)) if m == n && a.timescale == b.timescale => {
            let forward = (b.ticks % m + m - a.ticks % m) % m;
            let ticks = if forward > m / 2 {
                -((m - forward) as f64)
            } else {
                forward as f64
            };
            ticks / f64::from(a.timescale)
        }
        _ => seconds(b) - seconds(a),
    }
}

fn seconds(t: MediaTime) -> f64 {
    t.ticks as f64 / f64::from(t.timescale.max(1))
}
