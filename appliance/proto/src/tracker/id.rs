//! 20-byte identifiers (info hash, peer id, offer id) as WebTorrent trackers put them in JSON.
//!
//! npm `bittorrent-tracker` sends binary ids as "binary strings": a JSON string of exactly 20
//! characters whose code points are the bytes 0-255 (`Buffer.toString('binary')`). On the wire
//! this is UTF-8 text, so a byte >= 0x80 takes two bytes and control bytes are `\u00xx` escapes.
use std::fmt;

use super::json;

/// A 20-byte identifier carried as a JSON binary string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id20(pub [u8; 20]);

/// Why a JSON value is not a 20-byte binary string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The value is not a JSON string.
    #[error("not a string")]
    NotString,
    /// A character is above U+00FF, so it is not a byte.
    #[error("character above U+00FF")]
    NotByte,
    /// The string does not have exactly 20 characters.
    #[error("length {0} instead of 20")]
    Length(usize),
}

impl Id20 {
    /// Decodes the characters of an already unescaped JSON string.
    pub fn from_binary_str(s: &str) -> Result<Self, IdError> {
        let mut out = [0u8; 20];
        let mut n = 0usize;
        for c in s.chars() {
            let b = u8::try_from(u32::from(c)).map_err(|_| IdError::NotByte)?;
            if n < 20 {
                out[n] = b;
            }
            n += 1;
        }
        if n != 20 {
            return Err(IdError::Length(n));
        }
        Ok(Self(out))
    }

    /// Decodes a raw JSON value (with quotes and escapes).
    pub fn from_json(raw: &str) -> Result<Self, IdError> {
        let s: std::borrow::Cow<'_, str> = serde_json::from_str(raw).map_err(|_| IdError::NotString)?;
        Self::from_binary_str(&s)
    }

    /// Appends this id as a quoted JSON binary string, escaped exactly as `JSON.stringify` does.
    pub fn write_json(&self, out: &mut String) {
        out.push('"');
        for &b in &self.0 {
            json::push_escaped_char(out, char::from(b));
        }
        out.push('"');
    }

    /// Lower-case hex, as bittorrent-tracker logs and keys ids.
    pub fn to_hex(&self) -> String {
        use std::fmt::Write;
        let mut s = String::with_capacity(40);
        for b in self.0 {
            let _ = write!(s, "{b:02x}");
        }
        s
    }

    /// Parses 40 hex digits.
    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 40 || !hex.is_ascii() {
            return None;
        }
        let mut out = [0u8; 20];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(out))
    }
}

impl fmt::Debug for Id20 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Display for Id20 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A torrent's info hash (one swarm).
pub type InfoHash = Id20;
/// A peer id, the peer's identity inside a swarm.
pub type PeerId = Id20;
/// The id a peer gives one of its WebRTC offers; answers are matched to offers by it.
pub type OfferId = Id20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips_through_json() {
        for start in (0u8..=255).step_by(20) {
            let mut id = [0u8; 20];
            for (i, b) in id.iter_mut().enumerate() {
                *b = start.wrapping_add(i as u8);
            }
            let mut s = String::new();
            Id20(id).write_json(&mut s);
            assert_eq!(Id20::from_json(&s), Ok(Id20(id)), "{s}");
            // serde_json agrees on the characters.
            let chars: String = serde_json::from_str(&s).unwrap();
            assert_eq!(chars.chars().count(), 20);
        }
    }

    #[test]
    fn rejects_wrong_ids() {
        assert_eq!(Id20::from_json("\"short\""), Err(IdError::Length(5)));
        assert_eq!(Id20::from_json("12"), Err(IdError::NotString));
        let wide = format!("\"{}\u{100}\"", "a".repeat(19));
        assert_eq!(Id20::from_json(&wide), Err(IdError::NotByte));
        assert_eq!(
            Id20::from_json(&format!("\"{}\"", "a".repeat(21))),
            Err(IdError::Length(21))
        );
    }

    #[test]
    fn hex_round_trip() {
        let id = Id20::from_hex("00011f225c7f80c3e9ff41424344454647484950").unwrap();
        assert_eq!(id.to_hex(), "00011f225c7f80c3e9ff41424344454647484950");
        assert!(Id20::from_hex("zz011f225c7f80c3e9ff41424344454647484950").is_none());
    }
}
