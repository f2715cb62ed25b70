//! RTMP ingest with ffmpeg playing OBS (testsrc2 + sine, H.264 High, AAC, 320x240) pushing to
//! the box: segments served over HTTP, reconnects as discontinuities, wrong keys refused and
//! never logged, a killed ffmpeg restarted, 10 s keyframes warned about.

mod common;

use common::*;
use serde_json::Value;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use venuebox::config::{IngestMode, StreamKey};
use venuebox_proto::m3u8::MediaPlaylist;

const WAIT: Duration = Duration::from_secs(60);

/// Everything the service logged (all tests of this binary), to check that no key shows.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        tracing_subscriber::fmt()
            .with_env_filter("venuebox=debug")
            .with_ansi(false)
            .with_writer(move || LogSink(sink.clone()))
            .init();
        buf
    })
}

struct LogSink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        std::io::stderr().write_all(data)?;
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn log_text() -> String {
    String::from_utf8_lossy(&logs().lock().unwrap()).into_owned()
}

async fn start_rtmp(dir: &Path, key: &str) -> (Running, SocketAddr) {
    logs();
    ffmpeg();
    let mut c = hls_dir_config(dir);
    c.ingest.mode = IngestMode::Rtmp;
    c.ingest.stream_key = StreamKey::new(key);
    c.ingest.rtmp_listen = "127.0.0.1:0".parse().unwrap();
    let svc = start(c).await;
    let rtmp = svc.state.ingest.rtmp.as_ref().expect("rtmp mode has a gate").listen;
    (svc, rtmp)
}

/// ffmpeg playing OBS: `secs` of 320x240 test pattern + tone, H.264 High with a keyframe
/// every `keyframe_secs`, AAC, in real time.
fn push(rtmp: SocketAddr, key: &str, secs: u32, keyframe_secs: u32) -> Child {
    let gop = (25 * keyframe_secs).to_string();
    Command::new(ffmpeg())
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-re"])
        .args(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
        .args(["-t", &secs.to_string(), "-c:v", "libx264", "-preset", "veryfast"])
        .args(["-profile:v", "high", "-pix_fmt", "yuv420p", "-b:v", "300k"])
        .args(["-g", &gop, "-keyint_min", &gop, "-sc_threshold", "0"])
        .args(["-c:a", "aac", "-b:a", "64k", "-f", "flv"])
        .arg(format!("rtmp://{rtmp}/live/{key}"))
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the pushing ffmpeg")
}

async fn status(svc: &Running) -> Value {
    serde_json::from_slice(&get(svc.addr, "/api/status").await.body).unwrap()
}

async fn wait_status(svc: &Running, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let check = &check;
    wait_for(WAIT, what, || async move {
        let s = status(svc).await;
        check(&s).then_some(s)
    })
    .await
}

async fn playlist(svc: &Running) -> MediaPlaylist {
    MediaPlaylist::parse(&get(svc.addr, "/hls/live.m3u8").await.body).unwrap()
}

async fn wait_segments(svc: &Running, n: usize) -> MediaPlaylist {
    let addr = svc.addr;
    wait_for(WAIT, &format!("{n} segments"), || async move {
        let p = MediaPlaylist::parse(&get(addr, "/hls/live.m3u8").await.body).ok()?;
        (p.segments.len() >= n).then_some(p)
    })
    .await
}

/// Waits for a pushing ffmpeg to exit by itself.
async fn finish(mut child: Child) -> std::process::ExitStatus {
    let status = wait_for(WAIT, "the pushing ffmpeg to exit", || {
        let done = child.try_wait().unwrap();
        async move { done }
    })
    .await;
    status
}

fn assert_no_key_anywhere(svc: &Running, keys: &[&str]) {
    let logged = log_text();
    let tail = svc
        .state
        .ingest
        .child
        .as_ref()
        .unwrap()
        .stderr_tail
        .lock()
        .unwrap()
        .clone();
    for key in keys {
        assert!(!logged.contains(key), "a key appeared in the log");
        assert!(
            tail.iter().all(|l| !l.contains(key)),
            "a key appeared in ffmpeg's stderr"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn obs_push_is_served_and_a_reconnect_is_a_discontinuity() {
    let dir = tempfile::tempdir().unwrap();
    let key = "Live-Key-4f9a2c";
    let (svc, rtmp) = start_rtmp(dir.path(), key).await;
    let s = status(&svc).await;
    assert_eq!(s["ingest"]["state"], "waiting");
    assert_eq!(s["ingest"]["rtmp"]["publishing"], false);

    let connect = std::time::Instant::now();
    let first = push(rtmp, key, 7, 2);
    let p = wait_segments(&svc, 2).await;
    eprintln!(
        "measured: OBS connect -> 2 segments listed by the box in {:?}",
        connect.elapsed()
    );
    let seg = get(svc.addr, &format!("/hls/{}", p.segments[0].uri)).await;
    assert_eq!(seg.status, 200);
    assert!(seg.body.len() > 1000 && seg.body[0] == 0x47, "an MPEG-TS segment");
    assert!(
        p.segments.iter().all(|s| (s.duration - 2.0).abs() < 0.2),
        "2 s segments"
    );
    let s = wait_status(&svc, "stream facts", |s| s["ingest"]["stream"]["width"] == 320).await;
    let (ingest, stream) = (&s["ingest"], &s["ingest"]["stream"]);
    assert_eq!(ingest["state"], "live");
    assert_eq!(ingest["rtmp"]["publishing"], true);
    assert!(ingest["bitrate_bps"].as_f64().unwrap() > 50_000.0, "{ingest}");
    assert_eq!(stream["height"], 240);
    assert_eq!(stream["video_codec"], "h264");
    assert_eq!(stream["video_profile"], "High");
    assert_eq!(stream["audio_codec"], "aac");
    let interval = stream["keyframe_interval_secs"].as_f64().unwrap();
    assert!((interval - 2.0).abs() < 0.1, "{interval}");
    assert!(stream["keyframe_warning"].is_null());
    finish(first).await;
    wait_status(&svc, "OBS gone", |s| {
        s["ingest"]["rtmp"]["publishing"] == false && s["ingest"]["state"] == "waiting"
    })
    .await;
    let before = playlist(&svc).await;
    let last_seq = before.sequence_of(before.segments.len() - 1);

    let reconnect = std::time::Instant::now();
    let second = push(rtmp, key, 5, 2);
    let svc_ref = &svc;
    // The first run's last segment may be listed just after "OBS gone" (ffmpeg flushes it when
    // the publisher leaves), so the second run is found by its discontinuity, which must come
    // at most one segment after what was listed and be followed by more of the second run.
    let after = wait_for(
        WAIT,
        "a discontinuity and a second segment of the second run",
        || async move {
            let p = playlist(svc_ref).await;
            let newer: Vec<usize> = (0..p.segments.len()).filter(|&i| p.sequence_of(i) > last_seq).collect();
            let marked = newer.iter().position(|&i| p.segments[i].discontinuity)?;
            (marked + 1 < newer.len()).then_some((p, newer, marked))
        },
    )
    .await;
    eprintln!(
        "measured: OBS reconnect -> 2 new segments listed by the box in {:?}",
        reconnect.elapsed()
    );
    let (after, newer, marked) = after;
    assert!(
        marked <= 1,
        "the first segment after a reconnect is marked (found at {marked})"
    );
    assert_eq!(
        newer.iter().filter(|&&i| after.segments[i].discontinuity).count(),
        1,
        "one discontinuity per reconnect"
    );
    assert!(!after.end_list);
    assert!(!get(svc.addr, "/hls/live.m3u8").await.text().contains("ENDLIST"));
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with("live-1-")),
        "old run's files are gone: {names:?}"
    );
    finish(second).await;
    assert_eq!(status(&svc).await["ingest"]["rtmp"]["publishes"], 2);
    assert_no_key_anywhere(&svc, &[key]);
    svc.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_key_is_refused_and_never_logged() {
    let dir = tempfile::tempdir().unwrap();
    let (key, wrong) = ("Right-Key-77d1e0", "Wrong-Key-5b3c99");
    let (svc, rtmp) = start_rtmp(dir.path(), key).await;
    let pusher = push(rtmp, wrong, 5, 2);
    let s = wait_status(&svc, "a refusal", |s| s["ingest"]["rtmp"]["refused"] == 1).await;
    let reason = s["ingest"]["rtmp"]["last_refusal"].as_str().unwrap().to_owned();
    assert!(reason.contains("wrong stream key"), "{reason}");
    assert!(!finish(pusher).await.success(), "the pushing ffmpeg fails");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(playlist(&svc).await.segments.len(), 0, "nothing from a refused push");
    assert_eq!(status(&svc).await["ingest"]["rtmp"]["publishes"], 0);
    assert!(log_text().contains("RTMP client refused"));
    assert_no_key_anywhere(&svc, &[key, wrong]);
    let mut raw = std::net::TcpStream::connect(rtmp).unwrap();
    raw.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    wait_status(&svc, "HTTP refused", |s| s["ingest"]["rtmp"]["refused"] == 2).await;
    let right = push(rtmp, key, 5, 2);
    wait_segments(&svc, 1).await; // refusals did not break ingest
    assert!(finish(right).await.success());
    assert_no_key_anywhere(&svc, &[key, wrong]);
    svc.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_ffmpeg_is_restarted_and_the_stream_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let key = "Kill-Key-90ab13";
    let (svc, rtmp) = start_rtmp(dir.path(), key).await;
    let child = svc.state.ingest.child.clone().unwrap();
    let pusher = push(rtmp, key, 30, 2);
    let p = wait_segments(&svc, 1).await;
    let last_seq = p.sequence_of(p.segments.len() - 1);
    let pid = child.pid.load(Ordering::Relaxed);
    assert!(pid > 0 && child.starts.load(Ordering::Relaxed) == 1);
    Command::new("kill").args(["-9", &pid.to_string()]).status().unwrap();
    let c = &child;
    wait_for(WAIT, "a restart", || async move {
        (c.starts.load(Ordering::Relaxed) == 2 && c.pid.load(Ordering::Relaxed) != 0).then_some(())
    })
    .await;
    finish(pusher).await; // the gate closed the push with the dead ffmpeg
    let again = push(rtmp, key, 6, 2);
    let svc_ref = &svc;
    let p = wait_for(WAIT, "segments after the restart", || async move {
        let p = playlist(svc_ref).await;
        (p.sequence_of(p.segments.len() - 1) > last_seq + 1).then_some(p)
    })
    .await;
    assert!(p.segments.iter().any(|s| s.discontinuity));
    let mut again = again;
    let _ = again.kill();
    finish(again).await;
    svc.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_second_keyframes_raise_the_warning() {
    let dir = tempfile::tempdir().unwrap();
    let key = "Gop-Key-31c7d5";
    let (svc, rtmp) = start_rtmp(dir.path(), key).await;
    let mut pusher = push(rtmp, key, 13, 10);
    let s = wait_status(&svc, "the keyframe warning", |s| {
        !s["ingest"]["stream"]["keyframe_warning"].is_null()
    })
    .await;
    let stream = &s["ingest"]["stream"];
    assert!(
        (stream["keyframe_interval_secs"].as_f64().unwrap() - 10.0).abs() < 0.2,
        "{stream}"
    );
    assert!(stream["keyframe_warning"]
        .as_str()
        .unwrap()
        .contains("does not fit 2 s segments"));
    let metrics = get(svc.addr, "/metrics").await.text();
    assert!(metrics.contains("venuebox_ingest_keyframe_warning 1"), "{metrics}");
    let _ = pusher.kill();
    finish(pusher).await;
    svc.stop().await;
}
