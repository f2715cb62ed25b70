//! The `vb_live` payload codec: one type byte, then big-endian fields (docs/LIVE-MESH.md, "The wire").
//!
//! [`LiveMsg::decode`] validates once; a decoded message always re-encodes to the same bytes.
//! Checks run in the spec's order: empty, type, the payload's size (for `have` its `count`
//! first, for `block` its data size), then the fields in wire order: `seq`, `piece`, `length`,
//! spare bits.

use bytes::{BufMut, Bytes};

pub use super::error::LiveError;

/// Most pieces a segment may have; a `piece` index is below this.
pub const MAX_PIECES: u16 = 1024;
/// Largest block (and request, cancel or reject length) in bytes.
pub const MAX_BLOCK: u32 = 16384;
/// Largest `seq`: 2^53 - 1, exact in a JavaScript number.
pub const MAX_SEQ: u64 = (1 << 53) - 1;
/// The BEP 10 extension name of the live messages.
pub const EXTENSION_NAME: &str = "vb_live";
/// Largest length prefix a link accepts: a full block plus its headers, with room to spare.
pub const MAX_FRAME: u32 = MAX_BLOCK + 32;

const HEAD: usize = 9; // type + seq
const PIECE_HEAD: usize = 11; // + piece (or count)
const BLOCK_HEAD: usize = 15; // + begin
const RANGE_LEN: usize = 19; // + length

/// A block of a segment: what `request`, `cancel` and `reject` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockKey {
    /// Segment sequence number.
    pub seq: u64,
    /// Piece index in the segment's torrent.
    pub piece: u16,
    /// Byte offset within the piece.
    pub begin: u32,
    /// Block length in bytes (1..=[`MAX_BLOCK`]).
    pub length: u32,
}

/// One live message (the payload after the extended message id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveMsg {
    /// Type 1: which of the `count` pieces of `seq` the sender holds.
    Have {
        /// Segment sequence number.
        seq: u64,
        /// The segment's piece count (at most [`MAX_PIECES`]).
        count: u16,
        /// `ceil(count / 8)` bytes, MSB first, spare bits 0.
        bitfield: Bytes,
    },
    /// Type 2: the sender now holds (verified) this piece.
    HavePiece {
        /// Segment sequence number.
        seq: u64,
        /// Piece index.
        piece: u16,
    },
    /// Type 3: send me this block.
    Request(BlockKey),
    /// Type 4: forget that request.
    Cancel(BlockKey),
    /// Type 5: block data, requested or pushed.
    Block {
        /// Segment sequence number.
        seq: u64,
        /// Piece index.
        piece: u16,
        /// Byte offset within the piece.
        begin: u32,
        /// 1..=[`MAX_BLOCK`] bytes.
        data: Bytes,
    },
    /// Type 6: I will not send this block.
    Reject(BlockKey),
    /// Type 7: the segment left the sender's window.
    Gone {
        /// Segment sequence number.
        seq: u64,
    },
}

fn be_u16(p: &[u8], at: usize) -> u16 {
    u16::from_be_bytes(p[at..at + 2].try_into().expect("caller checked the length"))
}

fn be_u32(p: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(p[at..at + 4].try_into().expect("caller checked the length"))
}

fn exact(p: &[u8], want: usize) -> Result<(), LiveError> {
    if p.len() == want {
        Ok(())
    } else {
        Err(LiveError::BadLength {
            kind: p[0],
            len: p.len(),
        })
    }
}

fn at_least(p: &[u8], want: usize) -> Result<(), LiveError> {
    if p.len() >= want {
        Ok(())
    } else {
        Err(LiveError::BadLength {
            kind: p[0],
            len: p.len(),
        })
    }
}

fn check_seq(seq: u64) -> Result<u64, LiveError> {
    if seq <= MAX_SEQ {
        Ok(seq)
    } else {
        Err(LiveError::SeqOutOfRange(seq))
    }
}

fn check_piece(piece: u16) -> Result<u16, LiveError> {
    if piece < MAX_PIECES {
        Ok(piece)
    } else {
        Err(LiveError::TooManyPieces(piece))
    }
}

fn check_block_len(len: usize) -> Result<(), LiveError> {
    if (1..=MAX_BLOCK as usize).contains(&len) {
        Ok(())
    } else {
        Err(LiveError::BadBlockLength(len))
    }
}

fn check_bitfield(count: u16, bitfield: &[u8]) -> Result<(), LiveError> {
    let spare = (8 - count % 8) % 8;
    let mask = (1u8 << spare).wrapping_sub(1);
    match bitfield.last() {
        Some(last) if last & mask != 0 => Err(LiveError::SpareBits),
        _ => Ok(()),
    }
}

fn seq_of(p: &[u8]) -> Result<u64, LiveError> {
    check_seq(u64::from_be_bytes(
        p[1..9].try_into().expect("caller checked the length"),
    ))
}

fn block_key(p: &[u8]) -> Result<BlockKey, LiveError> {
    exact(p, RANGE_LEN)?;
    let key = BlockKey {
        seq: seq_of(p)?,
        piece: check_piece(be_u16(p, 9))?,
        begin: be_u32(p, 11),
        length: be_u32(p, 15),
    };
    check_block_len(key.length as usize)?;
    Ok(key)
}

fn decode_have(p: &Bytes) -> Result<LiveMsg, LiveError> {
    at_least(p, PIECE_HEAD)?;
    let count = be_u16(p, 9);
    if count > MAX_PIECES {
        return Err(LiveError::TooManyPieces(count));
    }
    exact(p, PIECE_HEAD + usize::from(count).div_ceil(8))?;
    let seq = seq_of(p)?;
    let bitfield = p.slice(PIECE_HEAD..);
    check_bitfield(count, &bitfield)?;
    Ok(LiveMsg::Have { seq, count, bitfield })
}

fn decode_block(p: &Bytes) -> Result<LiveMsg, LiveError> {
    at_least(p, BLOCK_HEAD)?;
    check_block_len(p.len() - BLOCK_HEAD)?;
    Ok(LiveMsg::Block {
        seq: seq_of(p)?,
        piece: check_piece(be_u16(p, 9))?,
        begin: be_u32(p, 11),
        data: p.slice(BLOCK_HEAD..),
    })
}

impl LiveMsg {
    /// Decodes a live payload (copies it; see [`LiveMsg::decode_bytes`] to share the buffer).
    pub fn decode(payload: &[u8]) -> Result<Self, LiveError> {
        Self::decode_bytes(&Bytes::copy_from_slice(payload))
    }

    /// Decodes a live payload; `have` bitfields and `block` data are slices of `payload`.
    pub fn decode_bytes(payload: &Bytes) -> Result<Self, LiveError> {
        let p = payload;
        let Some(&kind) = p.first() else {
            return Err(LiveError::Empty);
        };
        match kind {
            1 => decode_have(p),
            2 => {
                exact(p, PIECE_HEAD)?;
                let seq = seq_of(p)?;
                let piece = check_piece(be_u16(p, 9))?;
                Ok(LiveMsg::HavePiece { seq, piece })
            }
            3 => block_key(p).map(LiveMsg::Request),
            4 => block_key(p).map(LiveMsg::Cancel),
            5 => decode_block(p),
            6 => block_key(p).map(LiveMsg::Reject),
            7 => exact(p, HEAD).and_then(|_| seq_of(p)).map(|seq| LiveMsg::Gone { seq }),
            _ => Err(LiveError::UnknownType(kind)),
        }
    }

    /// The type byte.
    pub fn kind(&self) -> u8 {
        match self {
            LiveMsg::Have { .. } => 1,
            LiveMsg::HavePiece { .. } => 2,
            LiveMsg::Request(_) => 3,
            LiveMsg::Cancel(_) => 4,
            LiveMsg::Block { .. } => 5,
            LiveMsg::Reject(_) => 6,
            LiveMsg::Gone { .. } => 7,
        }
    }

    /// The segment this message is about.
    pub fn seq(&self) -> u64 {
        match self {
            LiveMsg::Have { seq, .. }
            | LiveMsg::HavePiece { seq, .. }
            | LiveMsg::Block { seq, .. }
            | LiveMsg::Gone { seq } => *seq,
            LiveMsg::Request(k) | LiveMsg::Cancel(k) | LiveMsg::Reject(k) => k.seq,
        }
    }

    /// The block a `block` carries, as `request`, `cancel` and `reject` name it.
    pub fn block_key(&self) -> Option<BlockKey> {
        match self {
            LiveMsg::Block {
                seq,
                piece,
                begin,
                data,
            } => Some(BlockKey {
                seq: *seq,
                piece: *piece,
                begin: *begin,
                length: data.len() as u32,
            }),
            _ => None,
        }
    }

    /// Checks the rules [`LiveMsg::decode`] enforces, so that the encoding decodes again.
    pub fn validate(&self) -> Result<(), LiveError> {
        check_seq(self.seq())?;
        match self {
            LiveMsg::Have { count, bitfield, .. } => validate_have(*count, bitfield),
            LiveMsg::HavePiece { piece, .. } => check_piece(*piece).map(drop),
            LiveMsg::Request(k) | LiveMsg::Cancel(k) | LiveMsg::Reject(k) => {
                check_piece(k.piece)?;
                check_block_len(k.length as usize)
            }
            LiveMsg::Block { piece, data, .. } => {
                check_piece(*piece)?;
                check_block_len(data.len())
            }
            LiveMsg::Gone { .. } => Ok(()),
        }
    }

    /// Appends the payload to `out`. A message that fails [`LiveMsg::validate`] encodes to bytes
    /// the decoder rejects (callers that take messages from outside validate first).
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.put_u8(self.kind());
        out.put_u64(self.seq());
        match self {
            LiveMsg::Have { count, bitfield, .. } => {
                out.put_u16(*count);
                out.extend_from_slice(bitfield);
            }
            LiveMsg::HavePiece { piece, .. } => out.put_u16(*piece),
            LiveMsg::Request(k) | LiveMsg::Cancel(k) | LiveMsg::Reject(k) => {
                out.put_u16(k.piece);
                out.put_u32(k.begin);
                out.put_u32(k.length);
            }
            LiveMsg::Block { piece, begin, data, .. } => {
                out.put_u16(*piece);
                out.put_u32(*begin);
                out.extend_from_slice(data);
            }
            LiveMsg::Gone { .. } => {}
        }
    }

    /// The payload's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out);
        out
    }

    /// Length of the payload [`LiveMsg::encode`] produces.
    pub fn encoded_len(&self) -> usize {
        match self {
            LiveMsg::Have { bitfield, .. } => PIECE_HEAD + bitfield.len(),
            LiveMsg::HavePiece { .. } => PIECE_HEAD,
            LiveMsg::Request(_) | LiveMsg::Cancel(_) | LiveMsg::Reject(_) => RANGE_LEN,
            LiveMsg::Block { data, .. } => BLOCK_HEAD + data.len(),
            LiveMsg::Gone { .. } => HEAD,
        }
    }
}

fn validate_have(count: u16, bitfield: &[u8]) -> Result<(), LiveError> {
    if count > MAX_PIECES {
        return Err(LiveError::TooManyPieces(count));
    }
    if bitfield.len() != usize::from(count).div_ceil(8) {
        let len = PIECE_HEAD + bitfield.len();
        return Err(LiveError::BadLength { kind: 1, len });
    }
    check_bitfield(count, bitfield)
}
