//! The box as a member of the live mesh's stream swarm (docs/LIVE-MESH.md): a few persistent
//! neighbours, each new window segment pushed to them once (super-seeding by the pure
//! [`PushPlanner`]), requests served only when the planner says the mesh cannot.
//!
//! Contract: [`Mesh::answer`] takes a viewer's offer for [`Mesh::info_hash`] while a slot is free
//! and spawns the link task ([`link`]); [`Mesh::add_segment`] / [`Mesh::remove_segment`] follow
//! the window; [`Mesh::free_slots`] is a watch the tracker link forwards to the tracker, so the
//! tracker routes newcomers to the box only while it has room.

mod link;
mod report;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{mpsc, watch};
use tracing::warn;
use venuebox_proto::live::link::LinkConfig;
use venuebox_proto::live::push::{NeighbourId, PushConfig, PushPlanner};
use venuebox_proto::live::LiveMsg;
use venuebox_proto::torrent::InfoHash;
use webrtc::peer_connection::RTCPeerConnection;

use super::SeededSegment;

/// Messages queued for one link task before it counts as stuck (it is closed).
const LINK_QUEUE: usize = 256;

/// How the box takes part in the mesh.
#[derive(Debug, Clone)]
pub struct MeshConfig {
    /// The stream swarm's info hash (`SHA-1("venuebox-live-v1:" + stream id)`).
    pub info_hash: InfoHash,
    /// Neighbours the box keeps at most (its slots in the stream swarm).
    pub box_neighbours: usize,
    /// Neighbours each viewer keeps (told to viewers in the signaling hello).
    pub viewer_neighbours: u32,
    /// Limits and timers of each link.
    pub link: LinkConfig,
}

/// What a link task is told by the mesh.
#[derive(Debug)]
enum Cmd {
    /// A planner message (`have`, `gone`) for this neighbour.
    Send(LiveMsg),
    /// New pieces may be waiting for this neighbour's push.
    Wake,
}

struct State {
    planner: PushPlanner,
    links: HashMap<NeighbourId, mpsc::Sender<Cmd>>,
    segments: BTreeMap<u64, Arc<SeededSegment>>,
}

/// Counters of the box's mesh traffic (payload bytes; frames add 19 bytes per block).
#[derive(Debug, Default)]
pub struct MeshCounters {
    /// Bytes pushed to neighbours.
    pub bytes_pushed: AtomicU64,
    /// Bytes served on request.
    pub bytes_served: AtomicU64,
    /// Every byte written to mesh data channels (payload, framing, handshakes).
    pub bytes_sent: AtomicU64,
    /// Requests answered with `reject`.
    pub requests_refused: AtomicU64,
    /// Links that completed both handshakes.
    pub links_opened: AtomicU64,
    /// Links closed because the peer broke a rule.
    pub links_dropped: AtomicU64,
    /// Offers refused because every slot was taken.
    pub offers_refused: AtomicU64,
}

/// The box's membership in the stream swarm.
pub struct Mesh {
    cfg: MeshConfig,
    peer_id: [u8; 20],
    state: Mutex<State>,
    claimed: AtomicUsize,
    next_id: AtomicU64,
    free: watch::Sender<u32>,
    /// Traffic counters.
    pub counters: MeshCounters,
}

impl Mesh {
    /// A member with no neighbours yet.
    pub fn new(cfg: MeshConfig, peer_id: [u8; 20]) -> Arc<Self> {
        let planner = PushPlanner::new(PushConfig {
            window: venuebox_proto::live::push::MAX_WINDOW,
            max_neighbours: cfg.box_neighbours.clamp(1, venuebox_proto::live::push::MAX_NEIGHBOURS),
        })
        .expect("window and neighbours within the planner's caps");
        let (free, _) = watch::channel(cfg.box_neighbours as u32);
        Arc::new(Mesh {
            cfg,
            peer_id,
            state: Mutex::new(State {
                planner,
                links: HashMap::new(),
                segments: BTreeMap::new(),
            }),
            claimed: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
            free,
            counters: MeshCounters::default(),
        })
    }

    /// The stream swarm's info hash.
    pub fn info_hash(&self) -> InfoHash {
        self.cfg.info_hash
    }

    /// Neighbours each viewer keeps.
    pub fn viewer_neighbours(&self) -> u32 {
        self.cfg.viewer_neighbours
    }

    /// Free slots, as the tracker should see them.
    pub fn free_slots(&self) -> watch::Receiver<u32> {
        self.free.subscribe()
    }

    /// Neighbours linked now (handshakes done).
    pub fn neighbours(&self) -> usize {
        self.lock().links.len()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn publish_free(&self) {
        let used = self.claimed.load(Ordering::Acquire);
        self.free
            .send_replace(self.cfg.box_neighbours.saturating_sub(used) as u32);
    }

    /// Claims a slot for a new neighbour; `None` when every slot is taken.
    fn claim(&self) -> Option<NeighbourId> {
        let max = self.cfg.box_neighbours;
        let ok = self
            .claimed
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < max).then_some(n + 1))
            .is_ok();
        if !ok {
            self.counters.offers_refused.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        self.publish_free();
        Some(NeighbourId(self.next_id.fetch_add(1, Ordering::Relaxed)))
    }

    /// Gives a slot back after its link ended.
    fn release(&self, id: NeighbourId) {
        {
            let mut st = self.lock();
            st.links.remove(&id);
            st.planner.remove_neighbour(id);
            Self::dispatch(&mut st);
        }
        self.claimed.fetch_sub(1, Ordering::AcqRel);
        self.publish_free();
    }

    /// Starts a link over `pc` (answered already) if a slot is free; false otherwise.
    pub(super) fn start_link(
        self: &Arc<Self>,
        pc: Arc<RTCPeerConnection>,
        connect_timeout: std::time::Duration,
    ) -> bool {
        let Some(id) = self.claim() else {
            return false;
        };
        link::spawn(self.clone(), id, pc, connect_timeout);
        true
    }

    /// Whether a slot is free now (checked before answering an offer).
    pub fn has_room(&self) -> bool {
        self.claimed.load(Ordering::Acquire) < self.cfg.box_neighbours
    }

    /// A link finished its handshakes: it becomes a neighbour and gets `have` for the window.
    fn join(&self, id: NeighbourId, tx: mpsc::Sender<Cmd>) {
        let mut st = self.lock();
        st.links.insert(id, tx);
        if let Err(e) = st.planner.add_neighbour(id) {
            warn!(error = %e, "mesh neighbour not added");
        }
        Self::dispatch(&mut st);
        self.counters.links_opened.fetch_add(1, Ordering::Relaxed);
    }

    /// A segment entered the window: plan its push and wake the neighbours.
    pub fn add_segment(&self, seg: Arc<SeededSegment>) {
        let count = u16::try_from(seg.torrent.piece_count()).unwrap_or(u16::MAX);
        let mut st = self.lock();
        if let Err(e) = st.planner.add_segment(seg.seq, count) {
            warn!(seq = seg.seq, error = %e, "segment not pushed to the mesh");
            return;
        }
        st.segments.insert(seg.seq, seg);
        while st.segments.len() > venuebox_proto::live::push::MAX_WINDOW {
            st.segments.pop_first();
        }
        Self::dispatch(&mut st);
        for tx in st.links.values() {
            let _ = tx.try_send(Cmd::Wake);
        }
    }

    /// A segment left the window: neighbours get `gone`.
    pub fn remove_segment(&self, seq: u64) {
        let mut st = self.lock();
        st.segments.remove(&seq);
        st.planner.segment_left(seq);
        Self::dispatch(&mut st);
    }

    /// Hands the planner's queued messages to their link tasks (a full queue drops the link's
    /// sender, which ends that link).
    fn dispatch(st: &mut State) {
        let mut stuck = Vec::new();
        while let Some((to, msg)) = st.planner.poll_send() {
            if let Some(tx) = st.links.get(&to) {
                if tx.try_send(Cmd::Send(msg)).is_err() {
                    stuck.push(to);
                }
            }
        }
        for id in stuck {
            st.links.remove(&id);
        }
    }

    /// Runs `f` with the planner and the segment map (never held across an await).
    fn with_planner<R>(&self, f: impl FnOnce(&mut PushPlanner, &BTreeMap<u64, Arc<SeededSegment>>) -> R) -> R {
        let mut st = self.lock();
        let st = &mut *st;
        let r = f(&mut st.planner, &st.segments);
        Self::dispatch(st);
        r
    }

    /// JSON for `/api/status` (`seeder.mesh`).
    pub fn status_json(&self) -> serde_json::Value {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        serde_json::json!({
            "info_hash": self.cfg.info_hash.to_hex(),
            "neighbours": self.neighbours(),
            "slots": self.cfg.box_neighbours,
            "bytes_pushed": get(&c.bytes_pushed),
            "bytes_served": get(&c.bytes_served),
            "bytes_sent": get(&c.bytes_sent),
            "requests_refused": get(&c.requests_refused),
            "links_opened": get(&c.links_opened),
            "links_dropped": get(&c.links_dropped),
            "offers_refused": get(&c.offers_refused),
        })
    }
}
