//! The stream swarm of the live mesh (docs/LIVE-MESH.md): one long-lived swarm per stream in
//! which an announce's `numwant` is the number of neighbours the peer still wants.
//!
//! Policy, for an announce carrying `n` offers in the stream swarm:
//! 1. The box's seeder gets one offer, placed first, while it reported a free neighbour slot
//!    ([`Tracker::set_box_slots`]); each offer routed to it takes one slot until it reports
//!    again. It has a few slots only, so it is never every viewer's neighbour.
//! 2. Candidates are the other members with a free slot that the newcomer has not exchanged an
//!    offer with within `offer_timeout` and that were sent fewer than `peer_max_offers` offers
//!    within `load_window`; oldest members first (they hold the most of the window and are
//!    linked towards the box), a seeded random tie-break among equals.
//! 3. Each routed offer takes one free slot of its receiver and one of the offering peer, until
//!    their next announce states their free slots again.
use std::time::Instant;

use super::config::TrackerConfig;
use super::core::Tracker;
use super::events::CoreError;
use super::id::{InfoHash, PeerId};
use super::route::Rng;
use super::swarm::{Registration, StreamSlots, Swarm, Target};

/// The `Registration::segment` key of the stream swarm: no window segment has it, so
/// [`Tracker::drop_segment`] never drops the stream swarm.
pub const STREAM_SEGMENT: u64 = u64::MAX;

/// Most neighbour slots a peer may claim with `numwant` (the viewer default is 6).
pub const MAX_FREE_SLOTS: u32 = 16;

impl Tracker {
    /// Registers the stream swarm (idempotent); the box's seeder starts with `box_free` slots.
    pub fn register_stream(&mut self, now: Instant, ih: InfoHash, box_free: u32) -> Result<(), CoreError> {
        let reg = Registration {
            segment: STREAM_SEGMENT,
            length: 0,
        };
        self.register_swarm(now, ih, reg)?;
        let swarm = self.swarms.get_mut(&ih).expect("registered above");
        swarm.stream = Some(StreamSlots { box_free });
        Ok(())
    }

    /// The box's seeder reports how many more neighbours it takes in the stream swarm.
    pub fn set_box_slots(&mut self, ih: &InfoHash, box_free: u32) -> Result<(), CoreError> {
        let swarm = self.swarms.get_mut(ih).ok_or(CoreError::UnknownSwarm)?;
        let slots = swarm.stream.as_mut().ok_or(CoreError::UnknownSwarm)?;
        slots.box_free = box_free;
        Ok(())
    }

    /// Free neighbour slots the tracker assumes for `peer` in the stream swarm `ih`.
    pub fn free_slots(&self, ih: &InfoHash, peer: &PeerId) -> Option<u32> {
        self.swarms.get(ih)?.peers.get(peer).map(|p| p.free_slots)
    }
}

/// Ordered targets for `n` offers from `newcomer` in a stream swarm.
pub fn choose_stream_targets(
    swarm: &Swarm,
    newcomer: &PeerId,
    n: usize,
    now: Instant,
    cfg: &TrackerConfig,
    rng: &mut Rng,
) -> Vec<Target> {
    let me = swarm.peers.get(newcomer);
    let linked = |id: &PeerId| me.is_some_and(|m| m.linked(id, now, cfg.offer_timeout));
    let box_linked = me.is_some_and(|m| m.linked(&cfg.box_peer_id, now, cfg.offer_timeout));
    let mut ranked: Vec<_> = swarm
        .peers
        .iter()
        .filter(|(id, p)| *id != newcomer && p.free_slots > 0 && !linked(id))
        .filter(|(_, p)| p.load(now, cfg.load_window) < cfg.peer_max_offers)
        .map(|(id, p)| ((p.joined, rng.next_u64()), *id))
        .collect();
    ranked.sort_unstable_by_key(|(key, _)| *key);
    let box_free = swarm.stream.map_or(0, |s| s.box_free);
    let mut out = Vec::with_capacity(n);
    if box_free > 0 && !box_linked && swarm.box_pending() < cfg.box_capacity {
        out.push(Target::BoxSeeder);
    }
    out.extend(ranked.into_iter().map(|(_, id)| Target::Peer(id)));
    out.truncate(n);
    out
}

/// Takes the slots an offer from `from` to `to` uses.
pub fn take_slots(swarm: &mut Swarm, from: &PeerId, to: Target) {
    match to {
        Target::BoxSeeder => {
            if let Some(s) = swarm.stream.as_mut() {
                s.box_free = s.box_free.saturating_sub(1);
            }
        }
        Target::Peer(pid) => {
            if let Some(p) = swarm.peers.get_mut(&pid) {
                p.free_slots = p.free_slots.saturating_sub(1);
            }
        }
    }
    if let Some(p) = swarm.peers.get_mut(from) {
        p.free_slots = p.free_slots.saturating_sub(1);
    }
}
