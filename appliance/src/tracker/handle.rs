//! The cloneable handle other tasks use to reach the tracker's core task.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use venuebox_proto::tracker::{BoxAnswer, ConnId, InfoHash, Registration};

use super::stats::TrackerStats;

/// IO limits around the core.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerIoConfig {
    /// Commands queued for the core task before senders wait.
    pub command_queue: usize,
    /// Frames queued for one connection; a client that lets it fill up is dropped. With the
    /// routing's cap (at most 16 offers per swarm in 10 s) a viewer gets about 10 frames a
    /// second, so 64 is seconds of backlog; at 256 lagging clients held 52 MB at 1000 viewers.
    pub outbound_queue: usize,
    /// Offers queued for the box's seeder; more are dropped (and counted).
    pub box_offer_queue: usize,
    /// A socket that sends nothing for this long is closed.
    pub idle_timeout: Duration,
}

impl Default for TrackerIoConfig {
    fn default() -> Self {
        Self {
            command_queue: 8192,
            outbound_queue: 64,
            box_offer_queue: 256,
            idle_timeout: Duration::from_secs(360),
        }
    }
}

/// What the core task is told.
#[derive(Debug)]
pub enum Command {
    /// A socket opened; frames for it go to `tx`.
    Open {
        /// Its id.
        conn: ConnId,
        /// Its outbound queue.
        tx: mpsc::Sender<String>,
        /// The client's address (peer ids stay with the address that announced them).
        origin: Option<std::net::IpAddr>,
    },
    /// A text frame.
    Text {
        /// From.
        conn: ConnId,
        /// The frame.
        text: String,
    },
    /// A binary frame of this length.
    Binary {
        /// From.
        conn: ConnId,
        /// Its length.
        len: usize,
    },
    /// The socket is gone.
    Close {
        /// Which.
        conn: ConnId,
    },
    /// The box's seeder answers an offer.
    BoxAnswer(BoxAnswer),
    /// The box serves this swarm (its torrent is in the window).
    Register {
        /// Swarm.
        info_hash: InfoHash,
        /// Segment sequence and torrent length.
        registration: Registration,
    },
    /// A segment left the window.
    DropSegment {
        /// Its sequence number.
        seq: u64,
    },
    /// The box's seeder takes `box_free` more neighbours in the live mesh's stream swarm
    /// (registers the stream swarm the first time).
    StreamSlots {
        /// The stream swarm.
        info_hash: InfoHash,
        /// Free neighbour slots of the box.
        box_free: u32,
    },
}

/// Cloneable access to the running tracker.
#[derive(Clone)]
pub struct TrackerHandle {
    pub(super) commands: mpsc::Sender<Command>,
    pub(super) next_conn: Arc<AtomicU64>,
    /// Shared figures for status and metrics.
    pub stats: Arc<TrackerStats>,
    /// IO limits.
    pub io: TrackerIoConfig,
    /// Largest accepted frame (the WebSocket limit of tracker sockets).
    pub max_frame: usize,
}

impl TrackerHandle {
    /// A fresh connection id.
    pub fn next_conn_id(&self) -> ConnId {
        ConnId(self.next_conn.fetch_add(1, Ordering::Relaxed))
    }

    /// Sends a command, waiting while the core task is busy; false if it has stopped.
    pub async fn send(&self, cmd: Command) -> bool {
        self.commands.send(cmd).await.is_ok()
    }

    /// Registers a swarm the box serves: the torrent of window segment `seq`, `length` bytes.
    pub async fn register_swarm(&self, info_hash: InfoHash, seq: u64, length: u64) -> bool {
        let registration = Registration { segment: seq, length };
        self.send(Command::Register {
            info_hash,
            registration,
        })
        .await
    }

    /// Registers the stream swarm, or updates the box's free neighbour slots in it.
    pub async fn stream_slots(&self, info_hash: InfoHash, box_free: u32) -> bool {
        self.send(Command::StreamSlots { info_hash, box_free }).await
    }

    /// Drops the swarms of segment `seq`.
    pub async fn drop_segment(&self, seq: u64) -> bool {
        self.send(Command::DropSegment { seq }).await
    }
}
