//! Sans-IO state machine of one persistent live link (either side) over a byte stream.
//!
//! Driving loop: create with [`Link::new`] (it queues our 68-byte handshake at once); feed every
//! received chunk with [`Link::handle_input`]; send live messages with [`Link::send`]; after
//! writing outputs to the transport, and before each [`Link::handle_timeout`], report the
//! transport's buffered byte count with [`Link::on_transport_drained`]. After each of these calls
//! drain [`Link::poll_output`] and re-arm the timer from [`Link::poll_timeout`]. After
//! [`Output::Closed`] nothing else is emitted; when the transport ends first, call [`Link::close`].
//!
//! Invariants: the receive buffer holds at most one frame of `max_frame` bytes plus one input
//! chunk; at most `max_requests` requests are outstanding each way (more from the peer are
//! answered with `reject`, more from us are refused); blocks are refused while the send queue
//! (emitted bytes the transport has not drained) would exceed `send_queue_cap`; a queue that does
//! not shrink for `stall_timeout`, silence for `idle_timeout` and any broken rule close the link.

#[cfg(test)]
mod limit_tests;
mod recv;
#[cfg(test)]
mod tests;
mod types;

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;

pub use self::types::{CloseReason, LinkConfig, Output, SendError};
use super::codec::{BlockKey, LiveMsg};
use crate::torrent::InfoHash;
use crate::wire::{Handshake, Message};

/// The extended message id under which a link receives live messages.
pub const LOCAL_LIVE_ID: u8 = 1;

/// Bytes a live frame adds to its payload: length prefix, message id 20, extended id.
const FRAME_OVERHEAD: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Handshake,
    Extended,
    Ready,
    Closed,
}

/// One live link's state.
#[derive(Debug)]
pub struct Link {
    cfg: LinkConfig,
    info_hash: InfoHash,
    peer_id: Option<[u8; 20]>,
    phase: Phase,
    recv: Vec<u8>,
    out: VecDeque<Output>,
    peer_live_id: u8,
    incoming: Vec<BlockKey>,
    outgoing: Vec<BlockKey>,
    queued: usize,
    drained_at: Instant,
    started: Instant,
    last_recv: Instant,
    last_send: Instant,
}

impl Link {
    /// A link on the stream swarm `info_hash` as `peer_id`; queues our handshake.
    pub fn new(now: Instant, info_hash: InfoHash, peer_id: [u8; 20], cfg: LinkConfig) -> Self {
        let mut link = Link {
            cfg,
            info_hash,
            peer_id: None,
            phase: Phase::Handshake,
            recv: Vec::new(),
            out: VecDeque::new(),
            peer_live_id: 0,
            incoming: Vec::new(),
            outgoing: Vec::new(),
            queued: 0,
            drained_at: now,
            started: now,
            last_recv: now,
            last_send: now,
        };
        let hs = Handshake::new(info_hash, peer_id).encode();
        link.emit(now, Bytes::copy_from_slice(&hs));
        link
    }

    /// Feeds bytes received from the peer (any split of the stream).
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.phase == Phase::Closed {
            return;
        }
        self.last_recv = now;
        self.recv.extend_from_slice(bytes);
        if let Err(reason) = self.process(now) {
            self.shut(reason);
        }
    }

    /// Sends a live message; bookkeeping of requests and the send queue as in the module doc.
    pub fn send(&mut self, now: Instant, msg: LiveMsg) -> Result<(), SendError> {
        match self.phase {
            Phase::Closed => return Err(SendError::Closed),
            Phase::Ready => {}
            _ => return Err(SendError::NotReady),
        }
        msg.validate()?;
        self.account_send(&msg)?;
        self.emit_live(now, &msg);
        Ok(())
    }

    /// Reports how many bytes the transport still buffers (e.g. `RTCDataChannel.bufferedAmount`).
    pub fn on_transport_drained(&mut self, now: Instant, buffered_amount: usize) {
        if buffered_amount < self.queued || buffered_amount == 0 {
            self.drained_at = now;
        }
        self.queued = buffered_amount;
    }

    /// Handles timers due at `now`: handshake, stall and idle timeouts, keep-alives.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.phase == Phase::Closed {
            return;
        }
        if let Some(reason) = self.expired(now) {
            self.shut(reason);
        } else if now >= self.last_send + self.cfg.keepalive_interval {
            self.emit(now, Bytes::from_static(&[0, 0, 0, 0]));
        }
    }

    /// Ends the link (nothing pending is sent); [`Output::Closed`] carries `reason`.
    pub fn close(&mut self, reason: CloseReason) {
        if self.phase != Phase::Closed {
            self.out.clear();
            self.shut(reason);
        }
    }

    /// Next thing for the driver to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When [`Link::handle_timeout`] must be called next; `None` once closed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.phase == Phase::Closed {
            return None;
        }
        let mut t = (self.last_recv + self.cfg.idle_timeout).min(self.last_send + self.cfg.keepalive_interval);
        if self.phase != Phase::Ready {
            t = t.min(self.started + self.cfg.handshake_timeout);
        }
        if self.queued > 0 {
            t = t.min(self.drained_at + self.cfg.stall_timeout);
        }
        Some(t)
    }

    /// Whether both handshakes are done and the link is open.
    pub fn is_ready(&self) -> bool {
        self.phase == Phase::Ready
    }

    /// The peer's id, once its handshake arrived.
    pub fn peer_id(&self) -> Option<[u8; 20]> {
        self.peer_id
    }

    /// Whether the link has ended.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Bytes emitted and not yet drained by the transport.
    pub fn queued(&self) -> usize {
        self.queued
    }

    /// Bytes of frames the send queue still takes before blocks are refused.
    pub fn send_room(&self) -> usize {
        self.cfg.send_queue_cap.saturating_sub(self.queued)
    }

    /// Outstanding requests: the peer's to us, ours to the peer.
    pub fn outstanding(&self) -> (usize, usize) {
        (self.incoming.len(), self.outgoing.len())
    }

    fn account_send(&mut self, msg: &LiveMsg) -> Result<(), SendError> {
        match msg {
            LiveMsg::Request(_) if self.outgoing.len() >= self.cfg.max_requests => {
                return Err(SendError::TooManyRequests)
            }
            LiveMsg::Request(k) => self.outgoing.push(*k),
            LiveMsg::Cancel(k) => self.outgoing.retain(|r| r != k),
            LiveMsg::Block { .. } if msg.encoded_len() + FRAME_OVERHEAD > self.send_room() => {
                return Err(SendError::QueueFull)
            }
            LiveMsg::Block { .. } => {
                let k = msg.block_key().expect("a block names its block");
                self.incoming.retain(|r| *r != k);
            }
            LiveMsg::Reject(k) => self.incoming.retain(|r| r != k),
            LiveMsg::Gone { seq } => self.forget(*seq),
            LiveMsg::Have { .. } | LiveMsg::HavePiece { .. } => {}
        }
        Ok(())
    }

    fn forget(&mut self, seq: u64) {
        self.incoming.retain(|r| r.seq != seq);
        self.outgoing.retain(|r| r.seq != seq);
    }

    fn expired(&self, now: Instant) -> Option<CloseReason> {
        if self.phase != Phase::Ready && now >= self.started + self.cfg.handshake_timeout {
            return Some(CloseReason::HandshakeTimeout);
        }
        if self.queued > 0 && now >= self.drained_at + self.cfg.stall_timeout {
            return Some(CloseReason::Stalled);
        }
        (now >= self.last_recv + self.cfg.idle_timeout).then_some(CloseReason::Idle)
    }

    fn emit_live(&mut self, now: Instant, msg: &LiveMsg) {
        let frame = Message::Extended {
            id: self.peer_live_id,
            payload: msg.encode().into(),
        };
        self.emit(now, frame.encode().into());
    }

    fn emit(&mut self, now: Instant, bytes: Bytes) {
        if self.queued == 0 {
            self.drained_at = now;
        }
        self.queued += bytes.len();
        self.last_send = now;
        self.out.push_back(Output::Send(bytes));
    }

    fn shut(&mut self, reason: CloseReason) {
        self.phase = Phase::Closed;
        self.recv = Vec::new();
        self.incoming.clear();
        self.outgoing.clear();
        self.out.push_back(Output::Closed(reason));
    }
}
