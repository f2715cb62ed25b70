//! A supervised child process (ffmpeg): started, watched, restarted with backoff when it dies,
//! stopped with SIGTERM (then SIGKILL) at shutdown.

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

/// First restart delay; doubles up to [`MAX_BACKOFF`], reset after a long healthy run.
pub const MIN_BACKOFF: Duration = Duration::from_millis(500);
/// Longest restart delay.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// A run this long counts as healthy and resets the backoff.
pub const HEALTHY_RUN: Duration = Duration::from_secs(30);
/// Lines of the child's stderr kept for the status page.
pub const STDERR_LINES: usize = 20;

/// Why supervision gave up.
#[derive(Debug, thiserror::Error)]
pub enum SuperviseError {
    /// The program cannot be started at all (missing, not executable).
    #[error("cannot start {program}: {source} (is it installed?)")]
    Spawn {
        /// The program.
        program: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// Figures about the supervised child.
#[derive(Debug, Default)]
pub struct ChildStats {
    /// Times the child was started.
    pub starts: AtomicU64,
    /// The child's process id while it runs, 0 otherwise.
    pub pid: AtomicU64,
    /// The last lines it wrote to stderr.
    pub stderr_tail: Mutex<std::collections::VecDeque<String>>,
}

impl ChildStats {
    fn push_line(&self, line: String) {
        let mut tail = self.stderr_tail.lock().unwrap_or_else(|p| p.into_inner());
        if tail.len() == STDERR_LINES {
            tail.pop_front();
        }
        tail.push_back(line);
    }
}

/// A program and its arguments.
#[derive(Debug, Clone)]
pub struct ChildSpec {
    /// Name for logs.
    pub name: &'static str,
    /// Program path.
    pub program: PathBuf,
    /// Arguments.
    pub args: Vec<OsString>,
}

/// Runs `spec` until `shutdown`, restarting it whenever it exits.
pub async fn supervise(spec: ChildSpec, stats: &ChildStats, shutdown: CancellationToken) -> Result<(), SuperviseError> {
    let mut backoff = MIN_BACKOFF;
    loop {
        let started = Instant::now();
        let mut child = spawn(&spec)?;
        stats.starts.fetch_add(1, Ordering::Relaxed);
        stats.pid.store(child.id().map_or(0, u64::from), Ordering::Relaxed);
        tracing::info!(child = spec.name, pid = child.id(), "started");
        let stderr = child.stderr.take().map(|s| forward_stderr(spec.name, s, stats));
        let status = tokio::select! {
            _ = shutdown.cancelled() => {
                stop(&mut child).await;
                stats.pid.store(0, Ordering::Relaxed);
                return Ok(());
            }
            status = child.wait() => status,
        };
        if let Some(forward) = stderr {
            let _ = tokio::time::timeout(Duration::from_millis(200), forward).await;
        }
        stats.pid.store(0, Ordering::Relaxed);
        if started.elapsed() >= HEALTHY_RUN {
            backoff = MIN_BACKOFF;
        }
        tracing::warn!(child = spec.name, ?status, restart_in = ?backoff, "exited; restarting");
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn spawn(spec: &ChildSpec) -> Result<Child, SuperviseError> {
    Command::new(&spec.program)
        .args(&spec.args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| SuperviseError::Spawn {
            program: spec.program.clone(),
            source,
        })
}

async fn forward_stderr(name: &'static str, stderr: tokio::process::ChildStderr, stats: &ChildStats) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::debug!(child = name, "{line}");
        stats.push_line(line);
    }
}

/// SIGTERM, then SIGKILL after two seconds.
async fn stop(child: &mut Child) {
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
    }
    if tokio::time::timeout(Duration::from_secs(2), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
}
