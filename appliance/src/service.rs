//! The service: starts every task on already-bound listeners, reports to systemd, reloads on
//! request and stops gracefully; an essential task that stops makes the whole service fail.
//!
//! Driving contract: [`Service::start`] with a bound listener (tests bind port 0), then
//! [`Service::run`] with a channel of [`Control`] messages (the binary feeds it from signals).
//! `run` returns `Ok` after a requested shutdown and `Err` naming the task that stopped.

use crate::admin::{self, auth::AdminAuth, Admin};
use crate::config::{Config, ConfigError, IngestMode};
use crate::discovery::{self, Discovery};
use crate::ingest::{demo, ffmpeg, gate, probe, rtmp, IngestStatus};
use crate::seeder::{self, Seeder};
use crate::signal::{self, SignalHub};
use crate::state::{AppState, Front};
use crate::watcher::{self, WatchConfig, WatchStats};
use crate::window::{SharedWindow, WindowLimits};
use crate::{http, systemd, uplink};
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

/// The tracker's settings: the box seeder answers under its own peer id.
fn tracker_config(seeder: Option<&Seeder>) -> venuebox_proto::tracker::TrackerConfig {
    let mut cfg = venuebox_proto::tracker::TrackerConfig::default();
    if let Some(s) = seeder {
        cfg.box_peer_id = venuebox_proto::tracker::Id20(s.peer_id());
    }
    cfg
}

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
        let (uplink_status, uplink_task) = uplink::start(&config, window.clone(), shutdown.clone())?;
        let mut svc_tasks = JoinSet::new();
        let producer = start_producer(&config, &mut svc_tasks, &shutdown).await?;
        let probe_stats = Arc::new(probe::ProbeStats::default());
        let ingest = IngestStatus {
            mode: config.ingest.mode,
            watch: watch.clone(),
            child: producer.child,
            rtmp: producer.rtmp,
            probe: probe_stats.clone(),
        };
        let hls_dir = producer.dir;
        let demo_dir = producer.temp;
        let expected_segment_secs = match config.ingest.mode {
            IngestMode::Demo => config.demo.segment_secs,
            _ => config.ingest.segment_secs,
        };
        let probe_task = probe::run(
            config.ingest.ffprobe.clone(),
            expected_segment_secs,
            window.clone(),
            probe_stats,
            shutdown.clone(),
        );
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
        let window_events = crate::window::WindowFollower::new(window.clone(), "signal-hub");
        let discovery = Arc::new(Discovery::new(config.discovery.clone(), local_addr));
        let auth = AdminAuth::load(&config.admin, std::env::var("VENUEBOX_ADMIN_PASSWORD").ok());
        let admin = Arc::new(Admin::new(auth, admin::upload::Uploads::new(&config.admin)));
        let seeder = match config.seeder.enabled {
            true => Some(Arc::new(Seeder::new(seeder_config(&config, local_addr.port())).await?)),
            false => None,
        };
        if let Some(mesh) = seeder.as_ref().and_then(|s| s.mesh()) {
            signal.announcer.set_swarm(venuebox_proto::signal::SwarmInfo {
                info_hash: mesh
                    .info_hash()
                    .to_hex()
                    .try_into()
                    .expect("40 lowercase hex characters"),
                neighbours: mesh.viewer_neighbours(),
            });
        }
        let mut sources: Vec<Arc<dyn crate::report::Source>> = vec![signal.clone(), discovery.clone(), uplink_status];
        sources.extend(seeder.iter().map(|s| s.clone() as Arc<dyn crate::report::Source>));
        let front = Front {
            signal: signal.clone(),
            discovery: discovery.clone(),
            admin: admin.clone(),
        };
        let tracker_cfg = tracker_config(seeder.as_deref());
        let (tracker, link, tracker_task) = crate::tracker::run(tracker_cfg, Default::default());
        let ingest = crate::ingest::report::IngestReport {
            window: window.clone(),
            status: ingest,
        };
        let state = AppState::new(config, ingest, sources, front, Some(tracker.clone()));
        let state = Arc::new(state);
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
        svc.spawn("stream-probe", probe_task);
        svc.spawn("signal-hub", signal::hub::run(signal, window_events, shutdown.clone()));
        svc.spawn("mdns", discovery::mdns::run(discovery.clone(), shutdown.clone()));
        svc.spawn(
            "discovery-watch",
            discovery::watch_addresses(discovery.clone(), shutdown.clone()),
        );
        let https = start_https(&state, &mut svc, &shutdown).await?;
        let staff_url = match &https {
            Some((addr, _)) => format!("https://{}:{}/", discovery.ip(), addr.port()),
            None => discovery.viewer_url(discovery::By::Ip),
        };
        // Under systemd stdout is the journal (JOURNAL_STREAM): no password there; the image's
        // banner unit shows it on the console.
        let to_journal = std::env::var_os("JOURNAL_STREAM").is_some();
        let mut staff = admin::console_banner_for(&admin, &staff_url, !to_journal);
        if let Some((_, fingerprint)) = &https {
            staff.push_str(&format!("HTTPS certificate SHA-256: {fingerprint}\n"));
        }
        discovery::console::print_text(&staff);
        svc.spawn(
            "admin-history",
            admin::sample(admin.clone(), state.reports.clone(), shutdown.clone()),
        );
        if let Some(seeder) = seeder {
            tracing::info!(udp = %seeder.udp_addr(), "webrtc seeder ready");
            svc.spawn(
                "seeder-window",
                seeder::window::run(seeder.clone(), window.clone(), Some(tracker.clone()), shutdown.clone()),
            );
            svc.spawn(
                "seeder-offers",
                seeder::tracker_link::answer_offers(seeder, link, shutdown.clone()),
            );
        }
        svc.spawn(
            "segment-watcher",
            watcher::run(watch_cfg, window.clone(), watch, shutdown.clone()),
        );
        svc.spawn("tracker", tracker_task.run(shutdown.clone()));
        svc.spawn(
            "tracker-window",
            crate::tracker::follow_window(
                crate::window::WindowFollower::new(window.clone(), "tracker"),
                tracker,
                shutdown.clone(),
            ),
        );
        if let Some(task) = uplink_task {
            svc.spawn("r2-uplink", task);
        }
        svc.spawn("http", http::serve(listener, state, shutdown));
        Ok(svc)
    }

    /// Binds the HTTPS listener (when `http.https_listen` is set) with the configured or the
    /// generated certificate; returns its address and certificate fingerprint.
    async fn https_listener(
        state: &Arc<AppState>,
    ) -> anyhow::Result<Option<(TcpListener, Arc<rustls::ServerConfig>, Arc<http::tls::CertStore>)>> {
        let config = state.config();
        let Some(addr) = config.http.https_addr() else {
            return Ok(None);
        };
        let names = http::tls::box_names(&config.discovery.hostname);
        let tls = http::tls::load(&config.http, &config.admin.state_dir, &names)?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen for HTTPS on {addr}: {e}"))?;
        Ok(Some((listener, tls.config, tls.certs)))
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
        systemd::ready(&self.state.ingest.status_line());
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
        let line = self.state.ingest.status_line(); // takes the window lock: a hang stops pings
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
            ("uplink", old.uplink != new.uplink),
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

/// What the producer setup hands to the rest of the service.
struct Producer {
    dir: PathBuf,
    child: Option<Arc<ffmpeg::ChildStats>>,
    rtmp: Option<Arc<gate::RtmpStats>>,
    temp: Option<tempfile::TempDir>,
}

type Tasks = JoinSet<(&'static str, anyhow::Result<()>)>;

/// Starts the process that writes HLS (demo ffmpeg, or the RTMP gate and its ffmpeg), or
/// nothing for `hls-dir`.
/// Starts the HTTPS listener task, if configured; its address and certificate fingerprint.
async fn start_https(
    state: &Arc<AppState>,
    svc: &mut Service,
    shutdown: &CancellationToken,
) -> anyhow::Result<Option<(SocketAddr, String)>> {
    let Some((listener, tls, certs)) = Service::https_listener(state).await? else {
        return Ok(None);
    };
    let addr = listener.local_addr()?;
    let _ = state.https_addr.set(addr);
    tracing::info!(%addr, "https ready");
    svc.spawn("https", http::serve_tls(listener, state.clone(), tls, shutdown.clone()));
    let fingerprint = certs.fingerprint();
    svc.spawn(
        "https-certificate",
        renew_certificate(state.clone(), certs, shutdown.clone()),
    );
    Ok(Some((addr, fingerprint)))
}

/// Makes a new self-signed certificate when the box's addresses or name change (DHCP after
/// start, an mDNS name conflict) and says so on the console.
async fn renew_certificate(
    state: Arc<AppState>,
    certs: Arc<http::tls::CertStore>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let config = state.config();
    let mut tick = tokio::time::interval(Duration::from_secs(config.discovery.address_check_secs));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tick.tick() => {}
        }
        let names = http::tls::box_names(&state.discovery.hostname());
        match certs.refresh(&config.admin.state_dir, &names) {
            Ok(Some(fingerprint)) => discovery::console::print_text(&format!(
                "HTTPS certificate renewed for {}; SHA-256: {fingerprint}\n",
                names.join(", ")
            )),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cannot renew the HTTPS certificate"),
        }
    }
}

async fn start_producer(config: &Config, tasks: &mut Tasks, shutdown: &CancellationToken) -> anyhow::Result<Producer> {
    let mut producer = Producer {
        dir: config.ingest.hls_dir.clone(),
        child: None,
        rtmp: None,
        temp: None,
    };
    match config.ingest.mode {
        IngestMode::HlsDir => {}
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
            producer.dir = dir.path().to_owned();
            producer.child = Some(stats);
            producer.temp = Some(dir);
        }
        IngestMode::Rtmp => {
            let (child, gate) = start_rtmp(config, tasks, shutdown).await?;
            producer.child = Some(child);
            producer.rtmp = Some(gate);
        }
    }
    Ok(producer)
}

/// Binds the RTMP port, then starts the gate and the supervised ffmpeg behind it.
async fn start_rtmp(
    config: &Config,
    tasks: &mut Tasks,
    shutdown: &CancellationToken,
) -> anyhow::Result<(Arc<ffmpeg::ChildStats>, Arc<gate::RtmpStats>)> {
    let addr = config.ingest.rtmp_listen;
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen for RTMP on {addr}"))?;
    let upstream = rtmp::free_loopback_addr().context("choosing ffmpeg's loopback port")?;
    let gate_stats = Arc::new(gate::RtmpStats::new(listener.local_addr()?));
    let child = Arc::new(ffmpeg::ChildStats::default());
    let mut run = rtmp::RtmpRun::new(&config.ingest, upstream);
    let (task_child, token) = (child.clone(), shutdown.clone());
    tasks.spawn(async move {
        let result = ffmpeg::supervise_with(|| run.prepare(), &task_child, token).await;
        ("rtmp-ffmpeg", result.map_err(Into::into))
    });
    let (key, stats, token) = (config.ingest.stream_key.clone(), gate_stats.clone(), shutdown.clone());
    tasks.spawn(async move {
        let result = gate::run(listener, upstream, key, stats, token).await;
        ("rtmp-gate", result.map_err(Into::into))
    });
    tracing::info!(rtmp = %gate_stats.listen, dir = %config.ingest.hls_dir.display(), "RTMP ingest ready");
    Ok((child, gate_stats))
}

/// The seeder's runtime configuration, with the live mesh when it is enabled.
fn seeder_config(config: &Config, http_port: u16) -> seeder::SeederConfig {
    let mut cfg = seeder::SeederConfig::from_settings(&config.seeder, http_port);
    if config.mesh.enabled {
        let stream_id = config.mesh.stream_id_or(|| {
            let source = match config.ingest.mode {
                IngestMode::Rtmp => format!("rtmp:{}", config.ingest.rtmp_listen),
                IngestMode::Demo => "demo".to_owned(),
                IngestMode::HlsDir => format!("hls:{}", config.ingest.hls_dir.display()),
            };
            format!("{}/{source}", config.discovery.hostname)
        });
        cfg.mesh = Some(seeder::mesh::MeshConfig {
            info_hash: venuebox_proto::live::stream_info_hash(&stream_id),
            box_neighbours: config.mesh.box_neighbours,
            viewer_neighbours: config.mesh.neighbours,
            link: Default::default(),
        });
    }
    cfg
}
