//! Plugs the seeder into the box's tracker: answers the offers the tracker routes to the box and
//! hands each answer back, a bounded number at a time.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tracing::debug;
use venuebox_proto::tracker::{BoxAnswer, BoxOffer, Signal, SignalKind};

use super::mesh::Mesh;
use super::Seeder;
use crate::tracker::{BoxSeederLink, Command, TrackerHandle};

/// Offers being answered at once; more are dropped (the viewer falls back to other peers/HTTP).
pub const MAX_ANSWERS_IN_FLIGHT: usize = 32;

/// Answers the tracker's offers for the box until `shutdown`; fails if the tracker goes away.
pub async fn answer_offers(
    seeder: Arc<Seeder>,
    mut link: BoxSeederLink,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let tracker = link.handle().clone();
    if let Some(mesh) = seeder.mesh() {
        tokio::spawn(report_slots(mesh.clone(), tracker.clone(), shutdown.clone()));
    }
    let in_flight = Arc::new(Semaphore::new(MAX_ANSWERS_IN_FLIGHT));
    loop {
        let offer = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            o = link.offers.recv() => o.ok_or_else(|| anyhow::anyhow!("tracker closed the box seeder's offers"))?,
        };
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            seeder.offers_shed.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let (seeder, tracker) = (seeder.clone(), tracker.clone());
        tokio::spawn(async move {
            answer_one(&seeder, &tracker, offer).await;
            drop(permit);
        });
    }
}

/// Keeps the tracker told how many neighbours the box still takes in the stream swarm.
async fn report_slots(mesh: Arc<Mesh>, tracker: TrackerHandle, shutdown: CancellationToken) {
    let mut free = mesh.free_slots();
    let hash = mesh.info_hash();
    loop {
        let slots = *free.borrow_and_update();
        if !tracker.stream_slots(hash, slots).await {
            return;
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            changed = free.changed() => if changed.is_err() { return },
        }
    }
}

/// Answers one offer; a refusal (unknown torrent, peer limits, bad SDP) is simply not answered.
async fn answer_one(seeder: &Seeder, tracker: &TrackerHandle, offer: BoxOffer) {
    let sdp = offer.offer.sdp();
    match seeder.answer_offer(offer.info_hash, &sdp).await {
        Ok(answer) => {
            let answer = BoxAnswer {
                info_hash: offer.info_hash,
                to_peer_id: offer.from,
                offer_id: offer.offer_id,
                answer: Signal::from_sdp(SignalKind::Answer, &answer),
            };
            tracker.send(Command::BoxAnswer(answer)).await;
        }
        Err(e) => debug!(info_hash = %offer.info_hash, error = %e, "offer not answered"),
    }
}
