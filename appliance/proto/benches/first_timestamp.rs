//! Benchmark: reading a segment's first timestamp in-process (`media_time`) against one ffprobe
//! run per segment, on 2 s 720p segments real ffmpeg makes here (the demo's settings).
//! Prints the median, min and max of 5 rounds. Run: `cargo bench -p venuebox-proto --bench first_timestamp`.

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::Instant;
use venuebox_proto::media_time::{fmp4_first_time, ts_first_time};

const ROUNDS: usize = 5;
const CALLS: u32 = 10_000;

fn main() {
    let dir = std::env::temp_dir().join(format!("first-timestamp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    make_segments(&dir, false);
    make_segments(&dir, true);
    let ts = std::fs::read(dir.join("t1.ts")).expect("TS segment");
    let (init, m4s) = (read(&dir, "init.mp4"), read(&dir, "f1.m4s"));
    println!("segment: {} bytes (TS), {} bytes (fMP4)", ts.len(), m4s.len());
    report("media_time TS, per segment", "us", || {
        per_call_us(|| ts_first_time(black_box(&ts)).is_ok())
    });
    report("media_time fMP4, per segment", "us", || {
        per_call_us(|| fmp4_first_time(black_box(&init), black_box(&m4s)).is_ok())
    });
    report("ffprobe start_time, per segment", "ms", || {
        ffprobe_ms(&dir.join("t1.ts"))
    });
    let _ = std::fs::remove_dir_all(&dir);
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).expect("segment")
}

fn make_segments(dir: &Path, fmp4: bool) {
    let mut cmd = Command::new("ffmpeg");
    cmd.current_dir(dir)
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args(["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30"])
        .args(["-f", "lavfi", "-i", "sine=sample_rate=48000", "-t", "6"])
        .args(["-c:v", "libx264", "-preset", "veryfast", "-b:v", "2500k", "-g", "60"])
        .args(["-c:a", "aac", "-f", "hls", "-hls_time", "2", "-hls_list_size", "0"]);
    if fmp4 {
        cmd.args(["-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4"])
            .args(["-hls_segment_filename", "f%d.m4s", "f.m3u8"]);
    } else {
        cmd.args(["-hls_segment_filename", "t%d.ts", "t.m3u8"]);
    }
    assert!(cmd.status().expect("run ffmpeg").success(), "ffmpeg failed");
}

fn per_call_us(mut read: impl FnMut() -> bool) -> f64 {
    let start = Instant::now();
    for _ in 0..CALLS {
        assert!(black_box(read()));
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(CALLS)
}

fn ffprobe_ms(segment: &Path) -> f64 {
    let start = Instant::now();
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format=start_time", "-of", "csv=p=0"])
        .arg(segment)
        .output()
        .expect("run ffprobe");
    assert!(out.status.success() && !out.stdout.is_empty());
    start.elapsed().as_secs_f64() * 1e3
}

fn report(what: &str, unit: &str, mut measure: impl FnMut() -> f64) {
    let mut runs: Vec<f64> = (0..ROUNDS).map(|_| measure()).collect();
    runs.sort_by(f64::total_cmp);
    println!(
        "{what}: median {:.3} {unit} (min {:.3}, max {:.3}, {ROUNDS} rounds)",
        runs[ROUNDS / 2],
        runs[0],
        runs[ROUNDS - 1]
    );
}
