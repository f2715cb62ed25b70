//! One swarm (one segment's torrent): its peers, their progress and load, the offers in flight.
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::id::{OfferId, PeerId};

/// Opaque id the IO layer gives each WebSocket connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// Where a forwarded offer went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A peer on a WebSocket.
    Peer(PeerId),
    /// The box's in-process seeder.
    BoxSeeder,
}

/// An offer forwarded and not yet answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    /// Offering peer.
    pub from: PeerId,
    /// Connection the offer came on (its answer goes back there: a peer id may announce on
    /// several sockets, and only the one that made the offer knows it).
    pub from_conn: ConnId,
    /// Who got the offer.
    pub to: Target,
    /// Forgotten after this.
    pub expires: Instant,
}

/// A peer in a swarm.
#[derive(Debug, Clone)]
pub struct Peer {
    /// Connection it announced on.
    pub conn: ConnId,
    /// Bytes left (`Some(0)`: holds the whole segment).
    pub left: Option<u64>,
    /// Counted as a seeder.
    pub complete: bool,
    /// It answered an offer the tracker relayed to it in this swarm. Until then its `left`
    /// and `completed` claims rank nothing (docs/decisions/0104): a client can claim
    /// `left: 0` without holding a byte.
    pub answered: bool,
    /// Last announce.
    pub last_seen: Instant,
    /// When recent offers were routed to it (load).
    pub recent: VecDeque<Instant>,
    /// Peers it recently exchanged an offer with, either way (they are connected or about to
    /// be: a second, crossing connection makes WebTorrent drop both as duplicates).
    pub links: VecDeque<(PeerId, Instant)>,
    /// Stream swarm only: neighbour slots it still has free (its last `numwant`, minus offers
    /// routed to or from it since).
    pub free_slots: u32,
    /// When it joined the swarm (stream swarm routing prefers established members).
    pub joined: Instant,
}

/// Most links remembered per peer (40 bytes each; at 1000 viewers in 30 swarms, 32 links per
/// peer held 21 MB).
pub const MAX_LINKS: usize = 16;

impl Peer {
    /// Whether it exchanged an offer with `other` within `window` before `now`.
    pub fn linked(&self, other: &PeerId, now: Instant, window: Duration) -> bool {
        self.links
            .iter()
            .any(|(p, t)| p == other && now.saturating_duration_since(*t) < window)
    }

    /// Remembers an offer exchanged with `other`.
    pub fn link(&mut self, other: PeerId, now: Instant) {
        if self.links.len() >= MAX_LINKS {
            self.links.pop_front();
        }
        self.links.push_back((other, now));
    }

    /// Offers routed to it within `window` before `now`.
    pub fn load(&self, now: Instant, window: Duration) -> usize {
        recent_count(&self.recent, now, window)
    }
}

/// Entries of `recent` newer than `now - window`.
pub fn recent_count(recent: &VecDeque<Instant>, now: Instant, window: Duration) -> usize {
    recent
        .iter()
        .filter(|t| now.saturating_duration_since(**t) < window)
        .count()
}

/// Records one assignment, keeping at most `cap` entries.
pub fn push_recent(recent: &mut VecDeque<Instant>, now: Instant, cap: usize) {
    if recent.len() >= cap.max(1) {
        recent.pop_front();
    }
    recent.push_back(now);
}

/// Registration by the box: which window segment this swarm belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registration {
    /// Caller's key for the segment (e.g. its sequence number), used to drop it.
    pub segment: u64,
    /// Torrent length in bytes.
    pub length: u64,
}

/// A swarm.
#[derive(Debug, Clone)]
pub struct Swarm {
    /// Peers by id.
    pub peers: HashMap<PeerId, Peer>,
    /// Offers in flight by (offering peer, offer id).
    pub pending: HashMap<(PeerId, OfferId), Pending>,
    /// Set when the box registered the swarm (its seeder holds the data).
    pub registration: Option<Registration>,
    /// Seeders among `peers`.
    pub complete: u64,
    /// Completed downloads seen (scrape `downloaded`).
    pub downloaded: u64,
    /// Offers routed to the box seeder so far.
    pub box_offers: u32,
    /// When offers went to the box seeder recently.
    pub box_recent: VecDeque<Instant>,
    /// Last activity, for dropping idle unregistered swarms.
    pub last_active: Instant,
    /// Set for the stream swarm of the live mesh (docs/LIVE-MESH.md).
    pub stream: Option<StreamSlots>,
}

/// What only the stream swarm has (docs/LIVE-MESH.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamSlots {
    /// Free neighbour slots of the box's seeder, as it last reported them minus offers routed
    /// to it since.
    pub box_free: u32,
}

impl Swarm {
    /// An empty swarm.
    pub fn new(now: Instant, registration: Option<Registration>) -> Self {
        Self {
            peers: HashMap::new(),
            pending: HashMap::new(),
            registration,
            complete: 0,
            downloaded: 0,
            box_offers: 0,
            box_recent: VecDeque::new(),
            last_active: now,
            stream: None,
        }
    }

    /// Seeders as reported to clients (the box's seeder counts when registered).
    pub fn seeders(&self) -> u64 {
        self.complete + u64::from(self.registration.is_some())
    }

    /// Leechers.
    pub fn leechers(&self) -> u64 {
        self.peers.len() as u64 - self.complete
    }

    /// Offers pending for the box seeder.
    pub fn box_pending(&self) -> usize {
        self.pending.values().filter(|p| p.to == Target::BoxSeeder).count()
    }

    /// Updates progress; returns true when the peer just became a seeder.
    pub fn set_progress(&mut self, id: &PeerId, left: Option<u64>, completed: bool) -> bool {
        let Some(peer) = self.peers.get_mut(id) else {
            return false;
        };
        if left.is_some() {
            peer.left = left;
        }
        let now_complete = peer.complete || completed || left == Some(0);
        let became = now_complete && !peer.complete;
        if became {
            peer.complete = true;
            peer.left = Some(0);
            self.complete += 1;
        }
        became
    }

    /// Removes a peer and every offer from or to it.
    pub fn remove_peer(&mut self, id: &PeerId) -> Option<Peer> {
        let peer = self.peers.remove(id)?;
        if peer.complete {
            self.complete -= 1;
        }
        self.pending.retain(|_, p| p.from != *id && p.to != Target::Peer(*id));
        Some(peer)
    }
}
