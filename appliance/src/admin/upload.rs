//! `POST /admin/update`: staff upload a RAUC update bundle. The body is streamed to
//! `<admin.update_dir>/upload.part` (never held in memory), bounded by
//! `admin.update_max_bytes` and `admin.update_timeout_secs`, one upload at a time; a complete
//! upload is renamed to `bundle.raucb`, which the box's `venuebox-update.path` unit hands to
//! `venuebox update` (as root: RAUC checks the signature before it writes a slot).
//! `GET /admin/update` shows that install's progress (`status`).

use crate::config::AdminConfig;
use http_body_util::BodyExt as _;
use hyper::body::{Body as _, Incoming};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::io::AsyncWriteExt as _;

/// The name a complete upload gets; the install unit waits for it.
pub const BUNDLE: &str = "bundle.raucb";
/// The install's progress and outcome, written by `venuebox update --status`.
pub const STATUS: &str = "status";
const PART: &str = "upload.part";
/// Most bytes of the status file shown.
const STATUS_MAX: u64 = 64 * 1024;

/// Why an upload was not taken.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// `admin.update_dir` is empty.
    #[error("this box takes no updates from the staff page (admin.update_dir is not set)")]
    Off,
    /// Another upload is running, or an uploaded bundle is waiting to be installed.
    #[error("an update is already being uploaded or installed; wait for it to finish")]
    Busy,
    /// The body is (or says it is) larger than `admin.update_max_bytes`.
    #[error("the bundle is larger than {max} bytes (admin.update_max_bytes)")]
    TooLarge {
        /// The limit.
        max: u64,
    },
    /// The upload took longer than `admin.update_timeout_secs`.
    #[error("the upload took longer than {0:?}")]
    Timeout(Duration),
    /// The client's body broke off.
    #[error("the upload broke off: {0}")]
    Body(#[source] hyper::Error),
    /// The disk refused it (full, read-only).
    #[error("cannot store the bundle in {dir}: {source}")]
    Disk {
        /// `admin.update_dir`.
        dir: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}

impl UploadError {
    /// The HTTP status that says this.
    pub fn status(&self) -> hyper::StatusCode {
        use hyper::StatusCode as S;
        match self {
            Self::Off => S::NOT_FOUND,
            Self::Busy => S::CONFLICT,
            Self::TooLarge { .. } => S::PAYLOAD_TOO_LARGE,
            Self::Timeout(_) => S::REQUEST_TIMEOUT,
            Self::Body(_) => S::BAD_REQUEST,
            Self::Disk { .. } => S::INSUFFICIENT_STORAGE,
        }
    }
}

/// The staff page's update uploads: where they go, their limits, and the one-at-a-time flag.
#[derive(Debug)]
pub struct Uploads {
    dir: PathBuf,
    max_bytes: u64,
    timeout: Duration,
    busy: AtomicBool,
}

/// Clears the busy flag when an upload ends, however it ends.
struct Slot<'a>(&'a AtomicBool);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl Uploads {
    /// From the `[admin]` settings.
    pub fn new(config: &AdminConfig) -> Self {
        Self {
            dir: config.update_dir.clone(),
            max_bytes: config.update_max_bytes,
            timeout: Duration::from_secs(config.update_timeout_secs),
            busy: AtomicBool::new(false),
        }
    }

    /// Stores one upload's body as the bundle to install; its size on success.
    pub async fn receive(&self, body: Incoming) -> Result<u64, UploadError> {
        if self.dir.as_os_str().is_empty() {
            return Err(UploadError::Off);
        }
        if body.size_hint().lower() > self.max_bytes {
            return Err(UploadError::TooLarge { max: self.max_bytes });
        }
        if self.busy.swap(true, Ordering::AcqRel) {
            return Err(UploadError::Busy);
        }
        let _slot = Slot(&self.busy);
        if self.dir.join(BUNDLE).exists() {
            return Err(UploadError::Busy);
        }
        let part = self.dir.join(PART);
        let result = match tokio::time::timeout(self.timeout, self.store(body, &part)).await {
            Ok(r) => r,
            Err(_) => Err(UploadError::Timeout(self.timeout)),
        };
        match result {
            Ok(n) => self.finish(&part, n).await,
            Err(e) => {
                let _ = tokio::fs::remove_file(&part).await;
                Err(e)
            }
        }
    }

    /// Streams `body` into `part`, counting and capping the bytes.
    async fn store(&self, mut body: Incoming, part: &Path) -> Result<u64, UploadError> {
        let disk = |source| UploadError::Disk {
            dir: self.dir.clone(),
            source,
        };
        tokio::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .await
            .map_err(disk)?;
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(part)
            .await
            .map_err(disk)?;
        let mut written = 0u64;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(UploadError::Body)?;
            let Ok(data) = frame.into_data() else { continue };
            written += data.len() as u64;
            if written > self.max_bytes {
                return Err(UploadError::TooLarge { max: self.max_bytes });
            }
            file.write_all(&data).await.map_err(disk)?;
        }
        file.sync_all().await.map_err(disk)?;
        Ok(written)
    }

    /// Renames the complete upload to the name the install unit waits for, with a fresh
    /// status file.
    async fn finish(&self, part: &Path, n: u64) -> Result<u64, UploadError> {
        let disk = |source| UploadError::Disk {
            dir: self.dir.clone(),
            source,
        };
        let status = format!("uploaded {n} bytes; waiting for the installer\n");
        tokio::fs::write(self.dir.join(STATUS), status).await.map_err(disk)?;
        tokio::fs::rename(part, self.dir.join(BUNDLE)).await.map_err(disk)?;
        tracing::info!(
            bytes = n,
            "update bundle uploaded on the staff page; handed to the installer"
        );
        Ok(n)
    }

    /// The last install's progress and outcome (the status file's first 64 KiB).
    pub async fn status(&self) -> String {
        use tokio::io::AsyncReadExt as _;
        let Ok(file) = tokio::fs::File::open(self.dir.join(STATUS)).await else {
            return "no update has been uploaded\n".to_owned();
        };
        let mut text = String::new();
        match file.take(STATUS_MAX).read_to_string(&mut text).await {
            Ok(_) => text,
            Err(e) => format!("cannot read the update status: {e}\n"),
        }
    }
}
