//! Stream probe: runs ffprobe on the newest segment (at most every [`PROBE_EVERY`], and at once
//! after a discontinuity) for resolution, codecs and keyframe interval, and warns when the
//! keyframe interval does not fit the segment length.

use crate::window::{Followed, Segment, SharedWindow, WindowEvent, WindowFollower};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

/// Least time between two probes of a steady stream.
pub const PROBE_EVERY: Duration = Duration::from_secs(5);
/// Longest an ffprobe run may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);
/// Most bytes of ffprobe output read.
pub const MAX_PROBE_OUTPUT: u64 = 4 << 20;
/// Keyframe intervals within this many seconds of a fitting value count as fitting.
pub const FIT_TOLERANCE: f64 = 0.1;

/// What the newest probe found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StreamInfo {
    /// Box sequence number of the probed segment.
    pub segment_seq: u64,
    /// Video codec (`h264`) and profile (`High`).
    pub video_codec: Option<String>,
    /// Video profile.
    pub video_profile: Option<String>,
    /// Picture width in pixels.
    pub width: Option<u32>,
    /// Picture height in pixels.
    pub height: Option<u32>,
    /// Frames per second.
    pub fps: Option<f64>,
    /// Audio codec (`aac`).
    pub audio_codec: Option<String>,
    /// Audio sample rate, Hz.
    pub audio_sample_rate: Option<u32>,
    /// Bitrate of the probed segment, bits/s.
    pub segment_bitrate_bps: f64,
    /// Seconds between keyframes.
    pub keyframe_interval_secs: Option<f64>,
    /// Set when the keyframe interval does not fit the segment length.
    pub keyframe_warning: Option<String>,
}

/// The probe's findings for status pages.
#[derive(Debug, Default)]
pub struct ProbeStats {
    /// The newest findings.
    pub info: Mutex<Option<StreamInfo>>,
    /// Probes that failed.
    pub errors: AtomicU64,
    /// The last failure.
    pub last_error: Mutex<Option<String>>,
}

impl ProbeStats {
    /// The newest findings.
    pub fn info(&self) -> Option<StreamInfo> {
        self.info.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The keyframe interval: the longest gap between keyframes in the segment or, with a single
/// keyframe, the segment's duration (the producer cut it at the next keyframe).
pub fn keyframe_interval(keyframe_pts: &[f64], segment_duration: f64) -> Option<f64> {
    let gaps = keyframe_pts.windows(2).map(|w| w[1] - w[0]);
    match keyframe_pts.len() {
        0 => None,
        1 => Some(segment_duration),
        _ => gaps.fold(None, |m: Option<f64>, g| Some(m.map_or(g, |m| m.max(g)))),
    }
}

/// A warning when keyframes every `interval` seconds cannot cut segments of `segment_secs`:
/// the interval must divide the segment length.
pub fn keyframe_warning(interval: f64, segment_secs: u32) -> Option<String> {
    let target = f64::from(segment_secs);
    let per_segment = (target / interval).round();
    let fits = interval > 0.0 && per_segment >= 1.0 && (per_segment * interval - target).abs() <= FIT_TOLERANCE;
    (!fits).then(|| {
        format!(
            "keyframe interval {interval:.1} s does not fit {segment_secs} s segments: set the encoder's \
             keyframe interval to {segment_secs} s (OBS: Output > Advanced > Keyframe Interval)"
        )
    })
}

/// Runs until `shutdown`, probing segments as they arrive.
pub async fn run(
    ffprobe: PathBuf,
    segment_secs: u32,
    window: Arc<SharedWindow>,
    stats: Arc<ProbeStats>,
    shutdown: CancellationToken,
) -> Result<(), std::convert::Infallible> {
    let mut window = WindowFollower::new(window, "stream-probe");
    let mut last: Option<Instant> = None;
    loop {
        let followed = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            f = window.next() => f,
        };
        let segment = match followed {
            Some(Followed::Event(WindowEvent::Added(s))) => s,
            Some(_) => continue,
            None => return Ok(()),
        };
        let due = last.is_none_or(|t| t.elapsed() >= PROBE_EVERY) || segment.discontinuity;
        if !due {
            continue;
        }
        last = Some(Instant::now());
        match probe(&ffprobe, &segment, segment_secs).await {
            Ok(info) => record(&stats, info),
            Err(e) => {
                tracing::debug!(error = %e, "stream probe failed");
                stats.errors.fetch_add(1, Ordering::Relaxed);
                *stats.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
            }
        }
    }
}

fn record(stats: &ProbeStats, info: StreamInfo) {
    let mut slot = stats.info.lock().unwrap_or_else(|p| p.into_inner());
    let was = slot.as_ref().and_then(|i| i.keyframe_warning.clone());
    if info.keyframe_warning.is_some() && was.is_none() {
        tracing::warn!(warning = info.keyframe_warning.as_deref(), "ingest keyframes");
    }
    *slot = Some(info);
}

/// Why a probe failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// ffprobe could not run or be talked to.
    #[error("ffprobe: {0}")]
    Io(#[from] std::io::Error),
    /// It took longer than [`PROBE_TIMEOUT`].
    #[error("ffprobe took longer than {PROBE_TIMEOUT:?}")]
    Timeout,
    /// Its output is not what `-of json` gives.
    #[error("ffprobe output: {0}")]
    Output(#[from] serde_json::Error),
}

/// Probes one segment (with its init segment for fMP4) through ffprobe's stdin.
pub async fn probe(ffprobe: &std::path::Path, segment: &Segment, segment_secs: u32) -> Result<StreamInfo, ProbeError> {
    let mut child = tokio::process::Command::new(ffprobe)
        .args(["-v", "error", "-of", "json", "-show_entries"])
        .arg("stream=index,codec_type,codec_name,profile,width,height,avg_frame_rate,sample_rate:packet=stream_index,pts_time,flags")
        .args(["-i", "pipe:0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let init = segment.init.as_ref().map(|i| i.data.clone());
    let data = segment.data.clone();
    let feed = async move {
        if let Some(init) = init {
            stdin.write_all(&init).await?;
        }
        stdin.write_all(&data).await // dropping stdin closes it
    };
    let read = async move {
        let mut out = Vec::new();
        stdout.take(MAX_PROBE_OUTPUT).read_to_end(&mut out).await.map(|_| out)
    };
    let both = async { tokio::join!(feed, read) };
    let (fed, out) = tokio::time::timeout(PROBE_TIMEOUT, both)
        .await
        .map_err(|_| ProbeError::Timeout)?;
    let _ = fed; // ffprobe may stop reading early; its output decides
    let _ = child.wait().await;
    let parsed: ProbeOutput = serde_json::from_slice(&out?)?;
    Ok(parsed.into_info(segment, segment_secs))
}

#[derive(Debug, Deserialize)]
struct ProbeOutput {
    #[serde(default)]
    streams: Vec<ProbeStream>,
    #[serde(default)]
    packets: Vec<ProbePacket>,
}

#[derive(Debug, Deserialize)]
struct ProbeStream {
    index: u32,
    codec_type: Option<String>,
    codec_name: Option<String>,
    profile: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    avg_frame_rate: Option<String>,
    sample_rate: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ProbePacket {
    stream_index: u32,
    pts_time: Option<String>,
    #[serde(default)]
    flags: String,
}

impl ProbeOutput {
    fn into_info(self, segment: &Segment, segment_secs: u32) -> StreamInfo {
        let of = |t: &str| self.streams.iter().find(|s| s.codec_type.as_deref() == Some(t));
        let (video, audio) = (of("video"), of("audio"));
        let keyframes: Vec<f64> = video.map_or_else(Vec::new, |v| {
            let key = self
                .packets
                .iter()
                .filter(|p| p.stream_index == v.index && p.flags.starts_with('K'));
            key.filter_map(|p| p.pts_time.as_deref()?.parse().ok()).collect()
        });
        let interval = keyframe_interval(&keyframes, segment.duration);
        StreamInfo {
            segment_seq: segment.seq,
            video_codec: video.and_then(|v| v.codec_name.clone()),
            video_profile: video.and_then(|v| v.profile.clone()),
            width: video.and_then(|v| v.width),
            height: video.and_then(|v| v.height),
            fps: video.and_then(|v| ratio(v.avg_frame_rate.as_deref()?)),
            audio_codec: audio.and_then(|a| a.codec_name.clone()),
            audio_sample_rate: audio.and_then(|a| a.sample_rate.as_deref()?.parse().ok()),
            segment_bitrate_bps: segment.data.len() as f64 * 8.0 / segment.duration.max(0.001),
            keyframe_interval_secs: interval,
            keyframe_warning: interval.and_then(|i| keyframe_warning(i, segment_secs)),
        }
    }
}

fn ratio(text: &str) -> Option<f64> {
    let (n, d) = text.split_once('/')?;
    let (n, d): (f64, f64) = (n.parse().ok()?, d.parse().ok()?);
    (d > 0.0).then(|| n / d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyframe_interval_from_the_segment() {
        assert_eq!(keyframe_interval(&[], 2.0), None);
        assert_eq!(keyframe_interval(&[1.4], 10.0), Some(10.0));
        assert_eq!(keyframe_interval(&[1.0, 2.0, 3.5], 3.0), Some(1.5));
    }

    #[test]
    fn keyframes_must_divide_the_segment_length() {
        for fits in [2.0, 1.0, 0.5, 2.04, 1.96] {
            assert_eq!(keyframe_warning(fits, 2), None, "{fits}");
        }
        for bad in [10.0, 3.0, 1.5, 4.0, 2.5, 0.0] {
            let w = keyframe_warning(bad, 2).expect("warning");
            assert!(w.contains("keyframe interval") && w.contains("2 s"), "{w}");
        }
    }

    #[test]
    fn frame_rates_parse() {
        assert_eq!(ratio("30/1"), Some(30.0));
        assert_eq!(ratio("0/0"), None);
        assert_eq!(ratio("x"), None);
    }
}
