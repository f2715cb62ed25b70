//! Signaling messages of the `/signal` WebSocket (docs/SIGNALING.md): versioned JSON the box
//! sends to viewers (hello, segment, discontinuity, removed, end, error) and the stats viewers
//! send back; typed, validated in both directions and size-limited. Pure: no IO, no clock.
//!
//! Every message is one JSON object in one text frame with `"v": 1` and a `"type"`. Decoding
//! checks, in order: size, JSON, object, version, shape (unknown fields rejected), values.

mod stats;
mod types;

pub use self::stats::{ClientId, Isolation, Paths, ReportError, StatsAggregator, StatsLimits, StatsSummary};
pub use self::types::{InfoHashHex, SegmentName, TorrentFile};

use self::types::check_range;
pub use self::types::{check_date_time, check_url};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// The protocol version in every message.
pub const VERSION: u64 = 1;
/// Largest message a viewer may send (one stats report is about 200 bytes).
pub const MAX_CLIENT_MESSAGE_BYTES: usize = 4096;
/// Largest message the box sends (a hello with a full window of torrents).
pub const MAX_SERVER_MESSAGE_BYTES: usize = 8 << 20;
/// Largest torrent file carried, bytes before base64.
pub const MAX_TORRENT_BYTES: usize = 64 << 10;
/// Most segments in a hello (the window's hard cap).
pub const MAX_HELLO_SEGMENTS: usize = 256;
/// Longest URL.
pub const MAX_URL_BYTES: usize = 2048;
/// Longest segment file name.
pub const MAX_NAME_BYTES: usize = 128;
/// Longest error text.
pub const MAX_ERROR_TEXT: usize = 256;

/// Why a message was rejected (or could not be sent).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SignalError {
    /// Larger than the limit for its direction.
    #[error("message of {len} bytes exceeds the {max}-byte limit")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not JSON, not an object, or the wrong shape (unknown type or field, wrong value type).
    #[error("malformed message: {0}")]
    Malformed(String),
    /// `v` is missing or not [`VERSION`].
    #[error("unsupported protocol version (this box speaks v{VERSION})")]
    UnsupportedVersion,
    /// A value is out of its allowed range or form.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
}

impl SignalError {
    pub(crate) fn invalid(field: &'static str, reason: &'static str) -> Self {
        Self::Invalid { field, reason }
    }

    /// The stable code sent to the viewer in an [`ServerMessage::Error`].
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooLarge { .. } => ErrorCode::TooLarge,
            Self::UnsupportedVersion => ErrorCode::UnsupportedVersion,
            Self::Malformed(_) | Self::Invalid { .. } => ErrorCode::BadMessage,
        }
    }
}

/// Stable error codes of [`ServerMessage::Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The message did not parse or validate.
    BadMessage,
    /// `v` is not [`VERSION`].
    UnsupportedVersion,
    /// The message exceeds [`MAX_CLIENT_MESSAGE_BYTES`].
    TooLarge,
    /// Stats arrive faster than allowed; the socket closes if it goes on.
    RateLimited,
    /// The box has as many signaling clients as it accepts; the socket closes.
    ServerFull,
}

/// Container of the stream's segments: the one container type (window, signaling, demo config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Container {
    /// MPEG-TS (`.ts`).
    Ts,
    /// Fragmented MP4 (`.m4s` with an init segment).
    Fmp4,
}

impl Container {
    /// File extension the box uses for this container.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Ts => "ts",
            Self::Fmp4 => "m4s",
        }
    }

    /// Guesses the container from a producer's URI, defaulting to MPEG-TS.
    pub fn from_uri(uri: &str) -> Self {
        let path = uri.split(['?', '#']).next().unwrap_or(uri);
        if [".m4s", ".mp4", ".cmfv", ".m4v"].iter().any(|e| path.ends_with(e)) {
            Self::Fmp4
        } else {
            Self::Ts
        }
    }
}

/// Ingest state as the hello reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StreamState {
    /// No segment yet or none for a while.
    Waiting,
    /// Segments arrive.
    Live,
    /// The producer ended the stream.
    Ended,
}

/// What the viewer needs to know about the stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamInfo {
    /// Ingest state at connection time.
    pub state: StreamState,
    /// Container of the newest segment, if any.
    pub container: Option<Container>,
    /// The live playlist on the box (path, relative to the page's origin).
    pub playlist_url: String,
    /// The live playlist on R2, when an uplink is configured.
    pub r2_playlist_url: Option<String>,
}

/// The fMP4 initialisation segment a media segment needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitInfo {
    /// Its file name, e.g. `init-3.mp4`.
    pub name: SegmentName,
    /// Its URL on the box (path).
    pub url: String,
    /// Its URL on R2, when configured.
    pub r2_url: Option<String>,
}

/// One segment of the window, as announced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentInfo {
    /// The box's sequence number (strictly increasing).
    pub seq: u64,
    /// File name, e.g. `seg-00000042.ts`.
    pub name: SegmentName,
    /// Duration, seconds (0 < d <= 3600).
    pub duration: f64,
    /// Size, bytes.
    pub bytes: u64,
    /// A discontinuity precedes this segment.
    pub discontinuity: bool,
    /// `EXT-X-PROGRAM-DATE-TIME` from the producer, verbatim.
    pub program_date_time: Option<String>,
    /// URL on the box (path `/hls/<name>`, relative to the page's origin).
    pub url: String,
    /// URL on R2 (absolute), when an uplink public base URL is configured.
    pub r2_url: Option<String>,
    /// Info hash of the segment's torrent, once the box makes torrents.
    pub info_hash: Option<InfoHashHex>,
    /// The whole bencoded torrent (base64), so no metadata round trip is needed.
    pub torrent: Option<TorrentFile>,
    /// The fMP4 init segment.
    pub init: Option<InitInfo>,
}

/// The first message on every connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hello {
    /// The stream.
    pub stream: StreamInfo,
    /// The box's WebTorrent tracker, `ws://<host>/announce` (or `wss://`).
    pub tracker_url: String,
    /// Send a stats report about this often, seconds.
    pub stats_interval_secs: u32,
    /// The window, oldest first.
    pub segments: Vec<SegmentInfo>,
    /// The stream swarm of the live mesh (docs/LIVE-MESH.md); absent: play over HTTP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swarm: Option<SwarmInfo>,
}

/// The live mesh's stream swarm as the hello names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwarmInfo {
    /// Info hash viewers announce to the box's tracker.
    pub info_hash: InfoHashHex,
    /// Neighbours a viewer keeps (1-16).
    pub neighbours: u32,
}

/// Most neighbours a hello may ask a viewer to keep.
pub const MAX_NEIGHBOURS: u32 = 16;

/// Messages from the box to a viewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Sent once, first.
    Hello(Hello),
    /// A new segment entered the window.
    Segment(SegmentInfo),
    /// The next segment starts a discontinuity (producer restart, new init segment).
    Discontinuity(Discontinuity),
    /// A segment left the window: stop seeding it, drop its torrent.
    Removed(Removed),
    /// The producer ended the stream.
    End(End),
    /// The viewer's last message was rejected.
    Error(ErrorInfo),
}

/// Body of [`ServerMessage::Discontinuity`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discontinuity {
    /// Sequence of the first segment after the discontinuity.
    pub seq: u64,
}

/// Body of [`ServerMessage::Removed`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Removed {
    /// Its sequence.
    pub seq: u64,
    /// Its name.
    pub name: SegmentName,
}

/// Body of [`ServerMessage::End`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct End {
    /// Sequence of the last segment, if any.
    pub last_seq: Option<u64>,
}

/// Body of [`ServerMessage::Error`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorInfo {
    /// Stable code.
    pub code: ErrorCode,
    /// Human-readable detail (at most [`MAX_ERROR_TEXT`] bytes).
    pub message: String,
}

/// A viewer's periodic report; byte and stall counters are cumulative since it connected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewerStats {
    /// Bytes received from other viewers (WebRTC).
    pub bytes_p2p: u64,
    /// Bytes fetched from the box over HTTP.
    pub bytes_http: u64,
    /// Bytes fetched from R2.
    pub bytes_r2: u64,
    /// Peers connected now.
    pub peers: u32,
    /// Seconds of media buffered ahead.
    pub buffer_secs: f64,
    /// Seconds behind the live edge, if known.
    pub latency_secs: Option<f64>,
    /// Playback stalls so far.
    pub stalls: u32,
    /// Bytes received from the box's WebRTC seeder (box egress, not P2P). Absent: 0; viewers
    /// that do not send it counted those bytes in `bytes_http` or `bytes_p2p`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub bytes_seeder: u64,
    /// How the viewer gets the stream, if it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<DeliveryPath>,
    /// Its peer connections to other viewers and to the box, if it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<LinkCounts>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// How a viewer gets the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryPath {
    /// hls.js with the live mesh: can get bytes from other viewers.
    P2p,
    /// hls.js over HTTP only (from the box or R2).
    Http,
    /// The browser's own HLS player (HTTP only).
    Native,
}

/// A viewer's peer connections: `*_tried` and `*_opened` are cumulative since it connected,
/// `viewers_open` is the number of links to other viewers open now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkCounts {
    /// Connections to other viewers started.
    pub viewers_tried: u64,
    /// Of those, links that opened.
    pub viewers_opened: u64,
    /// Links to other viewers open now.
    pub viewers_open: u32,
    /// Connections to the box's seeder started.
    pub box_tried: u64,
    /// Of those, links that opened.
    pub box_opened: u64,
}

/// Messages from a viewer to the box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// A stats report.
    Stats(ViewerStats),
}

/// Largest byte counter accepted (2^53, what a JavaScript number holds exactly).
pub const MAX_COUNTER: u64 = 1 << 53;
/// Most peers a viewer may report.
pub const MAX_PEERS: u32 = 10_000;
/// Largest buffer or latency, seconds.
pub const MAX_SECONDS: f64 = 3600.0;

impl ViewerStats {
    /// Checks every value.
    pub fn validate(&self) -> Result<(), SignalError> {
        for (field, n) in [
            ("bytes_p2p", self.bytes_p2p),
            ("bytes_http", self.bytes_http),
            ("bytes_r2", self.bytes_r2),
            ("bytes_seeder", self.bytes_seeder),
        ] {
            if n > MAX_COUNTER {
                return Err(SignalError::invalid(field, "out of range"));
            }
        }
        if self.peers > MAX_PEERS {
            return Err(SignalError::invalid("peers", "out of range"));
        }
        check_range("buffer_secs", self.buffer_secs, 0.0, MAX_SECONDS)?;
        if let Some(l) = self.latency_secs {
            check_range("latency_secs", l, 0.0, MAX_SECONDS)?;
        }
        if let Some(l) = self.links {
            let counts = [l.viewers_tried, l.viewers_opened, l.box_tried, l.box_opened];
            if counts.iter().any(|n| *n > MAX_COUNTER) || l.viewers_open > MAX_PEERS {
                return Err(SignalError::invalid("links", "out of range"));
            }
        }
        Ok(())
    }
}

impl SegmentInfo {
    /// Checks every value.
    pub fn validate(&self) -> Result<(), SignalError> {
        check_range("duration", self.duration, f64::MIN_POSITIVE, 3600.0)?;
        check_url("url", &self.url, &[], true)?;
        if let Some(u) = &self.r2_url {
            check_url("r2_url", u, &["https://", "http://"], false)?;
        }
        if let Some(p) = &self.program_date_time {
            check_date_time(p)?;
        }
        if self.info_hash.is_some() != self.torrent.is_some() {
            return Err(SignalError::invalid("torrent", "info_hash and torrent come together"));
        }
        if let Some(init) = &self.init {
            check_url("init.url", &init.url, &[], true)?;
            if let Some(u) = &init.r2_url {
                check_url("init.r2_url", u, &["https://", "http://"], false)?;
            }
        }
        Ok(())
    }
}

impl ServerMessage {
    /// Checks every value (the box checks before sending, viewers and tests after receiving).
    pub fn validate(&self) -> Result<(), SignalError> {
        match self {
            Self::Hello(h) => {
                check_url("tracker_url", &h.tracker_url, &["ws://", "wss://"], false)?;
                check_url("stream.playlist_url", &h.stream.playlist_url, &[], true)?;
                if let Some(u) = &h.stream.r2_playlist_url {
                    check_url("stream.r2_playlist_url", u, &["https://", "http://"], false)?;
                }
                if h.segments.len() > MAX_HELLO_SEGMENTS {
                    return Err(SignalError::invalid("segments", "too many"));
                }
                if h.segments.windows(2).any(|w| w[0].seq >= w[1].seq) {
                    return Err(SignalError::invalid("segments", "sequence numbers must increase"));
                }
                if h.swarm
                    .as_ref()
                    .is_some_and(|s| !(1..=MAX_NEIGHBOURS).contains(&s.neighbours))
                {
                    return Err(SignalError::invalid("swarm.neighbours", "out of range"));
                }
                h.segments.iter().try_for_each(SegmentInfo::validate)
            }
            Self::Segment(s) => s.validate(),
            Self::Error(e) if e.message.len() > MAX_ERROR_TEXT => Err(SignalError::invalid("message", "too long")),
            Self::Discontinuity(_) | Self::Removed(_) | Self::End(_) | Self::Error(_) => Ok(()),
        }
    }

    /// Validates and encodes to the JSON text of one frame.
    pub fn encode(&self) -> Result<String, SignalError> {
        self.validate()?;
        encode_versioned(self, MAX_SERVER_MESSAGE_BYTES)
    }

    /// Decodes and validates one frame (what a viewer does).
    pub fn decode(frame: &[u8]) -> Result<Self, SignalError> {
        let msg: Self = decode_versioned(frame, MAX_SERVER_MESSAGE_BYTES)?;
        msg.validate()?;
        Ok(msg)
    }
}

impl ClientMessage {
    /// Checks every value.
    pub fn validate(&self) -> Result<(), SignalError> {
        match self {
            Self::Stats(s) => s.validate(),
        }
    }

    /// Validates and encodes (what a viewer does).
    pub fn encode(&self) -> Result<String, SignalError> {
        self.validate()?;
        encode_versioned(self, MAX_CLIENT_MESSAGE_BYTES)
    }

    /// Decodes and validates one frame from a viewer.
    pub fn decode(frame: &[u8]) -> Result<Self, SignalError> {
        let msg: Self = decode_versioned(frame, MAX_CLIENT_MESSAGE_BYTES)?;
        msg.validate()?;
        Ok(msg)
    }
}

fn encode_versioned<T: Serialize>(msg: &T, max: usize) -> Result<String, SignalError> {
    let mut value = serde_json::to_value(msg).map_err(|e| SignalError::Malformed(e.to_string()))?;
    let obj = value.as_object_mut().expect("messages serialise to JSON objects");
    obj.insert("v".to_owned(), VERSION.into());
    let text = value.to_string();
    if text.len() > max {
        return Err(SignalError::TooLarge { len: text.len(), max });
    }
    Ok(text)
}

fn decode_versioned<T: DeserializeOwned>(frame: &[u8], max: usize) -> Result<T, SignalError> {
    if frame.len() > max {
        return Err(SignalError::TooLarge { len: frame.len(), max });
    }
    let mut value: serde_json::Value =
        serde_json::from_slice(frame).map_err(|e| SignalError::Malformed(e.to_string()))?;
    let obj = value
        .as_object_mut()
        .ok_or_else(|| SignalError::Malformed("not a JSON object".into()))?;
    if obj.remove("v").and_then(|v| v.as_u64()) != Some(VERSION) {
        return Err(SignalError::UnsupportedVersion);
    }
    serde_json::from_value(value).map_err(|e| SignalError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests;
