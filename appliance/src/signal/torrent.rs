//! The hook that gives each announced segment its torrent: `None` until the seeder's torrent
//! maker (`venuebox_proto::torrent`) is plugged in here.

use crate::window::Segment;

/// Makes `(info hash as 40 lowercase hex characters, bencoded .torrent file)` for a segment, or
/// `None` to announce it without a torrent (viewers then fetch it over HTTP).
pub type TorrentFn = fn(&Segment) -> Option<(String, Vec<u8>)>;

/// The hook the service uses. To plug in the seeder's torrent maker, replace the body with one
/// line (see docs/SIGNALING.md, "Torrents"):
///
/// ```text
/// venuebox_proto::torrent::Torrent::build(&seg.name, &seg.data).ok()
///     .map(|t| (t.info_hash().to_hex(), t.torrent_file(&[])))
/// ```
pub fn torrent_for(seg: &Segment) -> Option<(String, Vec<u8>)> {
    let _ = seg;
    None
}
