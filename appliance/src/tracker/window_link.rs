//! Follows the segment window: a segment that leaves it takes its swarm with it.
use tokio::sync::broadcast::{error::RecvError, Receiver};
use tokio_util::sync::CancellationToken;

use super::handle::TrackerHandle;
use crate::window::WindowEvent;

/// Drops the tracker swarms of every segment removed from the window, until `shutdown`.
pub async fn follow_window(
    mut events: Receiver<WindowEvent>,
    tracker: TrackerHandle,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    loop {
        let event = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            e = events.recv() => e,
        };
        match event {
            Ok(WindowEvent::Removed(segment)) => {
                if !tracker.drop_segment(segment.seq).await {
                    anyhow::bail!("tracker core stopped");
                }
            }
            Ok(_) => {}
            Err(RecvError::Lagged(n)) => {
                // Swarms of missed removals stay until the core's bounds or expiry clear them.
                tracing::warn!(missed = n, "tracker fell behind the window's events");
            }
            Err(RecvError::Closed) => return Ok(()),
        }
    }
}
