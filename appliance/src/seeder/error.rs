//! Errors of the seeder.

use venuebox_proto::torrent::{InfoHash, TorrentError};

/// Why the seeder could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum SeederError {
    /// The info hash is not a segment in the window.
    #[error("no segment with info hash {0}")]
    UnknownTorrent(InfoHash),
    /// The peer limit (total or for this segment) is reached.
    #[error("peer limit reached")]
    Busy,
    /// The segment cannot be made into a torrent.
    #[error("cannot make a torrent: {0}")]
    Torrent(#[from] TorrentError),
    /// The UDP socket could not be bound.
    #[error("cannot bind UDP {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// WebRTC failed while answering.
    #[error("webrtc: {0}")]
    Rtc(#[from] webrtc::Error),
    /// The offer is not a usable SDP offer.
    #[error("bad offer: {0}")]
    BadOffer(String),
    /// Candidate gathering did not finish in time.
    #[error("candidate gathering timed out")]
    GatherTimeout,
}
