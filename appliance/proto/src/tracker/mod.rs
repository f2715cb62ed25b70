//! WebTorrent WebSocket tracker: the message codec npm `bittorrent-tracker` 11.x speaks and the
//! live-aware swarm core (pure: frames and time in, frames out).
pub mod error;
pub mod id;
pub mod json;
pub mod request;
pub mod response;

#[cfg(test)]
mod vectors;

pub use error::{Action, DecodeError, Rejected};
pub use id::{Id20, IdError, InfoHash, OfferId, PeerId};
pub use json::{Signal, SignalKind};
pub use request::{Announce, AnnounceEvent, Answer, ClientMessage, DecodeLimits, Offer, Scrape};
pub use response::{
    AnnounceReply, Failure, ForwardedAnswer, ForwardedOffer, ScrapeFile, ScrapeReply, ServerMessage,
};
