//! The HTTP server's settings: the plain HTTP port (viewers), the HTTPS port (staff), and the
//! limits that keep one client from starving the others.

use super::ConfigError;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

/// HTTP server settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Address and port of the one HTTP port (viewer, HLS, `/announce`, `/signal`, status).
    pub listen: SocketAddr,
    /// Address and port of the HTTPS listener (serves what `listen` serves; `/admin` over plain
    /// HTTP redirects here). Empty: no HTTPS, and `/admin` is refused over plain HTTP.
    pub https_listen: String,
    /// PEM certificate chain for HTTPS. Empty: a self-signed certificate for the box's
    /// addresses and mDNS name, generated in `admin.state_dir` and renewed when needed.
    pub tls_cert: PathBuf,
    /// PEM private key of `tls_cert` (both set or both empty).
    pub tls_key: PathBuf,
    /// Folder of the built viewer app (`viewer/dist`); `/` serves its `index.html`.
    pub viewer_dir: PathBuf,
    /// Most simultaneous HTTP connections, WebSockets included; further ones are closed at once.
    pub max_connections: usize,
    /// Most simultaneous connections (HTTP and WebSocket alike) from one IP address.
    pub max_connections_per_address: usize,
    /// A connection whose client reads nothing of a response for this long is closed.
    pub write_timeout_secs: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 8080)),
            https_listen: "0.0.0.0:8443".to_owned(),
            tls_cert: PathBuf::new(),
            tls_key: PathBuf::new(),
            viewer_dir: PathBuf::from("viewer/dist"),
            max_connections: 8192,
            max_connections_per_address: 64,
            write_timeout_secs: 20,
        }
    }
}

impl HttpConfig {
    /// The HTTPS address, if HTTPS is on.
    pub fn https_addr(&self) -> Option<SocketAddr> {
        self.https_listen.parse().ok()
    }

    /// Rejects settings that cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if self.max_connections == 0 {
            return invalid("http.max_connections must be positive");
        }
        if !(1..=self.max_connections).contains(&self.max_connections_per_address) {
            return invalid("http.max_connections_per_address must be between 1 and http.max_connections");
        }
        if !(1..=600).contains(&self.write_timeout_secs) {
            return invalid("http.write_timeout_secs must be between 1 and 600");
        }
        if !self.https_listen.is_empty() && self.https_addr().is_none() {
            return invalid("http.https_listen must be empty or ADDRESS:PORT");
        }
        if self.tls_cert.as_os_str().is_empty() != self.tls_key.as_os_str().is_empty() {
            return invalid("http.tls_cert and http.tls_key must be set together");
        }
        Ok(())
    }
}
