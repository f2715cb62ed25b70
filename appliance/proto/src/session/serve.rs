//! Outgoing side of a session: revealing pieces (super-seeding) and serving queued requests
//! while the transport has room.

use std::time::Instant;

use bytes::Bytes;

use super::Session;
use crate::seed::SwarmSeed;
use crate::wire::{piece_header, Message};

impl Session {
    /// Reveals pieces and serves requests as far as the limits allow.
    pub(super) fn pump(&mut self, now: Instant, seed: &mut SwarmSeed) {
        if !self.handshaken {
            return;
        }
        self.serve(now, seed);
        self.reveal(now, seed);
        let waiting = !self.requests.is_empty() && self.buffered >= self.cfg.send_buffer_cap;
        match (waiting, self.blocked_since) {
            (true, None) => self.blocked_since = Some(now),
            (false, Some(_)) => self.blocked_since = None,
            _ => {}
        }
    }

    /// Pieces shown to the peer that it neither holds nor has been fully served.
    fn in_flight(&self) -> u32 {
        let pending = |i: &u32| !self.peer_has.contains(*i) && !self.fully_served(*i);
        self.shown.iter().filter(pending).count() as u32
    }

    fn fully_served(&self, i: u32) -> bool {
        let len = self.torrent.piece_range(i).map_or(0, |r| r.len());
        self.served_bytes[i as usize] as usize >= len
    }

    /// Announces pieces with `have` while the reveal window has room: fresh pieces always,
    /// pieces already out there only once the peer lacked peer-to-peer progress for `patience`.
    pub(super) fn reveal(&mut self, now: Instant, seed: &mut SwarmSeed) {
        let starved = now >= self.p2p_progress + self.cfg.patience;
        let mut in_flight = self.in_flight();
        while in_flight < self.cfg.reveal_window {
            let Some(piece) = seed.pick(&self.peer_has, &self.shown, !starved) else {
                break;
            };
            self.shown.insert(piece);
            seed.revealed(piece);
            self.send_msg(now, Message::Have(piece));
            in_flight += 1;
        }
    }

    fn serve(&mut self, now: Instant, seed: &mut SwarmSeed) {
        while self.buffered < self.cfg.send_buffer_cap {
            let Some(block) = self.requests.pop_front() else {
                break;
            };
            let range = self.torrent.piece_range(block.index).expect("request was validated");
            let start = range.start + block.begin as usize;
            let body = self.data.slice(start..start + block.length as usize);
            let head = piece_header(block.index, block.begin, block.length);
            self.send(now, Bytes::copy_from_slice(&head));
            self.send(now, body);
            self.served_bytes[block.index as usize] += block.length;
            self.uploaded += u64::from(block.length);
            seed.add_upload(u64::from(block.length));
        }
    }
}
