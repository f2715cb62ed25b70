//! The segments the seeder serves, keyed by info hash, with their swarm state and counters.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use bytes::Bytes;
use tokio::sync::watch;
use venuebox_proto::seed::SwarmSeed;
use venuebox_proto::torrent::{InfoHash, Torrent};

/// One segment being seeded.
#[derive(Debug)]
pub struct SeededSegment {
    /// The box's sequence number of the segment.
    pub seq: u64,
    /// Its torrent.
    pub torrent: Arc<Torrent>,
    /// Its bytes (shared with the window, never copied per peer).
    pub data: Bytes,
    /// Magnet URI with the configured trackers.
    pub magnet: String,
    /// The bencoded `.torrent` file.
    pub torrent_file: Bytes,
    seed: Mutex<SwarmSeed>,
    peers: AtomicUsize,
    connections: AtomicU64,
    dropped: AtomicU64,
    removed: watch::Sender<bool>,
}

impl SeededSegment {
    pub(super) fn new(seq: u64, torrent: Arc<Torrent>, data: Bytes, trackers: &[String]) -> Self {
        let magnet = torrent.magnet(trackers);
        let torrent_file = Bytes::from(torrent.torrent_file(trackers));
        let seed = Mutex::new(SwarmSeed::new(torrent.piece_count()));
        let (removed, _) = watch::channel(false);
        let (peers, connections, dropped) = (AtomicUsize::new(0), AtomicU64::new(0), AtomicU64::new(0));
        SeededSegment {
            seq,
            torrent,
            data,
            magnet,
            torrent_file,
            seed,
            peers,
            connections,
            dropped,
            removed,
        }
    }

    /// Runs `f` with the segment's swarm state (never held across an await).
    pub fn with_seed<R>(&self, f: impl FnOnce(&mut SwarmSeed) -> R) -> R {
        f(&mut self
            .seed
            .lock()
            .expect("swarm state lock is never poisoned by a panic-free fn"))
    }

    /// Payload bytes the box uploaded for this segment.
    pub fn uploaded(&self) -> u64 {
        self.with_seed(|s| s.uploaded())
    }

    /// Peer connections open now.
    pub fn peers(&self) -> usize {
        self.peers.load(Ordering::Relaxed)
    }

    /// Peer connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    /// Peers dropped for misbehaving.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    pub(super) fn count_dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// A receiver that turns `true` when the segment leaves the window.
    pub(super) fn removed(&self) -> watch::Receiver<bool> {
        self.removed.subscribe()
    }
}

/// A claimed peer slot; releases the segment's and the seeder's count when dropped.
#[derive(Debug)]
pub struct PeerSlot {
    segment: Arc<SeededSegment>,
    total: Arc<AtomicUsize>,
}

impl PeerSlot {
    /// The segment this slot belongs to.
    pub fn segment(&self) -> &Arc<SeededSegment> {
        &self.segment
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        self.segment.peers.fetch_sub(1, Ordering::Relaxed);
        self.total.fetch_sub(1, Ordering::Relaxed);
    }
}

/// All segments being seeded and the peer count over them.
#[derive(Debug, Default)]
pub struct Segments {
    by_hash: RwLock<HashMap<InfoHash, Arc<SeededSegment>>>,
    total_peers: Arc<AtomicUsize>,
    /// Payload bytes uploaded for segments that have left.
    retired_uploaded: AtomicU64,
}

impl Segments {
    pub(super) fn insert(&self, seg: Arc<SeededSegment>) {
        self.write().insert(seg.torrent.info_hash(), seg);
    }

    /// Removes the segment with sequence `seq`; its peers are told to close.
    pub(super) fn remove_seq(&self, seq: u64) -> Option<Arc<SeededSegment>> {
        let mut map = self.write();
        let hash = map.values().find(|s| s.seq == seq).map(|s| s.torrent.info_hash())?;
        let seg = map.remove(&hash)?;
        seg.removed.send_replace(true);
        self.retired_uploaded.fetch_add(seg.uploaded(), Ordering::Relaxed);
        Some(seg)
    }

    /// The segment with this info hash.
    pub fn get(&self, hash: &InfoHash) -> Option<Arc<SeededSegment>> {
        self.by_hash.read().expect("segments lock").get(hash).cloned()
    }

    /// The segment with sequence `seq`.
    pub fn by_seq(&self, seq: u64) -> Option<Arc<SeededSegment>> {
        self.by_hash
            .read()
            .expect("segments lock")
            .values()
            .find(|s| s.seq == seq)
            .cloned()
    }

    /// Every segment, oldest first.
    pub fn list(&self) -> Vec<Arc<SeededSegment>> {
        let mut all: Vec<_> = self.by_hash.read().expect("segments lock").values().cloned().collect();
        all.sort_by_key(|s| s.seq);
        all
    }

    /// Payload bytes the box uploaded since it started, over every segment it ever seeded (the
    /// seeder's share of the box's egress).
    pub fn uploaded_total(&self) -> u64 {
        let current: u64 = self.list().iter().map(|s| s.uploaded()).sum();
        self.retired_uploaded.load(Ordering::Relaxed) + current
    }

    /// Peer connections open now over all segments.
    pub fn total_peers(&self) -> usize {
        self.total_peers.load(Ordering::Relaxed)
    }

    /// Claims a peer slot for `seg` if both limits allow.
    pub(super) fn claim(&self, seg: &Arc<SeededSegment>, max_total: usize, max_seg: usize) -> Option<PeerSlot> {
        let bump =
            |c: &AtomicUsize, max| c.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < max).then_some(n + 1));
        bump(&self.total_peers, max_total).ok()?;
        if bump(&seg.peers, max_seg).is_err() {
            self.total_peers.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        seg.connections.fetch_add(1, Ordering::Relaxed);
        Some(PeerSlot {
            segment: seg.clone(),
            total: self.total_peers.clone(),
        })
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<InfoHash, Arc<SeededSegment>>> {
        self.by_hash.write().expect("segments lock")
    }
}
