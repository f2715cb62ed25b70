//! The state every task shares: configuration, the segment window, ingest status and the
//! status sources of the other subsystems.

use crate::config::Config;
use crate::ingest::IngestStatus;
use crate::status::StatusSource;
use crate::window::SharedWindow;
use std::sync::{Arc, RwLock};
use std::time::Instant;

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
    /// The WebRTC seeder, when enabled (the tracker hands it offers: `answer_offer`).
    pub seeder: std::sync::OnceLock<Arc<crate::seeder::Seeder>>,
}

impl AppState {
    /// Assembles the state.
    pub fn new(
        config: Config,
        window: Arc<SharedWindow>,
        ingest: IngestStatus,
        sources: Vec<Arc<dyn StatusSource>>,
    ) -> Self {
        Self {
            config: RwLock::new(Arc::new(config)),
            window,
            ingest,
            started: Instant::now(),
            sources,
            seeder: std::sync::OnceLock::new(),
        }
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
