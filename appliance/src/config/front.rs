//! Configuration of the parts that face viewers and staff: signaling, discovery (mDNS, QR) and
//! the staff page.

use super::ConfigError;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Signaling (`/signal` WebSocket) settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignalConfig {
    /// Public base URL of the R2 bucket (e.g. `https://media.example.org/venue`); segments are
    /// announced with `<base>/<name>` as their R2 URL. Empty: no R2 URLs.
    pub r2_base_url: String,
    /// Most signaling clients (viewers) at once; further ones get a `server_full` error.
    pub max_clients: usize,
    /// How often viewers are asked to send stats, seconds.
    pub stats_interval_secs: u32,
    /// Messages queued for one viewer before it counts as too slow and is dropped.
    pub outbound_queue: usize,
}

/// Discovery settings: mDNS name and service, viewer URL, QR code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscoveryConfig {
    /// Host name advertised as `<hostname>.local` (a DNS label; `-2`, `-3`... on conflict).
    pub hostname: String,
    /// Advertise over mDNS (off by itself when `http.listen` is a loopback address).
    pub mdns: bool,
    /// Instance name of the `_http._tcp` service.
    pub service_name: String,
    /// How often the interface addresses are checked for changes, seconds.
    pub address_check_secs: u64,
}

/// Staff page (`/admin`) settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// The staff password (user name `staff`). Empty: generated at first start, kept in
    /// `<state_dir>/admin-password` (mode 0600) and shown on the console. The environment
    /// variable `VENUEBOX_ADMIN_PASSWORD` wins over both.
    pub password: String,
    /// Folder for the box's own state (the generated password).
    pub state_dir: PathBuf,
    /// Folder where an update bundle uploaded on the staff page is kept (on disk, never in
    /// memory) until the box's RAUC installs it. Empty: the staff page takes no updates.
    pub update_dir: PathBuf,
    /// Largest update bundle the staff page accepts, bytes.
    pub update_max_bytes: u64,
    /// Time limit of one upload, seconds.
    pub update_timeout_secs: u64,
}

impl Default for SignalConfig {
    fn default() -> Self {
        Self {
            r2_base_url: String::new(),
            max_clients: 2000,
            stats_interval_secs: 5,
            outbound_queue: 64,
        }
    }
}

impl Default for DiscoveryConfig {
    fn default() -> Self {
        Self {
            hostname: "venuebox".to_owned(),
            mdns: true,
            service_name: "VenueBox".to_owned(),
            address_check_secs: 2,
        }
    }
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            password: String::new(),
            state_dir: PathBuf::from("/var/lib/venuebox"),
            update_dir: PathBuf::new(),
            update_max_bytes: 1 << 30,
            update_timeout_secs: 900,
        }
    }
}

/// Is `s` a valid DNS label for a host name (`[a-z0-9-]`, 1-63, no leading or trailing `-`)?
pub fn is_host_label(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl SignalConfig {
    /// Rejects settings that cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let (signal, invalid) = (self, |m: &str| Err(ConfigError::Invalid(m.to_owned())));
        let base = &signal.r2_base_url;
        if !base.is_empty()
            && venuebox_proto::signal::check_url("r2_base_url", base, &["https://", "http://"], false).is_err()
        {
            return invalid("signal.r2_base_url must be empty or an http(s):// URL");
        }
        if !(1..=100_000).contains(&signal.max_clients) {
            return invalid("signal.max_clients must be between 1 and 100000");
        }
        if !(1..=60).contains(&signal.stats_interval_secs) {
            return invalid("signal.stats_interval_secs must be between 1 and 60");
        }
        if !(4..=4096).contains(&signal.outbound_queue) {
            return invalid("signal.outbound_queue must be between 4 and 4096");
        }
        Ok(())
    }
}

impl DiscoveryConfig {
    /// Rejects settings that cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let (discovery, invalid) = (self, |m: &str| Err(ConfigError::Invalid(m.to_owned())));
        if !is_host_label(&discovery.hostname) {
            return invalid("discovery.hostname must be a lower-case DNS label ([a-z0-9-], 1-63)");
        }
        let name = &discovery.service_name;
        if name.is_empty() || name.len() > 63 || name.chars().any(char::is_control) {
            return invalid("discovery.service_name must be 1-63 printable characters");
        }
        if !(1..=3600).contains(&discovery.address_check_secs) {
            return invalid("discovery.address_check_secs must be between 1 and 3600");
        }
        Ok(())
    }
}
