//! The segment watcher against playlists that real ffmpeg writes during the test (TS and fMP4),
//! and the awkward cases: restarts with new numbering, a restart that keeps counting forward
//! (seen only in the timestamps), deleted segments, rewrites in place, garbage, end of stream.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use venuebox_proto::m3u8::MediaPlaylist;
use venuebox_proto::signal::ServerMessage;

/// One ffmpeg run into the folder.
#[derive(Clone, Copy, Default)]
struct HlsRun {
    secs: u32,
    fmp4: bool,
    start_number: u32,
    /// Leave `EXT-X-ENDLIST` out, as an encoder that is killed or crashes does.
    no_endlist: bool,
}

impl HlsRun {
    fn ts(secs: u32) -> Self {
        Self {
            secs,
            ..Self::default()
        }
    }
    fn fmp4(secs: u32) -> Self {
        Self {
            fmp4: true,
            ..Self::ts(secs)
        }
    }
}

/// Runs ffmpeg to completion: `secs` of 320x240 test pattern + tone in 1 s HLS segments.
fn ffmpeg_hls(dir: &Path, run: HlsRun) {
    let HlsRun {
        secs,
        fmp4,
        start_number,
        no_endlist,
    } = run;
    let mut cmd = Command::new(ffmpeg());
    cmd.args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args([
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=sample_rate=48000",
        ])
        .args([
            "-t",
            &secs.to_string(),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "25",
            "-sc_threshold",
            "0",
        ])
        .args(["-c:a", "aac", "-f", "hls", "-hls_time", "1", "-hls_list_size", "0"])
        .args(["-start_number", &start_number.to_string()])
        .args([
            "-hls_flags",
            if no_endlist {
                "program_date_time+temp_file+omit_endlist"
            } else {
                "program_date_time+temp_file"
            },
        ]);
    if fmp4 {
        cmd.args(["-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4"]);
        cmd.arg("-hls_segment_filename").arg(dir.join("s%d.m4s"));
    } else {
        cmd.arg("-hls_segment_filename").arg(dir.join("s%d.ts"));
    }
    let status = cmd.arg(dir.join("stream.m3u8")).status().expect("run ffmpeg");
    assert!(status.success());
}

async fn live_playlist(svc: &Running) -> MediaPlaylist {
    MediaPlaylist::parse(&get(svc.addr, "/hls/live.m3u8").await.body).unwrap()
}

async fn wait_segments(svc: &Running, n: usize) -> MediaPlaylist {
    let addr = svc.addr;
    wait_for(Duration::from_secs(20), &format!("{n} segments"), || async move {
        let p = MediaPlaylist::parse(&get(addr, "/hls/live.m3u8").await.body).ok()?;
        (p.segments.len() >= n).then_some(p)
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn follows_a_live_ffmpeg_ts_stream_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let svc = start(hls_dir_config(dir.path())).await;
    produce(dir.path(), HlsRun::ts(4)).await;
    let p = wait_segments(&svc, 4).await;
    let source = MediaPlaylist::parse(&std::fs::read(dir.path().join("stream.m3u8")).unwrap()).unwrap();
    assert_eq!(p.segments.len(), source.segments.len());
    for (ours, theirs) in p.segments.iter().zip(&source.segments) {
        let served = get(svc.addr, &format!("/hls/{}", ours.uri)).await.body;
        assert_eq!(
            served,
            std::fs::read(dir.path().join(&theirs.uri)).unwrap(),
            "{}",
            ours.uri
        );
        assert_eq!(ours.duration, theirs.duration);
        assert_eq!(ours.program_date_time, theirs.program_date_time);
    }
    assert!(p.segments.iter().all(|s| !s.discontinuity));
    let status: serde_json::Value = serde_json::from_slice(&get(svc.addr, "/api/status").await.body).unwrap();
    assert_eq!(status["ingest"]["state"], "ended", "ffmpeg wrote EXT-X-ENDLIST");
    svc.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn follows_fmp4_with_init_segment_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let svc = start(hls_dir_config(dir.path())).await;
    produce(dir.path(), HlsRun::fmp4(3)).await;
    let p = wait_segments(&svc, 3).await;
    let init_name = &p.segments[0].map.as_ref().expect("EXT-X-MAP").uri;
    let init = get(svc.addr, &format!("/hls/{init_name}")).await;
    assert_eq!(init.header("content-type"), Some("video/mp4"));
    assert_eq!(init.body, std::fs::read(dir.path().join("init.mp4")).unwrap());
    let seg = get(svc.addr, &format!("/hls/{}", p.segments[0].uri)).await;
    assert_eq!(seg.header("content-type"), Some("video/iso.segment"));
    assert_eq!(p.version, 7);
    // The producer restarts from 0 in the same folder: a discontinuity, not a dead stream.
    for e in std::fs::read_dir(dir.path()).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
    produce(dir.path(), HlsRun::fmp4(2)).await;
    let p = wait_segments(&svc, 5).await;
    let first_new = &p.segments[3];
    assert!(first_new.discontinuity, "restart must be a discontinuity: {p:?}");
    assert!(!p.segments[4].discontinuity);
    let new_init = first_new.map.as_ref().unwrap();
    assert_eq!(get(svc.addr, &format!("/hls/{}", new_init.uri)).await.status, 200);
    svc.stop().await;
}

/// Runs ffmpeg into the watched folder on a blocking thread.
async fn produce(dir: &Path, run: HlsRun) {
    let path = dir.to_owned();
    tokio::task::spawn_blocking(move || ffmpeg_hls(&path, run))
        .await
        .unwrap();
}

async fn ingest_status(svc: &Running) -> serde_json::Value {
    let status: serde_json::Value = serde_json::from_slice(&get(svc.addr, "/api/status").await.body).unwrap();
    status["ingest"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_steady_stream_has_no_discontinuity_by_timestamps() {
    for fmp4 in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let svc = start(hls_dir_config(dir.path())).await;
        let run = HlsRun {
            fmp4,
            no_endlist: true,
            ..HlsRun::ts(12)
        };
        produce(dir.path(), run).await;
        let p = wait_segments(&svc, 12).await;
        assert!(p.segments.iter().all(|s| !s.discontinuity), "fmp4 {fmp4}: {p:?}");
        assert_eq!(p.discontinuity_sequence, 0);
        let ingest = ingest_status(&svc).await;
        assert_eq!(
            ingest["timestamps_unreadable"], 0,
            "every timestamp was read (fmp4 {fmp4})"
        );
        assert_eq!(ingest["timestamp_discontinuities"], 0);
        svc.stop().await;
    }
}

/// ffmpeg stops without `EXT-X-ENDLIST` and a new ffmpeg writes into the same folder with its
/// numbering jumped forward: names and media sequence keep counting, timestamps start again.
async fn restart_counting_forward(fmp4: bool) {
    let dir = tempfile::tempdir().unwrap();
    let svc = start(hls_dir_config(dir.path())).await;
    let mut ws = connect(svc.addr).await;
    assert!(matches!(next(&mut ws).await, Some(ServerMessage::Hello(_))));
    let run = HlsRun {
        fmp4,
        no_endlist: true,
        ..HlsRun::ts(6)
    };
    produce(dir.path(), run).await;
    wait_segments(&svc, 6).await;
    produce(
        dir.path(),
        HlsRun {
            start_number: 100,
            ..run
        },
    )
    .await;
    let p = wait_segments(&svc, 12).await;
    let marked: Vec<usize> = (0..p.segments.len()).filter(|&i| p.segments[i].discontinuity).collect();
    assert_eq!(
        marked,
        [6],
        "one discontinuity, before the second run's first segment: {p:?}"
    );
    let first_new = get(svc.addr, &format!("/hls/{}", p.segments[6].uri)).await.body;
    let ext = if fmp4 { "m4s" } else { "ts" };
    assert_eq!(
        first_new,
        std::fs::read(dir.path().join(format!("s100.{ext}"))).unwrap()
    );
    if fmp4 {
        let init = &p.segments[6].map.as_ref().expect("EXT-X-MAP").uri;
        let served = get(svc.addr, &format!("/hls/{init}")).await.body;
        assert_eq!(
            served,
            std::fs::read(dir.path().join("init.mp4")).unwrap(),
            "the second run's init"
        );
    }
    let ingest = ingest_status(&svc).await;
    assert_eq!(
        (
            ingest["timestamp_discontinuities"].as_u64(),
            ingest["producer_restarts"].as_u64()
        ),
        (Some(1), Some(0))
    );
    // The viewer's signaling: twelve segments, one discontinuity, announced just before it.
    let (mut segments, mut discontinuities) = (Vec::new(), Vec::new());
    while segments.len() < 12 {
        match next(&mut ws).await.expect("open") {
            ServerMessage::Segment(s) => segments.push((s.seq, s.discontinuity)),
            ServerMessage::Discontinuity(d) => discontinuities.push((d.seq, segments.len())),
            _ => {}
        }
    }
    assert_eq!(discontinuities, [(p.media_sequence + 6, 6)]);
    assert_eq!(segments.iter().filter(|s| s.1).count(), 1);
    svc.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_counting_forward_is_one_discontinuity_ts() {
    restart_counting_forward(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_counting_forward_is_one_discontinuity_fmp4() {
    restart_counting_forward(true).await;
}

#[tokio::test]
async fn sliding_playlist_with_deleted_and_renumbered_segments() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let svc = start(hls_dir_config(d)).await;
    for name in ["a0.ts", "a1.ts"] {
        std::fs::write(d.join(name), name).unwrap();
    }
    write_atomic(d, "stream.m3u8", playlist(10, &["a0.ts", "a1.ts"], false).as_bytes());
    wait_segments(&svc, 2).await;
    // a2 is listed but was deleted by the producer before we could read it: skipped, counted.
    std::fs::write(d.join("a3.ts"), "a3").unwrap();
    write_atomic(
        d,
        "stream.m3u8",
        playlist(11, &["a1.ts", "a2.ts", "a3.ts"], false).as_bytes(),
    );
    wait_segments(&svc, 3).await;
    // Rewritten in place (no rename), with new numbering: a restart.
    std::fs::write(d.join("b0.ts"), "b0").unwrap();
    std::fs::write(d.join("stream.m3u8"), playlist(0, &["b0.ts"], false)).unwrap();
    let p = wait_segments(&svc, 4).await;
    let bodies: Vec<String> = {
        let mut v = Vec::new();
        for s in &p.segments {
            v.push(get(svc.addr, &format!("/hls/{}", s.uri)).await.text());
        }
        v
    };
    assert_eq!(bodies, ["a0.ts", "a1.ts", "a3", "b0"]);
    assert_eq!(
        p.segments.iter().map(|s| s.discontinuity).collect::<Vec<_>>(),
        [false, false, false, true]
    );
    let status: serde_json::Value = serde_json::from_slice(&get(svc.addr, "/api/status").await.body).unwrap();
    assert_eq!(status["ingest"]["segments_missing"], 1);
    assert_eq!(status["ingest"]["producer_restarts"], 1);
    svc.stop().await;
}

#[tokio::test]
async fn garbage_and_oversized_playlists_are_reported_and_survived() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let svc = start(hls_dir_config(d)).await;
    write_atomic(d, "stream.m3u8", b"this is not a playlist\n");
    let addr = svc.addr;
    let status = wait_for(Duration::from_secs(5), "error in status", || async move {
        let s: serde_json::Value = serde_json::from_slice(&get(addr, "/api/status").await.body).ok()?;
        s["ingest"]["last_error"].as_str().map(str::to_owned)
    })
    .await;
    assert!(status.contains("does not start with #EXTM3U"), "{status}");
    write_atomic(d, "stream.m3u8", &vec![b'#'; (1 << 20) + 10]);
    wait_for(Duration::from_secs(5), "size error", || async move {
        let s: serde_json::Value = serde_json::from_slice(&get(addr, "/api/status").await.body).ok()?;
        s["ingest"]["last_error"].as_str()?.contains("more than").then_some(())
    })
    .await;
    // A good playlist afterwards is followed as usual.
    std::fs::write(d.join("x.ts"), "x").unwrap();
    write_atomic(
        d,
        "stream.m3u8",
        playlist(0, &["x.ts", "../../etc/passwd"], false).as_bytes(),
    );
    let p = wait_segments(&svc, 1).await;
    assert_eq!(p.segments.len(), 1);
    assert_eq!(get(svc.addr, "/healthz").await.status, 200);
    svc.stop().await;
}

#[tokio::test]
async fn window_bounds_hold_for_a_long_stream() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut config = hls_dir_config(d);
    config.window.max_segments = 5;
    let svc = start(config).await;
    let mut listed = Vec::new();
    for i in 0..12 {
        let name = format!("s{i}.ts");
        std::fs::write(d.join(&name), vec![0u8; 100]).unwrap();
        listed.push(name);
        let refs: Vec<&str> = listed.iter().map(String::as_str).collect();
        write_atomic(d, "stream.m3u8", playlist(0, &refs, false).as_bytes());
        let addr = svc.addr;
        let want = (i + 1).min(5);
        wait_for(Duration::from_secs(5), "segment", || async move {
            let s: serde_json::Value = serde_json::from_slice(&get(addr, "/api/status").await.body).ok()?;
            (s["ingest"]["segments_added"] == i + 1 && s["window"]["segments"] == want).then_some(())
        })
        .await;
    }
    let p = live_playlist(&svc).await;
    assert_eq!(p.segments.len(), 5);
    assert_eq!(svc.state.window.read().stats().bytes, 500);
    svc.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_folder_is_read_only_on_the_poll() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let svc = start(hls_dir_config(d)).await;
    std::fs::write(d.join("a0.ts"), "a0").unwrap();
    write_atomic(d, "stream.m3u8", playlist(0, &["a0.ts"], false).as_bytes());
    wait_segments(&svc, 1).await;
    let reads = || async {
        let s: serde_json::Value = serde_json::from_slice(&get(svc.addr, "/api/status").await.body).unwrap();
        s["ingest"]["playlist_reads"].as_u64().unwrap()
    };
    let before = reads().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = reads().await - before;
    // The tests' 100 ms poll reads it about 30 times. When the watcher's own reads woke it
    // again, it read the playlist about 450 times a second.
    assert!((15..=45).contains(&idle), "{idle} playlist reads in 3 idle seconds");
    svc.stop().await;
}
