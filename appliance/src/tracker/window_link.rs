//! Follows the segment window: a segment that leaves it takes its swarm with it.
use tokio_util::sync::CancellationToken;

use super::handle::TrackerHandle;
use crate::window::{Followed, WindowEvent, WindowFollower};

/// Drops the tracker swarms of every segment removed from the window, until `shutdown`.
pub async fn follow_window(
    mut window: WindowFollower,
    tracker: TrackerHandle,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    loop {
        let followed = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            f = window.next() => f,
        };
        match followed {
            Some(Followed::Event(WindowEvent::Removed(segment))) => {
                if !tracker.drop_segment(segment.seq).await {
                    anyhow::bail!("tracker core stopped");
                }
            }
            Some(_) => {}
            None => return Ok(()),
        }
    }
}
