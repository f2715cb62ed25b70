//! Link tests: two real links over an emulated byte stream, every split of the stream, each
//! closing rule and timer.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::*;
use crate::live::codec::{BlockKey, LiveError, LiveMsg};
use crate::wire::{ExtendedHandshake, Handshake, Message};

const HASH: InfoHash = InfoHash([7; 20]);
const A: [u8; 20] = *b"-VB0001-boxboxboxbox";
const B: [u8; 20] = *b"-WW0300-abcdefghijkl";

fn at(t0: Instant, ms: u64) -> Instant {
    t0 + Duration::from_millis(ms)
}

/// Drains a link: the bytes it sends (concatenated) and everything else it emits.
fn drain(l: &mut Link) -> (Vec<u8>, Vec<Output>) {
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
fn pump(t: Instant, a: &mut Link, b: &mut Link) -> (Vec<Output>, Vec<Output>) {
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

fn pair(t0: Instant) -> (Link, Link) {
    let mut a = Link::new(t0, HASH, A, LinkConfig::default());
    let mut b = Link::new(t0, HASH, B, LinkConfig::default());
    let (ea, eb) = pump(t0, &mut a, &mut b);
    assert_eq!(ea, [Output::Ready { peer_id: B }]);
    assert_eq!(eb, [Output::Ready { peer_id: A }]);
    (a, b)
}

fn key(piece: u16, begin: u32) -> BlockKey {
    BlockKey {
        seq: 40,
        piece,
        begin,
        length: 16384,
    }
}

fn block(k: BlockKey) -> LiveMsg {
    LiveMsg::Block {
        seq: k.seq,
        piece: k.piece,
        begin: k.begin,
        data: vec![3; k.length as usize].into(),
    }
}

fn closed(out: &[Output]) -> Option<CloseReason> {
    out.iter().find_map(|o| match o {
        Output::Closed(r) => Some(r.clone()),
        _ => None,
    })
}

/// A raw peer: its handshake bytes, optionally its extended handshake with `m`.
fn raw_peer(hash: InfoHash, reserved5: u8, m: &[(&str, u8)]) -> Vec<u8> {
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

#[test]
fn incoming_requests_beyond_the_limit_are_rejected() {
    let t0 = Instant::now();
    let (mut a, mut b) = pair(t0);
    for i in 0..32 {
        b.send(t0, LiveMsg::Request(key(i, 0))).unwrap();
    }
    let extra = key(33, 0);
    // Send the 33rd behind b's back (b itself refuses it), as a misbehaving peer would.
    b.cfg.max_requests = 64;
    b.send(t0, LiveMsg::Request(extra)).unwrap();
    let (ea, eb) = pump(t0, &mut a, &mut b);
    assert_eq!(ea.len(), 32);
    assert_eq!(eb, [Output::Live(LiveMsg::Reject(extra))]);
    assert_eq!(a.outstanding(), (32, 0));
    assert_eq!(b.outstanding(), (0, 32));
    // A repeated request is not a new one.
    b.send(t0, LiveMsg::Request(key(0, 0))).unwrap();
    assert_eq!(pump(t0, &mut a, &mut b).0, []);
    // Serving, rejecting and cancelling free slots; a stale cancel is not emitted.
    a.send(t0, block(key(0, 0))).unwrap();
    a.send(t0, LiveMsg::Reject(key(1, 0))).unwrap();
    b.send(t0, LiveMsg::Cancel(key(2, 0))).unwrap();
    b.send(t0, LiveMsg::Cancel(key(2, 0))).unwrap();
    let (ea, _) = pump(t0, &mut a, &mut b);
    assert_eq!(ea, [Output::Live(LiveMsg::Cancel(key(2, 0)))]);
    assert_eq!(a.outstanding().0, 29);
    b.send(t0, LiveMsg::Gone { seq: 40 }).unwrap();
    pump(t0, &mut a, &mut b);
    assert_eq!((a.outstanding(), b.outstanding()), ((0, 0), (0, 0)));
}

#[test]
fn our_requests_are_capped_and_freed_by_answers() {
    let t0 = Instant::now();
    let (mut a, mut b) = pair(t0);
    for i in 0..32 {
        a.send(t0, LiveMsg::Request(key(i, 0))).unwrap();
    }
    assert_eq!(
        a.send(t0, LiveMsg::Request(key(40, 0))),
        Err(SendError::TooManyRequests)
    );
    pump(t0, &mut a, &mut b);
    b.send(t0, block(key(0, 0))).unwrap();
    b.send(t0, LiveMsg::Reject(key(1, 0))).unwrap();
    a.send(t0, LiveMsg::Cancel(key(2, 0))).unwrap();
    pump(t0, &mut a, &mut b);
    assert_eq!(a.outstanding().1, 29);
    assert_eq!(b.outstanding().0, 29);
}

#[test]
fn invalid_messages_are_refused() {
    let t0 = Instant::now();
    let (mut a, _) = pair(t0);
    let bad = LiveMsg::Request(BlockKey {
        seq: 1,
        piece: 0,
        begin: 0,
        length: 0,
    });
    assert_eq!(a.send(t0, bad), Err(SendError::Invalid(LiveError::BadBlockLength(0))));
}

#[test]
fn blocks_wait_for_room_and_a_queue_that_does_not_drain_closes() {
    let t0 = Instant::now();
    let cfg = LinkConfig {
        send_queue_cap: 40_000,
        ..LinkConfig::default()
    };
    let mut a = Link::new(t0, HASH, A, cfg);
    let mut b = Link::new(t0, HASH, B, LinkConfig::default());
    pump(t0, &mut a, &mut b);
    a.on_transport_drained(t0, 0);
    a.send(t0, block(key(0, 0))).unwrap();
    a.send(t0, block(key(0, 16384))).unwrap();
    assert_eq!(a.send(t0, block(key(1, 0))), Err(SendError::QueueFull));
    assert_eq!(a.queued(), 2 * (16384 + 15 + 6));
    a.send(t0, LiveMsg::HavePiece { seq: 40, piece: 0 }).unwrap(); // control messages still go
    drain(&mut a);
    a.on_transport_drained(at(t0, 9_000), 20_000); // progress at 9 s
    a.send(at(t0, 9_000), block(key(1, 0))).unwrap();
    assert_eq!(a.poll_timeout(), Some(at(t0, 19_000)));
    a.on_transport_drained(at(t0, 15_000), 20_000 + 16_405); // nothing drained
    a.handle_timeout(at(t0, 18_999));
    assert!(!a.is_closed());
    a.handle_timeout(at(t0, 19_000));
    assert_eq!(closed(&drain(&mut a).1), Some(CloseReason::Stalled));
}

#[test]
fn keepalive_idle_and_handshake_timers() {
    let t0 = Instant::now();
    let (mut a, _) = pair(t0);
    a.on_transport_drained(t0, 0);
    assert_eq!(a.poll_timeout(), Some(at(t0, 30_000)));
    a.handle_timeout(at(t0, 30_000));
    assert_eq!(drain(&mut a).0, [0, 0, 0, 0]);
    a.on_transport_drained(at(t0, 30_000), 0);
    a.handle_input(at(t0, 100_000), &[0, 0, 0, 0]);
    for s in [60_000, 90_000, 120_000, 150_000, 180_000, 210_000] {
        a.handle_timeout(at(t0, s));
        a.on_transport_drained(at(t0, s), 0);
    }
    assert!(!a.is_closed());
    a.handle_timeout(at(t0, 220_000));
    assert_eq!(closed(&drain(&mut a).1), Some(CloseReason::Idle));

    let mut lone = Link::new(t0, HASH, A, LinkConfig::default());
    lone.on_transport_drained(t0, 0);
    assert_eq!(lone.poll_timeout(), Some(at(t0, 10_000)));
    lone.handle_timeout(at(t0, 10_000));
    assert_eq!(closed(&drain(&mut lone).1), Some(CloseReason::HandshakeTimeout));
}

#[test]
fn close_drops_pending_output_and_ends_the_link() {
    let t0 = Instant::now();
    let mut l = Link::new(t0, HASH, A, LinkConfig::default());
    l.close(CloseReason::Violation("bad piece hash"));
    assert_eq!(
        drain(&mut l),
        (vec![], vec![Output::Closed(CloseReason::Violation("bad piece hash"))])
    );
    l.handle_input(t0, &raw_peer(HASH, 0x10, &[("vb_live", 2)]));
    l.close(CloseReason::Transport);
    assert_eq!(drain(&mut l), (vec![], vec![]));
    assert!(!CloseReason::Transport.is_misbehaviour());
}
