//! Keeps the seeder in step with the segment window: every segment's torrent (made by the
//! window) and the fMP4 init segment in effect are seeded on `Added`, registered as the box's
//! swarms with the tracker, and dropped on `Removed`.

use std::sync::Arc;

use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};
use venuebox_proto::tracker::Id20;

use super::{SeededSegment, Seeder, INIT_SEQ};
use crate::tracker::TrackerHandle;
use crate::window::{Segment, SharedWindow, WindowEvent};

/// Seeds what the window holds now, then follows its events until `shutdown`; with a tracker,
/// registers every seeded torrent's swarm there.
pub async fn run(
    seeder: Arc<Seeder>,
    window: Arc<SharedWindow>,
    tracker: Option<TrackerHandle>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mut events = window.subscribe();
    let link = Link { seeder, tracker };
    let present: Vec<Arc<Segment>> = window.read().segments().cloned().collect();
    for seg in present {
        link.added(seg).await;
    }
    loop {
        let event = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            e = events.recv() => e,
        };
        match event {
            Ok(WindowEvent::Added(seg)) => link.added(seg).await,
            Ok(WindowEvent::Removed(seg)) => {
                link.seeder.remove_segment(seg.seq);
                if let Some(mesh) = link.seeder.mesh() {
                    mesh.remove_segment(seg.seq);
                }
            }
            Ok(WindowEvent::EndOfStream) => {}
            Err(RecvError::Lagged(n)) => link.resync(&window, n).await,
            Err(RecvError::Closed) => return Ok(()),
        }
    }
}

struct Link {
    seeder: Arc<Seeder>,
    tracker: Option<TrackerHandle>,
}

impl Link {
    /// Seeds the segment (and a new init segment) and registers the swarms.
    async fn added(&self, seg: Arc<Segment>) {
        if let Some(init) = &seg.init {
            if self.seeder.init_name().as_deref() != Some(init.name.as_str()) {
                let (s, init) = (self.seeder.clone(), init.clone());
                match tokio::task::spawn_blocking(move || s.set_init(&init.name, init.data.clone())).await {
                    Ok(Ok(seeded)) => self.register(&seeded).await,
                    Ok(Err(e)) => warn!(error = %e, "init segment not seeded"),
                    Err(e) => warn!(error = %e, "init torrent task failed"),
                }
            }
        }
        let Some(torrent) = seg.torrent.clone() else {
            warn!(seq = seg.seq, "segment has no torrent; not seeded");
            return;
        };
        let seeded = self.seeder.add_torrent(seg.seq, torrent, seg.data.clone());
        debug!(seq = seeded.seq, info_hash = %seeded.torrent.info_hash(), "seeding segment");
        if let Some(mesh) = self.seeder.mesh() {
            mesh.add_segment(seeded.clone());
        }
        self.register(&seeded).await;
    }

    async fn register(&self, seeded: &SeededSegment) {
        if let Some(tracker) = &self.tracker {
            let hash = Id20(seeded.torrent.info_hash().0);
            tracker.register_swarm(hash, seeded.seq, seeded.torrent.length()).await;
        }
    }

    /// After missing `n` events: drop what left the window, add what is new.
    async fn resync(&self, window: &SharedWindow, n: u64) {
        warn!(missed = n, "seeder lagged behind the window; resynchronising");
        let now: Vec<Arc<Segment>> = window.read().segments().cloned().collect();
        let keep: std::collections::HashSet<u64> = now.iter().map(|s| s.seq).collect();
        for old in self.seeder.segments().list().iter() {
            if old.seq != INIT_SEQ && !keep.contains(&old.seq) {
                self.seeder.remove_segment(old.seq);
            }
        }
        for seg in now {
            if self.seeder.segments().by_seq(seg.seq).is_none() {
                self.added(seg).await;
            }
        }
    }
}
