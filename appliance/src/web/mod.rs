//! Web helpers every HTTP-facing subsystem shares: responses (bodies, caching, ranges, MIME
//! types) and WebSocket upgrades. A leaf: it imports nothing of the service, so handlers in any
//! subsystem use it without reaching into the server (`http/`).

pub mod counters;
pub mod respond;
pub mod ws;
