//! The HTTP server against a folder the test writes: live playlist, segments, Range, HEAD,
//! MIME types, caching, traversal attempts, the viewer folder and the status endpoints.

mod common;

use common::*;
use std::time::Duration;
use venuebox_proto::m3u8::MediaPlaylist;

async fn service_with_two_segments() -> (Running, tempfile::TempDir, tempfile::TempDir) {
    let hls = tempfile::tempdir().unwrap();
    let viewer = tempfile::tempdir().unwrap();
    std::fs::write(hls.path().join("a.ts"), vec![1u8; 1000]).unwrap();
    std::fs::write(
        hls.path().join("b.ts"),
        (0..=255u8).cycle().take(5000).collect::<Vec<_>>(),
    )
    .unwrap();
    write_atomic(
        hls.path(),
        "stream.m3u8",
        playlist(0, &["a.ts", "b.ts"], false).as_bytes(),
    );
    let mut config = hls_dir_config(hls.path());
    config.http.viewer_dir = viewer.path().to_owned();
    let svc = start(config).await;
    let addr = svc.addr;
    wait_for(Duration::from_secs(5), "two segments", || async move {
        let p = get(addr, "/hls/live.m3u8").await;
        (MediaPlaylist::parse(&p.body).ok()?.segments.len() == 2).then_some(())
    })
    .await;
    (svc, hls, viewer)
}

fn names(body: &[u8]) -> Vec<String> {
    MediaPlaylist::parse(body)
        .unwrap()
        .segments
        .into_iter()
        .map(|s| s.uri)
        .collect()
}

#[tokio::test]
async fn live_playlist_and_segments_with_headers() {
    let (svc, _hls, _viewer) = service_with_two_segments().await;
    let p = get(svc.addr, "/hls/live.m3u8").await;
    assert_eq!(p.header("content-type"), Some("application/vnd.apple.mpegurl"));
    assert_eq!(p.header("cache-control"), Some("no-store"));
    let segs = names(&p.body);
    let seg = get(svc.addr, &format!("/hls/{}", segs[1])).await;
    assert_eq!(seg.status, 200);
    assert_eq!(seg.header("content-type"), Some("video/mp2t"));
    assert_eq!(seg.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert_eq!(seg.body, (0..=255u8).cycle().take(5000).collect::<Vec<_>>());
    assert_eq!(get(svc.addr, "/hls/seg-1.ts").await.status, 404);
    svc.stop().await;
}

#[tokio::test]
async fn range_and_head_requests() {
    let (svc, _hls, _viewer) = service_with_two_segments().await;
    let seg = format!("/hls/{}", names(&get(svc.addr, "/hls/live.m3u8").await.body)[1]);
    let r = request(svc.addr, "GET", &seg, &[("Range", "bytes=256-511")]).await;
    assert_eq!(r.status, 206);
    assert_eq!(r.header("content-range"), Some("bytes 256-511/5000"));
    assert_eq!(r.body, (0..=255u8).collect::<Vec<_>>());
    let r = request(svc.addr, "GET", &seg, &[("Range", "bytes=-10")]).await;
    assert_eq!((r.status, r.body.len()), (206, 10));
    assert_eq!(r.header("content-range"), Some("bytes 4990-4999/5000"));
    let r = request(svc.addr, "GET", &seg, &[("Range", "bytes=5000-")]).await;
    assert_eq!((r.status, r.header("content-range")), (416, Some("bytes */5000")));
    let r = request(svc.addr, "GET", &seg, &[("Range", "bytes=0-1,4-5")]).await;
    assert_eq!((r.status, r.body.len()), (200, 5000));
    let r = request(svc.addr, "HEAD", &seg, &[]).await;
    assert_eq!(
        (r.status, r.header("content-length"), r.body.len()),
        (200, Some("5000"), 0)
    );
    assert_eq!(request(svc.addr, "POST", &seg, &[]).await.status, 405);
    svc.stop().await;
}

#[tokio::test]
async fn traversal_is_impossible() {
    let (svc, _hls, viewer) = service_with_two_segments().await;
    std::fs::write(viewer.path().join("index.html"), "<html>viewer</html>").unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "secret").unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), viewer.path().join("link.txt")).unwrap();
    for target in [
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/hls/..%2f..%2fetc%2fpasswd",
        "/..%5c..%5cetc%5cpasswd",
        "//etc/passwd",
        "/etc/passwd",
        "/link.txt",
        "/.hidden",
        "/hls/%00",
    ] {
        let r = get(svc.addr, target).await;
        assert!(r.status == 400 || r.status == 404, "{target} gave {}", r.status);
        assert!(
            !r.text().contains("root:") && !r.text().contains("secret"),
            "{target} leaked"
        );
    }
    let r = request(svc.addr, "GET", "http://test/../etc/passwd", &[]).await;
    assert!(r.status == 400 || r.status == 404);
    let index = get(svc.addr, "/").await;
    assert_eq!((index.status, index.text().as_str()), (200, "<html>viewer</html>"));
    svc.stop().await;
}

#[tokio::test]
async fn viewer_files_mime_and_caching() {
    let (svc, _hls, viewer) = service_with_two_segments().await;
    std::fs::create_dir(viewer.path().join("assets")).unwrap();
    std::fs::write(viewer.path().join("assets/app-1234.js"), "console.log(1)").unwrap();
    std::fs::write(viewer.path().join("manifest.webmanifest"), "{}").unwrap();
    let js = get(svc.addr, "/assets/app-1234.js").await;
    assert_eq!(js.header("content-type"), Some("text/javascript; charset=utf-8"));
    assert!(js.header("cache-control").unwrap().contains("immutable"));
    let m = get(svc.addr, "/manifest.webmanifest").await;
    assert_eq!(m.header("content-type"), Some("application/manifest+json"));
    assert_eq!(get(svc.addr, "/missing.js").await.status, 404);
    // Without index.html the box explains how to build the viewer.
    let r = get(svc.addr, "/").await;
    assert!(r.status == 200 && r.text().contains("viewer app is not built"));
    svc.stop().await;
}

#[tokio::test]
async fn health_status_and_metrics() {
    let (svc, _hls, _viewer) = service_with_two_segments().await;
    assert_eq!(get(svc.addr, "/healthz").await.text(), "ok\n");
    let s: serde_json::Value = serde_json::from_slice(&get(svc.addr, "/api/status").await.body).unwrap();
    assert_eq!(s["ingest"]["mode"], "hls-dir");
    assert_eq!(s["ingest"]["state"], "live");
    assert_eq!(s["window"]["segments"], 2);
    assert_eq!(s["window"]["bytes"], 6000);
    assert!((s["ingest"]["bitrate_bps"].as_f64().unwrap() - 12_000.0).abs() < 1e-6);
    assert!(s["ingest"]["segment_age_secs"].as_f64().unwrap() < 5.0);
    let m = get(svc.addr, "/metrics").await.text();
    assert!(m.contains("venuebox_window_segments 2"), "{m}");
    assert!(m.contains("venuebox_window_bytes 6000"));
    svc.stop().await;
}

#[tokio::test]
async fn segment_bytes_sent_are_counted() {
    let (svc, _hls, _viewer) = service_with_two_segments().await;
    let seg = format!("/hls/{}", names(&get(svc.addr, "/hls/live.m3u8").await.body)[1]);
    assert_eq!(get(svc.addr, &seg).await.body.len(), 5000);
    let r = request(svc.addr, "GET", &seg, &[("Range", "bytes=0-99")]).await;
    assert_eq!(r.body.len(), 100);
    assert_eq!(request(svc.addr, "HEAD", &seg, &[]).await.body.len(), 0);
    let s: serde_json::Value = serde_json::from_slice(&get(svc.addr, "/api/status").await.body).unwrap();
    assert_eq!(s["http"]["segment_responses"], 3);
    assert_eq!(s["http"]["segment_bytes"], 5100);
    assert!(s["http"]["body_bytes"].as_u64().unwrap() >= 5100);
    let m = get(svc.addr, "/metrics").await.text();
    assert!(m.contains("venuebox_http_segment_bytes_total 5100"), "{m}");
    svc.stop().await;
}

/// The staff page's egress is what the box sent: every HTTP body byte a client received (the
/// seeder's uploads add to it; suite 40 drives those with stock webtorrent).
#[tokio::test]
async fn staff_egress_is_the_bytes_clients_received() {
    let (svc, _hls, _viewer) = service_with_two_segments().await;
    let before = venuebox::admin::history::egress_bytes(&svc.state.reports.snapshot()).unwrap();
    let mut received = 0u64;
    for name in names(&get(svc.addr, "/hls/live.m3u8").await.body) {
        received += get(svc.addr, &format!("/hls/{name}")).await.body.len() as u64;
    }
    received += request(svc.addr, "GET", "/healthz", &[]).await.body.len() as u64;
    let after = venuebox::admin::history::egress_bytes(&svc.state.reports.snapshot()).unwrap();
    let playlist = get(svc.addr, "/hls/live.m3u8").await.body.len() as u64; // same bytes as the first
    assert_eq!(after - before, (received + playlist) as f64);
    let seeder = svc.state.reports.value("seeder_uploaded_bytes_total");
    assert_eq!(seeder, Some(0.0), "no peer yet: the seeder sent nothing");
    svc.stop().await;
}
