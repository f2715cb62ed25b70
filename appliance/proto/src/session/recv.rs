//! Incoming side of a session: handshake, message decoding and per-message handling.

use std::time::Instant;

use bytes::Bytes;

use super::{CloseReason, Session, UT_METADATA_ID};
use crate::seed::SwarmSeed;
use crate::wire::{ExtendedHandshake, Handshake, Message, MetadataMsg, WireError, METADATA_PIECE_LEN};

impl Session {
    /// Decodes and handles every complete message in the receive buffer.
    pub(super) fn process(&mut self, now: Instant, seed: &mut SwarmSeed) -> Result<(), CloseReason> {
        let mut pos = 0;
        let result = self.process_from(&mut pos, now, seed);
        self.recv.drain(..pos);
        result
    }

    fn process_from(&mut self, pos: &mut usize, now: Instant, seed: &mut SwarmSeed) -> Result<(), CloseReason> {
        if !self.handshaken {
            match Handshake::decode(&self.recv) {
                Ok((hs, used)) => {
                    *pos = used;
                    self.on_handshake(now, hs, seed)?;
                }
                Err(WireError::Incomplete) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
        loop {
            let msg = match Message::decode(&self.recv[*pos..], self.cfg.max_message_len) {
                Ok((msg, used)) => {
                    *pos += used;
                    msg
                }
                Err(WireError::Incomplete) => return Ok(()),
                Err(e) => return Err(e.into()),
            };
            self.on_message(now, msg, seed)?;
        }
    }

    fn on_handshake(&mut self, now: Instant, hs: Handshake, seed: &mut SwarmSeed) -> Result<(), CloseReason> {
        if hs.info_hash != self.torrent.info_hash() {
            return Err(CloseReason::WrongInfoHash);
        }
        self.handshaken = true;
        let ours = Handshake::new(self.torrent.info_hash(), self.peer_id);
        self.send(now, Bytes::copy_from_slice(&ours.encode()));
        if hs.extended() {
            let ext = ExtendedHandshake {
                m: [("ut_metadata".to_owned(), UT_METADATA_ID)].into(),
                metadata_size: Some(self.torrent.info_bytes().len() as u64),
                reqq: Some(self.cfg.max_queued_requests as u32),
                v: Some(concat!("VenueBox ", env!("CARGO_PKG_VERSION")).to_owned()),
            };
            self.send_msg(
                now,
                Message::Extended {
                    id: 0,
                    payload: ext.encode().into(),
                },
            );
        }
        self.send_msg(now, Message::Unchoke);
        self.reveal(now, seed);
        Ok(())
    }

    fn on_message(&mut self, now: Instant, msg: Message, seed: &mut SwarmSeed) -> Result<(), CloseReason> {
        match msg {
            Message::Have(i) => self.on_have(now, i, seed)?,
            Message::Bitfield(bits) => self.on_bitfield(now, &bits, seed)?,
            Message::HaveAll => (0..self.torrent.piece_count()).try_for_each(|i| self.on_have(now, i, seed))?,
            Message::Request(block) => self.on_request(block)?,
            Message::Cancel(block) => self.requests.retain(|r| *r != block),
            Message::Piece { .. } => return Err(CloseReason::UnrequestedPiece),
            Message::Extended { id, payload } => self.on_extended(now, id, &payload)?,
            _ => {}
        }
        if self.peer_has.is_full() {
            return Err(CloseReason::Finished);
        }
        Ok(())
    }

    fn on_have(&mut self, now: Instant, i: u32, seed: &mut SwarmSeed) -> Result<(), CloseReason> {
        if i >= self.torrent.piece_count() {
            return Err(CloseReason::OutOfRange("have"));
        }
        if self.peer_has.insert(i) {
            seed.add_holder(i);
            if !self.shown.contains(i) {
                self.p2p_progress = now;
            }
        }
        Ok(())
    }

    fn on_bitfield(&mut self, now: Instant, bits: &[u8], seed: &mut SwarmSeed) -> Result<(), CloseReason> {
        let n = self.torrent.piece_count();
        if bits.len() != n.div_ceil(8) as usize {
            return Err(CloseReason::OutOfRange("bitfield length"));
        }
        for i in (0..n).filter(|i| bits[(*i / 8) as usize] & (0x80 >> (i % 8)) != 0) {
            self.on_have(now, i, seed)?;
        }
        Ok(())
    }

    fn on_request(&mut self, block: crate::wire::BlockRef) -> Result<(), CloseReason> {
        if block.length == 0 || block.length > self.cfg.max_block_len {
            return Err(CloseReason::OversizedRequest(block.length));
        }
        let range = self
            .torrent
            .piece_range(block.index)
            .ok_or(CloseReason::OutOfRange("request index"))?;
        let end = u64::from(block.begin) + u64::from(block.length);
        if end > range.len() as u64 {
            return Err(CloseReason::OutOfRange("request offset"));
        }
        if !self.shown.contains(block.index) {
            return Err(CloseReason::NotOffered(block.index));
        }
        if self.requests.len() >= self.cfg.max_queued_requests {
            return Err(CloseReason::TooManyRequests);
        }
        self.requests.push_back(block);
        Ok(())
    }

    fn on_extended(&mut self, now: Instant, id: u8, payload: &[u8]) -> Result<(), CloseReason> {
        if id == 0 {
            let hs = ExtendedHandshake::decode(payload)?;
            self.peer_ut_metadata = hs.m.get("ut_metadata").copied().filter(|&id| id != 0);
            return Ok(());
        }
        if id != UT_METADATA_ID {
            return Ok(()); // an extension we did not offer (ut_pex, lt_donthave): ignored
        }
        if let MetadataMsg::Request { piece } = MetadataMsg::decode(payload)? {
            self.metadata_requests += 1;
            if self.metadata_requests > super::MAX_METADATA_REQUESTS {
                return Err(CloseReason::TooManyRequests);
            }
            self.send_metadata(now, piece);
        }
        Ok(())
    }

    fn send_metadata(&mut self, now: Instant, piece: u32) {
        let Some(peer_id) = self.peer_ut_metadata else {
            return;
        };
        let info = self.torrent.info_bytes().clone();
        let start = (piece as usize).saturating_mul(METADATA_PIECE_LEN);
        let msg = if start < info.len() {
            let end = (start + METADATA_PIECE_LEN).min(info.len());
            MetadataMsg::Data {
                piece,
                total_size: info.len() as u64,
                data: info.slice(start..end),
            }
        } else {
            MetadataMsg::Reject { piece }
        };
        self.send_msg(
            now,
            Message::Extended {
                id: peer_id,
                payload: msg.encode().into(),
            },
        );
    }

    pub(super) fn send_msg(&mut self, now: Instant, msg: Message) {
        self.send(now, msg.encode().into());
    }
}
