//! The R2 uplink, the CDN fallback: uploads segments, then the playlist naming them, and the
//! viewer app to an S3-compatible bucket (Cloudflare R2), so viewers whose network blocks P2P,
//! and remote viewers, can watch over HTTP from the bucket's public URL.

pub mod backoff;
pub mod check;
pub mod credentials;
pub mod keys;
pub mod published;
pub mod s3;
pub mod scheduler;
pub mod status;
pub mod store;
pub mod task;
pub mod viewer;

pub use self::status::UplinkStatus;
pub use crate::config::UplinkConfig;

use crate::config::Config;
use crate::window::SharedWindow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Why the uplink could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// No usable credentials.
    #[error("uplink: {0}")]
    Credentials(#[from] credentials::CredentialsError),
    /// The client could not be built.
    #[error(transparent)]
    Setup(#[from] s3::SetupError),
    /// The viewer app could not be read.
    #[error("uplink: {0}")]
    Viewer(#[from] viewer::ViewerError),
}

/// The scheduler settings of a configuration.
pub fn scheduler_config(cfg: &UplinkConfig, seed: u64) -> scheduler::SchedulerConfig {
    scheduler::SchedulerConfig {
        prefix: cfg.prefix.clone(),
        concurrency: cfg.concurrency,
        queue_segments: cfg.queue_segments,
        max_lag: Duration::from_secs_f64(cfg.max_lag_secs),
        backoff_initial: Duration::from_millis(cfg.backoff_initial_ms),
        backoff_max: Duration::from_millis(cfg.backoff_max_ms),
        delete_old: cfg.delete_old,
        delete_grace: Duration::from_secs_f64(cfg.delete_grace_secs),
        seed,
    }
}

/// The uplink task, ready to spawn.
pub type UplinkTask = Pin<Box<dyn Future<Output = Result<(), task::TaskError>> + Send>>;

/// The uplink's status source, and its task when enabled.
pub fn start(
    config: &Config,
    window: Arc<SharedWindow>,
    shutdown: CancellationToken,
) -> Result<(Arc<UplinkStatus>, Option<UplinkTask>), StartError> {
    let cfg = &config.uplink;
    let status = Arc::new(UplinkStatus::new(cfg.enabled, cfg.public_url(keys::PLAYLIST)));
    if !cfg.enabled {
        return Ok((status, None));
    }
    let creds = credentials::load_from_process(&cfg.credentials_file)?;
    let store = s3::S3Store::new(cfg, &creds)?;
    let viewer = if cfg.upload_viewer {
        viewer::load(&config.http.viewer_dir, &cfg.prefix)?
    } else {
        None
    };
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
        ^ u64::from(std::process::id());
    let params = task::TaskParams {
        store,
        window,
        scheduler: scheduler_config(cfg, seed),
        viewer,
        status: status.clone(),
    };
    tracing::info!(bucket = %cfg.bucket, public = %cfg.public_url(keys::PLAYLIST), "R2 uplink on");
    Ok((status, Some(Box::pin(task::run(params, shutdown)))))
}
