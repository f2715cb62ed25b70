//! Validated newtypes of signaling messages: segment names, info hashes, torrents and URLs.

use super::{SignalError, MAX_NAME_BYTES, MAX_TORRENT_BYTES, MAX_URL_BYTES};
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A plain file name as the box names segments: 1-128 bytes of `[A-Za-z0-9._-]`, not starting
/// with a dot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SegmentName(String);

impl SegmentName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SegmentName {
    type Error = SignalError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if s.is_empty() || s.len() > MAX_NAME_BYTES || s.starts_with('.') || !s.chars().all(ok_char) {
            return Err(SignalError::invalid("name", "not a plain segment file name"));
        }
        Ok(Self(s))
    }
}

impl From<SegmentName> for String {
    fn from(n: SegmentName) -> Self {
        n.0
    }
}

/// A BitTorrent v1 info hash as 40 lowercase hexadecimal characters (what WebTorrent prints).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InfoHashHex(String);

impl InfoHashHex {
    /// The 40 hex characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for InfoHashHex {
    type Error = SignalError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s.len() != 40 || !s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(SignalError::invalid("info_hash", "not 40 lowercase hex characters"));
        }
        Ok(Self(s))
    }
}

impl From<InfoHashHex> for String {
    fn from(h: InfoHashHex) -> Self {
        h.0
    }
}

/// A bencoded `.torrent` file, carried as standard base64 (with padding) in JSON; at most
/// [`MAX_TORRENT_BYTES`] once decoded, and a bencoded dictionary (`d` ... `e`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TorrentFile(Vec<u8>);

impl TorrentFile {
    /// Checks the bytes.
    pub fn new(bytes: Vec<u8>) -> Result<Self, SignalError> {
        if bytes.len() > MAX_TORRENT_BYTES {
            return Err(SignalError::invalid("torrent", "larger than the limit"));
        }
        if bytes.len() < 2 || bytes[0] != b'd' || bytes[bytes.len() - 1] != b'e' {
            return Err(SignalError::invalid("torrent", "not a bencoded dictionary"));
        }
        Ok(Self(bytes))
    }

    /// The bencoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl Serialize for TorrentFile {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for TorrentFile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text.len() > MAX_TORRENT_BYTES.div_ceil(3) * 4 {
            return Err(serde::de::Error::custom("torrent: larger than the limit"));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(|_| serde::de::Error::custom("torrent: not standard base64"))?;
        Self::new(bytes).map_err(serde::de::Error::custom)
    }
}

/// Checks a URL the box hands out: bounded, printable ASCII without spaces or quotes, and
/// starting with one of `schemes` (e.g. `http://`) or, when `relative` is allowed, with `/`.
pub fn check_url(field: &'static str, url: &str, schemes: &[&str], relative: bool) -> Result<(), SignalError> {
    let printable = url
        .bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'<' | b'>' | b'\\'));
    let scheme_ok = schemes
        .iter()
        .any(|s| url.get(..s.len()).is_some_and(|p| p.eq_ignore_ascii_case(s)) && url.len() > s.len());
    let relative_ok = relative && url.starts_with('/') && !url.starts_with("//");
    if url.len() > MAX_URL_BYTES || !printable || !(scheme_ok || relative_ok) {
        return Err(SignalError::invalid(field, "not an acceptable URL"));
    }
    Ok(())
}

/// Checks that `x` is finite and within `min..=max`.
pub fn check_range(field: &'static str, x: f64, min: f64, max: f64) -> Result<(), SignalError> {
    if !(x.is_finite() && x >= min && x <= max) {
        return Err(SignalError::invalid(field, "out of range"));
    }
    Ok(())
}

/// Checks an `EXT-X-PROGRAM-DATE-TIME` value: 10-64 printable ASCII characters starting with a
/// four-digit year (the box passes the producer's text through verbatim).
pub fn check_date_time(s: &str) -> Result<(), SignalError> {
    let year = s.len() >= 10 && s.as_bytes()[..4].iter().all(u8::is_ascii_digit) && s.as_bytes()[4] == b'-';
    if !year || s.len() > 64 || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(SignalError::invalid("program_date_time", "not an ISO 8601 date-time"));
    }
    Ok(())
}
