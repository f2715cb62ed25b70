//! Timestamps read from segments real ffmpeg 5.1 wrote, and the continuity check with numbers.
//!
//! `testdata/media_time/` was made with (64x36 test pattern, 1 s segments):
//! `ffmpeg -f lavfi -i testsrc2=size=64x36:rate=10 -f lavfi -i sine=sample_rate=8000 -t 2
//! -c:v libx264 -preset ultrafast -g 10 -c:a aac -b:a 16k -f hls -hls_time 1 ...`, for the TS
//! pair with `-output_ts_offset 95441.7` (the PTS wraps between them), for fMP4 with
//! `-hls_segment_type fmp4 -hls_fmp4_init_filename init.mp4`.

use super::*;
use proptest::prelude::*;

const WRAP0: &[u8] = include_bytes!("../../testdata/media_time/wrap0.ts");
const WRAP1: &[u8] = include_bytes!("../../testdata/media_time/wrap1.ts");
const INIT: &[u8] = include_bytes!("../../testdata/media_time/init.mp4");
const F0: &[u8] = include_bytes!("../../testdata/media_time/f0.m4s");
const F1: &[u8] = include_bytes!("../../testdata/media_time/f1.m4s");

fn pts(ticks: u64) -> MediaTime {
    MediaTime {
        ticks,
        timescale: 90_000,
        wraps_at: Some(1 << 33),
    }
}

fn secs(s: f64) -> MediaTime {
    pts((s * 90_000.0) as u64)
}

#[test]
fn ts_segments_give_their_video_pts_across_the_wrap() {
    // ffprobe shows the video stream's first packets at -55592 and 34408 (it unwraps the first).
    assert_eq!(ts_first_time(WRAP0), Ok(pts((1 << 33) - 55_592)));
    assert_eq!(ts_first_time(WRAP1), Ok(pts(34_408)));
    let mut c = Continuity::new();
    assert!(!c.observe(ts_first_time(WRAP0).ok(), 1.0, tolerance_secs(1.0)));
    assert!(!c.observe(ts_first_time(WRAP1).ok(), 1.0, tolerance_secs(1.0)));
    // The first segment again after the second: the producer went back.
    assert!(c.observe(ts_first_time(WRAP0).ok(), 1.0, tolerance_secs(1.0)));
}

#[test]
fn fmp4_segments_give_the_video_tracks_decode_time() {
    let at = |ticks| MediaTime {
        ticks,
        timescale: 10_240,
        wraps_at: None,
    };
    assert_eq!(fmp4_first_time(INIT, F0), Ok(at(0)));
    assert_eq!(fmp4_first_time(INIT, F1), Ok(at(10_240)));
    let mut c = Continuity::new();
    assert!(!c.observe(fmp4_first_time(INIT, F0).ok(), 1.0, 0.5));
    assert!(!c.observe(fmp4_first_time(INIT, F1).ok(), 1.0, 0.5));
    assert!(c.observe(fmp4_first_time(INIT, F0).ok(), 1.0, 0.5), "restart at 0");
}

#[test]
fn garbage_and_truncated_segments_are_errors_not_panics() {
    assert_eq!(ts_first_time(b""), Err(MediaTimeError::NoSync));
    assert_eq!(ts_first_time(&[0u8; 188 * 4]), Err(MediaTimeError::NoSync));
    assert_eq!(ts_first_time(b"a3"), Err(MediaTimeError::NoSync));
    // ffmpeg writes SDT, PAT, PMT, then PES: the tables alone name a program but no PES.
    assert_eq!(ts_first_time(&WRAP0[..188 * 2]), Err(MediaTimeError::NoProgram));
    assert_eq!(ts_first_time(&WRAP0[..188 * 3]), Err(MediaTimeError::NoTimestamp));
    assert_eq!(fmp4_first_time(INIT, b"garbage"), Err(MediaTimeError::NoDecodeTime(1)));
    assert_eq!(fmp4_first_time(b"", F1), Err(MediaTimeError::NoTrack));
    assert_eq!(fmp4_first_time(F1, INIT), Err(MediaTimeError::NoTrack));
    for cut in 0..WRAP0.len().min(188 * 6) {
        let _ = ts_first_time(&WRAP0[..cut]);
        let _ = ts_first_time(&WRAP0[cut..]);
    }
    for cut in 0..INIT.len() {
        let _ = fmp4_first_time(&INIT[..cut], F1);
    }
    for cut in 0..F1.len().min(2048) {
        let _ = fmp4_first_time(INIT, &F1[..cut]);
    }
}

#[test]
fn a_packet_out_of_step_is_found_again() {
    let mut shifted = vec![0xffu8; 7];
    shifted.extend_from_slice(WRAP1);
    assert_eq!(ts_first_time(&shifted), Ok(pts(34_408)));
}

#[test]
fn a_steady_stream_with_jitter_is_continuous() {
    let mut c = Continuity::new();
    let tol = tolerance_secs(2.0);
    assert_eq!(tol, 1.0);
    let mut start = 1.4;
    for i in 0..100 {
        let duration = if i % 3 == 0 { 2.033 } else { 1.967 };
        assert!(!c.observe(Some(secs(start)), duration, tol), "segment {i}");
        start += duration;
    }
}

#[test]
fn restarts_jump_back_or_far_forward() {
    let tol = tolerance_secs(2.0);
    let mut c = Continuity::new();
    assert!(!c.observe(Some(secs(100.0)), 2.0, tol));
    assert!(!c.observe(Some(secs(102.0)), 2.0, tol));
    assert!(c.observe(Some(secs(1.4)), 2.0, tol), "back to 1.4 s");
    assert!(!c.observe(Some(secs(3.4)), 2.0, tol), "the new run continues");
    assert!(c.observe(Some(secs(3600.0)), 2.0, tol), "far forward");
    assert!(
        !c.observe(Some(secs(3602.9)), 2.0, tol),
        "0.9 s late is within half a target"
    );
    assert!(c.observe(Some(secs(3606.0)), 2.0, tol), "1.1 s late is not");
}

#[test]
fn the_pts_wrap_is_not_a_restart_but_a_jump_across_it_is() {
    let tol = tolerance_secs(2.0);
    let wrap = 1u64 << 33;
    let mut c = Continuity::new();
    assert!(!c.observe(Some(pts(wrap - 90_000)), 2.0, tol));
    assert!(!c.observe(Some(pts(90_000)), 2.0, tol), "wrapped: 2 s later");
    assert!(!c.observe(Some(pts(270_000)), 2.0, tol));
    let mut c = Continuity::new();
    assert!(!c.observe(Some(pts(wrap - 90_000)), 2.0, tol));
    assert!(c.observe(Some(pts(126_000 + 900_000)), 2.0, tol), "11.4 s later");
}

#[test]
fn unreadable_segments_are_never_marked_and_keep_the_clock() {
    let tol = tolerance_secs(2.0);
    let mut c = Continuity::new();
    assert!(!c.observe(None, 2.0, tol), "nothing seen yet");
    assert!(!c.observe(Some(secs(10.0)), 2.0, tol));
    assert!(!c.observe(None, 2.0, tol));
    assert!(!c.observe(None, 2.0, tol));
    assert!(
        !c.observe(Some(secs(16.0)), 2.0, tol),
        "two unreadable segments in between"
    );
    assert!(!c.observe(None, 2.0, tol));
    assert!(
        c.observe(Some(secs(0.0)), 2.0, tol),
        "a restart behind a garbage segment"
    );
}

#[test]
fn timescales_that_differ_compare_in_seconds() {
    let mut c = Continuity::new();
    let fmp4 = |ticks, timescale| MediaTime {
        ticks,
        timescale,
        wraps_at: None,
    };
    assert!(!c.observe(Some(fmp4(90_000, 90_000)), 2.0, 1.0));
    assert!(!c.observe(Some(fmp4(3_000, 1_000)), 2.0, 1.0), "3 s: 2 s later");
    assert!(c.observe(Some(fmp4(0, 48_000)), 2.0, 1.0));
}

proptest! {
    #[test]
    fn readers_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = ts_first_time(&data);
        let _ = fmp4_first_time(&data, &data);
        let _ = fmp4_first_time(INIT, &data);
    }
}
