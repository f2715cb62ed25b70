//! One window segment as the planner sees it: who each piece went to and who announced it.

use std::collections::BTreeMap;

use super::NeighbourId;
use crate::live::codec::LiveMsg;
use crate::live::pieces::PieceBits;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Piece {
    /// No neighbour was assigned it: the box serves it on request.
    Unassigned,
    /// To be pushed to this neighbour.
    Pending(NeighbourId),
    /// Pushed, to this neighbour while it is still linked.
    Sent(Option<NeighbourId>),
}

#[derive(Debug)]
pub(super) struct Segment {
    pub(super) pieces: Vec<Piece>,
    pub(super) announced: BTreeMap<NeighbourId, PieceBits>,
}

impl Segment {
    pub(super) fn count(&self) -> u16 {
        self.pieces.len() as u16
    }

    pub(super) fn finished(&self) -> bool {
        !self.pieces.iter().any(|p| matches!(p, Piece::Pending(_)))
    }

    pub(super) fn pending_for(&self, n: NeighbourId) -> bool {
        self.pieces.contains(&Piece::Pending(n))
    }

    pub(super) fn held_by_other(&self, from: NeighbourId, piece: u16) -> bool {
        let pushed = matches!(self.pieces[usize::from(piece)], Piece::Sent(Some(n)) if n != from);
        pushed
            || self
                .announced
                .iter()
                .any(|(n, bits)| *n != from && bits.contains(piece))
    }

    /// The pieces a `have` to `n` names: those it got and those nobody was assigned.
    pub(super) fn have_for(&self, seq: u64, n: NeighbourId) -> LiveMsg {
        let bits = (0..self.count())
            .filter(|&i| [Piece::Unassigned, Piece::Sent(Some(n))].contains(&self.pieces[usize::from(i)]))
            .collect::<PieceBits>();
        bits.to_have(seq, self.count())
    }
}

/// The decision for a request of `piece` by `from` in `seg` (see the spec's push rule).
pub(super) fn decide(seg: &Segment, from: NeighbourId, piece: u16) -> super::RequestDecision {
    match seg.pieces.get(usize::from(piece)) {
        None => super::RequestDecision::OutOfRange,
        Some(Piece::Unassigned) => super::RequestDecision::Serve,
        Some(_) if !seg.finished() => super::RequestDecision::Reject(super::RejectReason::Pushing),
        Some(_) if seg.held_by_other(from, piece) => {
            super::RequestDecision::Reject(super::RejectReason::HeldByNeighbour)
        }
        Some(_) => super::RequestDecision::Serve,
    }
}
