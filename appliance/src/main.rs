//! `venuebox`: the service binary: command line, configuration, signals, then the service.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use venuebox::config::{Config, IngestMode};
use venuebox::service::{Control, Service};

mod update_cmd;

/// Most threads for blocking calls (tokio's default is 512).
const MAX_BLOCKING_THREADS: usize = 64;

/// The VenueBox appliance: takes a live stream and delivers it to everyone in the venue.
#[derive(Debug, Clone, Parser)]
#[command(version, about)]
struct Cli {
    /// TOML configuration file (defaults are built in; see --print-config).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print the effective configuration as TOML and exit.
    #[arg(long)]
    print_config: bool,
    /// Serve the built-in demo stream (ffmpeg test pattern) instead of the configured ingest.
    #[arg(long)]
    demo: bool,
    /// Address and port of the HTTP server (overrides http.listen).
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<SocketAddr>,
    /// Watch this HLS folder (sets ingest.mode = "hls-dir").
    #[arg(long, value_name = "DIR", conflicts_with = "demo")]
    hls_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

/// One-shot commands instead of running the service.
#[derive(Debug, Clone, Subcommand)]
enum Command {
    /// Verify the R2 uplink's credentials and bucket: write, read back and delete a probe object.
    UplinkCheck {
        /// S3 endpoint (overrides uplink.endpoint), e.g. https://<account id>.r2.cloudflarestorage.com
        #[arg(long, value_name = "URL")]
        endpoint: Option<String>,
        /// Bucket (overrides uplink.bucket).
        #[arg(long, value_name = "NAME")]
        bucket: Option<String>,
    },
    /// Install a signed RAUC update bundle into the other root slot (run as root on the box).
    Update {
        /// The bundle file (.raucb).
        bundle: PathBuf,
        /// Also write rauc's progress and the outcome to this file (the staff page shows it).
        #[arg(long, value_name = "FILE")]
        status: Option<PathBuf>,
        /// Reboot into the new slot once it is installed.
        #[arg(long)]
        reboot: bool,
        /// The rauc program.
        #[arg(long, value_name = "PROGRAM", default_value = "rauc")]
        rauc: PathBuf,
    },
    /// Exit 0 when the running service's /healthz answers ok on the configured HTTP port.
    Healthz,
}

impl Cli {
    /// Loads file + environment, then applies the command line on top.
    fn load_config(&self) -> Result<Config, venuebox::config::ConfigError> {
        let mut config = Config::load(self.config.as_deref(), std::env::vars())?;
        if let Some(listen) = self.listen {
            config.http.listen = listen;
        }
        if self.demo {
            config.ingest.mode = IngestMode::Demo;
        }
        if let Some(dir) = &self.hls_dir {
            config.ingest.mode = IngestMode::HlsDir;
            config.ingest.hls_dir.clone_from(dir);
        }
        config.validate()?;
        Ok(config)
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match cli.load_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("venuebox: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match &cli.command {
        Some(Command::UplinkCheck { endpoint, bucket }) => {
            return uplink_check(config, endpoint.clone(), bucket.clone());
        }
        Some(Command::Update {
            bundle,
            status,
            reboot,
            rauc,
        }) => return update_cmd::run(rauc, bundle, status.as_deref(), *reboot),
        Some(Command::Healthz) => return update_cmd::healthz(config.http.listen),
        None => {}
    }
    if cli.print_config {
        print!("{}", config.to_toml_redacted());
        return std::process::ExitCode::SUCCESS;
    }
    let log = venuebox::logging::init(&config.log.filter);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // File reads and other blocking calls: bounded, so the unit's TasksMax holds (decision 0305).
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli, config, log)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `venuebox uplink-check`: exit 0 when the bucket works, 1 with an explanation otherwise.
fn uplink_check(mut config: Config, endpoint: Option<String>, bucket: Option<String>) -> std::process::ExitCode {
    if let Some(e) = endpoint {
        config.uplink.endpoint = e;
    }
    if let Some(b) = bucket {
        config.uplink.bucket = b;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(venuebox::uplink::check::run(&config.uplink, &mut std::io::stdout()));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("uplink-check FAILED: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, config: Config, log: venuebox::logging::LogHandle) -> anyhow::Result<()> {
    let addr = config.http.listen;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let service = Service::start(config, listener)
        .await?
        .with_reload(Box::new(move || cli.load_config()), Some(log));
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(forward_signals(tx));
    service.run(rx).await
}

/// SIGTERM/SIGINT ask for shutdown, SIGHUP for a reload.
async fn forward_signals(tx: mpsc::Sender<Control>) -> std::io::Result<()> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    loop {
        let msg = tokio::select! {
            _ = term.recv() => Control::Shutdown,
            _ = int.recv() => Control::Shutdown,
            _ = hup.recv() => Control::Reload,
        };
        if tx.send(msg).await.is_err() {
            return Ok(());
        }
    }
}
