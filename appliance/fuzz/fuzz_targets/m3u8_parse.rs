//! Fuzz target: the media-playlist parser never panics, and what it accepts renders and
//! parses back to the same playlist.
#![no_main]

use libfuzzer_sys::fuzz_target;
use venuebox_proto::m3u8::MediaPlaylist;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = MediaPlaylist::parse(data) {
        let again = MediaPlaylist::parse(p.render().as_bytes()).expect("rendered playlists parse");
        assert_eq!(again.segments.len(), p.segments.len());
    }
});
