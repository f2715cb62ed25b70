//! WebTorrent WebSocket tracker: the message codec npm `bittorrent-tracker` 11.x speaks and the
//! live-aware swarm core (pure: frames and time in, frames out).
mod announce;
pub mod config;
pub mod core;
mod encode;
pub mod error;
pub mod events;
pub mod id;
pub mod json;
pub mod ratelimit;
pub mod request;
pub mod response;
pub mod route;
pub mod stats;
pub mod stream;
pub mod swarm;

#[cfg(test)]
mod core_tests;
#[cfg(test)]
mod prop_tests;
#[cfg(test)]
mod route_tests;
#[cfg(test)]
mod stream_tests;
#[cfg(test)]
mod testkit;
#[cfg(test)]
mod vectors;

pub use config::TrackerConfig;
pub use core::{BoxAnswer, BoxOffer, CloseReason, CoreError, Frame, Output, Tracker};
pub use error::{Action, DecodeError, Rejected};
pub use id::{Id20, IdError, InfoHash, OfferId, PeerId};
pub use json::{Signal, SignalKind};
pub use request::{Announce, AnnounceEvent, Answer, ClientMessage, DecodeLimits, Offer, Scrape};
pub use response::{AnnounceReply, Failure, ForwardedAnswer, ForwardedOffer, ScrapeFile, ScrapeReply, ServerMessage};
pub use stats::{Counters, Gauges};
pub use stream::{MAX_FREE_SLOTS, STREAM_SEGMENT};
pub use swarm::{ConnId, Registration, StreamSlots};
