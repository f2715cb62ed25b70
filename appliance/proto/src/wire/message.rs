//! Length-prefixed peer messages: `<u32 length><u8 id><payload>`; length 0 is a keep-alive.

use bytes::Bytes;

use super::WireError;

/// A block of a piece: what `request`, `cancel` and `reject` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockRef {
    /// Piece index.
    pub index: u32,
    /// Byte offset within the piece.
    pub begin: u32,
    /// Block length in bytes.
    pub length: u32,
}

/// One peer wire message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Length 0.
    KeepAlive,
    /// id 0.
    Choke,
    /// id 1.
    Unchoke,
    /// id 2.
    Interested,
    /// id 3.
    NotInterested,
    /// id 4: the sender has this piece.
    Have(u32),
    /// id 5: one bit per piece, high bit first.
    Bitfield(Bytes),
    /// id 6.
    Request(BlockRef),
    /// id 7: a block of data.
    Piece {
        /// Piece index.
        index: u32,
        /// Byte offset within the piece.
        begin: u32,
        /// The data.
        block: Bytes,
    },
    /// id 8.
    Cancel(BlockRef),
    /// id 9: DHT port.
    Port(u16),
    /// id 13 (BEP 6).
    SuggestPiece(u32),
    /// id 14 (BEP 6).
    HaveAll,
    /// id 15 (BEP 6).
    HaveNone,
    /// id 16 (BEP 6).
    RejectRequest(BlockRef),
    /// id 17 (BEP 6).
    AllowedFast(u32),
    /// id 20 (BEP 10): extended message `id` (0 = extended handshake) and its payload.
    Extended {
        /// Extended message id as the receiver assigned it.
        id: u8,
        /// Bencoded dictionary, possibly followed by raw bytes.
        payload: Bytes,
    },
    /// Any other id: skipped by receivers, as bittorrent-protocol does.
    Unknown {
        /// The id.
        id: u8,
        /// Payload length.
        len: u32,
    },
}

/// The 13-byte header of a `piece` message carrying `block_len` bytes; the block follows it.
pub fn piece_header(index: u32, begin: u32, block_len: u32) -> [u8; 13] {
    let mut h = [0; 13];
    h[..4].copy_from_slice(&(9 + block_len).to_be_bytes());
    h[4] = 7;
    h[5..9].copy_from_slice(&index.to_be_bytes());
    h[9..].copy_from_slice(&begin.to_be_bytes());
    h
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("caller checked the length"))
}

fn block_ref(p: &[u8]) -> BlockRef {
    BlockRef {
        index: u32_at(p, 0),
        begin: u32_at(p, 4),
        length: u32_at(p, 8),
    }
}

impl Message {
    /// Decodes the message at the start of `buf`, refusing length prefixes above `max_len`.
    /// Returns the message and the number of bytes it used.
    pub fn decode(buf: &[u8], max_len: u32) -> Result<(Self, usize), WireError> {
        let Some(prefix) = buf.get(..4) else {
            return Err(WireError::Incomplete);
        };
        let len = u32_at(prefix, 0);
        if len > max_len {
            return Err(WireError::TooLong { len, max: max_len });
        }
        let total = 4 + len as usize;
        let Some(body) = buf.get(4..total) else {
            return Err(WireError::Incomplete);
        };
        let msg = match body.split_first() {
            None => Message::KeepAlive,
            Some((&id, payload)) => Self::decode_body(id, payload)?,
        };
        Ok((msg, total))
    }

    fn decode_body(id: u8, p: &[u8]) -> Result<Self, WireError> {
        let len = p.len() as u32 + 1;
        let want = |n: usize| {
            if p.len() == n {
                Ok(())
            } else {
                Err(WireError::BadLength { id, len })
            }
        };
        let msg = match id {
            0 => want(0).map(|_| Message::Choke)?,
            1 => want(0).map(|_| Message::Unchoke)?,
            2 => want(0).map(|_| Message::Interested)?,
            3 => want(0).map(|_| Message::NotInterested)?,
            4 => want(4).map(|_| Message::Have(u32_at(p, 0)))?,
            5 => Message::Bitfield(Bytes::copy_from_slice(p)),
            6 => want(12).map(|_| Message::Request(block_ref(p)))?,
            7 if p.len() >= 8 => Message::Piece {
                index: u32_at(p, 0),
                begin: u32_at(p, 4),
                block: Bytes::copy_from_slice(&p[8..]),
            },
            7 => return Err(WireError::BadLength { id, len }),
            8 => want(12).map(|_| Message::Cancel(block_ref(p)))?,
            9 => want(2).map(|_| Message::Port(u16::from_be_bytes([p[0], p[1]])))?,
            13 => want(4).map(|_| Message::SuggestPiece(u32_at(p, 0)))?,
            14 => want(0).map(|_| Message::HaveAll)?,
            15 => want(0).map(|_| Message::HaveNone)?,
            16 => want(12).map(|_| Message::RejectRequest(block_ref(p)))?,
            17 => want(4).map(|_| Message::AllowedFast(u32_at(p, 0)))?,
            20 if !p.is_empty() => Message::Extended {
                id: p[0],
                payload: Bytes::copy_from_slice(&p[1..]),
            },
            20 => return Err(WireError::BadLength { id, len }),
            _ => Message::Unknown { id, len },
        };
        Ok(msg)
    }

    /// Appends this message's bytes to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let simple = |out: &mut Vec<u8>, id: u8| out.extend_from_slice(&[0, 0, 0, 1, id]);
        let with_u32s = |out: &mut Vec<u8>, id: u8, nums: &[u32]| {
            out.extend_from_slice(&(1 + 4 * nums.len() as u32).to_be_bytes());
            out.push(id);
            nums.iter().for_each(|n| out.extend_from_slice(&n.to_be_bytes()));
        };
        match self {
            Message::KeepAlive => out.extend_from_slice(&[0; 4]),
            Message::Choke => simple(out, 0),
            Message::Unchoke => simple(out, 1),
            Message::Interested => simple(out, 2),
            Message::NotInterested => simple(out, 3),
            Message::Have(i) => with_u32s(out, 4, &[*i]),
            Message::Bitfield(bits) => with_payload(out, 5, &[], bits),
            Message::Request(b) => with_u32s(out, 6, &[b.index, b.begin, b.length]),
            Message::Piece { index, begin, block } => {
                out.extend_from_slice(&piece_header(*index, *begin, block.len() as u32));
                out.extend_from_slice(block);
            }
            Message::Cancel(b) => with_u32s(out, 8, &[b.index, b.begin, b.length]),
            Message::Port(port) => with_payload(out, 9, &[], &port.to_be_bytes()),
            Message::SuggestPiece(i) => with_u32s(out, 13, &[*i]),
            Message::HaveAll => simple(out, 14),
            Message::HaveNone => simple(out, 15),
            Message::RejectRequest(b) => with_u32s(out, 16, &[b.index, b.begin, b.length]),
            Message::AllowedFast(i) => with_u32s(out, 17, &[*i]),
            Message::Extended { id, payload } => with_payload(out, 20, &[*id], payload),
            Message::Unknown { id, len } => {
                let body = vec![0; len.saturating_sub(1) as usize];
                with_payload(out, *id, &[], &body);
            }
        }
    }

    /// This message's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }
}

fn with_payload(out: &mut Vec<u8>, id: u8, head: &[u8], payload: &[u8]) {
    let len = 1 + head.len() + payload.len();
    out.extend_from_slice(&(len as u32).to_be_bytes());
    out.push(id);
    out.extend_from_slice(head);
    out.extend_from_slice(payload);
}
