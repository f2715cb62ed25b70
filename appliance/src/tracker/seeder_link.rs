//! The in-process plug for the box's own WebRTC seeder: a bounded channel of offers out of the
//! tracker and a way to hand answers back.
//!
//! Contract for the seeder (one [`BoxSeederLink`] per tracker, taken once at start-up):
//! 1. `link.offers.recv().await` yields a [`BoxOffer`] `{ info_hash, from, offer_id, offer }`,
//!    only for swarms the box registered and only when the routing policy wants the box to
//!    serve (docs/decisions/0101: the first few peers of a segment, or nobody else can).
//! 2. Answer it: set `offer.sdp()` as remote description, create the answer, wait for ICE
//!    gathering to finish (browsers do not trickle over the tracker), then
//!    `link.answer(BoxAnswer { info_hash, to_peer_id: from, offer_id, answer:
//!    Signal::from_sdp(SignalKind::Answer, &sdp) }).await`.
//! 3. Answer within `TrackerConfig::offer_timeout` (50 s, as long as the browser waits) or not
//!    at all; late or duplicate answers are refused and counted (`box_answers_refused`).
//! 4. The offer queue is bounded (`TrackerIoConfig::box_offer_queue`); offers that find it full
//!    are dropped and counted (`box_offers_dropped`): a slow seeder never slows the tracker.
//!
//! The browser sees the answer coming from [`BoxSeederLink::peer_id`], which is what its
//! BitTorrent handshake over the data channel must carry.
use tokio::sync::mpsc;
use venuebox_proto::tracker::{BoxAnswer, BoxOffer, PeerId};

use super::handle::{Command, TrackerHandle};

/// The seeder's end of the tracker.
pub struct BoxSeederLink {
    /// Offers routed to the box's seeder.
    pub offers: mpsc::Receiver<BoxOffer>,
    pub(super) handle: TrackerHandle,
    pub(super) peer_id: PeerId,
}

impl BoxSeederLink {
    /// Hands an answer back; false if the tracker has stopped.
    pub async fn answer(&self, answer: BoxAnswer) -> bool {
        self.handle.send(Command::BoxAnswer(answer)).await
    }

    /// The box seeder's peer id in every swarm.
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    /// The tracker handle (to register swarms).
    pub fn handle(&self) -> &TrackerHandle {
        &self.handle
    }
}
