//! The upload scheduler: which object to put or delete next, pure and sans-IO (no clock, no IO;
//! time is a parameter and jitter comes from a seed).
//!
//! Driving loop (the tokio task in `task.rs`): feed window events ([`Scheduler::segment_added`],
//! [`Scheduler::segment_removed`], [`Scheduler::resync`] after missing events); then call
//! [`Scheduler::poll_job`] until it returns `None`, run each job and report its end with
//! [`Scheduler::job_done`]; sleep until [`Scheduler::poll_timeout`], the next event or the next
//! job end, and repeat.
//!
//! Invariants: a playlist is rendered only from segments (and their init segments) whose upload
//! succeeded, so it never names a missing object; an object named by a playlist is deleted only
//! after a playlist version without it is in the bucket; at most `queue_segments` segments wait
//! and none waits longer than `max_lag` unless it is the newest (older ones are skipped and the
//! gap becomes a discontinuity); at most `concurrency` jobs run; after a failure nothing starts
//! before the backoff ends.

use super::backoff::Backoff;
use super::keys;
use super::published::Published;
use super::status::UplinkStats;
use super::store::PutRequest;

mod publish;
mod select;
use crate::window::{InitSegment, Segment};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most deletions remembered; beyond, the oldest are dropped (a lifecycle rule catches them).
pub const MAX_PENDING_DELETES: usize = 1024;
/// Attempts per deletion before it is dropped.
pub const MAX_DELETE_ATTEMPTS: u32 = 5;

/// Scheduler settings (from `[uplink]`).
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// Key prefix, empty or ending in `/`.
    pub prefix: String,
    /// Most simultaneous jobs.
    pub concurrency: usize,
    /// Most segments waiting.
    pub queue_segments: usize,
    /// Longest wait of a segment that is not the newest.
    pub max_lag: Duration,
    /// First retry delay.
    pub backoff_initial: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
    /// Delete objects that left the window.
    pub delete_old: bool,
    /// Delay between dropping a segment from the playlist and deleting it.
    pub delete_grace: Duration,
    /// Jitter seed.
    pub seed: u64,
}

/// Identifies a running job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JobId(u64);

/// What a job does.
#[derive(Debug, Clone, PartialEq)]
pub enum JobAction {
    /// Upload an object.
    Put(PutRequest),
    /// Delete an object.
    Delete(String),
}

/// A job to run.
#[derive(Debug, Clone)]
pub struct Job {
    /// Report its end with this.
    pub id: JobId,
    /// The request.
    pub action: JobAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    InFlight,
    Uploaded,
    Published,
    Skipped,
}

#[derive(Debug)]
struct Entry {
    seg: Arc<Segment>,
    state: State,
    left: bool,
}

#[derive(Debug)]
struct InitEntry {
    init: Arc<InitSegment>,
    state: State,
}

#[derive(Debug, Clone)]
struct Delete {
    key: String,
    after_version: u64,
    not_before: Instant,
    attempts: u32,
}

#[derive(Debug, Clone)]
enum Target {
    Segment(u64),
    Init(String),
    Playlist(u64),
    Delete(Delete),
    Viewer(PutRequest),
}

/// The scheduler.
#[derive(Debug)]
pub struct Scheduler {
    cfg: SchedulerConfig,
    segments: BTreeMap<u64, Entry>,
    inits: BTreeMap<String, InitEntry>,
    frontier: u64,
    gap: bool,
    published: Published,
    deletes: VecDeque<Delete>,
    viewer: VecDeque<PutRequest>,
    viewer_marker: Option<PutRequest>,
    in_flight: HashMap<JobId, (Target, u64)>,
    next_id: u64,
    backoff: Backoff,
    stats: UplinkStats,
}

impl Scheduler {
    /// A scheduler with nothing to do.
    pub fn new(cfg: SchedulerConfig) -> Self {
        let backoff = Backoff::new(cfg.backoff_initial, cfg.backoff_max, cfg.seed);
        Self {
            cfg,
            segments: BTreeMap::new(),
            inits: BTreeMap::new(),
            frontier: 0,
            gap: false,
            published: Published::default(),
            deletes: VecDeque::new(),
            viewer: VecDeque::new(),
            viewer_marker: None,
            in_flight: HashMap::new(),
            next_id: 0,
            backoff,
            stats: UplinkStats::default(),
        }
    }

    /// Queues the viewer app's files, then `marker` (its version) once they are all uploaded.
    pub fn set_viewer(&mut self, files: Vec<PutRequest>, marker: PutRequest) {
        self.viewer = files.into();
        self.viewer_marker = Some(marker);
    }

    /// A segment entered the window.
    pub fn segment_added(&mut self, seg: Arc<Segment>, now: Instant) {
        if seg.seq < self.frontier || self.segments.contains_key(&seg.seq) {
            return;
        }
        if let Some(init) = &seg.init {
            self.inits.entry(init.name.clone()).or_insert_with(|| InitEntry {
                init: init.clone(),
                state: State::Pending,
            });
        }
        let entry = Entry {
            seg,
            state: State::Pending,
            left: false,
        };
        self.segments.insert(entry.seg.seq, entry);
        self.skip_stale(now);
        self.after_change(now);
    }

    /// A segment left the window.
    pub fn segment_removed(&mut self, seq: u64, now: Instant) {
        let Some(e) = self.segments.get_mut(&seq) else {
            return;
        };
        e.left = true;
        let key = keys::hls(&self.cfg.prefix, &e.seg.name);
        match e.state {
            State::Pending => e.state = State::Skipped,
            State::Uploaded => {
                e.state = State::Skipped;
                self.queue_delete(key, 0, now);
            }
            State::Published => {
                self.published.remove(seq);
                let version = self.published.version();
                self.queue_delete(key, version, now + self.cfg.delete_grace);
            }
            State::InFlight | State::Skipped => {}
        }
        self.after_change(now);
    }

    /// Brings the scheduler in line with the window after events were missed.
    pub fn resync(&mut self, window: &[Arc<Segment>], now: Instant) {
        let gone: Vec<u64> = self
            .segments
            .iter()
            .filter(|(seq, e)| !e.left && !window.iter().any(|s| s.seq == **seq))
            .map(|(seq, _)| *seq)
            .collect();
        for seq in gone {
            self.segment_removed(seq, now);
        }
        for seg in window {
            self.segment_added(seg.clone(), now);
        }
    }

    /// The next job to start, if one may start at `now`.
    pub fn poll_job(&mut self, now: Instant) -> Option<Job> {
        if self.backoff.waiting(now) || self.in_flight.len() >= self.cfg.concurrency {
            return None;
        }
        self.skip_stale(now);
        self.after_change(now);
        let (target, action) = self.next_target(now)?;
        let bytes = match &action {
            JobAction::Put(p) => p.body.len() as u64,
            JobAction::Delete(_) => 0,
        };
        let id = JobId(self.next_id);
        self.next_id += 1;
        self.in_flight.insert(id, (target, bytes));
        Some(Job { id, action })
    }

    /// Records the end of job `id`: `Err` carries a printable reason (no secrets).
    pub fn job_done(&mut self, id: JobId, result: Result<(), String>, now: Instant) {
        let Some((target, bytes)) = self.in_flight.remove(&id) else {
            return;
        };
        let ok = result.is_ok();
        match result {
            Ok(()) => self.backoff.succeed(),
            Err(e) => {
                self.backoff.fail(now);
                self.stats.failures += 1;
                self.stats.last_error = Some(e);
            }
        }
        if ok && bytes > 0 {
            self.stats.bytes_uploaded += bytes;
            self.stats.objects_uploaded += 1;
        }
        self.finish(target, ok, now);
        self.after_change(now);
    }

    /// When to call [`Scheduler::poll_job`] again if nothing else happens.
    pub fn poll_timeout(&self, now: Instant) -> Option<Instant> {
        if let Some(until) = self.backoff.until().filter(|u| *u > now) {
            return Some(until);
        }
        let uploaded = self.published.uploaded_version();
        let deletes = self
            .deletes
            .iter()
            .filter(|d| d.after_version <= uploaded)
            .map(|d| d.not_before);
        let stale = self
            .segments
            .values()
            .filter(|e| e.state == State::Pending && !e.left)
            .map(|e| e.seg.added_at + self.cfg.max_lag);
        deletes.chain(stale).filter(|t| *t > now).min()
    }

    /// Figures for the status page.
    pub fn stats(&self) -> UplinkStats {
        // Lag counts from the first segment after the newest one a stored playlist names,
        // skipped ones included, so it keeps growing while the bucket is unreachable.
        let announced = self.published.newest_announced_seq();
        let waiting = self
            .segments
            .range(announced.map_or(0, |s| s + 1)..)
            .filter(|(_, e)| !e.left && e.state != State::Published)
            .map(|(_, e)| e.seg.added_at);
        UplinkStats {
            queued_segments: self.count(State::Pending),
            in_flight: self.in_flight.len(),
            pending_deletes: self.deletes.len(),
            oldest_waiting: waiting.chain(self.published.oldest_unannounced()).min(),
            backoff_until: self.backoff.until(),
            consecutive_failures: self.backoff.failures(),
            newest_announced_seq: self.published.newest_announced_seq(),
            playlist_segments: self.published.len(),
            ..self.stats.clone()
        }
    }

    /// The playlist as it would be uploaded now (for tests and status).
    pub fn playlist(&self) -> String {
        self.published.render()
    }

    fn count(&self, state: State) -> usize {
        self.segments.values().filter(|e| e.state == state && !e.left).count()
    }

    fn finish(&mut self, target: Target, ok: bool, now: Instant) {
        match target {
            Target::Segment(seq) => self.segment_done(seq, ok, now),
            Target::Init(name) => {
                if let Some(e) = self.inits.get_mut(&name) {
                    e.state = if ok { State::Uploaded } else { State::Pending };
                }
            }
            Target::Playlist(version) => self.published.upload_done(version, ok),
            Target::Delete(mut d) if !ok => {
                d.attempts += 1;
                if d.attempts < MAX_DELETE_ATTEMPTS {
                    self.deletes.push_front(d);
                } else {
                    self.stats.deletes_dropped += 1;
                }
            }
            Target::Delete(_) => self.stats.objects_deleted += 1,
            Target::Viewer(req) if !ok => {
                if req.key.ends_with(keys::VIEWER_VERSION) {
                    self.viewer_marker = Some(req);
                } else {
                    self.viewer.push_front(req);
                }
            }
            Target::Viewer(_) => {}
        }
    }

    fn segment_done(&mut self, seq: u64, ok: bool, now: Instant) {
        let Some(e) = self.segments.get_mut(&seq) else {
            return;
        };
        e.state = match (ok, e.left) {
            (true, false) => State::Uploaded,
            (false, false) => State::Pending,
            (_, true) => State::Skipped,
        };
        if ok && e.left {
            let key = keys::hls(&self.cfg.prefix, &e.seg.name);
            self.queue_delete(key, 0, now);
        }
    }

    /// Skips waiting segments beyond the queue bound or older than `max_lag` (but never the
    /// newest segment).
    fn skip_stale(&mut self, now: Instant) {
        let newest = self.segments.keys().next_back().copied();
        let waiting = self.count(State::Pending);
        let mut over = waiting.saturating_sub(self.cfg.queue_segments);
        for (seq, e) in self.segments.iter_mut() {
            if e.state != State::Pending || e.left {
                continue;
            }
            let stale = now.saturating_duration_since(e.seg.added_at) > self.cfg.max_lag && Some(*seq) != newest;
            if over > 0 || stale {
                over = over.saturating_sub(1);
                e.state = State::Skipped;
                self.stats.segments_skipped += 1;
            }
        }
    }

    fn queue_delete(&mut self, key: String, after_version: u64, not_before: Instant) {
        if !self.cfg.delete_old {
            return;
        }
        if self.deletes.len() >= MAX_PENDING_DELETES {
            self.deletes.pop_front();
            self.stats.deletes_dropped += 1;
        }
        self.deletes.push_back(Delete {
            key,
            after_version,
            not_before,
            attempts: 0,
        });
    }
}

#[cfg(test)]
#[path = "scheduler_tests.rs"]
mod tests;
