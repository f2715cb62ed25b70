//! Why a payload is not a live message: one variant per rule of the spec, named as the spec names it.

/// Why a payload is not a live message; [`LiveError::code`] is the spec's name for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LiveError {
    /// The payload has no bytes.
    #[error("empty live payload")]
    Empty,
    /// The type byte is not one of the spec's.
    #[error("unknown live message type {0}")]
    UnknownType(u8),
    /// The payload's length does not fit its type exactly.
    #[error("live message type {kind} with invalid length {len}")]
    BadLength {
        /// Type byte.
        kind: u8,
        /// Payload length.
        len: usize,
    },
    /// A `have` bitfield with bits set past `count`.
    #[error("have bitfield has spare bits set")]
    SpareBits,
    /// A `count` above [`MAX_PIECES`](super::codec::MAX_PIECES) or a piece index at or above it.
    #[error("piece count or index {0} out of range")]
    TooManyPieces(u16),
    /// A block or request length of 0 or above [`MAX_BLOCK`](super::codec::MAX_BLOCK).
    #[error("block length {0} out of range")]
    BadBlockLength(usize),
    /// A `seq` above [`MAX_SEQ`](super::codec::MAX_SEQ).
    #[error("seq {0} above 2^53 - 1")]
    SeqOutOfRange(u64),
}

impl LiveError {
    /// The spec's error name (`empty`, `unknown_type`, ...), shared with the JavaScript codec.
    pub fn code(&self) -> &'static str {
        match self {
            LiveError::Empty => "empty",
            LiveError::UnknownType(_) => "unknown_type",
            LiveError::BadLength { .. } => "bad_length",
            LiveError::SpareBits => "spare_bits",
            LiveError::TooManyPieces(_) => "too_many_pieces",
            LiveError::BadBlockLength(_) => "bad_block_length",
            LiveError::SeqOutOfRange(_) => "seq_out_of_range",
        }
    }
}
