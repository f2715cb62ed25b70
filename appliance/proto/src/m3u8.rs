//! HLS media playlists (RFC 8216): a bounded, strict parser for what ffmpeg and Owncast write,
//! and a renderer for the box's own live playlist.
//!
//! The parser accepts MPEG-TS and fMP4 (`EXT-X-MAP`) playlists, `EXT-X-DISCONTINUITY`,
//! `EXT-X-PROGRAM-DATE-TIME`, `EXT-X-BYTERANGE`-free segments and `EXT-X-ENDLIST`. Unknown tags are
//! ignored as the RFC requires; anything that would make a segment ambiguous is an error. Input is
//! bounded by [`MAX_PLAYLIST_BYTES`], [`MAX_SEGMENTS`] and [`MAX_LINE_BYTES`].

use std::fmt::Write as _;

/// Largest playlist the parser reads; a producer's live playlist is a few KiB.
pub const MAX_PLAYLIST_BYTES: usize = 1 << 20;
/// Most segments one playlist may list.
pub const MAX_SEGMENTS: usize = 10_000;
/// Longest line (URI or tag) accepted.
pub const MAX_LINE_BYTES: usize = 4096;
/// Longest segment duration accepted, in seconds.
pub const MAX_SEGMENT_SECS: f64 = 3600.0;

/// Why a playlist was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlaylistError {
    /// The playlist is larger than [`MAX_PLAYLIST_BYTES`].
    #[error("playlist is {0} bytes, more than the {MAX_PLAYLIST_BYTES} allowed")]
    TooLarge(usize),
    /// The bytes are not UTF-8.
    #[error("playlist is not valid UTF-8")]
    NotUtf8,
    /// The first line is not `#EXTM3U`.
    #[error("playlist does not start with #EXTM3U")]
    MissingHeader,
    /// A master (multivariant) playlist was given where a media playlist was expected.
    #[error("this is a master playlist (EXT-X-STREAM-INF), not a media playlist")]
    MasterPlaylist,
    /// `EXT-X-TARGETDURATION` is missing.
    #[error("EXT-X-TARGETDURATION is missing")]
    MissingTargetDuration,
    /// A tag has a value that does not parse.
    #[error("line {line}: bad value for {tag}")]
    BadTag {
        /// 1-based line number.
        line: usize,
        /// The tag name.
        tag: &'static str,
    },
    /// A URI line came without a preceding `#EXTINF`.
    #[error("line {0}: segment URI without #EXTINF")]
    UriWithoutExtinf(usize),
    /// An `#EXTINF` was not followed by a URI.
    #[error("#EXTINF at the end of the playlist has no URI")]
    DanglingExtinf,
    /// A URI is unusable (empty, control characters or too long).
    #[error("line {0}: unusable segment URI")]
    BadUri(usize),
    /// A line is longer than [`MAX_LINE_BYTES`].
    #[error("line {0} is longer than {MAX_LINE_BYTES} bytes")]
    LineTooLong(usize),
    /// More than [`MAX_SEGMENTS`] segments.
    #[error("playlist lists more than {MAX_SEGMENTS} segments")]
    TooManySegments,
    /// `EXT-X-BYTERANGE` sub-ranges are not supported: each segment must be its own file.
    #[error("line {0}: EXT-X-BYTERANGE segments are not supported")]
    ByteRangeUnsupported(usize),
}

/// The initialisation section of fMP4 segments (`EXT-X-MAP`).
#[derive(Debug, Clone, PartialEq)]
pub struct MediaMap {
    /// URI of the init segment, as written in the playlist.
    pub uri: String,
}

/// One media segment as listed in a playlist.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaSegment {
    /// URI as written (relative to the playlist for ffmpeg and Owncast).
    pub uri: String,
    /// Duration from `#EXTINF`, seconds.
    pub duration: f64,
    /// An `EXT-X-DISCONTINUITY` precedes this segment.
    pub discontinuity: bool,
    /// `EXT-X-PROGRAM-DATE-TIME` of this segment, verbatim.
    pub program_date_time: Option<String>,
    /// The `EXT-X-MAP` in effect for this segment.
    pub map: Option<MediaMap>,
}

/// A parsed media playlist.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaPlaylist {
    /// `EXT-X-VERSION`, 1 when absent.
    pub version: u32,
    /// `EXT-X-TARGETDURATION`, whole seconds.
    pub target_duration: u64,
    /// `EXT-X-MEDIA-SEQUENCE` of the first segment, 0 when absent.
    pub media_sequence: u64,
    /// `EXT-X-DISCONTINUITY-SEQUENCE`, 0 when absent.
    pub discontinuity_sequence: u64,
    /// `EXT-X-INDEPENDENT-SEGMENTS` is present.
    pub independent_segments: bool,
    /// The segments in order.
    pub segments: Vec<MediaSegment>,
    /// `EXT-X-ENDLIST` is present: the producer finished this stream.
    pub end_list: bool,
}

impl MediaPlaylist {
    /// Parses a media playlist, enforcing the module's bounds.
    pub fn parse(bytes: &[u8]) -> Result<Self, PlaylistError> {
        if bytes.len() > MAX_PLAYLIST_BYTES {
            return Err(PlaylistError::TooLarge(bytes.len()));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| PlaylistError::NotUtf8)?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Parser::default().run(text)
    }

    /// Sequence number of the segment at `index`.
    pub fn sequence_of(&self, index: usize) -> u64 {
        self.media_sequence.saturating_add(index as u64)
    }

    /// Renders the playlist in the form ffmpeg writes, so `parse(render(p)) == p`.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(128 + self.segments.len() * 96);
        out.push_str("#EXTM3U\n");
        let _ = writeln!(out, "#EXT-X-VERSION:{}", self.version);
        let _ = writeln!(out, "#EXT-X-TARGETDURATION:{}", self.target_duration);
        let _ = writeln!(out, "#EXT-X-MEDIA-SEQUENCE:{}", self.media_sequence);
        if self.discontinuity_sequence > 0 {
            let _ = writeln!(out, "#EXT-X-DISCONTINUITY-SEQUENCE:{}", self.discontinuity_sequence);
        }
        if self.independent_segments {
            out.push_str("#EXT-X-INDEPENDENT-SEGMENTS\n");
        }
        let mut map: Option<&MediaMap> = None;
        for seg in &self.segments {
            if seg.discontinuity {
                out.push_str("#EXT-X-DISCONTINUITY\n");
            }
            if let Some(m) = seg.map.as_ref().filter(|m| Some(*m) != map) {
                let _ = writeln!(out, "#EXT-X-MAP:URI=\"{}\"", m.uri);
            }
            map = seg.map.as_ref();
            if let Some(pdt) = &seg.program_date_time {
                let _ = writeln!(out, "#EXT-X-PROGRAM-DATE-TIME:{pdt}");
            }
            let _ = writeln!(out, "#EXTINF:{},", format_duration(seg.duration));
            out.push_str(&seg.uri);
            out.push('\n');
        }
        if self.end_list {
            out.push_str("#EXT-X-ENDLIST\n");
        }
        out
    }
}

/// Formats a duration with up to 6 decimals and no trailing zeros, as ffmpeg does.
pub fn format_duration(secs: f64) -> String {
    let s = format!("{secs:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// Parser state between lines.
#[derive(Default)]
struct Parser {
    version: Option<u32>,
    target_duration: Option<u64>,
    media_sequence: u64,
    discontinuity_sequence: u64,
    independent: bool,
    end_list: bool,
    segments: Vec<MediaSegment>,
    pending_duration: Option<f64>,
    pending_discontinuity: bool,
    pending_pdt: Option<String>,
    map: Option<MediaMap>,
}

impl Parser {
    fn run(mut self, text: &str) -> Result<MediaPlaylist, PlaylistError> {
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
        match lines.next() {
            Some((_, first)) if first.trim() == "#EXTM3U" => {}
            _ => return Err(PlaylistError::MissingHeader),
        }
        for (n, line) in lines {
            if line.len() > MAX_LINE_BYTES {
                return Err(PlaylistError::LineTooLong(n));
            }
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if let Some(tag) = line.strip_prefix('#') {
                self.tag(n, tag)?;
            } else {
                self.uri(n, line)?;
            }
        }
        if self.pending_duration.is_some() {
            return Err(PlaylistError::DanglingExtinf);
        }
        Ok(MediaPlaylist {
            version: self.version.unwrap_or(1),
            target_duration: self.target_duration.ok_or(PlaylistError::MissingTargetDuration)?,
            media_sequence: self.media_sequence,
            discontinuity_sequence: self.discontinuity_sequence,
            independent_segments: self.independent,
            segments: self.segments,
            end_list: self.end_list,
        })
    }

    fn tag(&mut self, n: usize, tag: &str) -> Result<(), PlaylistError> {
        let (name, value) = tag.split_once(':').unwrap_or((tag, ""));
        match name {
            "EXTINF" => self.pending_duration = Some(parse_extinf(n, value)?),
            "EXT-X-TARGETDURATION" => self.target_duration = Some(parse_int(n, value, "EXT-X-TARGETDURATION")?),
            "EXT-X-MEDIA-SEQUENCE" => self.media_sequence = parse_int(n, value, "EXT-X-MEDIA-SEQUENCE")?,
            "EXT-X-DISCONTINUITY-SEQUENCE" => {
                self.discontinuity_sequence = parse_int(n, value, "EXT-X-DISCONTINUITY-SEQUENCE")?
            }
            "EXT-X-VERSION" => {
                let v = parse_int(n, value, "EXT-X-VERSION")?;
                self.version = Some(u32::try_from(v).map_err(|_| bad(n, "EXT-X-VERSION"))?);
            }
            "EXT-X-DISCONTINUITY" => self.pending_discontinuity = true,
            "EXT-X-PROGRAM-DATE-TIME" => self.pending_pdt = Some(parse_pdt(n, value)?),
            "EXT-X-MAP" => self.map = Some(parse_map(n, value)?),
            "EXT-X-ENDLIST" => self.end_list = true,
            "EXT-X-INDEPENDENT-SEGMENTS" => self.independent = true,
            "EXT-X-STREAM-INF" | "EXT-X-I-FRAME-STREAM-INF" => return Err(PlaylistError::MasterPlaylist),
            "EXT-X-BYTERANGE" => return Err(PlaylistError::ByteRangeUnsupported(n)),
            _ => {} // RFC 8216 section 4.1: unknown tags are ignored.
        }
        Ok(())
    }

    fn uri(&mut self, n: usize, uri: &str) -> Result<(), PlaylistError> {
        let duration = self.pending_duration.take().ok_or(PlaylistError::UriWithoutExtinf(n))?;
        if uri.chars().any(char::is_control) {
            return Err(PlaylistError::BadUri(n));
        }
        if self.segments.len() >= MAX_SEGMENTS {
            return Err(PlaylistError::TooManySegments);
        }
        self.segments.push(MediaSegment {
            uri: uri.to_owned(),
            duration,
            discontinuity: std::mem::take(&mut self.pending_discontinuity),
            program_date_time: self.pending_pdt.take(),
            map: self.map.clone(),
        });
        Ok(())
    }
}

fn bad(line: usize, tag: &'static str) -> PlaylistError {
    PlaylistError::BadTag { line, tag }
}

fn parse_int(n: usize, value: &str, tag: &'static str) -> Result<u64, PlaylistError> {
    let value = value.trim();
    if value.is_empty() || value.len() > 20 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(n, tag));
    }
    value.parse().map_err(|_| bad(n, tag))
}

fn parse_extinf(n: usize, value: &str) -> Result<f64, PlaylistError> {
    let number = value.split(',').next().unwrap_or("").trim();
    let ok_chars = !number.is_empty() && number.len() <= 24 && number.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let secs: f64 = if ok_chars {
        number.parse().map_err(|_| bad(n, "EXTINF"))?
    } else {
        return Err(bad(n, "EXTINF"));
    };
    if !secs.is_finite() || secs > MAX_SEGMENT_SECS {
        return Err(bad(n, "EXTINF"));
    }
    Ok(secs)
}

fn parse_pdt(n: usize, value: &str) -> Result<String, PlaylistError> {
    let value = value.trim();
    let plausible = value.len() >= 10
        && value.len() <= 40
        && value.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-:.+".contains(&b));
    if plausible {
        Ok(value.to_owned())
    } else {
        Err(bad(n, "EXT-X-PROGRAM-DATE-TIME"))
    }
}

fn parse_map(n: usize, value: &str) -> Result<MediaMap, PlaylistError> {
    let mut uri = None;
    for (key, val) in attributes(value) {
        match key {
            "URI" => uri = Some(val),
            "BYTERANGE" => return Err(PlaylistError::ByteRangeUnsupported(n)),
            _ => {}
        }
    }
    let uri = uri.ok_or(bad(n, "EXT-X-MAP"))?;
    let uri = uri
        .strip_prefix('"')
        .and_then(|u| u.strip_suffix('"'))
        .ok_or(bad(n, "EXT-X-MAP"))?;
    if uri.is_empty() || uri.chars().any(char::is_control) {
        return Err(bad(n, "EXT-X-MAP"));
    }
    Ok(MediaMap { uri: uri.to_owned() })
}

/// Splits an attribute list (`A=1,B="x,y"`) into key/value pairs, honouring quotes.
fn attributes(list: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = list;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut in_quotes = false;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    in_quotes = !in_quotes;
                }
                c == ',' && !in_quotes
            })
            .map_or(rest.len(), |(i, _)| i);
        let item = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or("");
        let (k, v) = item.split_once('=').unwrap_or((item, ""));
        Some((k.trim(), v.trim()))
    })
}

#[cfg(test)]
mod tests;
