//! Tracing to stderr in a journald-friendly form, with a filter that SIGHUP can change.

use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{fmt, reload, EnvFilter, Registry};

/// Changes the log filter after start.
pub struct LogHandle(reload::Handle<EnvFilter, Registry>);

impl LogHandle {
    /// Applies a new filter unless `RUST_LOG` overrides it.
    pub fn set_filter(&self, filter: &str) {
        if std::env::var_os("RUST_LOG").is_some() {
            return;
        }
        match EnvFilter::try_new(filter) {
            Ok(f) => {
                let _ = self.0.reload(f);
            }
            Err(e) => tracing::warn!(error = %e, filter, "invalid log filter ignored"),
        }
    }
}

/// Installs the global subscriber; `RUST_LOG` wins over `filter`.
pub fn init(filter: &str) -> LogHandle {
    let env_filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let (filter_layer, handle) = reload::Layer::new(env_filter);
    // Under systemd the journal adds its own timestamps.
    let journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let fmt_layer = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(true);
    let registry = tracing_subscriber::registry().with(filter_layer);
    if journald {
        registry.with(fmt_layer.without_time()).init();
    } else {
        registry.with(fmt_layer).init();
    }
    LogHandle(handle)
}
