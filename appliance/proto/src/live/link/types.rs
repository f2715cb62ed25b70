//! What a link is configured with, emits, and refuses: its limits, outputs and typed reasons.

use std::time::Duration;

use bytes::Bytes;

use crate::live::codec::{LiveError, LiveMsg, MAX_FRAME};
use crate::wire::WireError;

/// Limits and timers of a link; [`Default`] is the spec's.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    /// Outstanding requests allowed each way.
    pub max_requests: usize,
    /// Bytes emitted and not yet drained by the transport above which blocks are refused.
    pub send_queue_cap: usize,
    /// A non-empty send queue that does not shrink for this long closes the link.
    pub stall_timeout: Duration,
    /// A keep-alive is sent after this long without sending.
    pub keepalive_interval: Duration,
    /// A peer that sends nothing for this long is closed.
    pub idle_timeout: Duration,
    /// Both handshakes must be complete within this time.
    pub handshake_timeout: Duration,
    /// Largest length prefix accepted.
    pub max_frame: u32,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            max_requests: 32,
            send_queue_cap: 4 << 20,
            stall_timeout: Duration::from_secs(10),
            keepalive_interval: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(120),
            handshake_timeout: Duration::from_secs(10),
            max_frame: MAX_FRAME,
        }
    }
}

/// What the driver must do or learn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Write these bytes to the transport.
    Send(Bytes),
    /// Both handshakes are done: [`Link::send`] works from now on.
    Ready {
        /// The peer's 20-byte peer id from its handshake.
        peer_id: [u8; 20],
    },
    /// A live message from the peer (a `request` beyond the limit is rejected, not emitted; a
    /// `cancel` is emitted only for a request still outstanding).
    Live(LiveMsg),
    /// The link ended; close the transport.
    Closed(CloseReason),
}

/// Why a link ended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloseReason {
    /// Bytes that are not the peer wire, or a frame above `max_frame`.
    #[error("malformed wire: {0}")]
    Wire(#[from] WireError),
    /// A live payload the codec rejects.
    #[error("malformed live message: {0}")]
    Live(#[from] LiveError),
    /// The handshake names another swarm.
    #[error("handshake for another info hash")]
    WrongInfoHash,
    /// The peer does not speak BEP 10 or its extended handshake lacks `vb_live`.
    #[error("peer lacks the vb_live extension")]
    NoLiveExtension,
    /// A live message before the peer's extended handshake.
    #[error("live message before the extended handshake")]
    OutOfOrder,
    /// The handshakes did not complete in time.
    #[error("handshake timeout")]
    HandshakeTimeout,
    /// Nothing received for the idle timeout.
    #[error("idle")]
    Idle,
    /// The send queue did not drain for the stall timeout.
    #[error("peer does not read")]
    Stalled,
    /// The caller found a rule broken (a field outside the segment's torrent, a bad piece hash).
    #[error("rule broken: {0}")]
    Violation(&'static str),
    /// The caller ended the link (for example to replace the neighbour).
    #[error("closed locally")]
    Local,
    /// The transport ended.
    #[error("closed by the transport")]
    Transport,
}

impl CloseReason {
    /// Whether the peer broke the protocol or its limits (as opposed to idling or leaving).
    pub fn is_misbehaviour(&self) -> bool {
        !matches!(
            self,
            CloseReason::Idle | CloseReason::Local | CloseReason::Transport | CloseReason::HandshakeTimeout
        )
    }
}

/// Why [`Link::send`] refused a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The link has closed.
    #[error("link closed")]
    Closed,
    /// The peer's extended handshake has not arrived yet.
    #[error("link not ready")]
    NotReady,
    /// The message breaks a codec rule.
    #[error("invalid message: {0}")]
    Invalid(#[from] LiveError),
    /// `max_requests` of our requests are outstanding.
    #[error("too many outstanding requests")]
    TooManyRequests,
    /// The block would take the send queue past its cap.
    #[error("send queue full")]
    QueueFull,
}
