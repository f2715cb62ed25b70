//! Benchmark: delay from "segment listed by the producer" (playlist renamed into place) to
//! "listed in the box's /hls/live.m3u8", measured over HTTP against the in-process service.
//! Prints p50/p95/max. Run: `cargo bench -p venuebox --bench watch_latency`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

const SEGMENTS: usize = 200;
const SEGMENT_BYTES: usize = 625_000; // 2 s at 2.5 Mbit/s

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let svc = common::start(common::hls_dir_config(dir.path())).await;
    let payload = vec![0x47u8; SEGMENT_BYTES];
    let mut listed: Vec<String> = Vec::new();
    let mut delays = Vec::with_capacity(SEGMENTS);
    let mut first_seq: Option<u64> = None;
    for i in 0..SEGMENTS {
        let name = format!("s{i}.ts");
        std::fs::write(dir.path().join(&name), &payload).expect("write segment");
        listed.push(name);
        let first = listed.len().saturating_sub(10);
        let refs: Vec<&str> = listed[first..].iter().map(String::as_str).collect();
        let text = common::playlist(first as u64, &refs, false);
        let t0 = Instant::now();
        common::write_atomic(dir.path(), "stream.m3u8", text.as_bytes());
        loop {
            let body = common::get(svc.addr, "/hls/live.m3u8").await.body;
            if let Some(last) = newest_seq(&body) {
                let base = *first_seq.get_or_insert(last - i as u64);
                if last == base + i as u64 {
                    break;
                }
            }
            assert!(t0.elapsed() < Duration::from_secs(5), "segment {i} never listed");
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        delays.push(t0.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    delays.sort();
    let pct = |p: f64| delays[((delays.len() as f64 * p) as usize).min(delays.len() - 1)];
    println!(
        "watch_latency: {SEGMENTS} segments of {SEGMENT_BYTES} B; producer listed -> /hls/live.m3u8 listed: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.95).as_secs_f64() * 1e3,
        delays.last().expect("samples").as_secs_f64() * 1e3
    );
    svc.stop().await;
}

/// Sequence number of the newest segment the box's playlist lists.
fn newest_seq(body: &[u8]) -> Option<u64> {
    let p = venuebox_proto::m3u8::MediaPlaylist::parse(body).expect("valid playlist");
    p.segments.len().checked_sub(1).map(|k| p.sequence_of(k))
}
