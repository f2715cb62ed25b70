//! Single-file torrents for segments: info dict, SHA-1 piece hashes, info hash, the bencoded
//! `.torrent` and a magnet URI, all from a segment's name and bytes.

use std::ops::Range;

use bytes::Bytes;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha1::{Digest, Sha1};

use crate::bencode::Value;

/// Smallest piece length: one 16 KiB request block.
pub const MIN_PIECE_LENGTH: u32 = 16 * 1024;
/// Largest piece length.
pub const MAX_PIECE_LENGTH: u32 = 16 * 1024 * 1024;
/// A segment is cut into at most this many pieces (unless it needs [`MAX_PIECE_LENGTH`]).
pub const TARGET_MAX_PIECES: u64 = 64;
/// Largest segment a torrent is made for (1 GiB).
pub const MAX_LENGTH: u64 = 1 << 30;

/// Characters kept as they are in magnet parameters (RFC 3986 unreserved).
const MAGNET_SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Why a torrent cannot be made for a segment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TorrentError {
    /// The segment has no bytes.
    #[error("segment is empty")]
    Empty,
    /// The segment is larger than [`MAX_LENGTH`].
    #[error("segment of {0} bytes exceeds the {MAX_LENGTH}-byte limit")]
    TooLarge(u64),
    /// The name is empty, contains `/`, `\` or NUL, or is `.` or `..`.
    #[error("invalid file name {0:?}")]
    InvalidName(String),
}

/// SHA-1 of the bencoded info dictionary: a torrent's identity. The one 20-byte id type: the
/// tracker, the wire and the live mesh use the same [`crate::tracker::Id20`].
pub use crate::tracker::Id20 as InfoHash;

/// A single-file torrent describing one segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Torrent {
    name: String,
    length: u64,
    piece_length: u32,
    piece_hashes: Vec<[u8; 20]>,
    info: Bytes,
    info_hash: InfoHash,
}

/// Piece length for a segment of `length` bytes: the smallest power of two of at least
/// [`MIN_PIECE_LENGTH`] that cuts it into at most [`TARGET_MAX_PIECES`] pieces.
pub fn piece_length_for(length: u64) -> u32 {
    let mut piece = MIN_PIECE_LENGTH;
    while length.div_ceil(u64::from(piece)) > TARGET_MAX_PIECES && piece < MAX_PIECE_LENGTH {
        piece *= 2;
    }
    piece
}

impl Torrent {
    /// Builds the torrent of a file called `name` holding `data`.
    pub fn build(name: &str, data: &[u8]) -> Result<Self, TorrentError> {
        validate_name(name)?;
        let length = data.len() as u64;
        if length == 0 {
            return Err(TorrentError::Empty);
        }
        if length > MAX_LENGTH {
            return Err(TorrentError::TooLarge(length));
        }
        let piece_length = piece_length_for(length);
        let piece_hashes: Vec<[u8; 20]> = data
            .chunks(piece_length as usize)
            .map(|c| Sha1::digest(c).into())
            .collect();
        let info = Value::dict([
            ("length", Value::Int(length as i64)),
            ("name", Value::bytes(name)),
            ("piece length", Value::Int(i64::from(piece_length))),
            ("pieces", Value::Bytes(piece_hashes.concat())),
        ])
        .encode();
        let info_hash = InfoHash(Sha1::digest(&info).into());
        let name = name.to_owned();
        let info = Bytes::from(info);
        Ok(Torrent {
            name,
            length,
            piece_length,
            piece_hashes,
            info,
            info_hash,
        })
    }

    /// The file name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Total length in bytes.
    pub fn length(&self) -> u64 {
        self.length
    }

    /// Bytes per piece (the last piece may be shorter).
    pub fn piece_length(&self) -> u32 {
        self.piece_length
    }

    /// Number of pieces.
    pub fn piece_count(&self) -> u32 {
        self.piece_hashes.len() as u32
    }

    /// SHA-1 of each piece.
    pub fn piece_hashes(&self) -> &[[u8; 20]] {
        &self.piece_hashes
    }

    /// The bencoded info dictionary (what ut_metadata serves).
    pub fn info_bytes(&self) -> &Bytes {
        &self.info
    }

    /// The info hash.
    pub fn info_hash(&self) -> InfoHash {
        self.info_hash
    }

    /// Byte range of piece `index` within the file, or `None` past the last piece.
    pub fn piece_range(&self, index: u32) -> Option<Range<usize>> {
        if index >= self.piece_count() {
            return None;
        }
        let start = u64::from(index) * u64::from(self.piece_length);
        let end = (start + u64::from(self.piece_length)).min(self.length);
        Some(start as usize..end as usize)
    }

    /// The bencoded `.torrent` file announcing to `trackers` (the first is `announce`).
    pub fn torrent_file(&self, trackers: &[String]) -> Vec<u8> {
        let info = crate::bencode::decode(&self.info).expect("info bytes are our own encoding");
        let mut entries = vec![("info", info)];
        if let Some(first) = trackers.first() {
            entries.push(("announce", Value::bytes(first)));
            let tiers = trackers.iter().map(|t| Value::List(vec![Value::bytes(t)])).collect();
            entries.push(("announce-list", Value::List(tiers)));
        }
        Value::dict(entries).encode()
    }

    /// `magnet:?xt=urn:btih:<hex>&dn=<name>&tr=<tracker>...`
    pub fn magnet(&self, trackers: &[String]) -> String {
        let mut uri = format!("magnet:?xt=urn:btih:{}", self.info_hash.to_hex());
        uri.push_str("&dn=");
        uri.extend(utf8_percent_encode(&self.name, MAGNET_SET));
        for tracker in trackers {
            uri.push_str("&tr=");
            uri.extend(utf8_percent_encode(tracker, MAGNET_SET));
        }
        uri
    }
}

fn validate_name(name: &str) -> Result<(), TorrentError> {
    let bad = name.is_empty() || name == "." || name == ".." || name.len() > 255 || name.contains(['/', '\\', '\0']);
    if bad {
        return Err(TorrentError::InvalidName(name.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
#[path = "torrent_tests.rs"]
mod tests;
