//! Tests of the pure window: bounds, events, playlist, discontinuities.

use super::*;
use crate::window::{Container, IncomingSegment, WindowEvent};
use bytes::Bytes;
use std::time::{Duration, Instant, SystemTime};
use venuebox_proto::m3u8::MediaPlaylist;

fn limits(max_segments: usize) -> WindowLimits {
    WindowLimits {
        max_duration_secs: 1000.0,
        max_segments,
        max_bytes: 1 << 30,
    }
}

fn seg(uri: &str, len: usize, discontinuity: bool) -> IncomingSegment {
    IncomingSegment {
        source_uri: uri.into(),
        kind: Container::Ts,
        duration: 2.0,
        data: Bytes::from(vec![7; len]),
        discontinuity,
        program_date_time: None,
        init: None,
    }
}

fn push(w: &mut SegmentWindow, s: IncomingSegment) -> Vec<WindowEvent> {
    w.push(s, Instant::now(), SystemTime::now())
}

#[test]
fn evicts_by_count_and_reports_removed_before_added() {
    let mut w = SegmentWindow::new(limits(3), 100);
    for i in 0..3 {
        assert_eq!(push(&mut w, seg(&format!("{i}.ts"), 10, false)).len(), 1);
    }
    let events = push(&mut w, seg("3.ts", 10, false));
    assert!(matches!(&events[0], WindowEvent::Removed(s) if s.seq == 100));
    assert!(matches!(&events[1], WindowEvent::Added(s) if s.seq == 103 && s.name == "seg-00000103.ts"));
    assert_eq!(w.stats().segments, 3);
    assert_eq!(w.stats().bytes, 30);
    assert!(w.segment("seg-00000100.ts").is_none());
    assert!(w.segment("seg-00000103.ts").is_some());
}

#[test]
fn evicts_by_bytes_and_duration_but_keeps_the_newest() {
    let mut w = SegmentWindow::new(
        WindowLimits {
            max_duration_secs: 5.0,
            max_segments: 100,
            max_bytes: 25,
        },
        0,
    );
    push(&mut w, seg("a", 10, false));
    push(&mut w, seg("b", 10, false));
    push(&mut w, seg("c", 10, false)); // 30 bytes > 25
    assert_eq!(w.stats().segments, 2);
    push(&mut w, seg("huge", 100, false)); // alone above the byte limit, still kept
    assert_eq!(w.stats().segments, 1);
    let mut w = SegmentWindow::new(
        WindowLimits {
            max_duration_secs: 5.0,
            max_segments: 100,
            max_bytes: 1000,
        },
        0,
    );
    for n in ["a", "b", "c", "d"] {
        push(&mut w, seg(n, 1, false));
    }
    assert_eq!(w.stats().segments, 2); // 2 s each: 3 would be 6 s > 5 s
    assert_eq!(w.stats().duration_secs, 4.0);
}

#[test]
fn playlist_lists_exactly_the_window() {
    let mut w = SegmentWindow::new(limits(3), 7);
    for i in 0..5 {
        push(&mut w, seg(&format!("{i}.ts"), 1, i == 3));
    }
    let p = MediaPlaylist::parse(w.playlist().as_bytes()).unwrap();
    assert_eq!(p.media_sequence, 9);
    let names: Vec<_> = p.segments.iter().map(|s| s.uri.as_str()).collect();
    assert_eq!(names, ["seg-00000009.ts", "seg-00000010.ts", "seg-00000011.ts"]);
    assert!(p.segments[1].discontinuity);
    assert!(!p.end_list);
    // The discontinuity scrolls out: the discontinuity sequence counts it.
    push(&mut w, seg("5.ts", 1, false));
    push(&mut w, seg("6.ts", 1, false));
    let p = MediaPlaylist::parse(w.playlist().as_bytes()).unwrap();
    assert_eq!(p.discontinuity_sequence, 1);
}

#[test]
fn end_of_stream_marks_the_next_segment_as_discontinuous() {
    let mut w = SegmentWindow::new(limits(10), 0);
    push(&mut w, seg("a", 1, false));
    assert!(matches!(w.end_of_stream(), Some(WindowEvent::EndOfStream)));
    assert!(w.end_of_stream().is_none(), "reported once");
    assert!(w.stats().ended);
    let events = push(&mut w, seg("b", 1, false));
    assert!(matches!(&events[0], WindowEvent::Added(s) if s.discontinuity));
    assert!(!w.stats().ended);
}

#[test]
fn never_holds_more_than_the_hard_cap() {
    let mut w = SegmentWindow::new(limits(HARD_MAX_SEGMENTS), 0);
    for i in 0..HARD_MAX_SEGMENTS + 10 {
        push(&mut w, seg(&i.to_string(), 1, false));
    }
    assert_eq!(w.stats().segments, HARD_MAX_SEGMENTS);
    let events = w.set_limits(limits(2));
    assert_eq!(events.len(), HARD_MAX_SEGMENTS - 2);
}

#[test]
fn stats_compute_bitrate_and_age() {
    let mut w = SegmentWindow::new(limits(10), 0);
    let t0 = Instant::now();
    w.push(seg("a", 250_000, false), t0, SystemTime::now());
    w.push(seg("b", 250_000, false), t0 + Duration::from_secs(2), SystemTime::now());
    let s = w.stats();
    assert_eq!(s.bitrate_bps, 1_000_000.0);
    assert_eq!(s.newest_added_at, Some(t0 + Duration::from_secs(2)));
    assert_eq!(s.newest_seq, Some(1));
}

#[test]
fn target_duration_is_the_longest_segment_rounded_to_the_nearest_second() {
    let mut w = SegmentWindow::new(limits(8), 1);
    for (i, d) in [2.0, 2.033, 2.49, 1.2].into_iter().enumerate() {
        push(
            &mut w,
            IncomingSegment {
                duration: d,
                ..seg(&format!("{i}.ts"), 1, false)
            },
        );
    }
    let p = MediaPlaylist::parse(w.playlist().as_bytes()).unwrap();
    assert_eq!(
        p.target_duration, 2,
        "2.49 s rounds to 2 (RFC 8216 4.3.3.1); rounding up gave 3"
    );
    push(
        &mut w,
        IncomingSegment {
            duration: 2.5,
            ..seg("4.ts", 1, false)
        },
    );
    let p = MediaPlaylist::parse(w.playlist().as_bytes()).unwrap();
    assert_eq!(p.target_duration, 3);
}
