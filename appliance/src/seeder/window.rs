//! Keeps the seeder in step with the segment window: every segment's torrent (made by the
//! window) and the fMP4 init segment in effect are seeded on `Added`, registered as the box's
//! swarms with the tracker, and dropped on `Removed`.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::{SeededSegment, Seeder};
use crate::tracker::TrackerHandle;
use crate::window::{Followed, Segment, SharedWindow, WindowEvent, WindowFollower};

/// Seeds what the window holds now, then follows its events until `shutdown`; with a tracker,
/// registers every seeded torrent's swarm there.
pub async fn run(
    seeder: Arc<Seeder>,
    window: Arc<SharedWindow>,
    tracker: Option<TrackerHandle>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mut window = WindowFollower::new(window, "seeder");
    let link = Link { seeder, tracker };
    loop {
        let followed = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            f = window.next() => f,
        };
        match followed {
            Some(Followed::Event(WindowEvent::Added(seg))) => link.added(seg).await,
            Some(Followed::Event(WindowEvent::Removed(seg))) => {
                link.seeder.remove_segment(seg.seq);
                if let Some(mesh) = link.seeder.mesh() {
                    mesh.remove_segment(seg.seq);
                }
            }
            Some(Followed::Event(WindowEvent::EndOfStream) | Followed::Resynced { .. }) => {}
            None => return Ok(()),
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
            let hash = seeded.torrent.info_hash();
            tracker.register_swarm(hash, seeded.seq, seeded.torrent.length()).await;
        }
    }
}
