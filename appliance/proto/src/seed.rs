//! Super-seeding state of one segment shared by all its peer sessions (BEP 16 in spirit): which
//! pieces the box has handed out, which connected peers hold which pieces, what it uploaded.
//!
//! A piece is revealed (announced with `have`) to a peer freely while no peer has it and the box
//! has not handed it out yet; pieces already out there are revealed to a peer only once it has
//! made no peer-to-peer progress for the session's patience, so peers finish among themselves
//! and the box uploads each segment about once. Invariant: `holders[p]` counts the connected
//! sessions that know the peer holds piece `p`; each session removes its counts when it ends.

/// A fixed-size set of piece indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PieceSet {
    bits: Vec<bool>,
    len: u32,
}

impl PieceSet {
    /// An empty set over `n` pieces.
    pub fn new(n: u32) -> Self {
        PieceSet {
            bits: vec![false; n as usize],
            len: 0,
        }
    }

    /// Whether `i` is in the set (false when out of range).
    pub fn contains(&self, i: u32) -> bool {
        self.bits.get(i as usize).copied().unwrap_or(false)
    }

    /// Adds `i`; returns whether it was new. Out-of-range indices are ignored.
    pub fn insert(&mut self, i: u32) -> bool {
        match self.bits.get_mut(i as usize) {
            Some(b) if !*b => {
                *b = true;
                self.len += 1;
                true
            }
            _ => false,
        }
    }

    /// Number of members.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether every piece is in the set.
    pub fn is_full(&self) -> bool {
        self.len as usize == self.bits.len()
    }

    /// Members in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.bits.iter().enumerate().filter(|(_, b)| **b).map(|(i, _)| i as u32)
    }
}

/// Per-segment seeding state shared by the sessions of that segment's peers.
#[derive(Debug, Clone)]
pub struct SwarmSeed {
    reveals: Vec<u32>,
    holders: Vec<u32>,
    uploaded: u64,
    blocks: u64,
}

impl SwarmSeed {
    /// State for a torrent of `piece_count` pieces.
    pub fn new(piece_count: u32) -> Self {
        let n = piece_count as usize;
        SwarmSeed {
            reveals: vec![0; n],
            holders: vec![0; n],
            uploaded: 0,
            blocks: 0,
        }
    }

    /// Number of pieces.
    pub fn piece_count(&self) -> u32 {
        self.reveals.len() as u32
    }

    /// Payload bytes the box has uploaded for this segment (piece blocks only).
    pub fn uploaded(&self) -> u64 {
        self.uploaded
    }

    /// Piece blocks the box has uploaded for this segment.
    pub fn blocks(&self) -> u64 {
        self.blocks
    }

    /// How widely piece `i` is out there: times the box revealed it plus connected holders.
    fn spread(&self, i: u32) -> u32 {
        self.reveals[i as usize] + self.holders[i as usize]
    }

    /// The piece to reveal next to a peer that holds `has` and was shown `shown`: the least
    /// spread one; `None` if there is none, or if `only_fresh` and all are already out there.
    pub fn pick(&self, has: &PieceSet, shown: &PieceSet, only_fresh: bool) -> Option<u32> {
        let candidate = (0..self.piece_count())
            .filter(|&i| !has.contains(i) && !shown.contains(i))
            .min_by_key(|&i| self.spread(i))?;
        (!only_fresh || self.spread(candidate) == 0).then_some(candidate)
    }

    /// Records that piece `i` was revealed to a peer.
    pub fn revealed(&mut self, i: u32) {
        if let Some(r) = self.reveals.get_mut(i as usize) {
            *r += 1;
        }
    }

    /// Records that a connected peer holds piece `i`.
    pub fn add_holder(&mut self, i: u32) {
        if let Some(h) = self.holders.get_mut(i as usize) {
            *h += 1;
        }
    }

    /// Removes a peer's holdings when its session ends.
    pub fn remove_holder(&mut self, i: u32) {
        if let Some(h) = self.holders.get_mut(i as usize) {
            *h = h.saturating_sub(1);
        }
    }

    /// Counts `bytes` of piece payload uploaded.
    pub fn add_upload(&mut self, bytes: u64) {
        self.uploaded += bytes;
        self.blocks += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_pieces_go_to_different_peers() {
        let mut seed = SwarmSeed::new(4);
        let (has, mut a, mut b) = (PieceSet::new(4), PieceSet::new(4), PieceSet::new(4));
        for _ in 0..2 {
            let pa = seed.pick(&has, &a, true).unwrap();
            a.insert(pa);
            seed.revealed(pa);
            let pb = seed.pick(&has, &b, true).unwrap();
            b.insert(pb);
            seed.revealed(pb);
        }
        assert!(a.iter().all(|i| !b.contains(i)), "{a:?} {b:?}");
        assert_eq!(seed.pick(&has, &a, true), None, "all pieces are out there");
        let fallback = seed.pick(&has, &a, false).unwrap();
        assert!(b.contains(fallback));
    }

    #[test]
    fn holders_count_towards_spread_and_leave() {
        let mut seed = SwarmSeed::new(2);
        seed.add_holder(0);
        let empty = PieceSet::new(2);
        assert_eq!(seed.pick(&empty, &empty, true), Some(1));
        seed.revealed(1);
        assert_eq!(seed.pick(&empty, &empty, true), None);
        seed.remove_holder(0);
        assert_eq!(seed.pick(&empty, &empty, true), Some(0));
    }

    #[test]
    fn piece_set_bounds() {
        let mut s = PieceSet::new(3);
        assert!(s.insert(2) && !s.insert(2) && !s.insert(3));
        assert!(!s.contains(7));
        assert_eq!((s.len(), s.is_full()), (1, false));
        s.insert(0);
        s.insert(1);
        assert!(s.is_full());
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![0, 1, 2]);
    }
}
