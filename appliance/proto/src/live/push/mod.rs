//! The box's pure push planner for the stream swarm (docs/LIVE-MESH.md, "Push and forwarding").
//!
//! Driving loop: tell it the box's live neighbours ([`PushPlanner::add_neighbour`],
//! [`PushPlanner::remove_neighbour`]) and each segment as it enters the window
//! ([`PushPlanner::add_segment`]) or leaves it ([`PushPlanner::segment_left`]). For each
//! neighbour whose link has room, take [`PushPlanner::next_push`], send that piece's blocks and
//! report [`PushPlanner::piece_sent`]. Feed the neighbours' `have`/`have_piece` to
//! [`PushPlanner::on_announce`] and ask [`PushPlanner::decide_request`] before serving a request.
//! After each call drain [`PushPlanner::poll_send`] (`have` and `gone` messages to send).
//!
//! Invariants: piece `i` of a segment is assigned to the `i mod k`-th of the `k` neighbours
//! present when it entered, and pushed once; a leaving neighbour's unsent pieces go to the
//! others; a neighbour gets `have` for a segment once its share is sent, naming the pieces it got
//! and those nobody was assigned; at most `window` segments and `max_neighbours` neighbours.

use std::collections::{BTreeMap, VecDeque};

mod segment;
#[cfg(test)]
mod tests;
mod types;

use self::segment::{decide, Piece, Segment};
pub use self::types::{
    NeighbourId, PushConfig, PushError, RejectReason, RequestDecision, Stats, MAX_NEIGHBOURS, MAX_WINDOW,
};
use super::codec::{BlockKey, LiveMsg, MAX_PIECES};
use super::pieces::PieceBits;

/// The planner's state.
#[derive(Debug)]
pub struct PushPlanner {
    cfg: PushConfig,
    neighbours: Vec<NeighbourId>,
    queues: BTreeMap<NeighbourId, VecDeque<(u64, u16)>>,
    segments: BTreeMap<u64, Segment>,
    out: VecDeque<(NeighbourId, LiveMsg)>,
    stats: Stats,
}

impl PushPlanner {
    /// A planner with no neighbours and an empty window.
    pub fn new(cfg: PushConfig) -> Result<Self, PushError> {
        if !(1..=MAX_WINDOW).contains(&cfg.window) {
            return Err(PushError::Config("window must be 1..=256"));
        }
        if !(1..=MAX_NEIGHBOURS).contains(&cfg.max_neighbours) {
            return Err(PushError::Config("max_neighbours must be 1..=64"));
        }
        Ok(PushPlanner {
            cfg,
            neighbours: Vec::new(),
            queues: BTreeMap::new(),
            segments: BTreeMap::new(),
            out: VecDeque::new(),
            stats: Stats::default(),
        })
    }

    /// Adds a neighbour whose link became ready; it gets a `have` for every window segment.
    pub fn add_neighbour(&mut self, n: NeighbourId) -> Result<(), PushError> {
        if self.neighbours.contains(&n) {
            return Ok(());
        }
        if self.neighbours.len() >= self.cfg.max_neighbours {
            return Err(PushError::TooManyNeighbours);
        }
        self.neighbours.push(n);
        self.queues.insert(n, VecDeque::new());
        for (seq, seg) in &self.segments {
            self.out.push_back((n, seg.have_for(*seq, n)));
        }
        Ok(())
    }

    /// Forgets a neighbour whose link ended; its unsent pieces go to the others.
    pub fn remove_neighbour(&mut self, n: NeighbourId) {
        let Some(at) = self.neighbours.iter().position(|m| *m == n) else {
            return;
        };
        self.neighbours.remove(at);
        self.queues.remove(&n);
        let seqs: Vec<u64> = self.segments.keys().copied().collect();
        for seq in seqs {
            self.reassign(seq, n);
        }
    }

    fn reassign(&mut self, seq: u64, gone: NeighbourId) {
        let seg = self.segments.get_mut(&seq).expect("seq taken from the window");
        seg.announced.remove(&gone);
        let mut next = 0;
        for (i, piece) in seg.pieces.iter_mut().enumerate() {
            match *piece {
                Piece::Sent(Some(m)) if m == gone => *piece = Piece::Sent(None),
                Piece::Pending(m) if m == gone => {
                    *piece = match self.neighbours.get(next % self.neighbours.len().max(1)) {
                        Some(&to) => {
                            self.queues
                                .get_mut(&to)
                                .expect("queue per neighbour")
                                .push_back((seq, i as u16));
                            Piece::Pending(to)
                        }
                        None => Piece::Unassigned,
                    };
                    next += 1;
                }
                _ => {}
            }
        }
    }

    /// A segment of `count` pieces entered the window: plans its push (piece `i` to neighbour
    /// `i mod k`); the oldest segment leaves if the window is full.
    pub fn add_segment(&mut self, seq: u64, count: u16) -> Result<(), PushError> {
        if count == 0 || count > MAX_PIECES {
            return Err(PushError::PieceCount(count));
        }
        if self.segments.last_key_value().is_some_and(|(newest, _)| *newest >= seq) {
            return Err(PushError::NotNewer(seq));
        }
        let k = self.neighbours.len();
        let pieces = (0..count)
            .map(|i| match self.neighbours.get(usize::from(i) % k.max(1)) {
                Some(&n) => {
                    self.queues
                        .get_mut(&n)
                        .expect("queue per neighbour")
                        .push_back((seq, i));
                    Piece::Pending(n)
                }
                None => Piece::Unassigned,
            })
            .collect();
        let announced = BTreeMap::new();
        self.segments.insert(seq, Segment { pieces, announced });
        for n in self.neighbours.clone() {
            self.announce_if_done(seq, n);
        }
        while self.segments.len() > self.cfg.window {
            let oldest = *self.segments.keys().next().expect("window is not empty");
            self.segment_left(oldest);
        }
        Ok(())
    }

    /// A segment left the window: every neighbour gets `gone`.
    pub fn segment_left(&mut self, seq: u64) {
        if self.segments.remove(&seq).is_some() {
            self.neighbours
                .iter()
                .for_each(|&n| self.out.push_back((n, LiveMsg::Gone { seq })));
        }
    }

    /// The next piece to push to `n` (oldest segment first), if any.
    pub fn next_push(&mut self, n: NeighbourId) -> Option<(u64, u16)> {
        let queue = self.queues.get_mut(&n)?;
        while let Some(&(seq, piece)) = queue.front() {
            let state = self.segments.get(&seq).map(|s| s.pieces[usize::from(piece)]);
            if state == Some(Piece::Pending(n)) {
                return Some((seq, piece));
            }
            queue.pop_front();
        }
        None
    }

    /// The caller handed every block of `piece` of `seq` (`bytes` in all) to `n`'s link.
    pub fn piece_sent(&mut self, n: NeighbourId, seq: u64, piece: u16, bytes: u64) {
        let Some(state) = self
            .segments
            .get_mut(&seq)
            .and_then(|s| s.pieces.get_mut(usize::from(piece)))
        else {
            return;
        };
        if *state != Piece::Pending(n) {
            return;
        }
        *state = Piece::Sent(Some(n));
        self.stats.bytes_pushed += bytes;
        if let Some(q) = self.queues.get_mut(&n) {
            q.retain(|e| *e != (seq, piece));
        }
        self.announce_if_done(seq, n);
    }

    fn announce_if_done(&mut self, seq: u64, n: NeighbourId) {
        let seg = &self.segments[&seq];
        if !seg.pending_for(n) {
            self.out.push_back((n, seg.have_for(seq, n)));
        }
    }

    /// Records a neighbour's `have` or `have_piece` (other messages and unknown segments are
    /// ignored).
    pub fn on_announce(&mut self, from: NeighbourId, msg: &LiveMsg) {
        if !self.neighbours.contains(&from) {
            return;
        }
        let Some(seg) = self.segments.get_mut(&msg.seq()) else {
            return;
        };
        let bits = seg.announced.entry(from).or_default();
        match msg {
            LiveMsg::Have { bitfield, .. } => *bits = PieceBits::from_bitfield(bitfield),
            LiveMsg::HavePiece { piece, .. } => {
                bits.insert(*piece);
            }
            _ => {}
        }
    }

    /// Whether the box serves `from`'s request; counts served bytes and refusals.
    pub fn decide_request(&mut self, from: NeighbourId, key: &BlockKey) -> RequestDecision {
        let decision = match self.segments.get(&key.seq) {
            None => RequestDecision::Reject(RejectReason::UnknownSegment),
            Some(seg) => decide(seg, from, key.piece),
        };
        match decision {
            RequestDecision::Serve => self.stats.bytes_served += u64::from(key.length),
            RequestDecision::Reject(_) => self.stats.requests_refused += 1,
            RequestDecision::OutOfRange => {}
        }
        decision
    }

    /// Next `have` or `gone` to send, and to whom.
    pub fn poll_send(&mut self) -> Option<(NeighbourId, LiveMsg)> {
        self.out.pop_front()
    }

    /// Whether every assigned piece of `seq` was pushed (`None` outside the window).
    pub fn push_finished(&self, seq: u64) -> Option<bool> {
        self.segments.get(&seq).map(Segment::finished)
    }

    /// The neighbours, in assignment order.
    pub fn neighbours(&self) -> &[NeighbourId] {
        &self.neighbours
    }

    /// What the planner counted so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }
}
