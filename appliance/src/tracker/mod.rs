//! The box's WebTorrent WebSocket tracker (`/announce`): IO around the pure swarm core in
//! `venuebox_proto::tracker`.
//!
//! Shape: one task owns the [`Tracker`](venuebox_proto::tracker::Tracker) core and receives
//! [`Command`]s on one bounded channel; each WebSocket runs [`serve_socket`], which forwards its
//! frames to the core task and writes what the core sends it from a bounded per-connection queue
//! (a client whose queue is full is dropped). The box's seeder plugs in through [`BoxSeederLink`]
//! (see `seeder_link.rs`); the torrent maker registers swarms with
//! [`TrackerHandle::register_swarm`]; swarms are dropped when their segment leaves the window
//! ([`TrackerHandle::follow_window`]).

mod conn;
mod handle;
mod seeder_link;
mod stats;
mod task;
mod window_link;

pub use conn::{serve_socket, ws_config, READ_BUFFER_BYTES};
pub use handle::{Command, TrackerHandle, TrackerIoConfig};
pub use seeder_link::BoxSeederLink;
pub use stats::TrackerStats;
pub use task::{run, CoreTask};
pub use window_link::follow_window;
