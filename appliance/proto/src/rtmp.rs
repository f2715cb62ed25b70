//! The RTMP publish gate: reads what an RTMP client (OBS) sends up to its `publish` command,
//! refuses a wrong stream key, and replaces the right key by a placeholder of the same length
//! so the RTMP server behind the gate (ffmpeg) never sees the key.
//!
//! Driving loop: for every read from the client call [`PublishGate::feed`] and relay the
//! returned `forward` bytes to the server; relay the server's bytes back unchanged. Once
//! [`Step::published`] is set, the gate is a pass-through. An error means: close both sides.
//! Invariants: a byte of a chunk is forwarded only once the message it belongs to (and every
//! other message in flight) was checked, and no checked byte is ever dropped again (an Abort
//! before `publish` is refused, never applied); every stream name in `releaseStream`, `FCPublish` and
//! `publish` is compared with the key in constant time and rewritten before it is forwarded;
//! at most [`MAX_BEFORE_PUBLISH`] bytes are buffered before `publish`.

pub mod amf0;
pub mod chunk;

use amf0::{AmfError, Decoder, Value};
use chunk::{ChunkError, ChunkReader, Message};

/// Bytes of the client handshake: C0 (version), C1 and C2 (1536 bytes each).
pub const HANDSHAKE_BYTES: usize = 1 + 1536 + 1536;
/// The plain RTMP version byte (6 would be RTMPE, which is refused).
pub const RTMP_VERSION: u8 = 3;
/// Largest command message accepted before `publish`.
pub const MAX_COMMAND_BYTES: usize = 8 << 10;
/// Most chunk bytes read before `publish`.
pub const MAX_BEFORE_PUBLISH: usize = 64 << 10;
/// The byte that replaces every byte of the stream key.
pub const PLACEHOLDER: u8 = b'x';

/// Why a client was refused. No variant carries the stream key or the name the client sent.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GateError {
    /// The first byte is not RTMP version 3.
    #[error("not plain RTMP (version byte {0})")]
    NotRtmp(u8),
    /// The chunk stream is malformed.
    #[error("bad chunk stream: {0}")]
    Chunk(#[from] ChunkError),
    /// A command is not valid AMF0.
    #[error("bad command: {0}")]
    Amf(#[from] AmfError),
    /// A command that names a stream named the wrong one.
    #[error("wrong stream key in {0}")]
    WrongKey(&'static str),
    /// A command without the stream name it needs.
    #[error("{0} without a stream name")]
    MissingStreamName(&'static str),
    /// A command other than the publishing sequence (e.g. `play`).
    #[error("unexpected command {0:?} before publish")]
    UnexpectedCommand(String),
    /// Media or data before `publish`.
    #[error("message type {0} before publish")]
    UnexpectedMessage(u8),
    /// A protocol control message with the wrong size.
    #[error("malformed control message type {0}")]
    BadControl(u8),
    /// An Abort message (type 2) before `publish`: it would drop bytes already parsed, which a
    /// server that ignores Abort (ffmpeg) reassembles into a message the gate never checked.
    /// OBS and ffmpeg never send it, so it is refused.
    #[error("abort message before publish")]
    Abort,
    /// More than [`MAX_BEFORE_PUBLISH`] bytes without `publish`.
    #[error("no publish within {MAX_BEFORE_PUBLISH} bytes")]
    TooMuchBeforePublish,
}

/// The client's accepted publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The `app` of `connect` (e.g. `live`), reduced to at most 64 printable ASCII characters.
    pub app: String,
}

/// What one [`PublishGate::feed`] produced.
#[derive(Debug, Default, PartialEq)]
pub struct Step {
    /// Bytes to relay to the server now.
    pub forward: Vec<u8>,
    /// Set once, when `publish` with the right key went through.
    pub published: Option<Published>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Handshake(usize),
    Chunks,
    Open,
}

/// The gate for one client connection.
#[derive(Debug)]
pub struct PublishGate {
    key: Vec<u8>,
    phase: Phase,
    reader: ChunkReader,
    buf: Vec<u8>,
    base: usize,
    parsed: usize,
    app: String,
}

/// The stream name the server behind the gate must expect for a key of `key_len` bytes.
pub fn placeholder_name(key_len: usize) -> String {
    String::from(PLACEHOLDER as char).repeat(key_len)
}

impl PublishGate {
    /// A gate that lets through only `key`.
    pub fn new(key: &str) -> Self {
        Self {
            key: key.as_bytes().to_vec(),
            phase: Phase::Handshake(0),
            reader: ChunkReader::new(MAX_COMMAND_BYTES),
            buf: Vec::new(),
            base: 0,
            parsed: 0,
            app: String::new(),
        }
    }

    /// Takes bytes from the client; returns what may be relayed and whether publishing began.
    pub fn feed(&mut self, mut data: &[u8]) -> Result<Step, GateError> {
        let mut step = Step::default();
        if let Phase::Handshake(seen) = self.phase {
            if seen == 0 && !data.is_empty() && data[0] != RTMP_VERSION {
                return Err(GateError::NotRtmp(data[0]));
            }
            let n = data.len().min(HANDSHAKE_BYTES - seen);
            step.forward.extend_from_slice(&data[..n]);
            data = &data[n..];
            self.phase = if seen + n == HANDSHAKE_BYTES {
                Phase::Chunks
            } else {
                Phase::Handshake(seen + n)
            };
        }
        match self.phase {
            Phase::Handshake(_) => {}
            Phase::Open => step.forward.extend_from_slice(data),
            Phase::Chunks => {
                self.buf.extend_from_slice(data);
                step.published = self.parse()?;
                let upto = if step.published.is_some() {
                    self.phase = Phase::Open;
                    self.buf.len()
                } else {
                    self.forwardable()
                };
                step.forward.extend(self.buf.drain(..upto));
                self.base += upto;
                self.parsed = self.parsed.saturating_sub(upto);
            }
        }
        Ok(step)
    }

    /// True when every byte fed so far was forwarded or refused: nothing is held back.
    pub fn is_between_messages(&self) -> bool {
        self.buf.is_empty() && self.reader.is_idle()
    }

    /// How many buffered bytes belong to checked messages only.
    fn forwardable(&self) -> usize {
        if self.reader.is_idle() {
            self.parsed
        } else {
            0
        }
    }

    fn parse(&mut self) -> Result<Option<Published>, GateError> {
        loop {
            if self.base + self.parsed > MAX_BEFORE_PUBLISH {
                return Err(GateError::TooMuchBeforePublish);
            }
            let abs = self.base + self.parsed;
            let Some((used, message)) = self.reader.read_chunk(&self.buf[self.parsed..], abs)? else {
                return Ok(None);
            };
            self.parsed += used;
            if let Some(m) = message {
                if self.handle(&m)? {
                    return Ok(Some(Published { app: self.app.clone() }));
                }
            }
        }
    }

    /// Checks one message; true when it is the accepted `publish`.
    fn handle(&mut self, m: &Message) -> Result<bool, GateError> {
        let be32 = |p: &[u8]| -> Result<u32, GateError> {
            let b: [u8; 4] = p.try_into().map_err(|_| GateError::BadControl(m.type_id))?;
            Ok(u32::from_be_bytes(b))
        };
        match m.type_id {
            1 => self.reader.set_chunk_size(be32(&m.payload)? & 0x7FFF_FFFF)?,
            2 => return Err(GateError::Abort),
            3..=6 => {}
            20 => return self.command(m, 0),
            17 if m.payload.first() == Some(&0) => return self.command(m, 1),
            other => return Err(GateError::UnexpectedMessage(other)),
        }
        Ok(false)
    }

    fn command(&mut self, m: &Message, skip: usize) -> Result<bool, GateError> {
        let body = &m.payload[skip..];
        let mut d = Decoder::new(body);
        let name = d.value()?.as_str().ok_or(AmfError::UnsupportedType(0))?;
        let named: &'static str = match name {
            "connect" => {
                let _txn = d.value()?;
                self.app = d
                    .value()?
                    .get("app")
                    .and_then(Value::as_str)
                    .map(printable)
                    .unwrap_or_default();
                return Ok(false);
            }
            "createStream" | "_checkbw" | "deleteStream" => return Ok(false),
            "releaseStream" => "releaseStream",
            "FCPublish" => "FCPublish",
            "FCUnpublish" => "FCUnpublish",
            "publish" => "publish",
            other => return Err(GateError::UnexpectedCommand(printable(other))),
        };
        let _txn = d.value()?;
        let _object = d.value()?;
        let (stream, at) = match d.value() {
            Ok(Value::String(s, at)) => (s, at),
            _ => return Err(GateError::MissingStreamName(named)),
        };
        if !same_secret(stream.as_bytes(), &self.key) {
            return Err(GateError::WrongKey(named));
        }
        self.rewrite(&m.spans, skip + at, stream.len());
        Ok(named == "publish")
    }

    /// Overwrites payload bytes `at..at+len` of a message in the raw buffer.
    fn rewrite(&mut self, spans: &[(usize, usize)], at: usize, len: usize) {
        let mut payload_start = 0;
        for &(abs, n) in spans {
            let (lo, hi) = (at.max(payload_start), (at + len).min(payload_start + n));
            for i in lo..hi {
                self.buf[abs - self.base + (i - payload_start)] = PLACEHOLDER;
            }
            payload_start += n;
        }
    }
}

/// Compares without an early exit, so timing does not reveal how much of a guess was right.
fn same_secret(given: &[u8], key: &[u8]) -> bool {
    let diff = given.iter().zip(key).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    given.len() == key.len() && diff == 0
}

/// A client-chosen string made safe for logs: printable ASCII, at most 64 characters.
fn printable(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_graphic()).take(64).collect()
}

#[cfg(test)]
mod tests;
