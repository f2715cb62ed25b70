//! The demo stream: ffmpeg's test pattern and a tone, H.264 + AAC, cut into HLS segments in a
//! folder the watcher follows, so a newcomer sees a live stream without OBS.

use super::ffmpeg::ChildSpec;
use crate::config::{DemoConfig, DemoContainer};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The ffmpeg command line that writes the demo stream into `dir/playlist`.
pub fn ffmpeg_spec(program: &Path, demo: &DemoConfig, dir: &Path, playlist: &str) -> ChildSpec {
    let gop = (demo.fps * demo.segment_secs).to_string();
    let kbps = demo.video_kbps;
    let (segment_pattern, container_args): (&str, &[&str]) = match demo.container {
        DemoContainer::Ts => ("seg-%d.ts", &[]),
        DemoContainer::Fmp4 => (
            "seg-%d.m4s",
            &["-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4"],
        ),
    };
    let mut args: Vec<OsString> = [
        "-hide_banner",
        "-loglevel",
        "warning",
        "-nostdin",
        "-re",
        "-f",
        "lavfi",
        "-i",
        &format!("testsrc2=size={}x{}:rate={}", demo.width, demo.height, demo.fps),
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:beep_factor=4:sample_rate=48000",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-tune",
        "zerolatency",
        "-profile:v",
        "high",
        "-pix_fmt",
        "yuv420p",
        "-b:v",
        &format!("{kbps}k"),
        "-maxrate",
        &format!("{kbps}k"),
        "-bufsize",
        &format!("{}k", kbps * 2),
        "-g",
        &gop,
        "-keyint_min",
        &gop,
        "-sc_threshold",
        "0",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-ar",
        "48000",
        "-f",
        "hls",
        "-hls_time",
        &demo.segment_secs.to_string(),
        "-hls_list_size",
        "10",
        "-hls_flags",
        "delete_segments+program_date_time+independent_segments+temp_file",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    args.extend(container_args.iter().map(OsString::from));
    args.push("-hls_segment_filename".into());
    args.push(dir.join(segment_pattern).into_os_string());
    args.push(PathBuf::from(dir).join(playlist).into_os_string());
    ChildSpec {
        name: "demo-ffmpeg",
        program: program.to_owned(),
        args,
    }
}
