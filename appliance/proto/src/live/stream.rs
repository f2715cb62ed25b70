//! The stream swarm's name: one info hash per stream, stable across discontinuities and box
//! restarts of one event (docs/LIVE-MESH.md, "The stream swarm").

use sha1::{Digest, Sha1};

use crate::torrent::InfoHash;

/// `SHA-1("venuebox-live-v1:" + stream_id)`.
pub fn stream_info_hash(stream_id: &str) -> InfoHash {
    let mut h = Sha1::new();
    h.update(b"venuebox-live-v1:");
    h.update(stream_id.as_bytes());
    InfoHash(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_sha1_of_the_prefixed_id() {
        // printf 'venuebox-live-v1:bench' | sha1sum
        assert_eq!(
            stream_info_hash("bench").to_hex(),
            "e0c4e82889fbc6a87dc319041194c4127d1b5d24"
        );
        assert_ne!(stream_info_hash("a"), stream_info_hash("b"));
    }
}
