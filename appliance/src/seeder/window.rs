//! Keeps the seeder in step with the segment window: a torrent for every segment (and the fMP4
//! init segment in effect) on `Added`, dropped on `Removed`.

use std::sync::Arc;

use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::{Seeder, INIT_SEQ};
use crate::window::{Segment, SharedWindow, WindowEvent};

/// Seeds what the window holds now, then follows its events until `shutdown`.
pub async fn run(seeder: Arc<Seeder>, window: Arc<SharedWindow>, shutdown: CancellationToken) -> anyhow::Result<()> {
    let mut events = window.subscribe();
    let present: Vec<Arc<Segment>> = window.read().segments().cloned().collect();
    for seg in present {
        added(&seeder, seg).await;
    }
    loop {
        let event = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            e = events.recv() => e,
        };
        match event {
            Ok(WindowEvent::Added(seg)) => added(&seeder, seg).await,
            Ok(WindowEvent::Removed(seg)) => {
                seeder.remove_segment(seg.seq);
            }
            Ok(WindowEvent::EndOfStream) => {}
            Err(RecvError::Lagged(n)) => resync(&seeder, &window, n).await,
            Err(RecvError::Closed) => return Ok(()),
        }
    }
}

/// Builds the torrent off the async threads (SHA-1 over the segment) and starts seeding it.
async fn added(seeder: &Arc<Seeder>, seg: Arc<Segment>) {
    if let Some(init) = &seg.init {
        if seeder.init_name().as_deref() != Some(init.name.as_str()) {
            let (s, init) = (seeder.clone(), init.clone());
            let _ = tokio::task::spawn_blocking(move || s.set_init(&init.name, init.data.clone())).await;
        }
    }
    let s = seeder.clone();
    let built = tokio::task::spawn_blocking(move || s.add_segment(seg.seq, &seg.name, seg.data.clone())).await;
    match built {
        Ok(Ok(seeded)) => debug!(seq = seeded.seq, info_hash = %seeded.torrent.info_hash(), "seeding segment"),
        Ok(Err(e)) => warn!(error = %e, "segment not seeded"),
        Err(e) => warn!(error = %e, "torrent task failed"),
    }
}

/// After missing `n` events: drop what left the window, add what is new.
async fn resync(seeder: &Arc<Seeder>, window: &SharedWindow, n: u64) {
    warn!(missed = n, "seeder lagged behind the window; resynchronising");
    let now: Vec<Arc<Segment>> = window.read().segments().cloned().collect();
    let keep: std::collections::HashSet<u64> = now.iter().map(|s| s.seq).collect();
    for old in seeder
        .segments()
        .list()
        .iter()
        .filter(|s| s.seq != INIT_SEQ && !keep.contains(&s.seq))
    {
        seeder.remove_segment(old.seq);
    }
    for seg in now.into_iter().filter(|s| seeder.segments().by_seq(s.seq).is_none()) {
        added(seeder, seg).await;
    }
}
