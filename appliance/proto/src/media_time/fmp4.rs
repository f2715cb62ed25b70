//! Fragmented MP4 (CMAF): the base media decode time (`tfdt`) of the video track's first
//! fragment, in the timescale its init segment's `mdhd` gives; without video, the first track's.

use super::{MediaTime, MediaTimeError};

/// The first timestamp of an fMP4 media segment, read with the init segment it refers to.
pub fn fmp4_first_time(init: &[u8], segment: &[u8]) -> Result<MediaTime, MediaTimeError> {
    let (track_id, timescale) = chosen_track(init)?;
    let moof = boxes(segment).find(|b| b.kind == *b"moof");
    let trafs = moof
        .into_iter()
        .flat_map(|m| boxes(m.body))
        .filter(|b| b.kind == *b"traf");
    for traf in trafs {
        if child(traf.body, b"tfhd").and_then(|h| be_u32(h, 4)) == Some(track_id) {
            let tfdt = child(traf.body, b"tfdt").ok_or(MediaTimeError::NoDecodeTime(track_id))?;
            let ticks = full_box_value(tfdt, 4).ok_or(MediaTimeError::Malformed("tfdt"))?;
            return Ok(MediaTime {
                ticks,
                timescale,
                wraps_at: None,
            });
        }
    }
    Err(MediaTimeError::NoDecodeTime(track_id))
}

/// (track ID, timescale) of the first video track in `moov`, else of its first track.
fn chosen_track(init: &[u8]) -> Result<(u32, u32), MediaTimeError> {
    let moov = boxes(init)
        .find(|b| b.kind == *b"moov")
        .ok_or(MediaTimeError::NoTrack)?;
    let mut first = None;
    for trak in boxes(moov.body).filter(|b| b.kind == *b"trak") {
        let Some((id, timescale, video)) = track(trak.body) else {
            continue;
        };
        if video {
            return Ok((id, timescale));
        }
        first.get_or_insert((id, timescale));
    }
    first.ok_or(MediaTimeError::NoTrack)
}

/// A `trak`'s ID, timescale and whether its handler is video.
fn track(trak: &[u8]) -> Option<(u32, u32, bool)> {
    let tkhd = child(trak, b"tkhd")?;
    // tkhd: version/flags, creation and modification times (4 or 8 bytes each), track ID.
    let id = be_u32(tkhd, if tkhd.first()? == &1 { 20 } else { 12 })?;
    let mdia = child(trak, b"mdia")?;
    let mdhd = child(mdia, b"mdhd")?;
    let timescale = be_u32(mdhd, if mdhd.first()? == &1 { 20 } else { 12 })?;
    // hdlr: version/flags, pre_defined, handler type.
    let video = child(mdia, b"hdlr")?.get(8..12)? == b"vide";
    (timescale > 0).then_some((id, timescale, video))
}

/// A full box's 32-bit (version 0) or 64-bit (version 1) field at `offset` after version/flags.
fn full_box_value(body: &[u8], offset: usize) -> Option<u64> {
    match body.first()? {
        1 => Some(u64::from_be_bytes(body.get(offset..offset + 8)?.try_into().ok()?)),
        _ => be_u32(body, offset).map(u64::from),
    }
}

fn be_u32(data: &[u8], offset: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(offset..offset + 4)?.try_into().ok()?))
}

fn child<'a>(parent: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    boxes(parent).find(|b| b.kind == *kind).map(|b| b.body)
}

/// One ISO BMFF box: its four-character type and its body.
struct Mp4Box<'a> {
    kind: [u8; 4],
    body: &'a [u8],
}

/// The boxes one after another in `data`; stops at the first box whose size does not fit.
fn boxes(mut data: &[u8]) -> impl Iterator<Item = Mp4Box<'_>> {
    std::iter::from_fn(move || {
        let (header, size) = match be_u32(data, 0)? {
            0 => (8, data.len()),
            1 => (
                16,
                usize::try_from(u64::from_be_bytes(data.get(8..16)?.try_into().ok()?)).ok()?,
            ),
            n => (8, usize::try_from(n).ok()?),
        };
        let kind = data.get(4..8)?.try_into().ok()?;
        let body = data.get(header..size)?;
        data = &data[size..];
        Some(Mp4Box { kind, body })
    })
}
