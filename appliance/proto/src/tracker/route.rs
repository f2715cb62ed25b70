//! Live-aware offer routing: which peers (and whether the box's seeder) get a newcomer's offers.
//!
//! Policy (docs/decisions/0101, 0103), for an announce carrying `n` offers in a swarm:
//! 1. Candidates are the other peers of the swarm that were sent fewer than `peer_max_offers`
//!    offers within `load_window` (a hard cap: nobody is flooded). Each is ranked by, in order: whether it has
//!    spare capacity (fewer than `peer_capacity` offers routed to it within `load_window`),
//!    what it holds (the whole segment, `left == 0`; then part of it, `left < length`, fewer
//!    bytes left first; then nothing known), its current load, and a seeded random tie-break
//!    so equal peers share the work. A holding claim counts only once the peer answered an
//!    offer the tracker relayed to it in this swarm (0104); before that it holds `Nothing`.
//! 2. The box's seeder (registered swarms only, while it holds fewer than `box_capacity`
//!    unanswered offers in the swarm) gets one offer, placed first, when either
//!    - the swarm is young: fewer than `box_first_peers` newcomers have had an offer routed to
//!      the box (it seeds the first few so the swarm has the data), or
//!    - nobody else can serve: no candidate holds any of the segment (by a counted claim) and
//!      has spare capacity.
//! 3. Peers the newcomer exchanged an offer with within `offer_timeout` are skipped (they are
//!    connected already; a second, crossing connection makes WebTorrent drop both).
//! 4. The first `n` of that order get the offers, one each. Peers without data still get the
//!    remaining offers: WebTorrent peers trade pieces as they arrive.
use std::time::Instant;

use super::config::TrackerConfig;
use super::id::PeerId;
use super::swarm::{recent_count, Peer, Swarm, Target};

/// Small deterministic PRNG (xorshift64*) for tie-breaks.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded generator (a zero seed is replaced).
    pub fn new(seed: u64) -> Self {
        Self(if seed == 0 { 0x9e37_79b9_7f4a_7c15 } else { seed })
    }

    /// Next pseudo-random value.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// What a peer holds of the segment, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Holding {
    /// All of it.
    Whole,
    /// Some of it.
    Part,
    /// Nothing, or unknown.
    Nothing,
}

/// Classifies a peer given the torrent length when the box registered it. A claim counts only
/// once the peer answered an offer the tracker relayed to it in this swarm (docs/decisions/0104):
/// until then it is `Nothing`, whatever `left` or `completed` it announced.
pub fn holding(peer: &Peer, length: Option<u64>) -> Holding {
    if !peer.answered {
        return Holding::Nothing;
    }
    match (peer.left, length) {
        (Some(0), _) => Holding::Whole,
        _ if peer.complete => Holding::Whole,
        (Some(left), Some(len)) if left < len => Holding::Part,
        _ => Holding::Nothing,
    }
}

/// Ordered targets for `n` offers from `newcomer`.
pub fn choose_targets(
    swarm: &Swarm,
    newcomer: &PeerId,
    n: usize,
    now: Instant,
    cfg: &TrackerConfig,
    rng: &mut Rng,
) -> Vec<Target> {
    if n == 0 {
        return Vec::new();
    }
    let length = swarm.registration.map(|r| r.length);
    let me = swarm.peers.get(newcomer);
    let linked = |id: &PeerId| me.is_some_and(|m| m.linked(id, now, cfg.offer_timeout));
    let mut ranked: Vec<_> = swarm
        .peers
        .iter()
        .filter(|(id, _)| *id != newcomer && !linked(id))
        .filter_map(|(id, p)| {
            let load = p.load(now, cfg.load_window);
            if load >= cfg.peer_max_offers {
                return None;
            }
            let full = load >= cfg.peer_capacity;
            // An unproven claim does not even order peers among those holding nothing.
            let left = p.left.filter(|_| p.answered).unwrap_or(u64::MAX);
            Some(((full, holding(p, length), left, load, rng.next_u64()), *id))
        })
        .collect();
    ranked.sort_unstable_by_key(|(key, _)| *key);
    let can_serve = ranked.iter().any(|((full, h, ..), _)| !full && *h != Holding::Nothing);
    let mut out = Vec::with_capacity(n);
    if box_wanted(swarm, can_serve, now, cfg) {
        out.push(Target::BoxSeeder);
    }
    out.extend(ranked.into_iter().map(|(_, id)| Target::Peer(id)));
    out.truncate(n);
    out
}

fn box_wanted(swarm: &Swarm, someone_can_serve: bool, now: Instant, cfg: &TrackerConfig) -> bool {
    if swarm.registration.is_none() || swarm.box_pending() >= cfg.box_capacity {
        return false;
    }
    let young = swarm.box_offers < cfg.box_first_peers;
    let box_busy = recent_count(&swarm.box_recent, now, cfg.load_window) >= cfg.box_capacity;
    young || (!someone_can_serve && !box_busy)
}
