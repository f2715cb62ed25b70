//! Test helpers: build client frames and read what the core sent where.
use std::time::{Duration, Instant};

use super::*;

pub fn id(tag: u8) -> Id20 {
    let mut b = [tag; 20];
    b[0] = b'-';
    Id20(b)
}

pub fn offers(from: u8, n: usize) -> Vec<Offer> {
    (0..n)
        .map(|i| Offer {
            offer_id: Id20([from.wrapping_mul(31).wrapping_add(i as u8); 20]),
            offer: Signal::from_sdp(SignalKind::Offer, &format!("v=0\r\no=offer {from} {i}\r\n")),
        })
        .collect()
}

pub fn announce(ih: u8, peer: u8, event: Option<AnnounceEvent>, left: Option<u64>, n: usize) -> String {
    ClientMessage::Announce(Announce {
        info_hash: id(ih),
        peer_id: id(peer),
        event,
        numwant: Some(n as u64),
        uploaded: Some(0),
        downloaded: Some(0),
        left,
        offers: offers(peer, n),
        answer: None,
    })
    .encode()
}

pub fn answer(ih: u8, peer: u8, to: u8, offer_id: OfferId) -> String {
    ClientMessage::Announce(Announce {
        info_hash: id(ih),
        peer_id: id(peer),
        event: None,
        numwant: None,
        uploaded: None,
        downloaded: None,
        left: None,
        offers: vec![],
        answer: Some(Answer {
            to_peer_id: id(to),
            offer_id,
            answer: Signal::from_sdp(SignalKind::Answer, "v=0\r\no=answer\r\n"),
        }),
    })
    .encode()
}

/// Everything the core emitted, decoded.
#[derive(Debug, Default)]
pub struct Drained {
    pub sent: Vec<(ConnId, ServerMessage)>,
    pub closed: Vec<ConnId>,
    pub box_offers: Vec<BoxOffer>,
}

impl Drained {
    pub fn offers_to(&self, conn: u64) -> Vec<&ForwardedOffer> {
        self.sent
            .iter()
            .filter(|(c, _)| c.0 == conn)
            .filter_map(|(_, m)| match m {
                ServerMessage::Offer(o) => Some(o),
                _ => None,
            })
            .collect()
    }

    pub fn to(&self, conn: u64) -> Vec<&ServerMessage> {
        self.sent.iter().filter(|(c, _)| c.0 == conn).map(|(_, m)| m).collect()
    }

    pub fn failures(&self) -> Vec<&Failure> {
        self.sent
            .iter()
            .filter_map(|(_, m)| match m {
                ServerMessage::Failure(f) => Some(f),
                _ => None,
            })
            .collect()
    }
}

pub fn drain(t: &mut Tracker) -> Drained {
    let mut d = Drained::default();
    while let Some(o) = t.poll_output() {
        match o {
            Output::Send { conn, frame } => {
                let msg = ServerMessage::decode(&frame).unwrap_or_else(|e| panic!("{e}: {frame}"));
                d.sent.push((conn, msg));
            }
            Output::Close { conn, .. } => d.closed.push(conn),
            Output::BoxOffer(b) => d.box_offers.push(b),
        }
    }
    d
}

/// A tracker with `conns` open connections 1..=conns, at time `t0`.
pub fn tracker(cfg: TrackerConfig, conns: u64) -> (Tracker, Instant) {
    let t0 = Instant::now();
    let mut t = Tracker::new(cfg);
    for c in 1..=conns {
        assert!(t.open(t0, ConnId(c)));
    }
    (t, t0)
}

pub fn send(t: &mut Tracker, now: Instant, conn: u64, text: &str) -> Drained {
    t.handle_frame(now, ConnId(conn), Frame::Text(text));
    drain(t)
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}
