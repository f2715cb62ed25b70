//! `/signal` end to end with a real WebSocket client: hello and announcements in order for an
//! ffmpeg-made stream, end of stream and discontinuities, stats aggregation into `/api/status`
//! and `/metrics`, bounded clients, a viewer that never reads (dropped; others unaffected), and bad
//! input that gets errors or a closed socket.

mod common;

use common::*;
use futures_util::SinkExt as _;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use venuebox::config::{Config, IngestMode};
use venuebox_proto::signal::{ClientMessage, ErrorCode, ServerMessage, ViewerStats};

fn stats(p2p: u64, http: u64, peers: u32) -> String {
    ClientMessage::Stats(ViewerStats {
        bytes_p2p: p2p,
        bytes_http: http,
        bytes_r2: 0,
        peers,
        buffer_secs: 3.0,
        latency_secs: Some(4.0),
        stalls: 0,
        ..ViewerStats::default()
    })
    .encode()
    .unwrap()
}

fn demo_config() -> Config {
    let mut c = Config::default();
    c.http.listen = "127.0.0.1:0".parse().unwrap();
    c.ingest.mode = IngestMode::Demo;
    c.ingest.ffmpeg = ffmpeg().into();
    c.ingest.poll_ms = 100;
    (
        c.demo.width,
        c.demo.height,
        c.demo.fps,
        c.demo.video_kbps,
        c.demo.segment_secs,
    ) = (160, 90, 10, 100, 1);
    c.window.max_segments = 3;
    c.signal.r2_base_url = "https://media.example.org/venue/".into();
    c.admin.password = "test-password".into();
    c
}

#[tokio::test]
async fn hello_then_segments_in_order_for_an_ffmpeg_stream() {
    let svc = start(demo_config()).await;
    let mut ws = connect(svc.addr).await;
    let Some(ServerMessage::Hello(hello)) = next(&mut ws).await else {
        panic!("hello first")
    };
    assert_eq!(hello.tracker_url, format!("ws://{}/announce", svc.addr));
    assert_eq!(hello.stream.playlist_url, "/hls/live.m3u8");
    assert_eq!(
        hello.stream.r2_playlist_url.as_deref(),
        Some("https://media.example.org/venue/live.m3u8")
    );
    let mut last = hello.segments.last().map(|s| s.seq);
    let mut announced = Vec::new();
    let mut removed = Vec::new();
    while announced.len() < 5 {
        match next(&mut ws).await.expect("socket open") {
            ServerMessage::Segment(s) => {
                if let Some(prev) = last {
                    assert_eq!(s.seq, prev + 1, "consecutive sequence numbers");
                }
                last = Some(s.seq);
                assert_eq!(s.url, format!("/hls/{}", s.name.as_str()));
                assert_eq!(
                    s.r2_url,
                    Some(format!("https://media.example.org/venue/{}", s.name.as_str()))
                );
                let body = get(svc.addr, &s.url).await;
                assert_eq!(body.status, 200, "announced segments are served");
                assert_eq!(body.body.len() as u64, s.bytes);
                let made = venuebox_proto::torrent::Torrent::build(s.name.as_str(), &body.body).expect("torrent");
                let info_hash = s.info_hash.as_ref().expect("announced with its info hash");
                assert_eq!(
                    info_hash.as_str(),
                    made.info_hash().to_hex(),
                    "info hash of the served bytes"
                );
                let torrent = s.torrent.as_ref().expect("announced with its torrent");
                assert_eq!(
                    torrent.as_bytes(),
                    made.torrent_file(&[]).as_slice(),
                    "the .torrent describes the served bytes"
                );
                assert!(s.duration > 0.5 && s.duration < 2.0, "{}", s.duration);
                announced.push(s.seq);
            }
            ServerMessage::Removed(r) => removed.push(r.seq),
            ServerMessage::Discontinuity(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(!removed.is_empty(), "a 3-segment window drops segments");
    assert!(removed.windows(2).all(|w| w[0] < w[1]), "removals in order");
    // A second viewer's hello lists exactly the window.
    let mut late = connect(svc.addr).await;
    let Some(ServerMessage::Hello(h2)) = next(&mut late).await else {
        panic!("hello")
    };
    assert!(!h2.segments.is_empty() && h2.segments.len() <= 3);
    assert_eq!(h2.stream.container, Some(venuebox_proto::signal::Container::Ts));
    svc.stop().await;
}

#[tokio::test]
async fn end_of_stream_and_discontinuity_are_announced() {
    let hls = tempfile::tempdir().unwrap();
    for n in ["a.ts", "b.ts", "c.ts"] {
        std::fs::write(hls.path().join(n), vec![7u8; 500]).unwrap();
    }
    write_atomic(hls.path(), "stream.m3u8", playlist(0, &["a.ts"], false).as_bytes());
    let svc = start(hls_dir_config(hls.path())).await;
    let mut ws = connect(svc.addr).await;
    assert!(matches!(next(&mut ws).await, Some(ServerMessage::Hello(_))));
    write_atomic(
        hls.path(),
        "stream.m3u8",
        playlist(0, &["a.ts", "b.ts"], true).as_bytes(),
    );
    let mut seen = Vec::new();
    while !seen.iter().any(|m| matches!(m, ServerMessage::End(_))) {
        seen.push(next(&mut ws).await.expect("open"));
    }
    // The producer restarts with new numbering: a discontinuity, then the segment.
    write_atomic(hls.path(), "stream.m3u8", playlist(0, &["c.ts"], false).as_bytes());
    let msg = next(&mut ws).await.expect("open");
    let ServerMessage::Discontinuity(d) = msg else {
        panic!("discontinuity first, got {msg:?}")
    };
    let Some(ServerMessage::Segment(s)) = next(&mut ws).await else {
        panic!("then the segment")
    };
    assert_eq!(s.seq, d.seq);
    assert!(s.discontinuity);
    svc.stop().await;
}

#[tokio::test]
async fn stats_are_aggregated_into_status_and_metrics() {
    let hls = tempfile::tempdir().unwrap();
    let svc = start(hls_dir_config(hls.path())).await;
    let (mut a, mut b) = (connect(svc.addr).await, connect(svc.addr).await);
    next(&mut a).await.unwrap();
    next(&mut b).await.unwrap();
    a.send(Message::text(stats(300, 100, 2))).await.unwrap();
    b.send(Message::text(stats(500, 100, 4))).await.unwrap();
    let addr = svc.addr;
    let doc = wait_for(Duration::from_secs(5), "two reports", || async move {
        let v: serde_json::Value = serde_json::from_slice(&get(addr, "/api/status").await.body).ok()?;
        (v["signal"]["viewers"]["reporting"] == 2).then_some(v)
    })
    .await;
    let v = &doc["signal"]["viewers"];
    assert_eq!(
        (v["viewers"].as_u64(), v["bytes_p2p"].as_u64(), v["bytes_http"].as_u64()),
        (Some(2), Some(800), Some(200))
    );
    assert_eq!(v["p2p_share"].as_f64(), Some(0.8));
    assert_eq!(v["peers_mean"].as_f64(), Some(3.0));
    let metrics = get(svc.addr, "/metrics").await.text();
    assert!(metrics.contains("venuebox_signal_viewers 2\n"), "{metrics}");
    assert!(metrics.contains("venuebox_signal_p2p_share 0.8\n"));
    assert!(metrics.contains("venuebox_signal_viewer_bytes_total{source=\"p2p\"} 800\n"));
    drop(a);
    let left = wait_for(Duration::from_secs(5), "a leaves", || async move {
        let v: serde_json::Value = serde_json::from_slice(&get(addr, "/api/status").await.body).ok()?;
        (v["signal"]["viewers"]["viewers"] == 1).then_some(v)
    })
    .await;
    assert_eq!(
        left["signal"]["viewers"]["bytes_p2p"].as_u64(),
        Some(800),
        "departed bytes stay counted"
    );
    svc.stop().await;
}

async fn expect_error(ws: &mut Ws, code: ErrorCode) {
    match next(ws).await {
        Some(ServerMessage::Error(e)) => assert_eq!(e.code, code, "{}", e.message),
        other => panic!("expected {code:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_input_gets_errors_or_a_closed_socket_and_others_are_unaffected() {
    let hls = tempfile::tempdir().unwrap();
    let svc = start(hls_dir_config(hls.path())).await;
    let mut good = connect(svc.addr).await;
    next(&mut good).await.unwrap();
    let mut bad = connect(svc.addr).await;
    next(&mut bad).await.unwrap();
    for (frame, code) in [
        (Message::text("garbage{"), ErrorCode::BadMessage),
        (
            Message::text("{\"v\":1,\"type\":\"stats\",\"peers\":\"many\"}"),
            ErrorCode::BadMessage,
        ),
        (
            Message::text("{\"v\":9,\"type\":\"stats\"}"),
            ErrorCode::UnsupportedVersion,
        ),
        (Message::text("{\"v\":1,\"type\":\"hello\"}"), ErrorCode::BadMessage),
        (Message::text("x".repeat(5000)), ErrorCode::TooLarge),
        (Message::binary(vec![0u8; 10]), ErrorCode::BadMessage),
    ] {
        bad.send(frame).await.unwrap();
        expect_error(&mut bad, code).await;
    }
    // A stats flood: a few pass, then rate_limited errors, then the socket closes.
    let mut codes = Vec::new();
    for i in 0..40u64 {
        if bad.send(Message::text(stats(i, 0, 0))).await.is_err() {
            break;
        }
    }
    while let Some(m) = next(&mut bad).await {
        if let ServerMessage::Error(e) = m {
            codes.push(e.code);
        }
    }
    assert!(codes.contains(&ErrorCode::RateLimited), "{codes:?}");
    // A frame beyond the WebSocket limit closes the socket at once.
    let mut huge = connect(svc.addr).await;
    next(&mut huge).await.unwrap();
    let _ = huge.send(Message::text("y".repeat(200_000))).await;
    assert!(next(&mut huge).await.is_none(), "closed after a huge frame");
    // The well-behaved viewer is still served.
    good.send(Message::text(stats(10, 10, 1))).await.unwrap();
    let addr = svc.addr;
    wait_for(Duration::from_secs(5), "good viewer's report", || async move {
        let v: serde_json::Value = serde_json::from_slice(&get(addr, "/api/status").await.body).ok()?;
        (v["signal"]["viewers"]["bytes_p2p"].as_u64()? >= 10).then_some(())
    })
    .await;
    let v: serde_json::Value = serde_json::from_slice(&get(svc.addr, "/api/status").await.body).unwrap();
    assert!(v["signal"]["rejected_messages_total"].as_u64().unwrap() >= 7);
    assert!(v["signal"]["closed_abuse_total"].as_u64().unwrap() >= 1);
    svc.stop().await;
}

#[tokio::test]
async fn clients_beyond_the_limit_are_refused() {
    let hls = tempfile::tempdir().unwrap();
    let mut config = hls_dir_config(hls.path());
    config.signal.max_clients = 1;
    let svc = start(config).await;
    let mut first = connect(svc.addr).await;
    assert!(matches!(next(&mut first).await, Some(ServerMessage::Hello(_))));
    let mut second = connect(svc.addr).await;
    expect_error(&mut second, ErrorCode::ServerFull).await;
    assert!(next(&mut second).await.is_none());
    drop(first);
    let addr = svc.addr;
    wait_for(Duration::from_secs(5), "a free slot", || async move {
        let mut ws = connect(addr).await;
        matches!(next(&mut ws).await, Some(ServerMessage::Hello(_))).then_some(())
    })
    .await;
    svc.stop().await;
}

#[tokio::test]
async fn plain_http_on_signal_is_refused() {
    let hls = tempfile::tempdir().unwrap();
    let svc = start(hls_dir_config(hls.path())).await;
    assert_eq!(get(svc.addr, "/signal").await.status, 426);
    svc.stop().await;
}

fn tiny_segment(i: u32) -> venuebox::window::IncomingSegment {
    venuebox::window::IncomingSegment {
        source_uri: format!("s{i}.ts"),
        kind: venuebox::window::Container::Ts,
        duration: 2.0,
        data: bytes::Bytes::from(i.to_be_bytes().repeat(64)),
        discontinuity: false,
        program_date_time: None,
        init: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_that_never_reads_is_dropped_and_others_get_everything() {
    const SEGMENTS: usize = 20_000;
    let hls = tempfile::tempdir().unwrap();
    let svc = start(hls_dir_config(hls.path())).await; // 64 messages queued per viewer
                                                       // Connected, then never read again: the kernel's socket buffers fill, then its queue.
    let mut slow = connect(svc.addr).await;
    assert!(matches!(next(&mut slow).await, Some(ServerMessage::Hello(_))));
    let mut fast = connect(svc.addr).await;
    assert!(matches!(next(&mut fast).await, Some(ServerMessage::Hello(_))));
    let received = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let got = received.clone();
    let reader = tokio::spawn(async move {
        let mut seqs = Vec::new();
        while let Some(msg) = next(&mut fast).await {
            if let ServerMessage::Segment(s) = msg {
                seqs.push(s.seq);
                got.store(seqs.len(), std::sync::atomic::Ordering::Relaxed);
                if seqs.len() == SEGMENTS {
                    break;
                }
            }
        }
        seqs
    });
    for i in 0..SEGMENTS {
        // The reading viewer is never more than 8 segments (16 messages: added and removed)
        // behind, well inside its 64-message queue, however loaded the machine is.
        while i - received.load(std::sync::atomic::Ordering::Relaxed).min(i) > 8 {
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        svc.state.window.push(tiny_segment(i as u32));
    }
    let seqs = reader.await.unwrap();
    assert_eq!(seqs.len(), SEGMENTS, "the reading viewer got every announcement");
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "in order, none missing");
    let addr = svc.addr;
    wait_for(Duration::from_secs(20), "the slow viewer dropped", || async move {
        let v: serde_json::Value = serde_json::from_slice(&get(addr, "/api/status").await.body).unwrap();
        (v["signal"]["dropped_slow_total"].as_u64() == Some(1)).then_some(())
    })
    .await;
    drop(slow);
    svc.stop().await;
}
