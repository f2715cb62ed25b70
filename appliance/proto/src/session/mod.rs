//! Sans-IO seeding session with one peer over a byte stream (a WebRTC data channel).
//!
//! Driving loop: create with [`Session::new`]; feed every received chunk with
//! [`Session::handle_input`], the transport's buffered byte count with [`Session::set_buffered`]
//! and expired timers with [`Session::handle_timeout`]; after each of these, drain
//! [`Session::poll_output`] (each [`Output::Send`] is one data-channel message) and re-arm the
//! timer from [`Session::poll_timeout`]. After [`Output::Close`] nothing else is emitted; when the
//! transport ends first, call [`Session::close`]. Every call that takes the segment's
//! [`SwarmSeed`] must get the same one.
//!
//! Invariants: piece blocks are `Bytes` slices of the segment (no copy per peer); the receive
//! buffer never holds more than one message of at most `max_message_len` plus one input chunk;
//! at most `max_queued_requests` requests wait; blocks are emitted only while the transport
//! holds less than `send_buffer_cap` bytes; a peer that misbehaves is closed with a reason.

mod recv;
mod serve;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::seed::{PieceSet, SwarmSeed};
use crate::torrent::Torrent;
use crate::wire::{BlockRef, WireError};

/// ut_metadata requests one peer may make per session (a segment's info dictionary is one or
/// two 16 KiB pieces); more close the session, so a peer cannot make the box queue replies
/// without end.
pub const MAX_METADATA_REQUESTS: u32 = 16;
/// Extended message id under which the box receives ut_metadata.
pub const UT_METADATA_ID: u8 = 1;

/// Limits and timers of a session.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Largest incoming message (length prefix) accepted.
    pub max_message_len: u32,
    /// Largest block a peer may request (browsers request 16 KiB).
    pub max_block_len: u32,
    /// Requests queued beyond this close the session.
    pub max_queued_requests: usize,
    /// Blocks are sent only while the transport buffers less than this many bytes.
    pub send_buffer_cap: usize,
    /// A peer that reads nothing for this long while requests wait is closed.
    pub stall_timeout: Duration,
    /// A peer that sends nothing for this long is closed.
    pub idle_timeout: Duration,
    /// The peer must complete its handshake within this time.
    pub handshake_timeout: Duration,
    /// A keep-alive is sent after this long without sending.
    pub keepalive_interval: Duration,
    /// Pieces revealed to a peer and not yet served to it, at most.
    pub reveal_window: u32,
    /// A peer without peer-to-peer progress for this long is shown pieces others already got.
    pub patience: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            max_message_len: 64 * 1024,
            max_block_len: 32 * 1024,
            max_queued_requests: 256,
            send_buffer_cap: 256 * 1024,
            stall_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(10),
            keepalive_interval: Duration::from_secs(20),
            reveal_window: 8,
            patience: Duration::from_millis(1500),
        }
    }
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send these bytes as one data-channel message.
    Send(Bytes),
    /// Close the connection.
    Close(CloseReason),
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloseReason {
    /// Bytes that are not the wire protocol.
    #[error("malformed input: {0}")]
    Malformed(#[from] WireError),
    /// The handshake names another torrent.
    #[error("handshake for another info hash")]
    WrongInfoHash,
    /// A request longer than the block limit, or empty.
    #[error("request of {0} bytes")]
    OversizedRequest(u32),
    /// A request, have or bitfield outside the torrent.
    #[error("out of range: {0}")]
    OutOfRange(&'static str),
    /// A request for a piece the box did not offer this peer.
    #[error("request for piece {0}, which was not offered")]
    NotOffered(u32),
    /// More queued requests than allowed.
    #[error("more than the allowed queued requests")]
    TooManyRequests,
    /// The peer sent piece data the box never asked for.
    #[error("unrequested piece data")]
    UnrequestedPiece,
    /// The peer stopped reading while requests waited.
    #[error("peer does not read")]
    NotReading,
    /// No handshake in time.
    #[error("handshake timeout")]
    HandshakeTimeout,
    /// Nothing received for the idle timeout.
    #[error("idle")]
    Idle,
    /// The peer holds every piece.
    #[error("peer finished the segment")]
    Finished,
    /// The driver ended the session.
    #[error("closed by the transport")]
    Transport,
}

impl CloseReason {
    /// Whether the peer broke the protocol or its limits (as opposed to finishing or idling).
    pub fn is_misbehaviour(&self) -> bool {
        !matches!(
            self,
            CloseReason::Finished | CloseReason::Idle | CloseReason::Transport | CloseReason::HandshakeTimeout
        )
    }
}

/// One peer's seeding session.
#[derive(Debug)]
pub struct Session {
    cfg: SessionConfig,
    torrent: Arc<Torrent>,
    data: Bytes,
    peer_id: [u8; 20],
    recv: Vec<u8>,
    out: VecDeque<Output>,
    handshaken: bool,
    closed: bool,
    peer_ut_metadata: Option<u8>,
    metadata_requests: u32,
    peer_has: PieceSet,
    shown: PieceSet,
    served_bytes: Vec<u32>,
    requests: VecDeque<BlockRef>,
    buffered: usize,
    started: Instant,
    last_recv: Instant,
    last_send: Instant,
    p2p_progress: Instant,
    blocked_since: Option<Instant>,
    latest: Instant,
    uploaded: u64,
}

impl Session {
    /// A session serving `data` (the bytes `torrent` describes) as peer `peer_id`.
    pub fn new(now: Instant, torrent: Arc<Torrent>, data: Bytes, peer_id: [u8; 20], cfg: SessionConfig) -> Self {
        let n = torrent.piece_count();
        assert_eq!(data.len() as u64, torrent.length(), "data must be the torrent's file");
        Session {
            cfg,
            torrent,
            data,
            peer_id,
            recv: Vec::new(),
            out: VecDeque::new(),
            handshaken: false,
            closed: false,
            peer_ut_metadata: None,
            metadata_requests: 0,
            peer_has: PieceSet::new(n),
            shown: PieceSet::new(n),
            served_bytes: vec![0; n as usize],
            requests: VecDeque::new(),
            buffered: 0,
            started: now,
            last_recv: now,
            last_send: now,
            p2p_progress: now,
            blocked_since: None,
            latest: now,
            uploaded: 0,
        }
    }

    /// Feeds bytes received from the peer.
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8], seed: &mut SwarmSeed) {
        if self.closed {
            return;
        }
        self.last_recv = now;
        self.latest = now;
        self.recv.extend_from_slice(bytes);
        if let Err(reason) = self.process(now, seed) {
            self.shut(reason, seed);
            return;
        }
        self.pump(now, seed);
    }

    /// Reports how many bytes the transport still buffers for sending.
    pub fn set_buffered(&mut self, now: Instant, buffered: usize, seed: &mut SwarmSeed) {
        self.buffered = buffered;
        self.latest = self.latest.max(now);
        if !self.closed {
            self.pump(now, seed);
        }
    }

    /// Handles timers that are due at `now`.
    pub fn handle_timeout(&mut self, now: Instant, seed: &mut SwarmSeed) {
        if self.closed {
            return;
        }
        self.latest = self.latest.max(now);
        if let Some(reason) = self.expired(now) {
            self.shut(reason, seed);
            return;
        }
        if now >= self.last_send + self.cfg.keepalive_interval {
            self.send(now, Bytes::from_static(&[0, 0, 0, 0]));
        }
        self.pump(now, seed);
    }

    /// Ends the session because the transport closed; releases its share of `seed`.
    pub fn close(&mut self, seed: &mut SwarmSeed) {
        if !self.closed {
            self.shut(CloseReason::Transport, seed);
            self.out.clear();
        }
    }

    /// Next thing for the driver to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When [`Session::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        let mut t = self.last_recv + self.cfg.idle_timeout;
        t = t.min(self.last_send + self.cfg.keepalive_interval);
        if !self.handshaken {
            t = t.min(self.started + self.cfg.handshake_timeout);
        }
        if let Some(since) = self.blocked_since {
            t = t.min(since + self.cfg.stall_timeout);
        }
        let patience_ends = self.p2p_progress + self.cfg.patience;
        if self.handshaken && patience_ends > self.latest {
            t = t.min(patience_ends);
        }
        Some(t)
    }

    /// Payload bytes served to this peer.
    pub fn uploaded(&self) -> u64 {
        self.uploaded
    }

    /// Pieces shown to the peer and pieces it is known to hold.
    pub fn progress(&self) -> (u32, u32) {
        (self.shown.len(), self.peer_has.len())
    }

    /// Whether the session has ended.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    fn expired(&self, now: Instant) -> Option<CloseReason> {
        if !self.handshaken && now >= self.started + self.cfg.handshake_timeout {
            return Some(CloseReason::HandshakeTimeout);
        }
        if self.blocked_since.is_some_and(|t| now >= t + self.cfg.stall_timeout) {
            return Some(CloseReason::NotReading);
        }
        (now >= self.last_recv + self.cfg.idle_timeout).then_some(CloseReason::Idle)
    }

    fn send(&mut self, now: Instant, bytes: Bytes) {
        self.buffered += bytes.len();
        self.last_send = now;
        self.out.push_back(Output::Send(bytes));
    }

    fn shut(&mut self, reason: CloseReason, seed: &mut SwarmSeed) {
        self.closed = true;
        self.requests.clear();
        self.peer_has.iter().for_each(|i| seed.remove_holder(i));
        self.out.push_back(Output::Close(reason));
    }
}
