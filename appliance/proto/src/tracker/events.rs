//! What goes in and out of the swarm core besides client frames: box seeder offers and answers,
//! outputs for the IO layer, errors.
use super::id::{InfoHash, OfferId, PeerId};
use super::json::Signal;
use super::swarm::ConnId;

/// An incoming WebSocket data frame.
#[derive(Debug, Clone, Copy)]
pub enum Frame<'a> {
    /// A text frame.
    Text(&'a str),
    /// A binary frame of this many bytes.
    Binary(usize),
}

/// Why the core wants a connection closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// It kept sending past its rate limit.
    Flood,
}

/// An offer for the box's own seeder (it answers with [`Tracker::box_answer`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxOffer {
    /// Swarm.
    pub info_hash: InfoHash,
    /// The offering peer.
    pub from: PeerId,
    /// Offer id to answer with.
    pub offer_id: OfferId,
    /// The offer.
    pub offer: Signal,
}

/// The box seeder's answer to a [`BoxOffer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxAnswer {
    /// Swarm.
    pub info_hash: InfoHash,
    /// The peer that made the offer (`BoxOffer::from`).
    pub to_peer_id: PeerId,
    /// `BoxOffer::offer_id`.
    pub offer_id: OfferId,
    /// The answer.
    pub answer: Signal,
}

/// Something for the IO layer to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send a text frame on a connection.
    Send {
        /// Destination.
        conn: ConnId,
        /// JSON text.
        frame: String,
    },
    /// Close a connection (the core has already forgotten it).
    Close {
        /// Connection.
        conn: ConnId,
        /// Why.
        reason: CloseReason,
    },
    /// Hand an offer to the box's seeder.
    BoxOffer(BoxOffer),
}

/// Why a box answer or registration was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    /// No such swarm (it may have left the window).
    #[error("unknown swarm")]
    UnknownSwarm,
    /// No offer with that id from that peer is waiting for the box.
    #[error("no pending offer with that offer_id from that peer")]
    UnknownOffer,
    /// The offering peer has left.
    #[error("the offering peer has left the swarm")]
    PeerGone,
    /// `max_swarms` reached.
    #[error("too many swarms")]
    Full,
}
