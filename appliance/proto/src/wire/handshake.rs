//! The 68-byte handshake: `\x13BitTorrent protocol`, reserved bits, info hash, peer id.

use super::WireError;
use crate::torrent::InfoHash;

/// Length of a handshake on the wire.
pub const HANDSHAKE_LEN: usize = 68;
/// Reserved byte 5 bit: BEP 10 extension protocol.
pub const RESERVED_EXTENDED: (usize, u8) = (5, 0x10);
/// Reserved byte 7 bit: BEP 6 fast extension.
pub const RESERVED_FAST: (usize, u8) = (7, 0x04);

const PROTOCOL: &[u8; 20] = b"\x13BitTorrent protocol";

/// A peer's handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handshake {
    /// Reserved extension bits.
    pub reserved: [u8; 8],
    /// The torrent this connection is for.
    pub info_hash: InfoHash,
    /// The sender's peer id.
    pub peer_id: [u8; 20],
}

impl Handshake {
    /// A handshake with only the extension-protocol bit set.
    pub fn new(info_hash: InfoHash, peer_id: [u8; 20]) -> Self {
        let mut reserved = [0; 8];
        reserved[RESERVED_EXTENDED.0] |= RESERVED_EXTENDED.1;
        Handshake {
            reserved,
            info_hash,
            peer_id,
        }
    }

    /// Whether the sender speaks BEP 10.
    pub fn extended(&self) -> bool {
        self.reserved[RESERVED_EXTENDED.0] & RESERVED_EXTENDED.1 != 0
    }

    /// Whether the sender speaks BEP 6.
    pub fn fast(&self) -> bool {
        self.reserved[RESERVED_FAST.0] & RESERVED_FAST.1 != 0
    }

    /// The 68 bytes of this handshake.
    pub fn encode(&self) -> [u8; HANDSHAKE_LEN] {
        let mut out = [0; HANDSHAKE_LEN];
        out[..20].copy_from_slice(PROTOCOL);
        out[20..28].copy_from_slice(&self.reserved);
        out[28..48].copy_from_slice(&self.info_hash.0);
        out[48..].copy_from_slice(&self.peer_id);
        out
    }

    /// Decodes a handshake from the start of `buf`; garbage is rejected as soon as it shows.
    pub fn decode(buf: &[u8]) -> Result<(Self, usize), WireError> {
        let seen = buf.len().min(PROTOCOL.len());
        if buf[..seen] != PROTOCOL[..seen] {
            return Err(WireError::BadProtocol);
        }
        if buf.len() < HANDSHAKE_LEN {
            return Err(WireError::Incomplete);
        }
        let hs = Handshake {
            reserved: buf[20..28].try_into().expect("8-byte field"),
            info_hash: InfoHash(buf[28..48].try_into().expect("20-byte field")),
            peer_id: buf[48..68].try_into().expect("20-byte field"),
        };
        Ok((hs, HANDSHAKE_LEN))
    }
}
