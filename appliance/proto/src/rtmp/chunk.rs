//! The RTMP chunk stream (client to server direction): basic and message headers, extended
//! timestamps, per-chunk-stream header compression and message reassembly.
//!
//! Driving contract: call [`ChunkReader::read_chunk`] on the unconsumed bytes; it returns
//! `Ok(None)` until a whole chunk is there, never changing state for a partial chunk. Apply
//! Set Chunk Size and Abort messages with [`ChunkReader::set_chunk_size`] / [`ChunkReader::abort`].
//! Invariants: at most [`MAX_CHUNK_STREAMS`] chunk streams and messages of at most the reader's
//! `max_message` bytes; each completed message lists the absolute byte spans its payload came
//! from, so a caller can patch the raw bytes in place.

/// Chunk size before the peer sends Set Chunk Size.
pub const DEFAULT_CHUNK_SIZE: usize = 128;
/// Largest chunk size accepted (what ffmpeg accepts).
pub const MAX_CHUNK_SIZE: usize = 0x00FF_FFFF;
/// Most chunk streams tracked at once.
pub const MAX_CHUNK_STREAMS: usize = 16;

/// Why the chunk stream was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    /// A type 1/2/3 chunk on a chunk stream that has no previous header.
    #[error("chunk stream {0} continues a header it never sent")]
    NoPreviousHeader(u32),
    /// A new message header while a message on the same chunk stream is unfinished.
    #[error("chunk stream {0} starts a message before finishing the last")]
    Interleaved(u32),
    /// A message longer than allowed.
    #[error("message of {0} bytes is larger than allowed")]
    MessageTooLarge(usize),
    /// Too many chunk streams.
    #[error("more than {MAX_CHUNK_STREAMS} chunk streams")]
    TooManyStreams,
    /// Set Chunk Size with 0 or more than [`MAX_CHUNK_SIZE`].
    #[error("invalid chunk size {0}")]
    BadChunkSize(u32),
}

/// A reassembled message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Message type id (1 Set Chunk Size, 20 AMF0 command, 8 audio, 9 video, ...).
    pub type_id: u8,
    /// Message stream id.
    pub stream_id: u32,
    /// The payload.
    pub payload: Vec<u8>,
    /// Absolute (offset, length) of each piece of the payload in the raw byte stream.
    pub spans: Vec<(usize, usize)>,
}

#[derive(Debug, Clone, Copy)]
struct Header {
    length: usize,
    type_id: u8,
    stream_id: u32,
    extended: bool,
}

#[derive(Debug)]
struct ChunkStream {
    csid: u32,
    header: Option<Header>,
    partial: Option<Partial>,
}

/// An unfinished message: payload so far and where each piece came from.
type Partial = (Vec<u8>, Vec<(usize, usize)>);

/// Reads chunks and reassembles messages.
#[derive(Debug)]
pub struct ChunkReader {
    chunk_size: usize,
    max_message: usize,
    streams: Vec<ChunkStream>,
}

impl ChunkReader {
    /// A reader at the default chunk size accepting messages up to `max_message` bytes.
    pub fn new(max_message: usize) -> Self {
        Self {
            chunk_size: DEFAULT_CHUNK_SIZE,
            max_message,
            streams: Vec::new(),
        }
    }

    /// Applies a Set Chunk Size message's value.
    pub fn set_chunk_size(&mut self, size: u32) -> Result<(), ChunkError> {
        let valid = (1..=MAX_CHUNK_SIZE).contains(&(size as usize));
        if !valid {
            return Err(ChunkError::BadChunkSize(size));
        }
        self.chunk_size = size as usize;
        Ok(())
    }

    /// Drops the unfinished message of chunk stream `csid` (Abort message).
    pub fn abort(&mut self, csid: u32) {
        if let Some(s) = self.streams.iter_mut().find(|s| s.csid == csid) {
            s.partial = None;
        }
    }

    /// True when no chunk stream is in the middle of a message.
    pub fn is_idle(&self) -> bool {
        self.streams.iter().all(|s| s.partial.is_none())
    }

    /// Reads one chunk from `buf`, whose first byte is at absolute offset `abs`. Returns the
    /// bytes consumed and the message it completed, or `None` when `buf` holds less than a chunk.
    pub fn read_chunk(&mut self, buf: &[u8], abs: usize) -> Result<Option<(usize, Option<Message>)>, ChunkError> {
        let Some((fmt, csid, mut pos)) = basic_header(buf) else {
            return Ok(None);
        };
        let prev = self.streams.iter().find(|s| s.csid == csid);
        let continuing = prev.is_some_and(|s| s.partial.is_some());
        if fmt < 3 && continuing {
            return Err(ChunkError::Interleaved(csid));
        }
        let prev_header = prev.and_then(|s| s.header);
        let header = match message_header(fmt, &buf[pos..], prev_header) {
            Err(e) => return Err(e.unwrap_or(ChunkError::NoPreviousHeader(csid))),
            Ok(None) => return Ok(None),
            Ok(Some((h, used))) => {
                pos += used;
                h
            }
        };
        if header.length > self.max_message {
            return Err(ChunkError::MessageTooLarge(header.length));
        }
        let have = prev.and_then(|s| s.partial.as_ref()).map_or(0, |(p, _)| p.len());
        let take = (header.length - have).min(self.chunk_size);
        let Some(piece) = buf.get(pos..pos + take) else {
            return Ok(None);
        };
        let stream = self.stream_mut(csid)?;
        stream.header = Some(header);
        let (payload, spans) = stream.partial.get_or_insert_with(Default::default);
        payload.extend_from_slice(piece);
        spans.push((abs + pos, take));
        let done = payload.len() == header.length;
        let message = done.then(|| {
            let (payload, spans) = stream.partial.take().expect("just filled");
            Message {
                type_id: header.type_id,
                stream_id: header.stream_id,
                payload,
                spans,
            }
        });
        Ok(Some((pos + take, message)))
    }

    fn stream_mut(&mut self, csid: u32) -> Result<&mut ChunkStream, ChunkError> {
        let i = match self.streams.iter().position(|s| s.csid == csid) {
            Some(i) => i,
            None if self.streams.len() >= MAX_CHUNK_STREAMS => return Err(ChunkError::TooManyStreams),
            None => {
                self.streams.push(ChunkStream {
                    csid,
                    header: None,
                    partial: None,
                });
                self.streams.len() - 1
            }
        };
        Ok(&mut self.streams[i])
    }
}

/// (fmt, chunk stream id, bytes used), or `None` if incomplete.
fn basic_header(buf: &[u8]) -> Option<(u8, u32, usize)> {
    let b0 = *buf.first()?;
    let (fmt, low) = (b0 >> 6, u32::from(b0 & 0x3f));
    match low {
        0 => Some((fmt, 64 + u32::from(*buf.get(1)?), 2)),
        1 => Some((fmt, 64 + u32::from(*buf.get(1)?) + 256 * u32::from(*buf.get(2)?), 3)),
        csid => Some((fmt, csid, 1)),
    }
}

/// The message header of a chunk of type `fmt` and the bytes it used. `Err(None)` means a
/// compressed header without a previous one; `Ok(None)` means more bytes are needed.
fn message_header(fmt: u8, buf: &[u8], prev: Option<Header>) -> Result<Option<(Header, usize)>, Option<ChunkError>> {
    let len = [11, 7, 3, 0][usize::from(fmt)];
    let Some(h) = buf.get(..len) else {
        return Ok(None);
    };
    let u24 = |b: &[u8]| u32::from_be_bytes([0, b[0], b[1], b[2]]);
    let mut header = match (fmt, prev) {
        (0, _) => Header {
            length: u24(&h[3..6]) as usize,
            type_id: h[6],
            stream_id: u32::from_le_bytes([h[7], h[8], h[9], h[10]]),
            extended: false,
        },
        (_, None) => return Err(None),
        (1, Some(p)) => Header {
            length: u24(&h[3..6]) as usize,
            type_id: h[6],
            ..p
        },
        (_, Some(p)) => p,
    };
    if fmt < 3 {
        header.extended = u24(&h[0..3]) == 0x00FF_FFFF;
    }
    let ext = if header.extended { 4 } else { 0 };
    if buf.len() < len + ext {
        return Ok(None);
    }
    Ok(Some((header, len + ext)))
}
