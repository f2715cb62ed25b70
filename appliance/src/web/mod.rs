//! Web helpers every HTTP-facing subsystem shares: responses (bodies, caching, ranges, MIME
//! types) and WebSocket upgrades. A leaf: it imports nothing of the service, so handlers in any
//! subsystem use it without reaching into the server (`http/`).

pub mod counters;
pub mod limit;
pub mod respond;
pub mod ws;

/// Who sent a request: the server puts this in every request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    /// The peer's address.
    pub addr: std::net::SocketAddr,
    /// The request came over HTTPS.
    pub https: bool,
}
