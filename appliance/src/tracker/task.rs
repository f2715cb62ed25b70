//! The core task: owns the swarm core, applies commands, delivers its outputs, publishes stats.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{self, error::TrySendError};
use tokio_util::sync::CancellationToken;
use venuebox_proto::tracker::{BoxOffer, ConnId, Frame, Output, Tracker, TrackerConfig};

use super::handle::{Command, TrackerHandle, TrackerIoConfig};
use super::seeder_link::BoxSeederLink;
use super::stats::{Rates, Snapshot, TrackerStats};

/// How often figures are published.
const STATS_EVERY: Duration = Duration::from_secs(1);

/// The core task, ready to run.
pub struct CoreTask {
    core: Tracker,
    commands: mpsc::Receiver<Command>,
    conns: HashMap<ConnId, mpsc::Sender<String>>,
    box_offers: mpsc::Sender<BoxOffer>,
    stats: Arc<TrackerStats>,
    last: (Instant, venuebox_proto::tracker::Counters),
}

/// Builds the tracker: the handle for sockets and other tasks, the seeder's link, the task.
pub fn run(cfg: TrackerConfig, io: TrackerIoConfig) -> (TrackerHandle, BoxSeederLink, CoreTask) {
    let (commands_tx, commands) = mpsc::channel(io.command_queue);
    let (box_tx, box_rx) = mpsc::channel(io.box_offer_queue);
    let stats = Arc::new(TrackerStats::default());
    let handle = TrackerHandle {
        commands: commands_tx,
        next_conn: Arc::new(AtomicU64::new(1)),
        stats: stats.clone(),
        io,
        max_frame: cfg.decode.max_frame,
    };
    let link = BoxSeederLink {
        offers: box_rx,
        handle: handle.clone(),
        peer_id: cfg.box_peer_id,
    };
    let task = CoreTask {
        core: Tracker::new(cfg),
        commands,
        conns: HashMap::new(),
        box_offers: box_tx,
        stats,
        last: (Instant::now(), Default::default()),
    };
    (handle, link, task)
}

impl CoreTask {
    /// Runs until `shutdown` or until every handle is gone.
    pub async fn run(mut self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let mut batch = Vec::with_capacity(256);
        let mut stats_tick = tokio::time::interval(STATS_EVERY);
        loop {
            let deadline = self.core.poll_timeout().unwrap_or_else(|| Instant::now() + STATS_EVERY);
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => return Ok(()),
                n = self.commands.recv_many(&mut batch, 256) => {
                    if n == 0 {
                        return Ok(());
                    }
                    for cmd in batch.drain(..) {
                        self.apply(cmd);
                        self.deliver();
                    }
                }
                _ = tokio::time::sleep_until(deadline.into()) => {
                    self.core.handle_timeout(Instant::now());
                    self.deliver();
                }
                _ = stats_tick.tick() => self.publish(),
            }
        }
    }

    fn apply(&mut self, cmd: Command) {
        let now = Instant::now();
        match cmd {
            Command::Open { conn, tx, origin } => {
                let opened = match origin {
                    Some(ip) => self.core.open_from(now, conn, ip),
                    None => self.core.open(now, conn),
                };
                if opened {
                    self.conns.insert(conn, tx);
                }
            }
            Command::Text { conn, text } => self.core.handle_frame(now, conn, Frame::Text(&text)),
            Command::Binary { conn, len } => self.core.handle_frame(now, conn, Frame::Binary(len)),
            Command::Close { conn } => {
                self.conns.remove(&conn);
                self.core.close(conn);
            }
            Command::BoxAnswer(a) => {
                if let Err(e) = self.core.box_answer(now, a) {
                    tracing::debug!(error = %e, "box seeder answer refused");
                    self.stats.box_answers_refused.fetch_add(1, Ordering::Relaxed);
                }
            }
            Command::Register {
                info_hash,
                registration,
            } => {
                if let Err(e) = self.core.register_swarm(now, info_hash, registration) {
                    tracing::warn!(error = %e, %info_hash, "swarm not registered");
                }
            }
            Command::DropSegment { seq } => {
                self.core.drop_segment(seq);
            }
            Command::StreamSlots { info_hash, box_free } => {
                let known = self.core.set_box_slots(&info_hash, box_free);
                if let Err(e) = known.or_else(|_| self.core.register_stream(now, info_hash, box_free)) {
                    tracing::warn!(error = %e, %info_hash, "stream swarm not registered");
                }
            }
        }
    }

    fn deliver(&mut self) {
        while let Some(out) = self.core.poll_output() {
            match out {
                Output::Send { conn, frame } => self.send(conn, frame),
                Output::Close { conn, reason } => {
                    tracing::debug!(conn = conn.0, ?reason, "closing tracker socket");
                    self.conns.remove(&conn);
                }
                Output::BoxOffer(offer) => {
                    if self.box_offers.try_send(offer).is_err() {
                        self.stats.box_offers_dropped.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
    }

    fn send(&mut self, conn: ConnId, frame: String) {
        let Some(tx) = self.conns.get(&conn) else {
            return;
        };
        match tx.try_send(frame) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                // A slow client: dropping its sender makes its socket task close it.
                self.stats.slow_dropped.fetch_add(1, Ordering::Relaxed);
                self.conns.remove(&conn);
                self.core.close(conn);
            }
            Err(TrySendError::Closed(_)) => {
                self.conns.remove(&conn);
                self.core.close(conn);
            }
        }
    }

    fn publish(&mut self) {
        let now = Instant::now();
        let counters = self.core.counters();
        let (then, before) = self.last;
        let secs = now.saturating_duration_since(then).as_secs_f64().max(1e-3);
        let per_sec = |a: u64, b: u64| a.saturating_sub(b) as f64 / secs;
        let rates = Rates {
            announces: per_sec(counters.announces, before.announces),
            offers: per_sec(
                counters.offers_relayed + counters.box_offers,
                before.offers_relayed + before.box_offers,
            ),
            answers: per_sec(counters.answers_relayed, before.answers_relayed),
        };
        self.last = (now, counters);
        self.stats.publish(Snapshot {
            counters,
            gauges: self.core.gauges(),
            rates,
        });
    }
}
