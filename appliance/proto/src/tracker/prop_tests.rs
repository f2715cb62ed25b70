//! Property tests: codec round trips, decoding never panics, core invariants under random ops.
use proptest::prelude::*;

use super::testkit::{announce, answer, drain, id, tracker};
use super::*;

fn id20() -> impl Strategy<Value = Id20> {
    any::<[u8; 20]>().prop_map(Id20)
}

fn signal(kind: SignalKind) -> impl Strategy<Value = Signal> {
    ".{0,40}".prop_map(move |sdp| Signal::from_sdp(kind, &sdp))
}

fn counter() -> impl Strategy<Value = Option<u64>> {
    proptest::option::of(0u64..(1 << 53))
}

fn event() -> impl Strategy<Value = Option<AnnounceEvent>> {
    use AnnounceEvent::*;
    proptest::option::of(prop::sample::select(vec![
        Started, Stopped, Completed, Update, Paused, Empty,
    ]))
}

fn announce_msg() -> impl Strategy<Value = Announce> {
    let offers = prop::collection::vec((id20(), signal(SignalKind::Offer)), 0..4).prop_map(|v| {
        v.into_iter()
            .map(|(offer_id, offer)| Offer { offer_id, offer })
            .collect()
    });
    let ans = proptest::option::of((id20(), id20(), signal(SignalKind::Answer))).prop_map(|a| {
        a.map(|(to_peer_id, offer_id, answer)| Answer {
            to_peer_id,
            offer_id,
            answer,
        })
    });
    (
        id20(),
        id20(),
        event(),
        [counter(), counter(), counter(), counter()],
        offers,
        ans,
    )
        .prop_map(
            |(info_hash, peer_id, event, [numwant, uploaded, downloaded, left], offers, answer)| Announce {
                info_hash,
                peer_id,
                event,
                numwant,
                uploaded,
                downloaded,
                left,
                offers,
                answer,
            },
        )
}

fn client_msg() -> impl Strategy<Value = ClientMessage> {
    prop_oneof![
        announce_msg().prop_map(ClientMessage::Announce),
        Just(ClientMessage::Scrape(Scrape::All)),
        id20().prop_map(|h| ClientMessage::Scrape(Scrape::One(h))),
        prop::collection::vec(id20(), 0..5).prop_map(|v| ClientMessage::Scrape(Scrape::Many(v))),
    ]
}

fn server_msg() -> impl Strategy<Value = ServerMessage> {
    let reply = (
        id20(),
        any::<u32>(),
        any::<u32>(),
        counter(),
        counter(),
        proptest::option::of(".{0,20}"),
    )
        .prop_map(|(info_hash, c, i, interval, min_interval, warning)| {
            ServerMessage::Announce(AnnounceReply {
                info_hash,
                complete: c.into(),
                incomplete: i.into(),
                interval,
                min_interval,
                warning,
            })
        });
    let offer =
        (id20(), id20(), id20(), signal(SignalKind::Offer)).prop_map(|(info_hash, peer_id, offer_id, offer)| {
            ServerMessage::Offer(ForwardedOffer {
                info_hash,
                peer_id,
                offer_id,
                offer,
            })
        });
    let ans =
        (id20(), id20(), id20(), signal(SignalKind::Answer)).prop_map(|(info_hash, peer_id, offer_id, answer)| {
            ServerMessage::Answer(ForwardedAnswer {
                info_hash,
                peer_id,
                offer_id,
                answer,
            })
        });
    let file = (id20(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(info_hash, c, i, d)| ScrapeFile {
        info_hash,
        complete: c.into(),
        incomplete: i.into(),
        downloaded: d.into(),
    });
    let scrape = (prop::collection::vec(file, 0..4), counter()).prop_map(|(files, min_request_interval)| {
        ServerMessage::Scrape(ScrapeReply {
            files,
            min_request_interval,
        })
    });
    let action = proptest::option::of(prop::sample::select(vec![Action::Announce, Action::Scrape]));
    let failure = (action, ".{0,30}", proptest::option::of(id20())).prop_map(|(action, reason, info_hash)| {
        ServerMessage::Failure(Failure {
            action,
            reason,
            info_hash,
        })
    });
    prop_oneof![reply, offer, ans, scrape, failure]
}

proptest! {
    #[test]
    fn client_messages_round_trip(m in client_msg()) {
        let limits = DecodeLimits::default();
        prop_assert_eq!(ClientMessage::decode(&m.encode(), &limits), Ok(m));
    }

    #[test]
    fn server_messages_round_trip(m in server_msg()) {
        prop_assert_eq!(ServerMessage::decode(&m.encode()), Ok(m));
    }

    #[test]
    fn decoding_arbitrary_text_never_panics(s in ".{0,200}") {
        let _ = ClientMessage::decode(&s, &DecodeLimits::default());
        let _ = ServerMessage::decode(&s);
    }

    #[test]
    fn decoding_mutated_messages_never_panics(m in client_msg(), at in any::<prop::sample::Index>(), c in any::<char>()) {
        let text = m.encode();
        let mut chars: Vec<char> = text.chars().collect();
        let i = at.index(chars.len());
        chars[i] = c;
        let mutated: String = chars.into_iter().collect();
        let _ = ClientMessage::decode(&mutated, &DecodeLimits::default());
    }

    #[test]
    fn core_invariants_hold_under_random_operations(ops in prop::collection::vec(op(), 1..120)) {
        let (mut t, t0) = tracker(TrackerConfig { max_peers_per_swarm: 4, max_swarms_per_connection: 3, ..TrackerConfig::default() }, 0);
        let mut now = t0;
        let mut last_offer: Option<(u8, OfferId)> = None;
        for op in ops {
            apply(&mut t, &mut now, op, &mut last_offer);
            check_invariants(&t);
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Open(u8),
    Close(u8),
    Announce {
        conn: u8,
        ih: u8,
        peer: u8,
        event: Option<AnnounceEvent>,
        left: Option<u64>,
        offers: usize,
    },
    AnswerLast {
        conn: u8,
        ih: u8,
        peer: u8,
    },
    Register(u8),
    Drop(u8),
    Advance(u16),
}

fn op() -> impl Strategy<Value = Op> {
    let small = || 1u8..6;
    prop_oneof![
        small().prop_map(Op::Open),
        small().prop_map(Op::Close),
        (
            small(),
            small(),
            small(),
            event(),
            proptest::option::of(0u64..3),
            0usize..4
        )
            .prop_map(|(conn, ih, peer, event, left, offers)| Op::Announce {
                conn,
                ih,
                peer,
                event,
                left,
                offers
            }),
        (small(), small(), small()).prop_map(|(conn, ih, peer)| Op::AnswerLast { conn, ih, peer }),
        small().prop_map(Op::Register),
        small().prop_map(Op::Drop),
        (0u16..400).prop_map(Op::Advance),
    ]
}

fn apply(t: &mut Tracker, now: &mut std::time::Instant, op: Op, last: &mut Option<(u8, OfferId)>) {
    match op {
        Op::Open(c) => {
            t.open(*now, ConnId(c.into()));
        }
        Op::Close(c) => t.close(ConnId(c.into())),
        Op::Announce {
            conn,
            ih,
            peer,
            event,
            left,
            offers,
        } => {
            let frame = announce(ih, peer, event, left, offers);
            t.handle_frame(*now, ConnId(conn.into()), Frame::Text(&frame));
        }
        Op::AnswerLast { conn, ih, peer } => {
            if let Some((from, offer_id)) = *last {
                let frame = answer(ih, peer, from, offer_id);
                t.handle_frame(*now, ConnId(conn.into()), Frame::Text(&frame));
            }
        }
        Op::Register(s) => {
            let _ = t.register_swarm(
                *now,
                id(s),
                Registration {
                    segment: s.into(),
                    length: 2,
                },
            );
        }
        Op::Drop(s) => {
            t.drop_segment(s.into());
        }
        Op::Advance(secs) => {
            *now += std::time::Duration::from_secs(secs.into());
            t.handle_timeout(*now);
        }
    }
    for (_, m) in drain(t).sent {
        if let ServerMessage::Offer(o) = m {
            *last = Some((o.peer_id.0[1], o.offer_id));
        }
    }
}

fn check_invariants(t: &Tracker) {
    let cfg = t.config();
    let mut members = 0;
    for (ih, s) in &t.swarms {
        assert!(s.peers.len() <= cfg.max_peers_per_swarm);
        assert_eq!(s.complete, s.peers.values().filter(|p| p.complete).count() as u64);
        for (pid, p) in &s.peers {
            let c = t.conns.get(&p.conn).expect("peer on an open connection");
            assert!(
                c.member.contains(&(*ih, *pid)),
                "{ih:?} {pid:?} missing from its connection"
            );
        }
        assert!(s.registration.is_some() || !s.peers.is_empty(), "idle open swarm kept");
    }
    for (conn, c) in &t.conns {
        assert!(c.member.len() <= cfg.max_swarms_per_connection);
        for (ih, pid) in &c.member {
            members += 1;
            let p = &t.swarms[ih].peers[pid];
            assert_eq!(p.conn, *conn);
        }
    }
    assert_eq!(members as u64, t.gauges().peers);
    assert_eq!(
        t.open_swarms,
        t.swarms.values().filter(|s| s.registration.is_none()).count()
    );
}
