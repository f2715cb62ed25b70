//! One mesh neighbour of the box: waits for the viewer's data channel, then moves bytes, timers
//! and planner messages between it and a sans-IO [`Link`], pushing the pieces the planner assigns
//! as the link has room and serving the requests the planner allows.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Notify};
use tokio::time::{sleep_until, Instant};
use tracing::debug;
use venuebox_proto::live::link::{CloseReason, Link, Output};
use venuebox_proto::live::push::{NeighbourId, RequestDecision};
use venuebox_proto::live::{BlockKey, LiveMsg, MAX_BLOCK};
use webrtc::data::data_channel::DataChannel;
use webrtc::peer_connection::RTCPeerConnection;

use super::{Cmd, Mesh, LINK_QUEUE};
use crate::seeder::channel::{self, spawn_reader};

/// Longest a single data-channel write may take before the link counts as stalled.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Frame bytes a block adds to its data (length, ids, type, seq, piece, begin).
const BLOCK_OVERHEAD: usize = 4 + 2 + 1 + 8 + 2 + 4;

/// Spawns the task that owns neighbour `id` until its link ends, then gives the slot back.
pub(super) fn spawn(mesh: Arc<Mesh>, id: NeighbourId, pc: Arc<RTCPeerConnection>, connect_timeout: Duration) {
    let opening = channel::watch_open(&pc);
    tokio::spawn(async move {
        let mut failed = opening.failed;
        let dc = tokio::select! {
            dc = opening.channel => dc.ok(),
            _ = tokio::time::sleep(connect_timeout) => None,
            _ = failed.wait_for(|f| *f) => None,
        };
        if let Some(dc) = &dc {
            let reason = Driver::new(&mesh, id, dc.clone()).run(failed).await;
            debug!(neighbour = id.0, %reason, "mesh link closed");
            if reason.is_misbehaviour() {
                mesh.counters.links_dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
        mesh.release(id);
        channel::close(dc, &pc).await;
    });
}

struct Driver<'a> {
    mesh: &'a Arc<Mesh>,
    id: NeighbourId,
    dc: Arc<DataChannel>,
    link: Link,
    /// Handed to the mesh once the link is ready.
    tx: Option<mpsc::Sender<Cmd>>,
}

fn now() -> std::time::Instant {
    Instant::now().into_std()
}

impl<'a> Driver<'a> {
    fn new(mesh: &'a Arc<Mesh>, id: NeighbourId, dc: Arc<DataChannel>) -> Self {
        let link = Link::new(now(), mesh.cfg.info_hash, mesh.peer_id, mesh.cfg.link.clone());
        Driver {
            mesh,
            id,
            dc,
            link,
            tx: None,
        }
    }

    /// Runs until the link closes; returns why.
    async fn run(mut self, mut failed: tokio::sync::watch::Receiver<bool>) -> CloseReason {
        let (tx, mut cmds) = mpsc::channel(LINK_QUEUE);
        self.tx = Some(tx);
        let drained = Arc::new(Notify::new());
        self.dc
            .set_buffered_amount_low_threshold(self.mesh.cfg.link.send_queue_cap / 4);
        let notify = drained.clone();
        self.dc.on_buffered_amount_low(Box::new(move || {
            notify.notify_one();
            Box::pin(async {})
        }));
        let mut incoming = spawn_reader(self.dc.clone());
        loop {
            let deadline = self
                .link
                .poll_timeout()
                .map_or_else(|| Instant::now() + Duration::from_secs(3600), Instant::from_std);
            tokio::select! {
                msg = incoming.recv() => match msg {
                    Some(bytes) => self.link.handle_input(now(), &bytes),
                    None => self.link.close(CloseReason::Transport),
                },
                _ = sleep_until(deadline) => {
                    self.link.on_transport_drained(now(), self.dc.buffered_amount());
                    self.link.handle_timeout(now());
                }
                _ = drained.notified() => self.link.on_transport_drained(now(), self.dc.buffered_amount()),
                cmd = cmds.recv(), if self.tx.is_none() => match cmd {
                    Some(Cmd::Send(msg)) => { let _ = self.link.send(now(), msg); }
                    Some(Cmd::Wake) => {}
                    None => self.link.close(CloseReason::Local),
                },
                _ = failed.wait_for(|f| *f) => self.link.close(CloseReason::Transport),
            }
            if let Some(reason) = self.flush().await {
                return reason;
            }
        }
    }

    /// Pushes what fits, writes the link's output and handles what it reports, until it is
    /// quiet; returns the close reason once the link closed.
    async fn flush(&mut self) -> Option<CloseReason> {
        loop {
            self.pump_pushes();
            let mut progressed = false;
            while let Some(out) = self.link.poll_output() {
                progressed = true;
                match out {
                    Output::Send(bytes) => {
                        let written = tokio::time::timeout(WRITE_TIMEOUT, self.dc.write(&bytes)).await;
                        if !matches!(written, Ok(Ok(_))) {
                            self.link.close(CloseReason::Transport);
                            continue;
                        }
                        self.mesh
                            .counters
                            .bytes_sent
                            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                    }
                    Output::Ready { .. } => {
                        let tx = self.tx.take().expect("ready once");
                        self.mesh.join(self.id, tx);
                    }
                    Output::Live(msg) => self.on_live(msg),
                    Output::Closed(reason) => return Some(reason),
                }
            }
            if !progressed {
                return None;
            }
            self.link.on_transport_drained(now(), self.dc.buffered_amount());
        }
    }

    /// Sends the planner's next pieces for this neighbour while the link has room for them.
    fn pump_pushes(&mut self) {
        if !self.link.is_ready() || self.tx.is_some() {
            return;
        }
        loop {
            let id = self.id;
            let next = self.mesh.with_planner(|p, segs| {
                let (seq, piece) = p.next_push(id)?;
                Some((seq, piece, segs.get(&seq).cloned()))
            });
            let Some((seq, piece, seg)) = next else {
                return;
            };
            let range = seg.as_ref().and_then(|s| s.torrent.piece_range(u32::from(piece)));
            let (Some(seg), Some(range)) = (seg, range) else {
                self.mesh.with_planner(|p, _| p.piece_sent(id, seq, piece, 0));
                continue;
            };
            let blocks = range.len().div_ceil(MAX_BLOCK as usize);
            if self.link.send_room() < range.len() + blocks * BLOCK_OVERHEAD {
                return;
            }
            for begin in (0..range.len()).step_by(MAX_BLOCK as usize) {
                let end = (begin + MAX_BLOCK as usize).min(range.len());
                let data = seg.data.slice(range.start + begin..range.start + end);
                let block = LiveMsg::Block {
                    seq,
                    piece,
                    begin: begin as u32,
                    data,
                };
                if self.link.send(now(), block).is_err() {
                    return;
                }
            }
            let len = range.len() as u64;
            self.mesh.with_planner(|p, _| p.piece_sent(id, seq, piece, len));
            self.mesh.counters.bytes_pushed.fetch_add(len, Ordering::Relaxed);
        }
    }

    fn on_live(&mut self, msg: LiveMsg) {
        let id = self.id;
        match msg {
            LiveMsg::Have { .. } | LiveMsg::HavePiece { .. } => {
                self.mesh.with_planner(|p, _| p.on_announce(id, &msg));
            }
            LiveMsg::Request(key) => self.on_request(key),
            LiveMsg::Cancel(_) | LiveMsg::Block { .. } | LiveMsg::Reject(_) | LiveMsg::Gone { .. } => {}
        }
    }

    /// Serves a request when the planner allows it and the block lies within its piece.
    fn on_request(&mut self, key: BlockKey) {
        let id = self.id;
        let (decision, seg) = self
            .mesh
            .with_planner(|p, segs| (p.decide_request(id, &key), segs.get(&key.seq).cloned()));
        let block = seg.and_then(|s| {
            let range = s.torrent.piece_range(u32::from(key.piece))?;
            let (begin, end) = (key.begin as usize, key.begin as usize + key.length as usize);
            (end <= range.len()).then(|| s.data.slice(range.start + begin..range.start + end))
        });
        match (decision, block) {
            (RequestDecision::Serve, Some(data)) => {
                let len = data.len() as u64;
                let msg = LiveMsg::Block {
                    seq: key.seq,
                    piece: key.piece,
                    begin: key.begin,
                    data,
                };
                if self.link.send(now(), msg).is_ok() {
                    self.mesh.counters.bytes_served.fetch_add(len, Ordering::Relaxed);
                } else {
                    let _ = self.link.send(now(), LiveMsg::Reject(key));
                }
            }
            (RequestDecision::Reject(_), _) => {
                self.mesh.counters.requests_refused.fetch_add(1, Ordering::Relaxed);
                let _ = self.link.send(now(), LiveMsg::Reject(key));
            }
            (RequestDecision::Serve | RequestDecision::OutOfRange, _) => {
                self.link
                    .close(CloseReason::Violation("request outside the segment's pieces"));
            }
        }
    }
}
