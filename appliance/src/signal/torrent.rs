//! The hook that gives each announced segment its torrent: the one the window made when the
//! segment arrived (the same torrent the seeder seeds and the tracker knows).

use crate::window::Segment;

/// Makes `(info hash as 40 lowercase hex characters, bencoded .torrent file)` for a segment, or
/// `None` to announce it without a torrent (viewers then fetch it over HTTP).
pub type TorrentFn = fn(&Segment) -> Option<(String, Vec<u8>)>;

/// The hook the service uses: the window's torrent, without tracker URLs (viewers get the box's
/// tracker URL in the hello).
pub fn torrent_for(seg: &Segment) -> Option<(String, Vec<u8>)> {
    let t = seg.torrent.as_ref()?;
    Some((t.info_hash().to_hex(), t.torrent_file(&[])))
}
