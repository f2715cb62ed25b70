//! Link limit tests: request bounds each way, the send queue and its stall, timers, closing.

use std::time::Instant;

use super::tests::{at, block, closed, drain, key, pair, pump, raw_peer, A, B, HASH};
use super::*;
use crate::live::codec::{BlockKey, LiveError, LiveMsg};

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
