//! RTMP ingest: OBS pushes to the gate on `ingest.rtmp_listen`, the gate relays an accepted
//! publish to a supervised `ffmpeg -listen 1` on a loopback port, and ffmpeg remuxes it
//! (`-c copy`) into 2 s HLS segments in `ingest.hls_dir`, one fresh set of file names per run.
//!
//! Every run starts in a cleaned folder with its own segment prefix (`live-<run>-N.ts`), so the
//! watcher sees a producer restart (a discontinuity), never a stale segment of the last run. The
//! playlist never ends (`omit_endlist`): viewers keep waiting through an OBS reconnect.

use super::ffmpeg::{ChildSpec, SuperviseError};
use crate::config::IngestConfig;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use venuebox_proto::rtmp::placeholder_name;

/// File names of segments the RTMP ingest writes start with this.
pub const SEGMENT_PREFIX: &str = "live-";
/// Segments ffmpeg keeps listed (and on disk).
pub const LIST_SIZE: u32 = 10;

/// What each ffmpeg run needs to know.
#[derive(Debug, Clone)]
pub struct RtmpRun {
    /// The ffmpeg program.
    pub program: PathBuf,
    /// The loopback address ffmpeg listens on (only the gate connects there).
    pub upstream: SocketAddr,
    /// Length of the stream key in bytes: ffmpeg expects a placeholder name this long.
    pub key_len: usize,
    /// The HLS folder.
    pub dir: PathBuf,
    /// The playlist's file name.
    pub playlist: String,
    /// Segment length, seconds.
    pub segment_secs: u32,
    /// Runs started so far.
    pub runs: u64,
}

impl RtmpRun {
    /// From the ingest configuration and the chosen loopback address.
    pub fn new(ingest: &IngestConfig, upstream: SocketAddr) -> Self {
        Self {
            program: ingest.ffmpeg.clone(),
            upstream,
            key_len: ingest.stream_key.expose().len(),
            dir: ingest.hls_dir.clone(),
            playlist: ingest.playlist.clone(),
            segment_secs: ingest.segment_secs,
            runs: 0,
        }
    }

    /// Cleans the folder and returns the next run's command line.
    pub fn prepare(&mut self) -> Result<ChildSpec, SuperviseError> {
        let prepare_err = |source| SuperviseError::Prepare {
            name: "rtmp-ffmpeg",
            source,
        };
        std::fs::create_dir_all(&self.dir).map_err(prepare_err)?;
        clean_folder(&self.dir, &self.playlist).map_err(prepare_err)?;
        self.runs += 1;
        Ok(self.spec())
    }

    /// The command line of the current run. The URL names a placeholder of the key's length:
    /// the gate rewrites the key to it, so neither ffmpeg's arguments nor its logs hold the key.
    pub fn spec(&self) -> ChildSpec {
        let url = format!("rtmp://{}/live/{}", self.upstream, placeholder_name(self.key_len));
        let mut args: Vec<OsString> = [
            "-hide_banner",
            "-loglevel",
            "warning",
            "-nostdin",
            "-listen",
            "1",
            "-i",
            &url,
            "-c",
            "copy",
            "-f",
            "hls",
            "-hls_time",
            &self.segment_secs.to_string(),
            "-hls_list_size",
            &LIST_SIZE.to_string(),
            "-hls_flags",
            "delete_segments+program_date_time+independent_segments+temp_file+omit_endlist",
            "-hls_segment_filename",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        let pattern = format!("{SEGMENT_PREFIX}{}-%d.ts", self.runs);
        args.push(self.dir.join(pattern).into_os_string());
        args.push(self.dir.join(&self.playlist).into_os_string());
        ChildSpec {
            name: "rtmp-ffmpeg",
            program: self.program.clone(),
            args,
        }
    }
}

/// Removes what an earlier run left: its segments, the playlist and ffmpeg's temporary files.
/// Other files in the folder are left alone.
pub fn clean_folder(dir: &Path, playlist: &str) -> std::io::Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = name.starts_with(SEGMENT_PREFIX) || name.starts_with(playlist);
        if ours && entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// A free loopback port for ffmpeg to listen on (taken by binding port 0 and letting go).
pub fn free_loopback_addr() -> std::io::Result<SocketAddr> {
    let probe = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    probe.local_addr()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_in(dir: &Path) -> RtmpRun {
        let ingest = IngestConfig {
            hls_dir: dir.to_owned(),
            stream_key: crate::config::StreamKey::new("s3cret-key"),
            ..Default::default()
        };
        RtmpRun::new(&ingest, "127.0.0.1:40000".parse().unwrap())
    }

    #[test]
    fn each_run_gets_fresh_names_and_no_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut run = run_in(dir.path());
        let first = run.prepare().unwrap();
        let second = run.prepare().unwrap();
        let text = |s: &ChildSpec| {
            s.args
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
        };
        let (a, b) = (text(&first), text(&second));
        assert!(a.iter().any(|x| x.ends_with("live-1-%d.ts")), "{a:?}");
        assert!(b.iter().any(|x| x.ends_with("live-2-%d.ts")), "{b:?}");
        assert!(
            a.contains(&"rtmp://127.0.0.1:40000/live/xxxxxxxxxx".to_owned()),
            "{a:?}"
        );
        assert!(a.iter().all(|x| !x.contains("s3cret")));
        assert!(a.iter().any(|x| x.contains("omit_endlist")));
        assert!(a.windows(2).any(|w| w == ["-c", "copy"]));
    }

    #[test]
    fn cleaning_removes_only_our_files() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "live-1-0.ts",
            "live-1-1.ts",
            "stream.m3u8",
            "stream.m3u8.tmp",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        std::fs::create_dir(dir.path().join("live-dir")).unwrap();
        assert_eq!(clean_folder(dir.path(), "stream.m3u8").unwrap(), 4);
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["live-dir", "notes.txt"]);
    }
}
