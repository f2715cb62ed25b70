//! Swarm core behaviour: relay, scrape, bad input, floods, expiry, bounds, window drops.
use super::testkit::*;
use super::*;
use AnnounceEvent::*;

fn cfg() -> TrackerConfig {
    TrackerConfig::default()
}

#[test]
fn offer_and_answer_are_relayed_between_two_peers() {
    let (mut t, t0) = tracker(cfg(), 2);
    let d = send(&mut t, t0, 1, &announce(1, 1, Some(Started), Some(0), 5));
    let ServerMessage::Announce(r) = d.to(1)[0] else {
        panic!("{d:?}")
    };
    assert_eq!(
        (r.complete, r.incomplete, r.interval, r.min_interval),
        (1, 0, Some(120), Some(30))
    );
    let d = send(&mut t, t0, 2, &announce(1, 2, Some(Started), Some(500), 5));
    let offer = d.offers_to(1)[0].clone();
    assert_eq!((offer.peer_id, offer.info_hash), (id(2), id(1)));
    assert_eq!(offer.offer_id, offers(2, 1)[0].offer_id, "offers[i] goes to peers[i]");
    let d = send(&mut t, t0, 1, &answer(1, 1, 2, offer.offer_id));
    assert!(d.to(1).is_empty(), "no reply to an answer, like the reference");
    let ServerMessage::Answer(a) = d.to(2)[0] else {
        panic!("{d:?}")
    };
    assert_eq!((a.peer_id, a.offer_id), (id(1), offer.offer_id));
    assert_eq!(t.counters().answers_relayed, 1);
    // The same answer again has nothing pending any more.
    let d = send(&mut t, t0, 1, &answer(1, 1, 2, offer.offer_id));
    assert_eq!(d.failures().len(), 1);
}

#[test]
fn answers_to_unknown_peers_or_offers_fail_and_reach_nobody() {
    let (mut t, t0) = tracker(cfg(), 3);
    send(&mut t, t0, 1, &announce(1, 1, Some(Started), Some(0), 0));
    let d = send(&mut t, t0, 2, &announce(1, 2, Some(Started), None, 1));
    let offer_id = d.offers_to(1)[0].offer_id;
    // Peer 3 never received that offer: it may not answer it.
    let d = send(&mut t, t0, 3, &answer(1, 3, 2, offer_id));
    assert_eq!(d.sent.len(), 1);
    assert_eq!(d.failures()[0].info_hash, Some(id(1)));
    assert_eq!(send(&mut t, t0, 1, &answer(1, 1, 9, offer_id)).failures().len(), 1);
    assert_eq!(send(&mut t, t0, 1, &answer(1, 1, 2, id(0x55))).failures().len(), 1);
}

#[test]
fn scrape_one_many_and_all() {
    let (mut t, t0) = tracker(cfg(), 3);
    send(&mut t, t0, 1, &announce(1, 1, Some(Started), Some(0), 0));
    send(&mut t, t0, 2, &announce(1, 2, Some(Started), Some(10), 0));
    send(&mut t, t0, 2, &announce(2, 2, Some(Started), Some(10), 0));
    send(&mut t, t0, 2, &announce(1, 2, Some(Completed), Some(0), 0));
    let scrape = |t: &mut Tracker, s: Scrape| {
        let d = send(t, t0, 3, &ClientMessage::Scrape(s).encode());
        let ServerMessage::Scrape(r) = d.to(3)[0].clone() else {
            panic!("{d:?}")
        };
        r.files
            .iter()
            .map(|f| (f.info_hash, f.complete, f.incomplete, f.downloaded))
            .collect::<Vec<_>>()
    };
    assert_eq!(scrape(&mut t, Scrape::One(id(1))), vec![(id(1), 2, 0, 1)]);
    assert_eq!(
        scrape(&mut t, Scrape::Many(vec![id(2), id(9)])),
        vec![(id(2), 0, 1, 0), (id(9), 0, 0, 0)]
    );
    let mut all = scrape(&mut t, Scrape::All);
    all.sort();
    assert_eq!(all, vec![(id(1), 2, 0, 1), (id(2), 0, 1, 0)]);
}

#[test]
fn bad_frames_get_a_failure_with_an_action_and_others_are_unaffected() {
    let (mut t, t0) = tracker(cfg(), 2);
    send(&mut t, t0, 1, &announce(1, 1, Some(Started), Some(0), 0));
    let bad: Vec<String> = vec![
        "not json".into(),
        "[1,2]".into(),
        "{\"action\":\"frobnicate\"}".into(),
        "{\"action\":\"announce\",\"info_hash\":\"short\",\"peer_id\":\"01234567890123456789\"}".into(),
        format!(
            "{{\"action\":\"announce\",\"info_hash\":\"{0}\",\"peer_id\":\"{0}\",\"left\":-1}}",
            "a".repeat(20)
        ),
        format!("{{\"action\":\"announce\",\"info_hash\":\"{}\"}}", "\\u0100".repeat(20)),
        "x".repeat(70_000),
    ];
    for frame in &bad {
        let d = send(&mut t, t0, 2, frame);
        assert_eq!(d.sent.len(), 1, "{frame:.80}");
        let f = d.failures()[0];
        assert!(f.action.is_some() && !f.reason.is_empty());
    }
    t.handle_frame(t0, ConnId(2), Frame::Binary(10));
    assert_eq!(drain(&mut t).failures()[0].reason, "binary frames are not supported");
    // Peer 1 is still served.
    let d = send(&mut t, t0, 2, &announce(1, 2, Some(Started), None, 1));
    assert_eq!(d.offers_to(1).len(), 1);
}

#[test]
fn a_flood_is_refused_then_closed_without_touching_other_clients() {
    let c = TrackerConfig {
        rate_burst: 5,
        rate_per_sec: 1,
        max_strikes: 10,
        ..cfg()
    };
    let (mut t, t0) = tracker(c, 2);
    send(&mut t, t0, 2, &announce(1, 2, Some(Started), Some(0), 0));
    let mut failures = 0;
    let mut closed = false;
    for _ in 0..100 {
        let d = send(&mut t, t0, 1, &announce(1, 1, None, None, 1));
        for f in d.failures() {
            // npm clients crash on an announce failure without the swarm's info_hash.
            assert_eq!(f.info_hash, Some(id(1)), "the refusal names the swarm");
        }
        failures += d.failures().len();
        if d.closed.contains(&ConnId(1)) {
            closed = true;
            break;
        }
    }
    assert!(closed);
    assert_eq!(failures, 1, "one rate-limit failure, then silence");
    assert_eq!(t.gauges().peers, 1, "the flooder left the swarm");
    assert_eq!(t.counters().flood_closes, 1);
    assert_eq!(send(&mut t, t0, 2, &announce(1, 2, None, Some(0), 0)).to(2).len(), 1);
}

#[test]
fn silent_peers_expire_and_stopped_or_closed_peers_leave() {
    let c = cfg();
    let timeout = c.peer_timeout;
    let (mut t, t0) = tracker(c, 3);
    for p in 1..=3u8 {
        send(&mut t, t0, u64::from(p), &announce(1, p, Some(Started), None, 0));
    }
    send(&mut t, t0, 1, &announce(1, 1, Some(Stopped), None, 0));
    t.close(ConnId(2));
    assert_eq!(t.gauges().peers, 1);
    let later = t0 + timeout + secs(10);
    t.handle_timeout(later);
    assert!(t.poll_timeout().unwrap() > later);
    assert_eq!(t.gauges().peers, 0);
    assert_eq!(t.gauges().swarms, 0, "an empty unregistered swarm is dropped");
    assert_eq!(t.counters().peers_expired, 1);
}

#[test]
fn dropping_a_segment_removes_its_swarm_and_memberships() {
    let (mut t, t0) = tracker(cfg(), 1);
    t.register_swarm(
        t0,
        id(1),
        Registration {
            segment: 41,
            length: 10,
        },
    )
    .unwrap();
    t.register_swarm(
        t0,
        id(2),
        Registration {
            segment: 42,
            length: 10,
        },
    )
    .unwrap();
    send(&mut t, t0, 1, &announce(1, 1, Some(Started), None, 0));
    send(&mut t, t0, 1, &announce(2, 1, Some(Started), None, 0));
    assert_eq!(t.drop_segment(41), 1);
    assert_eq!((t.gauges().swarms, t.gauges().peers), (1, 1));
    assert_eq!(t.conns[&ConnId(1)].member, vec![(id(2), id(1))]);
    // A registered swarm stays while empty and counts the box as a seeder.
    send(&mut t, t0, 1, &announce(2, 1, Some(Stopped), None, 0));
    let d = send(&mut t, t0, 1, &ClientMessage::Scrape(Scrape::One(id(2))).encode());
    let ServerMessage::Scrape(r) = d.to(1)[0] else { panic!() };
    assert_eq!((r.files[0].complete, r.files[0].incomplete), (1, 0));
}

#[test]
fn bounds_are_enforced_with_failures() {
    let c = TrackerConfig {
        max_connections: 3,
        max_peers_per_swarm: 2,
        max_swarms_per_connection: 2,
        max_open_swarms: 3,
        ..cfg()
    };
    let (mut t, t0) = tracker(c, 3);
    assert!(!t.open(t0, ConnId(4)), "max_connections");
    send(&mut t, t0, 1, &announce(1, 1, Some(Started), None, 0));
    send(&mut t, t0, 2, &announce(1, 2, Some(Started), None, 0));
    let d = send(&mut t, t0, 3, &announce(1, 3, Some(Started), None, 0));
    assert_eq!(d.failures()[0].reason, "swarm is full");
    send(&mut t, t0, 1, &announce(2, 1, Some(Started), None, 0));
    let d = send(&mut t, t0, 1, &announce(3, 1, Some(Started), None, 0));
    assert_eq!(d.failures()[0].reason, "too many swarms on this connection");
    send(&mut t, t0, 3, &announce(3, 3, Some(Started), None, 0));
    let d = send(&mut t, t0, 3, &announce(4, 3, Some(Started), None, 0));
    assert_eq!(d.failures()[0].reason, "too many swarms on this tracker");
}

#[test]
fn a_peer_id_reannounced_on_a_new_connection_moves_there() {
    let (mut t, t0) = tracker(cfg(), 3);
    send(&mut t, t0, 1, &announce(1, 1, Some(Started), Some(0), 0));
    send(&mut t, t0, 2, &announce(1, 1, None, Some(0), 0));
    assert!(t.conns[&ConnId(1)].member.is_empty());
    let d = send(&mut t, t0, 3, &announce(1, 3, Some(Started), None, 1));
    assert_eq!(d.offers_to(2).len(), 1);
    // The old connection closing does not remove the moved peer.
    t.close(ConnId(1));
    assert_eq!(t.gauges().peers, 2);
}

#[test]
fn another_client_cannot_take_over_a_peer_id_nor_stop_it() {
    let mut t = Tracker::new(cfg());
    let t0 = std::time::Instant::now();
    let (victim, attacker) = ([10, 0, 0, 1].into(), [10, 0, 0, 66].into());
    assert!(t.open_from(t0, ConnId(1), victim));
    assert!(t.open_from(t0, ConnId(2), attacker));
    assert!(t.open_from(t0, ConnId(3), victim));
    send(&mut t, t0, 1, &announce(1, 1, Some(Started), None, 0));
    let d = send(&mut t, t0, 2, &announce(1, 1, None, Some(0), 0));
    assert_eq!(d.failures()[0].reason, "peer id in use by another client");
    send(&mut t, t0, 2, &announce(1, 1, Some(AnnounceEvent::Stopped), None, 0));
    assert_eq!(t.gauges().peers, 1, "the victim is still in the swarm");
    assert_eq!(t.conns[&ConnId(1)].member.len(), 1, "and still on its own connection");
    // The victim's own second socket (same address) may carry the id.
    let d = send(&mut t, t0, 3, &announce(1, 1, None, None, 0));
    assert!(d.failures().is_empty());
}

#[test]
fn a_connection_announces_few_peer_ids() {
    let (mut t, t0) = tracker(cfg(), 1);
    let max = cfg().max_peer_ids_per_connection as u8;
    for peer in 1..=max {
        let d = send(&mut t, t0, 1, &announce(1, peer, Some(Started), None, 0));
        assert!(d.failures().is_empty(), "peer {peer}");
    }
    let d = send(&mut t, t0, 1, &announce(1, max + 1, Some(Started), None, 0));
    assert_eq!(d.failures()[0].reason, "too many peer ids on this connection");
    let d = send(&mut t, t0, 1, &announce(2, 1, Some(Started), None, 0));
    assert!(d.failures().is_empty(), "a known peer id joins another swarm");
}

#[test]
fn an_answer_returns_to_the_socket_the_offer_came_on() {
    // webtorrent announces one peer id on every tracker URL of a torrent: two sockets.
    let (mut t, t0) = tracker(cfg(), 3);
    send(&mut t, t0, 3, &announce(1, 3, Some(Started), Some(0), 0));
    let d = send(&mut t, t0, 1, &announce(1, 1, Some(Started), None, 1));
    let offer = d.offers_to(3)[0].clone();
    send(&mut t, t0, 2, &announce(1, 1, Some(Started), None, 0));
    let d = send(&mut t, t0, 3, &answer(1, 3, 1, offer.offer_id));
    assert_eq!(
        d.to(1).len(),
        1,
        "the socket that made the offer gets the answer: {d:?}"
    );
    assert!(d.to(2).is_empty());
}

#[test]
fn answers_to_relayed_offers_are_free_other_messages_are_limited() {
    let c = TrackerConfig {
        rate_burst: 2,
        rate_per_sec: 1,
        max_strikes: 3,
        peer_capacity: 31,
        peer_max_offers: 31,
        ..cfg()
    };
    let (mut t, t0) = tracker(c, 40);
    // Peer 1 spends its burst joining, answers the one offer of peer 34 (its holding claim
    // counts from then on, docs/decisions/0104); then 30 newcomers each relay an offer to it.
    send(&mut t, t0, 1, &announce(1, 1, Some(Started), Some(0), 0));
    send(&mut t, t0, 1, &announce(1, 1, None, Some(0), 0));
    let first = send(&mut t, t0, 34, &announce(1, 34, Some(Started), None, 1)).offers_to(1)[0].offer_id;
    assert!(send(&mut t, t0, 1, &answer(1, 1, 34, first)).failures().is_empty());
    let mut relayed = Vec::new();
    for p in 2..32u8 {
        let d = send(&mut t, t0, u64::from(p), &announce(1, p, Some(Started), None, 1));
        relayed.extend(d.offers_to(1).into_iter().map(|o| (o.peer_id, o.offer_id)));
    }
    assert_eq!(relayed.len(), 30, "every newcomer offered to the holder");
    let (kept, answered) = relayed.split_last().unwrap();
    for (to, offer_id) in answered {
        let d = send(&mut t, t0, 1, &answer(1, 1, to.0[1], *offer_id));
        assert!(d.failures().is_empty() && d.closed.is_empty(), "{:?}", d.failures());
    }
    assert_eq!(t.counters().answers_relayed, answered.len() as u64 + 1);
    assert_eq!(t.counters().rate_limited, 0);
    // The bucket is still empty: anything else (an answer nobody asked for included) is refused.
    let d = send(&mut t, t0, 1, &answer(1, 1, 2, answered[0].1));
    assert_eq!(d.failures()[0].reason, "rate limit exceeded");
    assert_eq!(t.counters().rate_limited, 1);
    // Another connection answering under peer 1's id pays like any other message: its burst of
    // 2 goes, the third is refused.
    for _ in 0..3 {
        send(&mut t, t0, 33, &answer(1, 1, kept.0 .0[1], kept.1));
    }
    assert_eq!(t.counters().rate_limited, 2, "an impostor's answers cost tokens");
}
