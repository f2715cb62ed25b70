//! Tests of the follower with the awkward cases producers create.

use super::*;
use venuebox_proto::m3u8::MediaPlaylist;

fn playlist(first_msn: u64, uris: &[&str], end: bool) -> MediaPlaylist {
    let mut text = format!("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:{first_msn}\n");
    for u in uris {
        text.push_str(&format!("#EXTINF:2.0,\n{u}\n"));
    }
    if end {
        text.push_str("#EXT-X-ENDLIST\n");
    }
    MediaPlaylist::parse(text.as_bytes()).unwrap()
}

fn uris(d: &Diff) -> Vec<&str> {
    d.picks.iter().map(|p| p.uri.as_str()).collect()
}

#[test]
fn picks_only_new_segments_across_sliding_reloads() {
    let mut f = Follower::new();
    assert_eq!(uris(&f.diff(&playlist(0, &["a", "b"], false), 100)), ["a", "b"]);
    assert!(f.diff(&playlist(0, &["a", "b"], false), 100).picks.is_empty());
    let d = f.diff(&playlist(1, &["b", "c", "d"], false), 100);
    assert_eq!(uris(&d), ["c", "d"]);
    assert_eq!(d.picks[0].msn, 2);
    assert!(!d.restarted && d.picks.iter().all(|p| !p.discontinuity));
}

#[test]
fn first_look_takes_only_the_tail() {
    let mut f = Follower::new();
    assert_eq!(
        uris(&f.diff(&playlist(10, &["a", "b", "c", "d"], false), 2)),
        ["c", "d"]
    );
}

#[test]
fn a_gap_is_followed_without_restart() {
    let mut f = Follower::new();
    f.diff(&playlist(0, &["a"], false), 100);
    let d = f.diff(&playlist(5, &["f", "g"], false), 100);
    assert_eq!(uris(&d), ["f", "g"]);
    assert!(!d.restarted);
}

#[test]
fn new_numbering_is_a_restart_with_discontinuity() {
    let mut f = Follower::new();
    f.diff(&playlist(40, &["s40", "s41"], false), 100);
    let d = f.diff(&playlist(0, &["s0", "s1"], false), 100);
    assert!(d.restarted);
    assert_eq!(uris(&d), ["s0", "s1"]);
    assert!(d.picks[0].discontinuity && !d.picks[1].discontinuity);
}

#[test]
fn same_number_with_another_uri_is_a_restart() {
    let mut f = Follower::new();
    f.diff(&playlist(0, &["old0", "old1"], false), 100);
    let d = f.diff(&playlist(0, &["new0", "new1", "new2"], false), 100);
    assert!(d.restarted);
    assert_eq!(uris(&d), ["new0", "new1", "new2"]);
}

#[test]
fn endlist_is_reported_once_and_a_return_is_discontinuous() {
    let mut f = Follower::new();
    f.diff(&playlist(0, &["a"], false), 100);
    let d = f.diff(&playlist(0, &["a", "b"], true), 100);
    assert_eq!(uris(&d), ["b"]);
    assert!(d.ended);
    assert!(!f.diff(&playlist(0, &["a", "b"], true), 100).ended);
    let d = f.diff(&playlist(0, &["x0"], false), 100);
    assert!(d.restarted && d.picks[0].discontinuity);
}

#[test]
fn producer_discontinuity_and_map_pass_through() {
    let text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2,\na.m4s\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init2.mp4\"\n#EXTINF:2,\nb.m4s\n";
    let mut f = Follower::new();
    let d = f.diff(&MediaPlaylist::parse(text.as_bytes()).unwrap(), 100);
    assert_eq!(d.picks[0].map_uri.as_deref(), Some("init.mp4"));
    assert!(d.picks[1].discontinuity);
    assert_eq!(d.picks[1].map_uri.as_deref(), Some("init2.mp4"));
}

#[test]
fn empty_playlist_then_segments() {
    let mut f = Follower::new();
    assert!(f.diff(&playlist(0, &[], false), 100).picks.is_empty());
    assert_eq!(uris(&f.diff(&playlist(0, &["a"], false), 100)), ["a"]);
}
