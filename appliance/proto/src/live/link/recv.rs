//! Incoming side of a link: handshakes, frame decoding and the per-message request bookkeeping.

use std::time::Instant;

use bytes::Bytes;

use super::{CloseReason, Link, Output, Phase, LOCAL_LIVE_ID};
use crate::live::codec::{BlockKey, LiveMsg, EXTENSION_NAME};
use crate::wire::{ExtendedHandshake, Handshake, Message, WireError};

impl Link {
    /// Decodes and handles every complete frame in the receive buffer.
    pub(super) fn process(&mut self, now: Instant) -> Result<(), CloseReason> {
        let mut pos = 0;
        let result = self.process_from(&mut pos, now);
        self.recv.drain(..pos);
        result
    }

    fn process_from(&mut self, pos: &mut usize, now: Instant) -> Result<(), CloseReason> {
        if self.phase == Phase::Handshake {
            match Handshake::decode(&self.recv) {
                Ok((hs, used)) => {
                    *pos = used;
                    self.on_handshake(now, hs)?;
                }
                Err(WireError::Incomplete) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
        loop {
            match Message::decode(&self.recv[*pos..], self.cfg.max_frame) {
                Ok((msg, used)) => {
                    *pos += used;
                    self.on_message(now, msg)?;
                }
                Err(WireError::Incomplete) => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn on_handshake(&mut self, now: Instant, hs: Handshake) -> Result<(), CloseReason> {
        if hs.info_hash != self.info_hash {
            return Err(CloseReason::WrongInfoHash);
        }
        if !hs.extended() {
            return Err(CloseReason::NoLiveExtension);
        }
        self.peer_id = Some(hs.peer_id);
        self.phase = Phase::Extended;
        let ext = ExtendedHandshake {
            m: [(EXTENSION_NAME.to_owned(), LOCAL_LIVE_ID)].into(),
            v: Some(concat!("VenueBox ", env!("CARGO_PKG_VERSION")).to_owned()),
            ..ExtendedHandshake::default()
        };
        let frame = Message::Extended {
            id: 0,
            payload: ext.encode().into(),
        };
        self.emit(now, frame.encode().into());
        Ok(())
    }

    fn on_message(&mut self, now: Instant, msg: Message) -> Result<(), CloseReason> {
        match msg {
            Message::Extended { id: 0, payload } => self.on_extended_handshake(&payload),
            Message::Extended {
                id: LOCAL_LIVE_ID,
                payload,
            } => self.on_live_payload(now, &payload),
            _ => Ok(()), // keep-alive, choke, other extensions...: ignored
        }
    }

    fn on_extended_handshake(&mut self, payload: &[u8]) -> Result<(), CloseReason> {
        let hs = ExtendedHandshake::decode(payload)?;
        let id = hs.m.get(EXTENSION_NAME).copied().filter(|id| *id != 0);
        self.peer_live_id = id.ok_or(CloseReason::NoLiveExtension)?;
        if self.phase == Phase::Extended {
            self.phase = Phase::Ready;
            let peer_id = self.peer_id.expect("set by the handshake");
            self.out.push_back(Output::Ready { peer_id });
        }
        Ok(())
    }

    fn on_live_payload(&mut self, now: Instant, payload: &Bytes) -> Result<(), CloseReason> {
        if self.phase != Phase::Ready {
            return Err(CloseReason::OutOfOrder);
        }
        let msg = LiveMsg::decode_bytes(payload)?;
        if self.account_recv(now, &msg) {
            self.out.push_back(Output::Live(msg));
        }
        Ok(())
    }

    /// Updates the request bookkeeping for a received message; returns whether to emit it.
    fn account_recv(&mut self, now: Instant, msg: &LiveMsg) -> bool {
        match msg {
            LiveMsg::Request(k) => self.on_request(now, *k),
            LiveMsg::Cancel(k) => remove(&mut self.incoming, k),
            LiveMsg::Block { .. } => {
                let k = msg.block_key().expect("a block names its block");
                remove(&mut self.outgoing, &k);
                true
            }
            LiveMsg::Reject(k) => {
                remove(&mut self.outgoing, k);
                true
            }
            LiveMsg::Gone { seq } => {
                self.forget(*seq);
                true
            }
            LiveMsg::Have { .. } | LiveMsg::HavePiece { .. } => true,
        }
    }

    fn on_request(&mut self, now: Instant, k: BlockKey) -> bool {
        if self.incoming.contains(&k) {
            return false;
        }
        if self.incoming.len() >= self.cfg.max_requests {
            self.emit_live(now, &LiveMsg::Reject(k));
            return false;
        }
        self.incoming.push(k);
        true
    }
}

fn remove(list: &mut Vec<BlockKey>, k: &BlockKey) -> bool {
    let before = list.len();
    list.retain(|r| r != k);
    list.len() != before
}
