//! The swarm core: a sans-IO state machine holding every swarm, peer and connection.
//!
//! Driving loop (the IO task owns one `Tracker`):
//! ```text
//! loop {
//!     select {
//!         connection accepted    => if !t.open(now, conn) { close it }
//!         frame from connection  => t.handle_frame(now, conn, Frame::Text(text))
//!         connection gone        => t.close(conn)
//!         box seeder answer      => t.box_answer(now, answer)
//!         segment left window    => t.drop_segment(seq)
//!         timer t.poll_timeout() => t.handle_timeout(now)
//!     }
//!     while let Some(out) = t.poll_output() { deliver(out) }   // Send / Close / BoxOffer
//! }
//! ```
//! Invariants: after every call the caller drains `poll_output`; a peer `p` of swarm `s` on
//! connection `c` is in `conns[c].member` as `(s, p)` and the other way round; every map and
//! queue is bounded by `TrackerConfig` (the output queue by what one call can produce).
use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use super::config::TrackerConfig;
use super::id::{InfoHash, PeerId};
use super::ratelimit::{RateLimiter, Verdict};
use super::request::ClientMessage;
use super::route::Rng;
use super::stats::{Counters, Gauges};
use super::swarm::{ConnId, Registration, Swarm};
use super::{Action, Rejected, ServerMessage};

/// A frame after decoding.
pub(super) type Decoded = Result<ClientMessage, Rejected>;

pub use super::events::{BoxAnswer, BoxOffer, CloseReason, CoreError, Frame, Output};

pub(super) struct Conn {
    pub(super) limiter: RateLimiter,
    pub(super) member: Vec<(InfoHash, PeerId)>,
    /// The client's address, when the IO layer said: a peer id moves only between
    /// connections from the same address.
    pub(super) origin: Option<std::net::IpAddr>,
}

/// The tracker state machine.
pub struct Tracker {
    pub(super) cfg: TrackerConfig,
    pub(super) swarms: HashMap<InfoHash, Swarm>,
    pub(super) conns: HashMap<ConnId, Conn>,
    pub(super) out: VecDeque<Output>,
    pub(super) counters: Counters,
    pub(super) rng: Rng,
    pub(super) open_swarms: usize,
    next_sweep: Option<Instant>,
}

impl Tracker {
    /// An empty tracker.
    pub fn new(cfg: TrackerConfig) -> Self {
        Self {
            rng: Rng::new(cfg.seed),
            cfg,
            swarms: HashMap::new(),
            conns: HashMap::new(),
            out: VecDeque::new(),
            counters: Counters::default(),
            open_swarms: 0,
            next_sweep: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &TrackerConfig {
        &self.cfg
    }

    /// A new connection; false when `max_connections` is reached (close it). Opening a known
    /// connection again changes nothing.
    pub fn open(&mut self, now: Instant, conn: ConnId) -> bool {
        self.open_inner(now, conn, None)
    }

    /// A new connection from `origin` (the client's IP address). A peer id announced on it
    /// belongs to it: another connection may take the id over only from the same address (a
    /// reconnect, or WebTorrent's one socket per tracker URL), never from another client.
    pub fn open_from(&mut self, now: Instant, conn: ConnId, origin: std::net::IpAddr) -> bool {
        self.open_inner(now, conn, Some(origin))
    }

    fn open_inner(&mut self, now: Instant, conn: ConnId, origin: Option<std::net::IpAddr>) -> bool {
        self.arm_sweep(now);
        if self.conns.contains_key(&conn) {
            return true;
        }
        if self.conns.len() >= self.cfg.max_connections {
            return false;
        }
        let limiter = RateLimiter::new(now, self.cfg.rate_burst);
        self.conns.insert(
            conn,
            Conn {
                limiter,
                member: Vec::new(),
                origin,
            },
        );
        true
    }

    /// A connection went away: its peers leave every swarm.
    pub fn close(&mut self, conn: ConnId) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        for (ih, pid) in c.member {
            let Some(swarm) = self.swarms.get_mut(&ih) else {
                continue;
            };
            if swarm.peers.get(&pid).is_some_and(|p| p.conn == conn) {
                swarm.remove_peer(&pid);
            }
            self.drop_if_idle(&ih);
        }
    }

    /// One data frame from a connection.
    ///
    /// Every message costs a token of the connection's rate limit except an answer to an offer
    /// this tracker relayed to that peer: those are bounded by the routing's per-peer cap, and a
    /// popular holder answering them must never be refused or closed (docs/decisions/0103).
    pub fn handle_frame(&mut self, now: Instant, conn: ConnId, frame: Frame<'_>) {
        if !self.conns.contains_key(&conn) {
            return;
        }
        let decoded = self.decode(frame);
        if !self.is_expected_answer(conn, &decoded) && !self.take_token(now, conn, &decoded) {
            return;
        }
        self.dispatch(now, conn, decoded);
    }

    /// Charges one message to `conn`'s rate limit; false when it was refused or closed.
    fn take_token(&mut self, now: Instant, conn: ConnId, decoded: &Decoded) -> bool {
        let (per_sec, burst, strikes) = (self.cfg.rate_per_sec, self.cfg.rate_burst, self.cfg.max_strikes);
        let Some(c) = self.conns.get_mut(&conn) else {
            return false;
        };
        match c.limiter.check(now, per_sec, burst, strikes) {
            Verdict::Allow => true,
            Verdict::Refuse { first } => {
                self.counters.rate_limited += 1;
                if first {
                    // npm bittorrent-tracker 11.x clients throw on an `announce` reply without
                    // `info_hash` (`bin2hex(undefined)`): name the refused frame's swarm.
                    let ih = match decoded {
                        Ok(ClientMessage::Announce(a)) => Some(a.info_hash),
                        Ok(ClientMessage::Scrape(_)) => None,
                        Err(r) => r.info_hash,
                    };
                    self.fail(conn, Some(Action::Announce), ih, "rate limit exceeded".into());
                }
                false
            }
            Verdict::Close => {
                self.counters.flood_closes += 1;
                self.close(conn);
                self.out.push_back(Output::Close {
                    conn,
                    reason: CloseReason::Flood,
                });
                false
            }
        }
    }

    /// Whether `decoded` answers an offer this tracker relayed to the answering peer.
    /// The answering peer must be a member of the swarm on `conn` itself, so that a client
    /// cannot answer for free under another peer's id.
    fn is_expected_answer(&self, conn: ConnId, decoded: &Decoded) -> bool {
        let Ok(ClientMessage::Announce(a)) = decoded else {
            return false;
        };
        let Some(answer) = &a.answer else {
            return false;
        };
        let Some(swarm) = self.swarms.get(&a.info_hash) else {
            return false;
        };
        swarm.peers.get(&a.peer_id).is_some_and(|p| p.conn == conn)
            && swarm
                .pending
                .get(&(answer.to_peer_id, answer.offer_id))
                .is_some_and(|p| p.to == super::swarm::Target::Peer(a.peer_id))
    }

    /// Registers a swarm the box serves (its seeder holds the segment); idempotent.
    pub fn register_swarm(&mut self, now: Instant, ih: InfoHash, reg: Registration) -> Result<(), CoreError> {
        if let Some(s) = self.swarms.get_mut(&ih) {
            if s.registration.replace(reg).is_none() {
                self.open_swarms -= 1;
            }
            return Ok(());
        }
        if self.swarms.len() >= self.cfg.max_swarms {
            return Err(CoreError::Full);
        }
        self.swarms.insert(ih, Swarm::new(now, Some(reg)));
        Ok(())
    }

    /// Drops every swarm registered for `segment` (it left the window); returns how many.
    pub fn drop_segment(&mut self, segment: u64) -> usize {
        let gone: Vec<InfoHash> = self
            .swarms
            .iter()
            .filter(|(_, s)| s.registration.is_some_and(|r| r.segment == segment))
            .map(|(ih, _)| *ih)
            .collect();
        for ih in &gone {
            self.remove_swarm(ih);
        }
        gone.len()
    }

    /// Drops a swarm and its peers.
    pub fn remove_swarm(&mut self, ih: &InfoHash) -> bool {
        let Some(swarm) = self.swarms.remove(ih) else {
            return false;
        };
        if swarm.registration.is_none() {
            self.open_swarms -= 1;
        }
        for (pid, peer) in swarm.peers {
            if let Some(c) = self.conns.get_mut(&peer.conn) {
                c.member.retain(|m| *m != (*ih, pid));
            }
        }
        self.counters.swarms_dropped += 1;
        true
    }

    /// Relays the box seeder's answer to the offering peer.
    pub fn box_answer(&mut self, now: Instant, a: BoxAnswer) -> Result<(), CoreError> {
        let swarm = self.swarms.get_mut(&a.info_hash).ok_or(CoreError::UnknownSwarm)?;
        swarm.last_active = now;
        let key = (a.to_peer_id, a.offer_id);
        match swarm.pending.get(&key) {
            Some(p) if p.to == super::swarm::Target::BoxSeeder => {}
            _ => return Err(CoreError::UnknownOffer),
        }
        swarm.pending.remove(&key);
        let conn = swarm.peers.get(&a.to_peer_id).ok_or(CoreError::PeerGone)?.conn;
        let msg = ServerMessage::Answer(super::ForwardedAnswer {
            info_hash: a.info_hash,
            peer_id: self.cfg.box_peer_id,
            offer_id: a.offer_id,
            answer: a.answer,
        });
        self.counters.answers_relayed += 1;
        self.out.push_back(Output::Send {
            conn,
            frame: msg.encode(),
        });
        Ok(())
    }

    /// When `handle_timeout` wants to be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_sweep
    }

    /// Expires peers and offers when the sweep is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.next_sweep.is_some_and(|t| now >= t) {
            self.sweep(now);
            self.next_sweep = Some(now + self.cfg.sweep_interval);
        }
    }

    /// Next thing for the IO layer to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// Counters since start.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Current sizes (walks the swarms).
    pub fn gauges(&self) -> Gauges {
        let mut g = Gauges {
            connections: self.conns.len() as u64,
            swarms: self.swarms.len() as u64,
            ..Gauges::default()
        };
        for s in self.swarms.values() {
            g.registered_swarms += u64::from(s.registration.is_some());
            g.peers += s.peers.len() as u64;
            g.seeders += s.complete;
            g.leechers += s.leechers();
            g.pending_offers += s.pending.len() as u64;
        }
        g
    }

    fn arm_sweep(&mut self, now: Instant) {
        if self.next_sweep.is_none() {
            self.next_sweep = Some(now + self.cfg.sweep_interval);
        }
    }

    fn sweep(&mut self, now: Instant) {
        let timeout = self.cfg.peer_timeout;
        let mut expired = Vec::new();
        for (ih, s) in &mut self.swarms {
            s.pending.retain(|_, p| p.expires > now);
            for (pid, p) in &s.peers {
                if now.saturating_duration_since(p.last_seen) >= timeout {
                    expired.push((*ih, *pid, p.conn));
                }
            }
        }
        for (ih, pid, conn) in expired {
            if let Some(s) = self.swarms.get_mut(&ih) {
                s.remove_peer(&pid);
            }
            if let Some(c) = self.conns.get_mut(&conn) {
                c.member.retain(|m| *m != (ih, pid));
            }
            self.counters.peers_expired += 1;
            self.drop_if_idle(&ih);
        }
    }

    /// Removes an unregistered swarm once it has no peers.
    pub(super) fn drop_if_idle(&mut self, ih: &InfoHash) {
        let idle = self
            .swarms
            .get(ih)
            .is_some_and(|s| s.registration.is_none() && s.peers.is_empty());
        if idle {
            self.swarms.remove(ih);
            self.open_swarms -= 1;
        }
    }

    /// Queues a `failure reason` for a connection.
    pub(super) fn fail(&mut self, conn: ConnId, action: Option<Action>, ih: Option<InfoHash>, reason: String) {
        self.counters.failures += 1;
        let msg = ServerMessage::Failure(super::Failure {
            action,
            reason,
            info_hash: ih,
        });
        self.out.push_back(Output::Send {
            conn,
            frame: msg.encode(),
        });
    }
}
