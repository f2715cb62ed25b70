//! A fixed-size set of piece indices below `MAX_PIECES`, convertible to and from `have` bitfields.

use bytes::Bytes;

use super::codec::{LiveMsg, MAX_PIECES};

const WORDS: usize = MAX_PIECES as usize / 64;

/// Which pieces of one segment (indices below [`MAX_PIECES`]); 128 bytes, no allocation.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct PieceBits([u64; WORDS]);

impl std::fmt::Debug for PieceBits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl PieceBits {
    /// Adds `piece`; returns whether it was new. Indices at or above [`MAX_PIECES`] are ignored.
    pub fn insert(&mut self, piece: u16) -> bool {
        if piece >= MAX_PIECES {
            return false;
        }
        let (w, bit) = (usize::from(piece / 64), 1u64 << (piece % 64));
        let new = self.0[w] & bit == 0;
        self.0[w] |= bit;
        new
    }

    /// Removes `piece`.
    pub fn remove(&mut self, piece: u16) {
        if piece < MAX_PIECES {
            self.0[usize::from(piece / 64)] &= !(1u64 << (piece % 64));
        }
    }

    /// Whether `piece` is in the set.
    pub fn contains(&self, piece: u16) -> bool {
        piece < MAX_PIECES && self.0[usize::from(piece / 64)] & (1u64 << (piece % 64)) != 0
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    /// Members in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        (0..MAX_PIECES).filter(|p| self.contains(*p))
    }

    /// The pieces set in a `have` bitfield (MSB first); bits past [`MAX_PIECES`] are ignored.
    pub fn from_bitfield(bitfield: &[u8]) -> Self {
        let mut set = PieceBits::default();
        for (i, byte) in bitfield.iter().enumerate().take(usize::from(MAX_PIECES) / 8) {
            (0..8u16).filter(|b| byte & (0x80 >> b) != 0).for_each(|b| {
                set.insert(i as u16 * 8 + b);
            });
        }
        set
    }

    /// The `ceil(count / 8)`-byte bitfield of the members below `count`.
    pub fn to_bitfield(&self, count: u16) -> Bytes {
        let mut out = vec![0u8; usize::from(count).div_ceil(8)];
        for p in self.iter().take_while(|p| *p < count) {
            out[usize::from(p / 8)] |= 0x80 >> (p % 8);
        }
        out.into()
    }

    /// A `have` message for `seq` of `count` pieces announcing the members below `count`.
    pub fn to_have(&self, seq: u64, count: u16) -> LiveMsg {
        LiveMsg::Have {
            seq,
            count,
            bitfield: self.to_bitfield(count),
        }
    }
}

impl FromIterator<u16> for PieceBits {
    fn from_iter<I: IntoIterator<Item = u16>>(iter: I) -> Self {
        let mut set = PieceBits::default();
        iter.into_iter().for_each(|p| {
            set.insert(p);
        });
        set
    }
}
