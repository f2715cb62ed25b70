//! The state every task shares: configuration, the segment window, ingest status and the
//! status sources of the other subsystems.

use crate::admin::Admin;
use crate::config::Config;
use crate::discovery::Discovery;
use crate::ingest::IngestStatus;
use crate::signal::SignalHub;
use crate::status::StatusSource;
use crate::window::SharedWindow;
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// The parts that face viewers and staff, made by the service before the state.
pub struct Front {
    /// Signaling.
    pub signal: Arc<SignalHub>,
    /// Viewer URL, mDNS name, QR codes.
    pub discovery: Arc<Discovery>,
    /// The staff page.
    pub admin: Arc<Admin>,
}

/// Shared application state.
pub struct AppState {
    config: RwLock<Arc<Config>>,
    /// The segment window and its events.
    pub window: Arc<SharedWindow>,
    /// Ingest figures.
    pub ingest: IngestStatus,
    /// When the service started.
    pub started: Instant,
    /// Subsystems that add to `/api/status` and `/metrics`.
    pub sources: Vec<Arc<dyn StatusSource>>,
    /// The tracker behind `/announce` (absent: 404).
    pub tracker: Option<crate::tracker::TrackerHandle>,
    /// Signaling (`/signal`).
    pub signal: Arc<SignalHub>,
    /// Viewer URL, mDNS name, QR codes.
    pub discovery: Arc<Discovery>,
    /// The staff page.
    pub admin: Arc<Admin>,
    /// What the HTTP server sent (also a status source: `http`).
    pub http: Arc<crate::http::counters::HttpCounters>,
}

impl AppState {
    /// Assembles the state.
    pub fn new(
        config: Config,
        window: Arc<SharedWindow>,
        ingest: IngestStatus,
        sources: Vec<Arc<dyn StatusSource>>,
        front: Front,
    ) -> Self {
        let http = Arc::new(crate::http::counters::HttpCounters::default());
        let mut sources = sources;
        sources.push(http.clone());
        Self {
            http,
            config: RwLock::new(Arc::new(config)),
            window,
            ingest,
            started: Instant::now(),
            sources,
            tracker: None,
            signal: front.signal,
            discovery: front.discovery,
            admin: front.admin,
        }
    }

    /// Adds the tracker: its handle serves `/announce`, its seeder link waits for the seeder.
    pub fn with_tracker(mut self, handle: crate::tracker::TrackerHandle) -> Self {
        self.sources.push(handle.stats.clone());
        self.tracker = Some(handle);
        self
    }

    /// The configuration in effect.
    pub fn config(&self) -> Arc<Config> {
        self.config.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Replaces the configuration (SIGHUP reload).
    pub fn set_config(&self, config: Config) {
        *self.config.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(config);
    }
}
