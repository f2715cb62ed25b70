//! MPEG-TS: the PTS of the first PES packet of the first video stream (or, without video, of
//! the first stream the PMT lists), found through the PAT and the PMT.

use super::{MediaTime, MediaTimeError};

const PACKET: usize = 188;
const SYNC: u8 = 0x47;
const PAT_PID: u16 = 0;
/// PTS are 33-bit counters of a 90 kHz clock.
const PTS_HZ: u32 = 90_000;
const PTS_WRAP: u64 = 1 << 33;

/// The first timestamp of an MPEG-TS segment.
pub fn ts_first_time(segment: &[u8]) -> Result<MediaTime, MediaTimeError> {
    let start = sync_offset(segment).ok_or(MediaTimeError::NoSync)?;
    let mut pmt_pid = None;
    let mut stream_pid = None;
    let mut saw_program = false;
    for packet in segment[start..].chunks_exact(PACKET) {
        let Some(p) = Packet::parse(packet) else {
            return Err(MediaTimeError::NoSync);
        };
        match (p.pid, pmt_pid, stream_pid) {
            (PAT_PID, None, _) if p.unit_start => pmt_pid = Some(first_pmt_pid(p.payload)?),
            (pid, Some(pmt), None) if pid == pmt && p.unit_start => {
                stream_pid = Some(chosen_stream(p.payload)?);
                saw_program = true;
            }
            (pid, _, Some(s)) if pid == s && p.unit_start => {
                if let Some(pts) = pes_pts(p.payload)? {
                    return Ok(MediaTime {
                        ticks: pts,
                        timescale: PTS_HZ,
                        wraps_at: Some(PTS_WRAP),
                    });
                }
            }
            _ => {}
        }
    }
    Err(if saw_program {
        MediaTimeError::NoTimestamp
    } else {
        MediaTimeError::NoProgram
    })
}

/// Where packets start: 0 for a clean segment, else the first offset where two sync bytes one
/// packet apart begin.
fn sync_offset(data: &[u8]) -> Option<usize> {
    (0..PACKET)
        .find(|&i| data.len() >= i + PACKET && data[i] == SYNC && data.get(i + PACKET).is_none_or(|&b| b == SYNC))
}

/// One transport packet's header fields and payload.
struct Packet<'a> {
    pid: u16,
    unit_start: bool,
    payload: &'a [u8],
}

impl<'a> Packet<'a> {
    fn parse(p: &'a [u8]) -> Option<Self> {
        if p[0] != SYNC {
            return None;
        }
        let pid = u16::from(p[1] & 0x1f) << 8 | u16::from(p[2]);
        let control = (p[3] >> 4) & 0x3;
        let offset = match control {
            0b01 => 4,
            0b11 => 5 + usize::from(p[4]),
            _ => PACKET, // no payload (adaptation field only, or reserved)
        };
        Some(Self {
            pid,
            unit_start: p[1] & 0x40 != 0,
            payload: p.get(offset..).unwrap_or(&[]),
        })
    }
}

/// A PSI section (PAT or PMT) that starts in this payload: its bytes after the 8-byte common
/// header, up to (not including) the CRC.
fn section<'a>(payload: &'a [u8], table_id: u8, what: &'static str) -> Result<&'a [u8], MediaTimeError> {
    let bad = MediaTimeError::Malformed(what);
    let pointer = usize::from(*payload.first().ok_or(bad.clone())?);
    let s = payload.get(1 + pointer..).ok_or(bad.clone())?;
    if s.len() < 3 || s[0] != table_id {
        return Err(bad);
    }
    let length = usize::from(s[1] & 0x0f) << 8 | usize::from(s[2]);
    // 5 bytes of header after the length, 4 of CRC at the end.
    if length < 9 {
        return Err(bad);
    }
    s.get(8..3 + length - 4).ok_or(bad)
}

/// The PMT PID of the first program the PAT lists (program 0 is the network PID).
fn first_pmt_pid(payload: &[u8]) -> Result<u16, MediaTimeError> {
    let body = section(payload, 0x00, "PAT")?;
    body.chunks_exact(4)
        .find(|e| u16::from_be_bytes([e[0], e[1]]) != 0)
        .map(|e| u16::from(e[2] & 0x1f) << 8 | u16::from(e[3]))
        .ok_or(MediaTimeError::NoProgram)
}

/// The PID of the first video stream the PMT lists, else of its first stream.
fn chosen_stream(payload: &[u8]) -> Result<u16, MediaTimeError> {
    let body = section(payload, 0x02, "PMT")?;
    let bad = || MediaTimeError::Malformed("PMT");
    let info_len = usize::from(*body.get(2).ok_or_else(bad)? & 0x0f) << 8 | usize::from(body[3]);
    let mut rest = body.get(4 + info_len..).ok_or_else(bad)?;
    let mut first = None;
    while rest.len() >= 5 {
        let (kind, pid) = (rest[0], u16::from(rest[1] & 0x1f) << 8 | u16::from(rest[2]));
        if is_video(kind) {
            return Ok(pid);
        }
        first.get_or_insert(pid);
        let es_len = usize::from(rest[3] & 0x0f) << 8 | usize::from(rest[4]);
        rest = rest.get(5 + es_len..).ok_or_else(bad)?;
    }
    first.ok_or(MediaTimeError::NoProgram)
}

/// MPEG-1/2 video, MPEG-4 part 2, H.264, H.265, H.266.
fn is_video(stream_type: u8) -> bool {
    matches!(stream_type, 0x01 | 0x02 | 0x10 | 0x1b | 0x24 | 0x33)
}

/// The PTS of a PES packet that starts in this payload, if its header carries one.
fn pes_pts(payload: &[u8]) -> Result<Option<u64>, MediaTimeError> {
    let bad = MediaTimeError::Malformed("PES header");
    if payload.len() < 9 || payload[..3] != [0, 0, 1] {
        return Err(bad);
    }
    if payload[7] & 0x80 == 0 {
        return Ok(None);
    }
    let b = payload.get(9..14).ok_or(bad)?;
    let pts = u64::from(b[0] >> 1 & 0x07) << 30
        | u64::from(b[1]) << 22
        | u64::from(b[2] >> 1) << 15
        | u64::from(b[3]) << 7
        | u64::from(b[4] >> 1);
    Ok(Some(pts))
}
