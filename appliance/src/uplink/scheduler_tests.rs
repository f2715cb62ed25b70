//! Scheduler vectors: ordering, publishing, gaps, backoff, skipping and deletion.

use super::*;
use crate::window::{Container, IncomingSegment};
use bytes::Bytes;
use std::time::SystemTime;

fn cfg() -> SchedulerConfig {
    SchedulerConfig {
        prefix: "p/".into(),
        concurrency: 2,
        queue_segments: 4,
        max_lag: Duration::from_secs(10),
        backoff_initial: Duration::from_millis(100),
        backoff_max: Duration::from_secs(2),
        delete_old: true,
        delete_grace: Duration::from_secs(1),
        seed: 1,
    }
}

fn seg(seq: u64, at: Instant) -> Arc<Segment> {
    Arc::new(Segment {
        seq,
        name: format!("seg-{seq:08}.ts"),
        torrent: None,
        added_at: at,
        added_wall: SystemTime::now(),
        media: IncomingSegment {
            kind: Container::Ts,
            duration: 2.0,
            data: Bytes::from(vec![seq as u8; 100]),
            discontinuity: false,
            program_date_time: None,
            init: None,
            source_uri: String::new(),
        },
    })
}

/// Runs every startable job to success; returns their keys in start order.
fn drain(s: &mut Scheduler, now: Instant) -> Vec<String> {
    let mut keys = vec![];
    while let Some(job) = s.poll_job(now) {
        keys.push(key(&job));
        s.job_done(job.id, Ok(()), now);
    }
    keys
}

fn key(job: &Job) -> String {
    match &job.action {
        JobAction::Put(p) => p.key.clone(),
        JobAction::Delete(k) => format!("DELETE {k}"),
    }
}

fn uris(playlist: &str) -> Vec<&str> {
    playlist
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect()
}

#[test]
fn segment_goes_before_the_playlist_that_names_it() {
    let t = Instant::now();
    let mut s = Scheduler::new(cfg());
    s.segment_added(seg(10, t), t);
    let first = s.poll_job(t).unwrap();
    assert_eq!(key(&first), "p/hls/seg-00000010.ts");
    assert!(s.poll_job(t).is_none(), "no playlist before its segment is stored");
    s.job_done(first.id, Ok(()), t);
    let pl = s.poll_job(t).unwrap();
    let JobAction::Put(put) = &pl.action else { panic!() };
    assert_eq!(
        (put.key.as_str(), put.cache_control),
        ("p/hls/live.m3u8", keys::CACHE_PLAYLIST)
    );
    let text = std::str::from_utf8(&put.body).unwrap();
    assert!(
        text.contains("#EXT-X-MEDIA-SEQUENCE:10") && uris(text) == ["seg-00000010.ts"],
        "{text}"
    );
}

#[test]
fn out_of_order_completion_publishes_in_order() {
    let t = Instant::now();
    let mut s = Scheduler::new(cfg());
    s.segment_added(seg(1, t), t);
    s.segment_added(seg(2, t), t);
    let a = s.poll_job(t).unwrap();
    let b = s.poll_job(t).unwrap();
    s.job_done(b.id, Ok(()), t);
    assert!(uris(&s.playlist()).is_empty(), "segment 2 waits for segment 1");
    s.job_done(a.id, Ok(()), t);
    assert_eq!(uris(&s.playlist()), ["seg-00000001.ts", "seg-00000002.ts"]);
}

#[test]
fn failures_back_off_then_retry_the_same_object() {
    let t = Instant::now();
    let mut s = Scheduler::new(SchedulerConfig {
        concurrency: 1,
        ..cfg()
    });
    s.segment_added(seg(5, t), t);
    let job = s.poll_job(t).unwrap();
    s.job_done(job.id, Err("HTTP 500".into()), t);
    assert!(s.poll_job(t).is_none(), "waits during the backoff");
    let wake = s.poll_timeout(t).unwrap();
    assert!(wake > t && wake <= t + Duration::from_millis(100));
    let retry = s.poll_job(wake).unwrap();
    assert_eq!(key(&retry), "p/hls/seg-00000005.ts");
    let st = s.stats();
    assert_eq!((st.failures, st.last_error.as_deref()), (1, Some("HTTP 500")));
}

#[test]
fn after_a_long_outage_it_skips_to_the_newest_and_marks_the_gap() {
    let t = Instant::now();
    let mut s = Scheduler::new(cfg());
    s.segment_added(seg(1, t), t);
    drain(&mut s, t);
    // Outage: 20 segments arrive 2 s apart while every request fails.
    let mut now = t;
    for seq in 2..22 {
        now += Duration::from_secs(2);
        s.segment_added(seg(seq, now), now);
        if let Some(job) = s.poll_job(now) {
            s.job_done(job.id, Err("connect refused".into()), now);
        }
        assert!(s.stats().queued_segments <= 4, "queue bounded");
    }
    now += Duration::from_secs(3);
    let keys = drain(&mut s, now);
    assert!(
        !keys.iter().any(|k| k.contains("seg-00000015")),
        "old segments skipped: {keys:?}"
    );
    let pl = s.playlist();
    let u = uris(&pl);
    assert_eq!(u.first(), Some(&"seg-00000001.ts"));
    assert_eq!(u.last(), Some(&"seg-00000021.ts"));
    assert!(u.len() <= 1 + 4, "{pl}");
    let after_gap = pl.split("seg-00000001.ts").nth(1).unwrap();
    assert!(after_gap.trim_start().starts_with("#EXT-X-DISCONTINUITY"), "{pl}");
    assert!(
        pl.contains("#EXT-X-MEDIA-SEQUENCE:1\n"),
        "own numbering stays consecutive: {pl}"
    );
    assert!(s.stats().segments_skipped >= 15);
}

#[test]
fn removed_segments_are_deleted_after_a_playlist_without_them() {
    let t = Instant::now();
    let mut s = Scheduler::new(cfg());
    s.segment_added(seg(1, t), t);
    s.segment_added(seg(2, t), t);
    drain(&mut s, t);
    s.segment_removed(1, t);
    let keys = drain(&mut s, t);
    assert_eq!(keys, ["p/hls/live.m3u8"], "delete waits for the grace time");
    assert!(!s.playlist().contains("seg-00000001"));
    let later = t + Duration::from_secs(1);
    assert_eq!(s.poll_timeout(t), Some(later));
    assert_eq!(drain(&mut s, later), ["DELETE p/hls/seg-00000001.ts"]);
    assert_eq!(s.stats().objects_deleted, 1);
}

#[test]
fn delete_waits_while_the_new_playlist_fails() {
    let t = Instant::now();
    let mut s = Scheduler::new(SchedulerConfig {
        delete_grace: Duration::ZERO,
        ..cfg()
    });
    s.segment_added(seg(1, t), t);
    s.segment_added(seg(2, t), t);
    drain(&mut s, t);
    s.segment_removed(1, t);
    let pl = s.poll_job(t).unwrap();
    s.job_done(pl.id, Err("HTTP 503".into()), t);
    let later = s.poll_timeout(t).unwrap();
    let next = s.poll_job(later).unwrap();
    assert_eq!(
        key(&next),
        "p/hls/live.m3u8",
        "the playlist is retried before any delete"
    );
}

#[test]
fn lifecycle_mode_never_deletes() {
    let t = Instant::now();
    let mut s = Scheduler::new(SchedulerConfig {
        delete_old: false,
        ..cfg()
    });
    s.segment_added(seg(1, t), t);
    s.segment_added(seg(2, t), t);
    drain(&mut s, t);
    s.segment_removed(1, t);
    let keys = drain(&mut s, t + Duration::from_secs(60));
    assert!(keys.iter().all(|k| !k.starts_with("DELETE")), "{keys:?}");
}

#[test]
fn a_segment_leaving_during_its_upload_is_deleted_not_published() {
    let t = Instant::now();
    let mut s = Scheduler::new(cfg());
    s.segment_added(seg(1, t), t);
    s.segment_added(seg(2, t), t);
    let a = s.poll_job(t).unwrap();
    s.segment_removed(1, t);
    s.job_done(a.id, Ok(()), t);
    let keys = drain(&mut s, t);
    assert!(keys.contains(&"DELETE p/hls/seg-00000001.ts".to_owned()), "{keys:?}");
    assert_eq!(uris(&s.playlist()), ["seg-00000002.ts"]);
}

#[test]
fn resync_after_missed_events_matches_the_window() {
    let t = Instant::now();
    let mut s = Scheduler::new(cfg());
    for q in 1..=3 {
        s.segment_added(seg(q, t), t);
    }
    drain(&mut s, t);
    let window = vec![seg(3, t), seg(4, t), seg(5, t)];
    s.resync(&window, t);
    drain(&mut s, t + Duration::from_secs(2));
    assert_eq!(
        uris(&s.playlist()),
        ["seg-00000003.ts", "seg-00000004.ts", "seg-00000005.ts"]
    );
}

#[test]
fn fmp4_init_is_uploaded_before_segments_are_published() {
    let t = Instant::now();
    let mut s = Scheduler::new(cfg());
    let init = Arc::new(InitSegment {
        name: "init-1-0.mp4".into(),
        data: Bytes::from_static(b"moov"),
    });
    let mut one = Arc::try_unwrap(seg(1, t)).unwrap();
    one.media.init = Some(init);
    one.media.kind = Container::Fmp4;
    one.name = "seg-00000001.m4s".into();
    s.segment_added(Arc::new(one), t);
    let first = s.poll_job(t).unwrap();
    assert_eq!(key(&first), "p/hls/init-1-0.mp4");
    let second = s.poll_job(t).unwrap();
    s.job_done(second.id, Ok(()), t);
    assert!(uris(&s.playlist()).is_empty(), "init not stored yet");
    s.job_done(first.id, Ok(()), t);
    let pl = s.playlist();
    assert!(
        pl.contains("#EXT-X-MAP:URI=\"init-1-0.mp4\"") && pl.contains("#EXT-X-VERSION:7"),
        "{pl}"
    );
    s.segment_removed(1, t);
    let keys = drain(&mut s, t + Duration::from_secs(5));
    assert!(keys.contains(&"DELETE p/hls/init-1-0.mp4".to_owned()), "{keys:?}");
}

#[test]
fn viewer_files_come_after_live_work_and_the_marker_last() {
    let t = Instant::now();
    let mut s = Scheduler::new(SchedulerConfig {
        concurrency: 1,
        ..cfg()
    });
    let file = |k: &str| PutRequest {
        key: k.into(),
        body: Bytes::new(),
        content_type: "x",
        cache_control: "y",
    };
    s.set_viewer(
        vec![file("p/index.html"), file("p/assets/a.js")],
        file("p/.venuebox-viewer-version"),
    );
    s.segment_added(seg(1, t), t);
    let keys = drain(&mut s, t);
    assert_eq!(
        keys,
        [
            "p/hls/seg-00000001.ts",
            "p/hls/live.m3u8",
            "p/index.html",
            "p/assets/a.js",
            "p/.venuebox-viewer-version"
        ]
    );
}

#[test]
fn concurrency_is_bounded() {
    let t = Instant::now();
    let mut s = Scheduler::new(cfg());
    for q in 1..=4 {
        s.segment_added(seg(q, t), t);
    }
    assert!(s.poll_job(t).is_some() && s.poll_job(t).is_some());
    assert!(s.poll_job(t).is_none());
    assert_eq!(s.stats().in_flight, 2);
}
