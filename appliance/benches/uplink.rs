//! Uplink benchmark against a local s3s-fs (real SigV4 checks, loopback): upload throughput of
//! a burst of 1 MB segments, and the delay from a segment entering the window to the uploaded
//! playlist naming it (object available), for a 2.5 Mbit/s stream. Prints figures; asserts none.
//! Run: scripts/bench/uplink.sh

#[path = "../tests/uplink/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "../tests/uplink/server.rs"]
#[allow(dead_code)]
mod server;

use std::time::{Duration, Instant};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn throughput(segments: usize, size: usize) {
    let srv = server::S3Server::start("bench").await;
    let mut feed = harness::Feed::new(segments, size);
    let mut cfg = harness::config(&srv.endpoint(), "bench");
    cfg.queue_segments = 64;
    cfg.max_lag_secs = 600.0;
    cfg.request_timeout_ms = 30_000;
    cfg.concurrency = 4;
    let up = harness::start_uplink(&cfg, feed.window.clone());
    let dir = srv.dir();
    let started = Instant::now();
    let mut last = String::new();
    for _ in 0..segments {
        last = feed.push();
    }
    harness::wait_published(&dir, "live/", &feed.sent, &last, Duration::from_secs(300)).await;
    let secs = started.elapsed().as_secs_f64();
    let stats = up.status.stats();
    assert_eq!(
        stats.segments_skipped, 0,
        "every segment must be uploaded for this figure"
    );
    let mb = stats.bytes_uploaded as f64 / 1e6;
    println!(
        "throughput: {} objects, {mb:.1} MB in {secs:.2} s = {:.1} MB/s ({:.0} Mbit/s), concurrency {}",
        stats.objects_uploaded,
        mb / secs,
        mb * 8.0 / secs,
        cfg.concurrency
    );
    up.finish().await;
}

async fn availability_delay(segments: usize, size: usize, every: Duration) {
    let srv = server::S3Server::start("bench").await;
    let mut feed = harness::Feed::new(30, size);
    let cfg = harness::config(&srv.endpoint(), "bench");
    let up = harness::start_uplink(&cfg, feed.window.clone());
    let dir = srv.dir();
    let mut delays = Vec::with_capacity(segments);
    for _ in 0..segments {
        let t0 = Instant::now();
        let name = feed.push();
        loop {
            let text = dir.object("live/hls/live.m3u8").unwrap_or_default();
            if text.windows(name.len()).any(|w| w == name.as_bytes()) {
                break;
            }
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        let d = t0.elapsed();
        delays.push(d);
        tokio::time::sleep(every.saturating_sub(d)).await;
    }
    delays.sort();
    println!(
        "segment -> playlist in bucket names it ({segments} x {size} B every {every:?}): p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        percentile(&delays, 0.5).as_secs_f64() * 1e3,
        percentile(&delays, 0.95).as_secs_f64() * 1e3,
        delays.last().unwrap().as_secs_f64() * 1e3
    );
    up.finish().await;
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        throughput(60, 1_000_000).await;
        availability_delay(60, 625_000, Duration::from_millis(500)).await;
    });
}
