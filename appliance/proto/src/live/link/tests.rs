//! Link tests: two real links over an emulated byte stream, every split of the stream, each
//! closing rule and timer.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::*;
use crate::live::codec::{BlockKey, LiveError, LiveMsg, MAX_FRAME};
use crate::wire::{ExtendedHandshake, Handshake, Message, WireError};

pub(super) const HASH: InfoHash = InfoHash([7; 20]);
pub(super) const A: [u8; 20] = *b"-VB0001-boxboxboxbox";
pub(super) const B: [u8; 20] = *b"-WW0300-abcdefghijkl";

pub(super) fn at(t0: Instant, ms: u64) -> Instant {
    t0 + Duration::from_millis(ms)
}

/// Drains a link: the bytes it sends (concatenated) and everything else it emits.
pub(super) fn drain(l: &mut Link) -> (Vec<u8>, Vec<Output>) {
    let (mut bytes, mut rest) = (vec![], vec![]);
    while let Some(o) = l.poll_output() {
        match o {
            Output::Send(b) => bytes.extend_from_slice(&b),
            other => rest.push(other),
        }
    }
    (bytes, rest)
}

/// Moves bytes both ways until quiet; returns what each side emitted besides bytes.
pub(super) fn pump(t: Instant, a: &mut Link, b: &mut Link) -> (Vec<Output>, Vec<Output>) {
    let (mut ea, mut eb) = (vec![], vec![]);
    loop {
        let (to_b, oa) = drain(a);
        let (to_a, ob) = drain(b);
        ea.extend(oa);
        eb.extend(ob);
        if to_a.is_empty() && to_b.is_empty() {
            return (ea, eb);
        }
        b.handle_input(t, &to_b);
        a.handle_input(t, &to_a);
    }
}

pub(super) fn pair(t0: Instant) -> (Link, Link) {
    let mut a = Link::new(t0, HASH, A, LinkConfig::default());
    let mut b = Link::new(t0, HASH, B, LinkConfig::default());
    let (ea, eb) = pump(t0, &mut a, &mut b);
    assert_eq!(ea, [Output::Ready { peer_id: B }]);
    assert_eq!(eb, [Output::Ready { peer_id: A }]);
    (a, b)
}

pub(super) fn key(piece: u16, begin: u32) -> BlockKey {
    BlockKey {
        seq: 40,
        piece,
        begin,
        length: 16384,
    }
}

pub(super) fn block(k: BlockKey) -> LiveMsg {
    LiveMsg::Block {
        seq: k.seq,
        piece: k.piece,
        begin: k.begin,
        data: vec![3; k.length as usize].into(),
    }
}

pub(super) fn closed(out: &[Output]) -> Option<CloseReason> {
    out.iter().find_map(|o| match o {
        Output::Closed(r) => Some(r.clone()),
        _ => None,
    })
}

/// A raw peer: its handshake bytes, optionally its extended handshake with `m`.
pub(super) fn raw_peer(hash: InfoHash, reserved5: u8, m: &[(&str, u8)]) -> Vec<u8> {
    let mut hs = Handshake::new(hash, B);
    hs.reserved[5] = reserved5;
    let mut bytes = hs.encode().to_vec();
    if !m.is_empty() {
        let ext = ExtendedHandshake {
            m: m.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            ..Default::default()
        };
        bytes.extend(
            Message::Extended {
                id: 0,
                payload: ext.encode().into(),
            }
            .encode(),
        );
    }
    bytes
}

fn live_frame(id: u8, payload: Vec<u8>) -> Vec<u8> {
    Message::Extended {
        id,
        payload: payload.into(),
    }
    .encode()
}

#[test]
fn two_links_handshake_and_exchange_every_message() {
    let t0 = Instant::now();
    let (mut a, mut b) = pair(t0);
    let msgs = [
        LiveMsg::Have {
            seq: 40,
            count: 10,
            bitfield: Bytes::from_static(&[0xb0, 0xc0]),
        },
        LiveMsg::HavePiece { seq: 40, piece: 3 },
        LiveMsg::Request(key(0, 0)),
        LiveMsg::Cancel(key(0, 0)),
        LiveMsg::Reject(key(1, 0)),
        block(key(2, 0)),
        LiveMsg::Gone { seq: 40 },
    ];
    for m in &msgs {
        a.send(at(t0, 5), m.clone()).unwrap();
    }
    let (_, eb) = pump(at(t0, 5), &mut a, &mut b);
    let live: Vec<LiveMsg> = msgs.into_iter().collect();
    assert_eq!(eb, live.into_iter().map(Output::Live).collect::<Vec<_>>());
}

#[test]
fn any_split_of_the_stream_gives_the_same_events() {
    let t0 = Instant::now();
    let mut a = Link::new(t0, HASH, A, LinkConfig::default());
    let mut stream = raw_peer(HASH, 0x10, &[("vb_live", 3), ("ut_metadata", 1)]);
    stream.extend([0, 0, 0, 0, 0, 0, 0, 1, 1]); // keep-alive, unchoke
    stream.extend(live_frame(
        LOCAL_LIVE_ID,
        LiveMsg::HavePiece { seq: 9, piece: 1 }.encode(),
    ));
    stream.extend(live_frame(LOCAL_LIVE_ID, block(key(0, 16384)).encode()));
    let whole = {
        let mut l = Link::new(t0, HASH, A, LinkConfig::default());
        l.handle_input(t0, &stream);
        drain(&mut l)
    };
    assert_eq!(whole.1.len(), 3, "{:?}", whole.1);
    for cut in 1..stream.len() {
        let mut l = Link::new(t0, HASH, A, LinkConfig::default());
        l.handle_input(t0, &stream[..cut]);
        l.handle_input(t0, &stream[cut..]);
        assert_eq!(drain(&mut l), whole, "split at {cut}");
    }
    a.handle_input(t0, &stream);
    assert!(a.is_ready());
}

#[test]
fn handshake_rules_close_the_link() {
    let t0 = Instant::now();
    let cases: [(Vec<u8>, CloseReason); 5] = [
        (raw_peer(InfoHash([8; 20]), 0x10, &[]), CloseReason::WrongInfoHash),
        (raw_peer(HASH, 0, &[]), CloseReason::NoLiveExtension),
        (
            raw_peer(HASH, 0x10, &[("ut_metadata", 1)]),
            CloseReason::NoLiveExtension,
        ),
        (raw_peer(HASH, 0x10, &[("vb_live", 0)]), CloseReason::NoLiveExtension),
        (
            b"GET / HTTP/1.1\r\n".to_vec(),
            CloseReason::Wire(WireError::BadProtocol),
        ),
    ];
    for (bytes, reason) in cases {
        let mut l = Link::new(t0, HASH, A, LinkConfig::default());
        l.handle_input(t0, &bytes);
        assert_eq!(closed(&drain(&mut l).1), Some(reason));
        assert!(l.is_closed() && l.poll_timeout().is_none());
        assert_eq!(l.send(t0, LiveMsg::Gone { seq: 1 }), Err(SendError::Closed));
    }
}

#[test]
fn live_before_the_extended_handshake_is_out_of_order() {
    let t0 = Instant::now();
    let mut l = Link::new(t0, HASH, A, LinkConfig::default());
    let mut bytes = raw_peer(HASH, 0x10, &[]);
    bytes.extend(live_frame(LOCAL_LIVE_ID, LiveMsg::Gone { seq: 1 }.encode()));
    l.handle_input(t0, &bytes);
    assert_eq!(closed(&drain(&mut l).1), Some(CloseReason::OutOfOrder));
    let mut early = Link::new(t0, HASH, A, LinkConfig::default());
    early.handle_input(t0, &raw_peer(HASH, 0x10, &[]));
    assert_eq!(early.send(t0, LiveMsg::Gone { seq: 1 }), Err(SendError::NotReady));
}

#[test]
fn malformed_frames_close_with_a_typed_reason() {
    let t0 = Instant::now();
    let big = (MAX_FRAME + 1).to_be_bytes().to_vec();
    let cases: [(Vec<u8>, CloseReason); 3] = [
        (
            live_frame(LOCAL_LIVE_ID, vec![7, 0, 0]),
            CloseReason::Live(LiveError::BadLength { kind: 7, len: 3 }),
        ),
        (live_frame(LOCAL_LIVE_ID, vec![]), CloseReason::Live(LiveError::Empty)),
        (
            big,
            CloseReason::Wire(WireError::TooLong {
                len: MAX_FRAME + 1,
                max: MAX_FRAME,
            }),
        ),
    ];
    for (bytes, reason) in cases {
        let mut l = Link::new(t0, HASH, A, LinkConfig::default());
        l.handle_input(t0, &raw_peer(HASH, 0x10, &[("vb_live", 2)]));
        l.handle_input(t0, &bytes);
        assert_eq!(closed(&drain(&mut l).1), Some(reason.clone()));
        assert!(reason.is_misbehaviour());
    }
}

#[test]
fn other_messages_and_extensions_are_ignored() {
    let t0 = Instant::now();
    let mut l = Link::new(t0, HASH, A, LinkConfig::default());
    l.handle_input(t0, &raw_peer(HASH, 0x10, &[("vb_live", 2)]));
    drain(&mut l);
    let mut noise = Message::Bitfield(Bytes::from_static(&[0xff; 8])).encode();
    noise.extend(Message::Interested.encode());
    noise.extend(live_frame(2, b"d8:msg_typei0e5:piecei0ee".to_vec())); // ut_metadata-ish, not our id
    noise.extend(Message::Unknown { id: 99, len: 5 }.encode());
    l.handle_input(t0, &noise);
    assert_eq!(drain(&mut l), (vec![], vec![]));
    assert!(l.is_ready());
}
