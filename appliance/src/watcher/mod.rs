//! The segment watcher: follows a producer's HLS folder with file-system notifications (and a
//! slow poll as a safety net) and feeds every newly listed segment into the window, marking a
//! discontinuity where the producer's numbering or its timestamps show a restart.

mod files;
mod follower;
mod timestamps;

pub use files::resolve_uri;
pub use follower::{Diff, Follower, Pick};

use crate::window::{Container, IncomingSegment, InitSegment, SharedWindow};
use bytes::Bytes;
use notify::{RecursiveMode, Watcher as _};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use venuebox_proto::m3u8::{MediaPlaylist, PlaylistError, MAX_PLAYLIST_BYTES};

use files::read_bounded;
use timestamps::{Observed, TimestampCheck};

/// Where and how to watch.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// The producer's HLS folder.
    pub dir: PathBuf,
    /// The media playlist's file name in it.
    pub playlist: String,
    /// Re-read the playlist at least this often.
    pub poll: Duration,
    /// Largest segment accepted.
    pub max_segment_bytes: u64,
    /// Most segments taken from one reload (first look, restart).
    pub max_new: usize,
}

/// Why a playlist or segment could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// Reading a file failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A file is larger than allowed.
    #[error("{path} is {size} bytes, more than the {limit} allowed")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The playlist does not parse.
    #[error("playlist {path}: {source}")]
    Playlist {
        /// The playlist.
        path: PathBuf,
        /// The parse error.
        #[source]
        source: PlaylistError,
    },
    /// A URI in the playlist points outside the folder or is not a plain relative path.
    #[error("playlist names a segment outside its folder: {0:?}")]
    UnsafeUri(String),
    /// The notification backend failed.
    #[error("file-system notifications: {0}")]
    Notify(#[from] notify::Error),
}

/// Counters the watcher keeps for status pages.
#[derive(Debug, Default)]
pub struct WatchStats {
    /// Segments added to the window.
    pub segments_added: AtomicU64,
    /// Listed segments that were gone before they could be read.
    pub segments_missing: AtomicU64,
    /// Playlists or segments rejected.
    pub errors: AtomicU64,
    /// Producer restarts seen by their numbering.
    pub restarts: AtomicU64,
    /// Segments marked as a discontinuity because their first timestamp did not continue the
    /// previous segment's (and nothing else had marked them).
    pub timestamp_discontinuities: AtomicU64,
    /// Segments whose first timestamp could not be read (never marked by timestamps).
    pub timestamps_unreadable: AtomicU64,
    /// Times the playlist was read (a notification or the poll woke the watcher).
    pub playlist_reads: AtomicU64,
    /// The last error, for the status page.
    pub last_error: Mutex<Option<String>>,
}

impl WatchStats {
    fn record_error(&self, e: &WatchError) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
    }
}

/// Runs until `shutdown`; returns an error only when notifications cannot be set up at all.
pub async fn run(
    cfg: WatchConfig,
    window: Arc<SharedWindow>,
    stats: Arc<WatchStats>,
    shutdown: CancellationToken,
) -> Result<(), WatchError> {
    let (tx, mut rx) = mpsc::channel::<()>(1);
    let playlist_name = std::ffi::OsString::from(&cfg.playlist);
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if res.is_ok_and(|ev| is_playlist_change(&ev, &playlist_name)) {
            let _ = tx.try_send(()); // a full channel already holds a wake-up
        }
    })?;
    let mut state = WatchState {
        cfg,
        window,
        stats,
        follower: Follower::new(),
        last_bytes: Bytes::new(),
        target_duration: 0.0,
        timestamps: TimestampCheck::default(),
        carried_discontinuity: false,
        init: None,
        inits_read: 0,
        watching: false,
    };
    let mut poll = tokio::time::interval(state.cfg.poll);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = rx.recv() => {}
            _ = poll.tick() => {}
        }
        if !state.watching {
            state.watching = watcher.watch(&state.cfg.dir, RecursiveMode::NonRecursive).is_ok();
        }
        if let Err(e) = state.reload().await {
            tracing::warn!(error = %e, "segment watcher");
            state.stats.record_error(&e);
        }
    }
}

/// Whether `ev` may mean the playlist called `playlist` has new content: it was created,
/// written, closed after writing, renamed or removed. Opening and reading it do not count: the
/// watcher's own reads raise such events, and waking on them made it re-read the playlist
/// hundreds of times a second while idle.
fn is_playlist_change(ev: &notify::Event, playlist: &std::ffi::OsStr) -> bool {
    use notify::event::{AccessKind, AccessMode, EventKind};
    let content_may_change = match ev.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    };
    content_may_change && ev.paths.iter().any(|p| p.file_name() == Some(playlist))
}

/// The watcher's state between reloads.
struct WatchState {
    cfg: WatchConfig,
    window: Arc<SharedWindow>,
    stats: Arc<WatchStats>,
    follower: Follower,
    last_bytes: Bytes,
    /// `EXT-X-TARGETDURATION` of the playlist the picks came from.
    target_duration: f64,
    timestamps: TimestampCheck,
    /// A discontinuity of a pick that could not be published, owed to the next one.
    carried_discontinuity: bool,
    init: Option<(String, Arc<InitSegment>)>,
    inits_read: u64,
    watching: bool,
}

impl WatchState {
    async fn reload(&mut self) -> Result<(), WatchError> {
        let path = self.cfg.dir.join(&self.cfg.playlist);
        self.stats.playlist_reads.fetch_add(1, Ordering::Relaxed);
        let bytes = match read_bounded(&path, MAX_PLAYLIST_BYTES as u64).await {
            Err(WatchError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            other => other?,
        };
        // A producer that writes in place can be caught mid-write: wait for the final newline.
        if bytes == self.last_bytes || !bytes.ends_with(b"\n") {
            return Ok(());
        }
        let playlist = MediaPlaylist::parse(&bytes).map_err(|source| WatchError::Playlist { path, source })?;
        self.last_bytes = bytes;
        self.target_duration = playlist.target_duration as f64;
        let diff = self.follower.diff(&playlist, self.cfg.max_new);
        if diff.restarted {
            tracing::info!("producer restarted with new numbering: discontinuity");
            self.stats.restarts.fetch_add(1, Ordering::Relaxed);
            self.init = None;
        }
        for pick in diff.picks {
            if let Err(e) = self.take(pick).await {
                tracing::warn!(error = %e, "segment skipped");
                self.stats.record_error(&e);
            }
        }
        if diff.ended {
            tracing::info!("producer ended the stream (EXT-X-ENDLIST)");
            self.window.end_of_stream();
        }
        Ok(())
    }

    async fn take(&mut self, pick: Pick) -> Result<(), WatchError> {
        // Until the segment is published, its discontinuity is owed to the next one.
        self.carried_discontinuity |= pick.discontinuity;
        let Some(data) = self.read_listed(&pick.uri).await? else {
            return Ok(());
        };
        let mut init = match &pick.map_uri {
            Some(uri) => Some(self.init_segment(uri).await?),
            None => None,
        };
        let kind = if init.is_some() {
            Container::Fmp4
        } else {
            Container::from_uri(&pick.uri)
        };
        let jumped = self.timestamps_jumped(kind, &data, init.as_deref(), pick.duration);
        if let (true, Some(uri)) = (jumped, &pick.map_uri) {
            // A restart rewrites the init segment, often under the same name.
            let fresh = self.fresh_init_segment(uri).await;
            init = Some(fresh.inspect_err(|_| self.carried_discontinuity = true)?);
        }
        let discontinuity = self.settle_discontinuity(jumped);
        self.window.push(IncomingSegment {
            source_uri: pick.uri,
            kind,
            duration: pick.duration,
            data,
            discontinuity,
            program_date_time: pick.program_date_time,
            init,
        });
        self.stats.segments_added.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// The listed segment's bytes; `None` when the producer deleted it before it could be read.
    async fn read_listed(&self, uri: &str) -> Result<Option<Bytes>, WatchError> {
        match read_bounded(&self.resolve(uri)?, self.cfg.max_segment_bytes).await {
            Err(WatchError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(uri = %uri, "listed segment was deleted before it could be read");
                self.stats.segments_missing.fetch_add(1, Ordering::Relaxed);
                Ok(None)
            }
            other => other.map(Some),
        }
    }

    /// The one discontinuity flag of the segment about to be published: owed from the playlist
    /// (restart, end, the producer's own tag) or seen in its timestamps; counted once.
    fn settle_discontinuity(&mut self, jumped: bool) -> bool {
        let owed = std::mem::take(&mut self.carried_discontinuity);
        if jumped && !owed {
            tracing::info!("segment timestamps restarted: discontinuity");
            self.stats.timestamp_discontinuities.fetch_add(1, Ordering::Relaxed);
        }
        owed || jumped
    }

    /// Whether the segment's first timestamp does not continue the last published segment's.
    fn timestamps_jumped(&mut self, kind: Container, data: &[u8], init: Option<&InitSegment>, duration: f64) -> bool {
        let seen = Observed {
            kind,
            data,
            init,
            duration,
            target_duration: self.target_duration,
        };
        self.timestamps.jumped(&seen, &self.stats)
    }

    /// The init segment for `uri` read from the folder even when the same URI is cached.
    async fn fresh_init_segment(&mut self, uri: &str) -> Result<Arc<InitSegment>, WatchError> {
        self.init = None;
        self.init_segment(uri).await
    }

    /// The init segment for `uri`, read again when the URI changes (or after a restart).
    async fn init_segment(&mut self, uri: &str) -> Result<Arc<InitSegment>, WatchError> {
        if let Some((known, init)) = &self.init {
            if known == uri {
                return Ok(init.clone());
            }
        }
        let data = read_bounded(&self.resolve(uri)?, self.cfg.max_segment_bytes).await?;
        self.inits_read += 1;
        let name = format!("init-{}-{}.mp4", std::process::id(), self.inits_read);
        let init = Arc::new(InitSegment { name, data });
        self.init = Some((uri.to_owned(), init.clone()));
        Ok(init)
    }

    fn resolve(&self, uri: &str) -> Result<PathBuf, WatchError> {
        resolve_uri(&self.cfg.dir, uri).ok_or_else(|| WatchError::UnsafeUri(uri.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::is_playlist_change;
    use notify::event::{AccessKind, AccessMode, CreateKind, EventKind, ModifyKind, RemoveKind, RenameMode};

    #[test]
    fn only_changes_to_the_playlist_wake_the_watcher() {
        let ev = |kind, name: &str| notify::Event::new(kind).add_path(std::path::Path::new("/hls").join(name));
        let name = std::ffi::OsStr::new("stream.m3u8");
        let wakes = [
            EventKind::Create(CreateKind::File),
            EventKind::Modify(ModifyKind::Any),
            EventKind::Modify(ModifyKind::Name(RenameMode::To)),
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            EventKind::Remove(RemoveKind::File),
            EventKind::Any,
        ];
        for kind in wakes {
            assert!(is_playlist_change(&ev(kind, "stream.m3u8"), name), "{kind:?}");
            assert!(!is_playlist_change(&ev(kind, "s1.ts"), name), "{kind:?} on a segment");
        }
        let own_reads = [
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            EventKind::Access(AccessKind::Read),
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
        ];
        for kind in own_reads {
            assert!(!is_playlist_change(&ev(kind, "stream.m3u8"), name), "{kind:?}");
        }
    }
}
