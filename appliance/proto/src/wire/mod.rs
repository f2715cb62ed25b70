//! BitTorrent peer wire codec as npm `bittorrent-protocol` speaks it: handshake, length-prefixed
//! messages (BEP 3, BEP 6 fast, BEP 10 extended) and BEP 9 ut_metadata payloads.

mod extended;
mod handshake;
mod message;
#[cfg(test)]
mod tests;

pub use extended::{ExtendedHandshake, MetadataMsg, METADATA_PIECE_LEN};
pub use handshake::{Handshake, HANDSHAKE_LEN, RESERVED_EXTENDED, RESERVED_FAST};
pub use message::{piece_header, BlockRef, Message};

/// Why bytes are not (yet) a wire message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The buffer ends inside the message: feed more bytes.
    #[error("need more bytes")]
    Incomplete,
    /// The handshake does not start with `\x13BitTorrent protocol`.
    #[error("not a BitTorrent handshake")]
    BadProtocol,
    /// A length prefix larger than the caller's limit.
    #[error("message of {len} bytes exceeds the {max}-byte limit")]
    TooLong {
        /// Declared length.
        len: u32,
        /// The limit.
        max: u32,
    },
    /// A message whose length does not fit its id.
    #[error("message id {id} with invalid length {len}")]
    BadLength {
        /// Message id.
        id: u8,
        /// Declared length.
        len: u32,
    },
    /// An extended payload (BEP 10 / BEP 9) that is not valid bencode or lacks a field.
    #[error("invalid extended message: {0}")]
    BadExtended(&'static str),
}
