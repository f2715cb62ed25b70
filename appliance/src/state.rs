//! The state the router and the service share: configuration, the segment window, the figure
//! sources and the handles each handler takes. Only the router and the service see it; handlers
//! take the narrow handle they use.

use crate::admin::Admin;
use crate::config::Config;
use crate::discovery::Discovery;
use crate::ingest::report::IngestReport;
use crate::report::{Reports, Source};
use crate::signal::SignalHub;
use crate::web::counters::HttpCounters;
use crate::web::limit::ConnLimits;
use crate::window::SharedWindow;
use std::sync::{Arc, RwLock};

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
    /// Ingest figures and state.
    pub ingest: Arc<IngestReport>,
    /// Every figure source, for `/api/status`, `/metrics` and the staff page.
    pub reports: Arc<Reports>,
    /// The tracker behind `/announce` (absent: 404).
    pub tracker: Option<crate::tracker::TrackerHandle>,
    /// Signaling (`/signal`).
    pub signal: Arc<SignalHub>,
    /// Viewer URL, mDNS name, QR codes.
    pub discovery: Arc<Discovery>,
    /// The staff page.
    pub admin: Arc<Admin>,
    /// What the HTTP server sent (also a figure source: `http`).
    pub http: Arc<HttpCounters>,
    /// Connection caps of the HTTP and HTTPS listeners (also a figure source: `connections`).
    pub conns: Arc<ConnLimits>,
    /// The bound HTTPS address, once its listener is up.
    pub https_addr: std::sync::OnceLock<std::net::SocketAddr>,
}

impl AppState {
    /// Assembles the state; `sources` are the subsystems' figure sources after window and
    /// ingest, in `/metrics` order (the HTTP counters and the tracker's come last).
    pub fn new(
        config: Config,
        ingest: IngestReport,
        sources: Vec<Arc<dyn Source>>,
        front: Front,
        tracker: Option<crate::tracker::TrackerHandle>,
    ) -> Self {
        let http = Arc::new(HttpCounters::default());
        let window = ingest.window.clone();
        let ingest = Arc::new(ingest);
        let conns = ConnLimits::new(config.http.max_connections, config.http.max_connections_per_address);
        let mut rest = sources;
        rest.push(http.clone());
        rest.push(conns.clone());
        rest.extend(tracker.iter().map(|t| t.stats.clone() as Arc<dyn Source>));
        let core: Vec<Arc<dyn Source>> = vec![window.clone(), ingest.clone()];
        let derived = crate::admin::figures::BoxFigures::new(&config);
        let reports = Reports::new(core, rest).with_derived(Arc::new(derived));
        Self {
            http,
            conns,
            https_addr: std::sync::OnceLock::new(),
            config: RwLock::new(Arc::new(config)),
            window,
            ingest,
            reports: Arc::new(reports),
            tracker,
            signal: front.signal,
            discovery: front.discovery,
            admin: front.admin,
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
