//! The live-aware routing policy (docs/decisions/0101) exercised through the pure core.
use super::testkit::*;
use super::*;
use std::time::Instant;
use AnnounceEvent::*;

const IH: u8 = 0xA1;
const LEN: u64 = 1000;

fn registered(cfg: TrackerConfig, conns: u64) -> (Tracker, std::time::Instant) {
    let (mut t, t0) = tracker(cfg, conns);
    t.register_swarm(
        t0,
        id(IH),
        Registration {
            segment: 7,
            length: LEN,
        },
    )
    .unwrap();
    (t, t0)
}

/// Joins peer `p` on connection `p` without offers.
fn join(t: &mut Tracker, now: std::time::Instant, p: u8, left: u64) {
    let d = send(t, now, u64::from(p), &announce(IH, p, Some(Started), Some(left), 0));
    assert!(d.failures().is_empty(), "{:?}", d.failures());
}

/// Makes each of `peers` answer an offer the tracker relayed to it, as a real holder does, so
/// that its holding claim counts (docs/decisions/0104): a passer-by offers to every member and
/// the box, the peers answer, the passer-by leaves. Returns one load window later, when those
/// offers no longer count as anyone's load.
fn prove(t: &mut Tracker, now: Instant, peers: &[u8]) -> Instant {
    const PASSER: u8 = 250;
    assert!(t.open(now, ConnId(u64::from(PASSER))));
    let n = t.swarms[&id(IH)].peers.len() + 1;
    let d = send(
        t,
        now,
        u64::from(PASSER),
        &announce(IH, PASSER, Some(Started), Some(LEN), n),
    );
    for &p in peers {
        let offer = d.offers_to(u64::from(p));
        assert_eq!(offer.len(), 1, "peer {p} got the passer-by's offer");
        let d = send(t, now, u64::from(p), &answer(IH, p, PASSER, offer[0].offer_id));
        assert!(d.failures().is_empty(), "{:?}", d.failures());
    }
    send(t, now, u64::from(PASSER), &announce(IH, PASSER, Some(Stopped), None, 0));
    t.close(ConnId(u64::from(PASSER)));
    now + t.config().load_window
}

#[test]
fn a_fake_holder_neither_ranks_first_nor_keeps_the_box_out() {
    let cfg = TrackerConfig {
        box_first_peers: 0,
        ..TrackerConfig::default()
    };
    let (mut t, t0) = registered(cfg, 10);
    // Peer 1 claims the whole segment without having taken part in the swarm.
    let d = send(&mut t, t0, 1, &announce(IH, 1, Some(Completed), Some(0), 0));
    assert!(d.failures().is_empty(), "{:?}", d.failures());
    let d = send(&mut t, t0, 2, &announce(IH, 2, Some(Started), Some(LEN), 1));
    assert_eq!(d.box_offers.len(), 1, "an unproven claim is not someone who can serve");
    assert!(d.offers_to(1).is_empty(), "the box's seeder ranks before the claim");
    // Peer 4 holds part of it and answers an offer relayed to it: its claim counts.
    join(&mut t, t0, 4, 500);
    let d = send(&mut t, t0, 3, &announce(IH, 3, Some(Started), Some(LEN), 4));
    let (to_1, to_4) = (d.offers_to(1)[0].offer_id, d.offers_to(4)[0].offer_id);
    send(&mut t, t0, 4, &announce_answer(4, 3, to_4));
    let d = send(&mut t, t0, 5, &announce(IH, 5, Some(Started), Some(LEN), 1));
    assert_eq!(d.offers_to(4).len(), 1, "a proven part ranks before an unproven whole");
    assert!(d.offers_to(1).is_empty() && d.box_offers.is_empty());
    // Once peer 1 answers an offer relayed to it, its claim counts too.
    send(&mut t, t0, 1, &announce_answer(1, 3, to_1));
    let d = send(&mut t, t0, 6, &announce(IH, 6, Some(Started), Some(LEN), 1));
    assert_eq!(d.offers_to(1).len(), 1, "a proven whole ranks first");
}

fn announce_answer(peer: u8, to: u8, offer_id: OfferId) -> String {
    answer(IH, peer, to, offer_id)
}

#[test]
fn the_box_seeds_the_first_few_newcomers_then_stays_out() {
    let (mut t, t0) = registered(TrackerConfig::default(), 10);
    let d = send(&mut t, t0, 1, &announce(IH, 1, Some(Started), Some(LEN), 5));
    assert_eq!(d.box_offers.len(), 1, "first newcomer: only the box can serve");
    assert_eq!(d.box_offers[0].from, id(1));
    let d = send(&mut t, t0, 2, &announce(IH, 2, Some(Started), Some(LEN), 5));
    assert_eq!(d.box_offers.len(), 1, "second newcomer: the swarm is still young");
    assert_eq!(d.offers_to(1).len(), 1, "remaining offers reach the other leecher");
    // Peer 1 answers that offer and finished: from now on it serves, not the box.
    send(&mut t, t0, 1, &answer(IH, 1, 2, d.offers_to(1)[0].offer_id));
    send(&mut t, t0, 1, &announce(IH, 1, Some(Completed), Some(0), 0));
    let d = send(&mut t, t0, 3, &announce(IH, 3, Some(Started), Some(LEN), 1));
    assert!(d.box_offers.is_empty());
    assert_eq!(d.offers_to(1).len(), 1, "the one offer goes to the holder");
}

#[test]
fn holders_then_most_complete_peers_come_first() {
    let cfg = TrackerConfig {
        box_first_peers: 0,
        ..TrackerConfig::default()
    };
    let (mut t, t0) = registered(cfg, 10);
    join(&mut t, t0, 1, LEN); // nothing
    join(&mut t, t0, 2, 900); // a little
    join(&mut t, t0, 3, 0); // whole
    join(&mut t, t0, 4, 100); // most
    let t1 = prove(&mut t, t0, &[2, 3, 4]);
    let d = send(&mut t, t1, 5, &announce(IH, 5, Some(Started), Some(LEN), 3));
    let order: Vec<u64> = d
        .sent
        .iter()
        .filter(|(_, m)| matches!(m, ServerMessage::Offer(_)))
        .map(|(c, _)| c.0)
        .collect();
    assert_eq!(order, vec![3, 4, 2]);
    assert!(d.box_offers.is_empty(), "holders can serve: the box is not needed");
}

#[test]
fn a_busy_holder_is_skipped_until_its_load_window_passes() {
    let cfg = TrackerConfig {
        box_first_peers: 0,
        peer_capacity: 2,
        ..TrackerConfig::default()
    };
    let window = cfg.load_window;
    let (mut t, t0) = registered(cfg, 10);
    join(&mut t, t0, 1, 0);
    join(&mut t, t0, 2, 500);
    let t1 = prove(&mut t, t0, &[1, 2]);
    for p in [5u8, 6] {
        let d = send(&mut t, t1, u64::from(p), &announce(IH, p, Some(Started), Some(LEN), 1));
        assert_eq!(d.offers_to(1).len(), 1);
    }
    let d = send(&mut t, t1, 7, &announce(IH, 7, Some(Started), Some(LEN), 1));
    assert_eq!(d.offers_to(1).len(), 0, "holder is at capacity");
    assert_eq!(d.offers_to(2).len(), 1, "the partial holder serves instead");
    let later = t1 + window;
    let d = send(&mut t, later, 8, &announce(IH, 8, Some(Started), Some(LEN), 1));
    assert_eq!(d.offers_to(1).len(), 1, "capacity is back after the window");
}

#[test]
fn the_box_serves_when_nobody_else_can() {
    let cfg = TrackerConfig {
        box_first_peers: 0,
        peer_capacity: 1,
        ..TrackerConfig::default()
    };
    let (mut t, t0) = registered(cfg, 10);
    join(&mut t, t0, 1, LEN);
    let d = send(&mut t, t0, 2, &announce(IH, 2, Some(Started), Some(LEN), 2));
    assert_eq!(d.box_offers.len(), 1, "only empty leechers: the box serves");
    assert_eq!(d.offers_to(1).len(), 1, "and the leechers meet each other");
    join(&mut t, t0, 3, 0);
    let t1 = prove(&mut t, t0, &[3]);
    let d = send(&mut t, t1, 4, &announce(IH, 4, Some(Started), Some(LEN), 1));
    assert!(d.box_offers.is_empty());
    assert_eq!(d.offers_to(3).len(), 1);
    // The holder is now at capacity: nobody with data has room, the box steps in again.
    let d = send(&mut t, t1, 5, &announce(IH, 5, Some(Started), Some(LEN), 1));
    assert_eq!(d.box_offers.len(), 1);
}

#[test]
fn the_box_never_takes_more_than_its_capacity_or_unregistered_swarms() {
    let cfg = TrackerConfig {
        box_first_peers: 100,
        box_capacity: 2,
        ..TrackerConfig::default()
    };
    let (mut t, t0) = registered(cfg, 10);
    let mut to_box = 0;
    for p in 1..=5u8 {
        to_box += send(&mut t, t0, u64::from(p), &announce(IH, p, Some(Started), Some(LEN), 1))
            .box_offers
            .len();
    }
    assert_eq!(to_box, 2);
    let d = send(&mut t, t0, 6, &announce(0x77, 6, Some(Started), Some(LEN), 3));
    assert!(d.box_offers.is_empty(), "unregistered swarm: the box holds no data");
}

#[test]
fn a_box_answer_frees_its_slot_and_reaches_the_newcomer() {
    let cfg = TrackerConfig {
        box_first_peers: 100,
        box_capacity: 1,
        ..TrackerConfig::default()
    };
    let (mut t, t0) = registered(cfg.clone(), 10);
    let offer = send(&mut t, t0, 1, &announce(IH, 1, Some(Started), Some(LEN), 1))
        .box_offers
        .remove(0);
    assert!(send(&mut t, t0, 2, &announce(IH, 2, Some(Started), Some(LEN), 1))
        .box_offers
        .is_empty());
    let ans = BoxAnswer {
        info_hash: offer.info_hash,
        to_peer_id: offer.from,
        offer_id: offer.offer_id,
        answer: Signal::from_sdp(SignalKind::Answer, "v=0\r\n"),
    };
    t.box_answer(t0, ans.clone()).unwrap();
    let d = drain(&mut t);
    let ServerMessage::Answer(a) = d.to(1)[0] else {
        panic!("{d:?}")
    };
    assert_eq!((a.peer_id, a.offer_id), (cfg.box_peer_id, offer.offer_id));
    assert_eq!(
        t.box_answer(t0, ans),
        Err(CoreError::UnknownOffer),
        "answered once only"
    );
    assert_eq!(
        send(&mut t, t0, 3, &announce(IH, 3, Some(Started), Some(LEN), 1))
            .box_offers
            .len(),
        1
    );
}

#[test]
fn ties_are_spread_over_equal_peers() {
    let cfg = TrackerConfig {
        box_first_peers: 0,
        peer_capacity: 1000,
        ..TrackerConfig::default()
    };
    let (mut t, t0) = registered(cfg, 40);
    for p in 1..=4u8 {
        join(&mut t, t0, p, 0);
    }
    let t1 = prove(&mut t, t0, &[1, 2, 3, 4]);
    let mut hits = [0usize; 5];
    for p in 10..40u8 {
        let d = send(&mut t, t1, u64::from(p), &announce(IH, p, Some(Started), Some(LEN), 1));
        let (c, _) = d
            .sent
            .iter()
            .find(|(_, m)| matches!(m, ServerMessage::Offer(_)))
            .unwrap();
        hits[c.0 as usize] += 1;
        send(&mut t, t1, u64::from(p), &announce(IH, p, Some(Stopped), None, 0));
    }
    // Least-loaded first: 30 offers over 4 equal holders land 7 or 8 each.
    assert!(hits[1..].iter().all(|h| (7..=8).contains(h)), "{hits:?}");
}

#[test]
fn two_peers_are_not_matched_twice_while_their_first_offer_is_live() {
    let cfg = TrackerConfig {
        box_first_peers: 0,
        ..TrackerConfig::default()
    };
    let timeout = cfg.offer_timeout;
    let (mut t, t0) = registered(cfg, 3);
    join(&mut t, t0, 1, 0);
    assert_eq!(
        send(&mut t, t0, 2, &announce(IH, 2, Some(Started), Some(LEN), 2))
            .offers_to(1)
            .len(),
        1
    );
    // Peer 1 announces with offers: peer 2 is already linked to it, so nobody gets one.
    let d = send(&mut t, t0, 1, &announce(IH, 1, None, Some(0), 2));
    assert!(
        d.offers_to(2).is_empty(),
        "a crossing offer would make both sides drop the pair"
    );
    let later = t0 + timeout;
    assert_eq!(
        send(&mut t, later, 1, &announce(IH, 1, None, Some(0), 2))
            .offers_to(2)
            .len(),
        1
    );
}

#[test]
fn no_peer_gets_more_than_the_hard_cap_of_offers_per_window() {
    let cfg = TrackerConfig {
        box_first_peers: 0,
        peer_capacity: 2,
        peer_max_offers: 4,
        ..TrackerConfig::default()
    };
    let window = cfg.load_window;
    let (mut t, t0) = registered(cfg, 100);
    join(&mut t, t0, 1, 0); // the only holder
    let t1 = prove(&mut t, t0, &[1]);
    let mut to_holder = 0;
    for p in 10..60u8 {
        let d = send(&mut t, t1, u64::from(p), &announce(IH, p, Some(Started), Some(LEN), 5));
        to_holder += d.offers_to(1).len();
        let got = d
            .sent
            .iter()
            .filter(|(_, m)| matches!(m, ServerMessage::Offer(_)))
            .count();
        assert!(got + d.box_offers.len() <= 5, "newcomer {p}");
        assert!(
            got >= 4.min(usize::from(p - 10)),
            "newcomer {p} reaches the other peers"
        );
    }
    assert_eq!(
        to_holder, 4,
        "the holder got its hard cap, the rest went to other peers"
    );
    let d = send(&mut t, t1 + window, 99, &announce(IH, 99, Some(Started), Some(LEN), 1));
    assert_eq!(d.offers_to(1).len(), 1, "the holder is offered again after the window");
}
