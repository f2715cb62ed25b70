//! Push planner tests: super-seeding assignment, the serve rule, departures, window and bounds.

use proptest::prelude::*;

use super::*;
use crate::live::codec::{BlockKey, LiveMsg};

const N0: NeighbourId = NeighbourId(10);
const N1: NeighbourId = NeighbourId(11);
const N2: NeighbourId = NeighbourId(12);

fn planner(ns: &[NeighbourId]) -> PushPlanner {
    let mut p = PushPlanner::new(PushConfig::default()).unwrap();
    ns.iter().for_each(|n| p.add_neighbour(*n).unwrap());
    p
}

fn sends(p: &mut PushPlanner) -> Vec<(NeighbourId, LiveMsg)> {
    std::iter::from_fn(|| p.poll_send()).collect()
}

/// Pushes everything queued for `n`; returns the pieces in order.
fn push_all(p: &mut PushPlanner, n: NeighbourId) -> Vec<(u64, u16)> {
    let mut done = vec![];
    while let Some((seq, piece)) = p.next_push(n) {
        p.piece_sent(n, seq, piece, 1000);
        done.push((seq, piece));
    }
    done
}

fn have(seq: u64, count: u16, pieces: &[u16]) -> LiveMsg {
    pieces.iter().copied().collect::<PieceBits>().to_have(seq, count)
}

fn req(seq: u64, piece: u16) -> BlockKey {
    BlockKey {
        seq,
        piece,
        begin: 0,
        length: 500,
    }
}

#[test]
fn pieces_go_round_robin_and_each_share_ends_with_a_have() {
    let mut p = planner(&[N0, N1, N2]);
    p.add_segment(5, 8).unwrap();
    assert_eq!(sends(&mut p), []);
    assert_eq!(push_all(&mut p, N0), [(5, 0), (5, 3), (5, 6)]);
    assert_eq!(sends(&mut p), [(N0, have(5, 8, &[0, 3, 6]))]);
    assert_eq!(push_all(&mut p, N1), [(5, 1), (5, 4), (5, 7)]);
    assert_eq!(p.push_finished(5), Some(false));
    assert_eq!(push_all(&mut p, N2), [(5, 2), (5, 5)]);
    assert_eq!(p.push_finished(5), Some(true));
    assert_eq!(sends(&mut p), [(N1, have(5, 8, &[1, 4, 7])), (N2, have(5, 8, &[2, 5]))]);
    assert_eq!(p.stats().bytes_pushed, 8000);
    p.piece_sent(N0, 5, 0, 1000); // a repeat is not counted
    assert_eq!(p.stats().bytes_pushed, 8000);
}

#[test]
fn a_neighbour_without_a_share_gets_its_have_at_once() {
    let mut p = planner(&[N0, N1, N2]);
    p.add_segment(1, 2).unwrap();
    assert_eq!(sends(&mut p), [(N2, have(1, 2, &[]))]);
}

#[test]
fn requests_are_served_only_when_the_mesh_cannot_help() {
    let mut p = planner(&[N0, N1]);
    p.add_segment(5, 4).unwrap();
    push_all(&mut p, N0);
    let pushing = RequestDecision::Reject(RejectReason::Pushing);
    assert_eq!(p.decide_request(N1, &req(5, 0)), pushing);
    push_all(&mut p, N1);
    let held = RequestDecision::Reject(RejectReason::HeldByNeighbour);
    assert_eq!(p.decide_request(N1, &req(5, 0)), held);
    assert_eq!(p.decide_request(N0, &req(5, 0)), RequestDecision::Serve); // it lost its own piece
    p.on_announce(N1, &LiveMsg::HavePiece { seq: 5, piece: 0 });
    assert_eq!(p.decide_request(N0, &req(5, 0)), held);
    p.remove_neighbour(N1);
    assert_eq!(p.decide_request(N0, &req(5, 1)), RequestDecision::Serve);
    assert_eq!(p.decide_request(N0, &req(5, 0)), RequestDecision::Serve);
    assert_eq!(
        p.decide_request(N0, &req(9, 0)),
        RequestDecision::Reject(RejectReason::UnknownSegment)
    );
    assert_eq!(p.decide_request(N0, &req(5, 4)), RequestDecision::OutOfRange);
    let s = p.stats();
    assert_eq!((s.bytes_served, s.requests_refused), (1500, 4));
}

#[test]
fn a_have_replaces_what_a_neighbour_announced() {
    let mut p = planner(&[N0, N1]);
    p.add_segment(5, 4).unwrap();
    push_all(&mut p, N0);
    push_all(&mut p, N1);
    p.remove_neighbour(N0);
    p.add_neighbour(N2).unwrap();
    p.on_announce(N2, &have(5, 4, &[0, 2]));
    let held = RequestDecision::Reject(RejectReason::HeldByNeighbour);
    assert_eq!(p.decide_request(N1, &req(5, 0)), held);
    p.on_announce(N2, &have(5, 4, &[]));
    assert_eq!(p.decide_request(N1, &req(5, 0)), RequestDecision::Serve);
    p.on_announce(NeighbourId(99), &have(5, 4, &[0])); // not a neighbour: ignored
    assert_eq!(p.decide_request(N1, &req(5, 0)), RequestDecision::Serve);
}

#[test]
fn segments_without_neighbours_are_served_and_announced_to_newcomers() {
    let mut p = planner(&[]);
    p.add_segment(1, 3).unwrap();
    assert_eq!(p.decide_request(N0, &req(1, 2)), RequestDecision::Serve);
    p.add_neighbour(N0).unwrap();
    assert_eq!(sends(&mut p), [(N0, have(1, 3, &[0, 1, 2]))]);
    assert_eq!(p.next_push(N0), None);
}

#[test]
fn a_leaving_neighbours_unsent_pieces_go_to_the_others() {
    let mut p = planner(&[N0, N1, N2]);
    p.add_segment(5, 9).unwrap();
    p.piece_sent(N1, 5, 1, 1000);
    p.remove_neighbour(N1);
    assert_eq!(push_all(&mut p, N0), [(5, 0), (5, 3), (5, 6), (5, 4)]);
    assert_eq!(push_all(&mut p, N2), [(5, 2), (5, 5), (5, 8), (5, 7)]);
    assert_eq!(p.push_finished(5), Some(true));
    assert_eq!(p.decide_request(N0, &req(5, 1)), RequestDecision::Serve);
    assert_eq!(p.neighbours(), [N0, N2]);
}

#[test]
fn segments_leaving_the_window_are_gone_for_every_neighbour() {
    let cfg = PushConfig {
        window: 2,
        max_neighbours: 4,
    };
    let mut p = PushPlanner::new(cfg).unwrap();
    p.add_neighbour(N0).unwrap();
    p.add_neighbour(N1).unwrap();
    for seq in 1..=3 {
        p.add_segment(seq, 1).unwrap();
    }
    let gone: Vec<_> = sends(&mut p)
        .into_iter()
        .filter(|(_, m)| matches!(m, LiveMsg::Gone { .. }))
        .collect();
    assert_eq!(gone, [(N0, LiveMsg::Gone { seq: 1 }), (N1, LiveMsg::Gone { seq: 1 })]);
    assert_eq!(p.next_push(N0), Some((2, 0)));
    p.segment_left(2);
    p.segment_left(2);
    assert_eq!(sends(&mut p).len(), 2);
    assert_eq!(p.next_push(N0), Some((3, 0)));
    assert_eq!(p.push_finished(1), None);
}

#[test]
fn bounds_are_enforced() {
    let bad = PushConfig {
        window: 257,
        max_neighbours: 4,
    };
    assert!(matches!(PushPlanner::new(bad), Err(PushError::Config(_))));
    let bad = PushConfig {
        window: 4,
        max_neighbours: 65,
    };
    assert!(matches!(PushPlanner::new(bad), Err(PushError::Config(_))));
    let mut p = PushPlanner::new(PushConfig {
        window: 4,
        max_neighbours: 2,
    })
    .unwrap();
    p.add_neighbour(N0).unwrap();
    p.add_neighbour(N0).unwrap();
    p.add_neighbour(N1).unwrap();
    assert_eq!(p.add_neighbour(N2), Err(PushError::TooManyNeighbours));
    assert_eq!(p.add_segment(1, 0), Err(PushError::PieceCount(0)));
    assert_eq!(p.add_segment(1, 1025), Err(PushError::PieceCount(1025)));
    p.add_segment(3, 1024).unwrap();
    assert_eq!(p.add_segment(3, 1), Err(PushError::NotNewer(3)));
}

proptest! {
    /// Whatever neighbours come and go, every piece is pushed at most once, and exactly once
    /// when a neighbour stays to the end.
    #[test]
    fn every_piece_is_pushed_at_most_once(
        count in 1u16..200,
        k in 1usize..8,
        leave_after in proptest::collection::vec(0usize..50, 0..6),
    ) {
        let ns: Vec<NeighbourId> = (0..=k as u64).map(NeighbourId).collect();
        let mut p = planner(&ns);
        p.add_segment(7, count).unwrap();
        let mut sent = vec![0u32; usize::from(count)];
        let mut leaving = leave_after.into_iter().zip(ns.iter().skip(1)).collect::<Vec<_>>();
        let mut rounds = 0;
        loop {
            let mut progress = false;
            for n in p.neighbours().to_vec() {
                if let Some((seq, piece)) = p.next_push(n) {
                    p.piece_sent(n, seq, piece, 1);
                    sent[usize::from(piece)] += 1;
                    progress = true;
                }
            }
            leaving.retain(|(after, n)| if *after == rounds { p.remove_neighbour(**n); false } else { true });
            rounds += 1;
            if !progress && leaving.is_empty() {
                break;
            }
        }
        prop_assert!(sent.iter().all(|&c| c == 1), "{:?}", sent);
        prop_assert_eq!(p.push_finished(7), Some(true));
        prop_assert_eq!(p.stats().bytes_pushed, u64::from(count));
    }
}
