//! systemd integration: READY=1, WATCHDOG=1, STATUS= and STOPPING=1 over `NOTIFY_SOCKET`.
//! Every call is a no-op when the service does not run under systemd.

use std::time::Duration;

/// Tells systemd every listener is bound and the service is up.
pub fn ready(status: &str) {
    notify(&[sd_notify::NotifyState::Ready, sd_notify::NotifyState::Status(status)]);
}

/// Tells systemd the essential tasks were checked and are alive.
pub fn watchdog(status: &str) {
    notify(&[sd_notify::NotifyState::Watchdog, sd_notify::NotifyState::Status(status)]);
}

/// Updates the one-line status.
pub fn status(status: &str) {
    notify(&[sd_notify::NotifyState::Status(status)]);
}

/// Tells systemd the service is shutting down, or reloading its configuration.
pub fn stopping() {
    notify(&[sd_notify::NotifyState::Stopping]);
}

/// The interval at which WATCHDOG=1 must be sent (half of `WATCHDOG_USEC`), if enabled.
pub fn watchdog_interval() -> Option<Duration> {
    let mut usec = 0;
    (sd_notify::watchdog_enabled(false, &mut usec) && usec > 0).then(|| Duration::from_micros(usec / 2))
}

fn notify(states: &[sd_notify::NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(false, states) {
        tracing::debug!(error = %e, "sd_notify failed");
    }
}
