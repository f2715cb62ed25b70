//! The service: starts every task on already-bound listeners, reports to systemd, reloads on
//! request and stops gracefully; an essential task that stops makes the whole service fail.
//!
//! Driving contract: [`Service::start`] with a bound listener (tests bind port 0), then
//! [`Service::run`] with a channel of [`Control`] messages (the binary feeds it from signals).
//! `run` returns `Ok` after a requested shutdown and `Err` naming the task that stopped.

use crate::admin::{self, auth::AdminAuth, Admin};
use crate::config::{Config, ConfigError, IngestMode};
use crate::discovery::{self, Discovery};
use crate::ingest::{demo, ffmpeg, IngestStatus};
use crate::signal::{self, SignalHub};
use crate::state::{AppState, Front};
use crate::watcher::{self, WatchConfig, WatchStats};
use crate::window::{SharedWindow, WindowLimits};
use crate::{http, status, systemd};
use anyhow::{anyhow, Context as _};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How often STATUS= is refreshed when systemd asks for no watchdog.
pub const STATUS_INTERVAL: Duration = Duration::from_secs(5);

/// Requests to the running service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Stop gracefully (SIGTERM, SIGINT).
    Shutdown,
    /// Read the configuration again (SIGHUP).
    Reload,
}

/// Produces a fresh configuration on reload (file + environment + command line).
pub type Reloader = Box<dyn Fn() -> Result<Config, ConfigError> + Send + Sync>;

/// A started service.
pub struct Service {
    state: Arc<AppState>,
    tasks: JoinSet<(&'static str, anyhow::Result<()>)>,
    essential: usize,
    shutdown: CancellationToken,
    local_addr: SocketAddr,
    reloader: Option<Reloader>,
    log: Option<crate::logging::LogHandle>,
    _demo_dir: Option<tempfile::TempDir>,
}

impl Service {
    /// Starts ingest, the watcher and the HTTP server on `listener`.
    pub async fn start(config: Config, listener: TcpListener) -> anyhow::Result<Self> {
        let local_addr = listener.local_addr()?;
        let shutdown = CancellationToken::new();
        let window = SharedWindow::new(limits(&config));
        let watch = Arc::new(WatchStats::default());
        let mut svc_tasks = JoinSet::new();
        let (hls_dir, child, demo_dir) = start_producer(&config, &mut svc_tasks, &shutdown)?;
        let ingest = IngestStatus {
            mode: config.ingest.mode,
            watch: watch.clone(),
            child,
        };
        let watch_cfg = WatchConfig {
            dir: hls_dir,
            playlist: config.ingest.playlist.clone(),
            poll: Duration::from_millis(config.ingest.poll_ms),
            max_segment_bytes: config.window.max_segment_bytes,
            max_new: config.window.max_segments,
        };
        let signal = Arc::new(SignalHub::new(
            config.signal.clone(),
            signal::torrent::torrent_for,
            shutdown.clone(),
        ));
        let window_events = window.subscribe();
        let discovery = Arc::new(Discovery::new(config.discovery.clone(), local_addr));
        let auth = AdminAuth::load(&config.admin, std::env::var("VENUEBOX_ADMIN_PASSWORD").ok());
        let admin = Arc::new(Admin::new(auth));
        let sources: Vec<Arc<dyn status::StatusSource>> = vec![signal.clone(), discovery.clone()];
        let front = Front {
            signal: signal.clone(),
            discovery: discovery.clone(),
            admin: admin.clone(),
        };
        let state = Arc::new(AppState::new(config, window.clone(), ingest, sources, front));
        let mut svc = Self {
            state: state.clone(),
            tasks: svc_tasks,
            essential: 0,
            shutdown: shutdown.clone(),
            local_addr,
            reloader: None,
            log: None,
            _demo_dir: demo_dir,
        };
        svc.essential = svc.tasks.len();
        svc.spawn(
            "signal-hub",
            signal::hub::run(signal, window.clone(), window_events, shutdown.clone()),
        );
        svc.spawn("mdns", discovery::mdns::run(discovery.clone(), shutdown.clone()));
        svc.spawn(
            "discovery-watch",
            discovery::watch_addresses(discovery.clone(), shutdown.clone()),
        );
        let staff = admin::console_banner(&admin, &discovery.viewer_url(discovery::By::Ip));
        discovery::console::print_text(&staff);
        svc.spawn("admin-history", admin::sample(state.clone(), shutdown.clone()));
        svc.spawn(
            "segment-watcher",
            watcher::run(watch_cfg, window, watch, shutdown.clone()),
        );
        svc.spawn("http", http::serve(listener, state, shutdown));
        Ok(svc)
    }

    /// Sets how the configuration is read again on [`Control::Reload`], and the log handle.
    pub fn with_reload(mut self, reloader: Reloader, log: Option<crate::logging::LogHandle>) -> Self {
        self.reloader = Some(reloader);
        self.log = log;
        self
    }

    /// The bound HTTP address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The shared state (for tests and embedding).
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    fn spawn<E>(&mut self, name: &'static str, task: impl Future<Output = Result<(), E>> + Send + 'static)
    where
        E: Into<anyhow::Error> + Send + 'static,
    {
        self.essential += 1;
        self.tasks.spawn(async move { (name, task.await.map_err(Into::into)) });
    }

    /// Reports READY=1, then runs until shutdown or until an essential task stops.
    pub async fn run(mut self, mut control: mpsc::Receiver<Control>) -> anyhow::Result<()> {
        systemd::ready(&status::status_line(&self.state));
        tracing::info!(addr = %self.local_addr, "venuebox ready");
        let mut tick = tokio::time::interval(systemd::watchdog_interval().unwrap_or(STATUS_INTERVAL));
        let result = loop {
            tokio::select! {
                biased;
                Some(joined) = self.tasks.join_next() => break Err(task_stopped(joined)),
                _ = tick.tick() => self.check_and_ping(),
                msg = control.recv() => match msg {
                    Some(Control::Reload) => self.reload(),
                    Some(Control::Shutdown) | None => break Ok(()),
                },
            }
        };
        systemd::stopping();
        self.shutdown.cancel();
        let drain = async { while self.tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(Duration::from_secs(5), drain).await.is_err() {
            tracing::warn!("tasks did not stop within 5 s");
        }
        tracing::info!("venuebox stopped");
        result
    }

    /// Checks the essential tasks and the window, then pings the watchdog.
    fn check_and_ping(&self) {
        if self.tasks.len() != self.essential {
            return; // join_next reports the stopped task on the next turn
        }
        let line = status::status_line(&self.state); // takes the window lock: a hang stops pings
        systemd::watchdog(&line);
    }

    fn reload(&self) {
        let Some(reloader) = &self.reloader else {
            return;
        };
        let new = match reloader() {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "reload failed; keeping the running configuration");
                return;
            }
        };
        let old = self.state.config();
        if let Some(log) = &self.log {
            log.set_filter(&new.log.filter);
        }
        self.state.window.set_limits(limits(&new));
        for (section, changed) in [
            ("http", old.http != new.http),
            ("ingest", old.ingest != new.ingest),
            ("demo", old.demo != new.demo),
        ] {
            if changed {
                tracing::warn!(section, "changed; takes effect after a restart");
            }
        }
        self.state.set_config(new);
        tracing::info!("configuration reloaded");
    }
}

fn task_stopped(joined: Result<(&'static str, anyhow::Result<()>), tokio::task::JoinError>) -> anyhow::Error {
    match joined {
        Ok((name, Ok(()))) => anyhow!("essential task {name} stopped"),
        Ok((name, Err(e))) => e.context(format!("essential task {name} failed")),
        Err(e) => anyhow!("essential task panicked: {e}"),
    }
}

/// The window limits from the configuration.
pub fn limits(config: &Config) -> WindowLimits {
    WindowLimits {
        max_duration_secs: config.window.max_duration_secs,
        max_segments: config.window.max_segments,
        max_bytes: config.window.max_bytes,
    }
}

type Producer = (PathBuf, Option<Arc<ffmpeg::ChildStats>>, Option<tempfile::TempDir>);

/// Starts the process that writes HLS (demo ffmpeg), or nothing for `hls-dir`.
fn start_producer(
    config: &Config,
    tasks: &mut JoinSet<(&'static str, anyhow::Result<()>)>,
    shutdown: &CancellationToken,
) -> anyhow::Result<Producer> {
    match config.ingest.mode {
        IngestMode::HlsDir => Ok((config.ingest.hls_dir.clone(), None, None)),
        IngestMode::Demo => {
            let dir = tempfile::Builder::new()
                .prefix("venuebox-demo-")
                .tempdir()
                .context("creating the demo folder")?;
            let spec = demo::ffmpeg_spec(&config.ingest.ffmpeg, &config.demo, dir.path(), &config.ingest.playlist);
            let stats = Arc::new(ffmpeg::ChildStats::default());
            let (task_stats, token) = (stats.clone(), shutdown.clone());
            tasks.spawn(async move {
                (
                    "demo-ffmpeg",
                    ffmpeg::supervise(spec, &task_stats, token).await.map_err(Into::into),
                )
            });
            Ok((dir.path().to_owned(), Some(stats), Some(dir)))
        }
    }
}
