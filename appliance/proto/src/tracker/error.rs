//! Typed reasons a tracker frame is rejected; their text becomes the `failure reason`.
use super::id::{IdError, InfoHash};

/// The two actions of the WebSocket tracker protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `"announce"`: join/update a swarm, send offers, relay an answer.
    Announce,
    /// `"scrape"`: swarm counters.
    Scrape,
}

impl Action {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Announce => "announce",
            Action::Scrape => "scrape",
        }
    }
}

/// Why a client frame was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The frame is larger than the configured limit.
    #[error("frame of {0} bytes is too large")]
    TooLarge(usize),
    /// A binary WebSocket frame; the protocol is JSON text.
    #[error("binary frames are not supported")]
    Binary,
    /// The text is not valid JSON (or has duplicate keys).
    #[error("invalid JSON")]
    NotJson,
    /// Valid JSON, but not an object.
    #[error("message is not a JSON object")]
    NotObject,
    /// `action` is missing or not `announce` / `scrape`.
    #[error("invalid action in WS request")]
    InvalidAction,
    /// `info_hash` is not a 20-byte binary string.
    #[error("invalid info_hash: {0}")]
    InvalidInfoHash(IdError),
    /// `peer_id` is not a 20-byte binary string.
    #[error("invalid peer_id: {0}")]
    InvalidPeerId(IdError),
    /// `to_peer_id` is missing or malformed in an answer.
    #[error("invalid `to_peer_id` (required with `answer`): {0}")]
    InvalidToPeerId(IdError),
    /// `offer_id` is missing or malformed in an answer or an offer.
    #[error("invalid offer_id: {0}")]
    InvalidOfferId(IdError),
    /// `offers` is not an array of `{offer, offer_id}` objects.
    #[error("invalid offers")]
    InvalidOffers,
    /// An offer is not `{"type":"offer","sdp":"..."}`.
    #[error("invalid offer")]
    InvalidOffer,
    /// The answer is not `{"type":"answer","sdp":"..."}`.
    #[error("invalid answer")]
    InvalidAnswer,
    /// `event` is not one of started, stopped, completed, update, paused, empty.
    #[error("invalid event")]
    InvalidEvent,
    /// A counter (`left`, `uploaded`, `downloaded`, `numwant`) is not a non-negative integer.
    #[error("invalid {0}")]
    InvalidNumber(&'static str),
    /// A scrape names more info hashes than allowed.
    #[error("too many info hashes in scrape ({0})")]
    TooManyInfoHashes(usize),
}

/// A rejected frame with what could be read of it, so the failure reaches the right torrent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct Rejected {
    /// The action, when it was readable.
    pub action: Option<Action>,
    /// The (single) info hash, when it was readable.
    pub info_hash: Option<InfoHash>,
    /// What is wrong.
    pub error: DecodeError,
}

impl Rejected {
    /// A rejection with no context.
    pub fn bare(error: DecodeError) -> Self {
        Self {
            action: None,
            info_hash: None,
            error,
        }
    }
}
