//! The stream swarm's routing (docs/LIVE-MESH.md) exercised through the pure core.
use super::testkit::*;
use super::*;
use AnnounceEvent::*;

const IH: u8 = 0x5A;

fn stream(box_free: u32, conns: u64) -> (Tracker, std::time::Instant) {
    let (mut t, t0) = tracker(TrackerConfig::default(), conns);
    t.register_stream(t0, id(IH), box_free).unwrap();
    (t, t0)
}

/// Peer `p` announces on connection `p` wanting `want` neighbours and carrying `offers` offers.
fn join(t: &mut Tracker, now: std::time::Instant, p: u8, want: usize, offers: usize) -> Drained {
    let mut text = announce(IH, p, Some(Started), None, offers);
    text = text.replace(&format!("\"numwant\":{offers}"), &format!("\"numwant\":{want}"));
    let d = send(t, now, u64::from(p), &text);
    assert!(d.failures().is_empty(), "{:?}", d.failures());
    d
}

fn peer_targets(d: &Drained) -> Vec<u64> {
    let mut v: Vec<u64> = d
        .sent
        .iter()
        .filter(|(_, m)| matches!(m, ServerMessage::Offer(_)))
        .map(|(c, _)| c.0)
        .collect();
    v.sort_unstable();
    v
}

#[test]
fn the_box_takes_only_its_slots_then_viewers_link_to_viewers() {
    let (mut t, t0) = stream(2, 10);
    let d = join(&mut t, t0, 1, 6, 5);
    assert_eq!(d.box_offers.len(), 1, "first viewer: the box has a slot");
    let d = join(&mut t, t0, 2, 6, 5);
    assert_eq!(d.box_offers.len(), 1, "second viewer: the box's last slot");
    assert_eq!(peer_targets(&d), vec![1]);
    let d = join(&mut t, t0, 3, 6, 5);
    assert!(
        d.box_offers.is_empty(),
        "the box is full: never every viewer's neighbour"
    );
    assert_eq!(peer_targets(&d), vec![1, 2]);
    // The seeder lost a neighbour and says so: the next newcomer may take that slot.
    t.set_box_slots(&id(IH), 1).unwrap();
    let d = join(&mut t, t0, 4, 6, 5);
    assert_eq!(d.box_offers.len(), 1);
}

#[test]
fn routed_offers_take_slots_of_both_ends() {
    let (mut t, t0) = stream(0, 10);
    join(&mut t, t0, 1, 1, 0);
    join(&mut t, t0, 2, 6, 0);
    assert_eq!(t.free_slots(&id(IH), &id(1)), Some(1));
    let d = join(&mut t, t0, 3, 2, 2);
    assert_eq!(peer_targets(&d), vec![1, 2]);
    assert_eq!(t.free_slots(&id(IH), &id(1)), Some(0), "its one slot is taken");
    assert_eq!(t.free_slots(&id(IH), &id(2)), Some(5));
    assert_eq!(t.free_slots(&id(IH), &id(3)), Some(0), "the offering peer's slots too");
    // Peer 1 is full: a fourth newcomer's offers go elsewhere.
    let d = join(&mut t, t0, 4, 6, 5);
    assert_eq!(peer_targets(&d), vec![2], "peers 1 and 3 used their slots; 2 has room");
}

#[test]
fn full_peers_are_skipped_and_a_reannounce_frees_slots() {
    let (mut t, t0) = stream(0, 10);
    join(&mut t, t0, 1, 0, 0);
    let d = join(&mut t, t0, 2, 6, 5);
    assert!(peer_targets(&d).is_empty(), "peer 1 wants no neighbour");
    // Peer 1 lost a neighbour and announces again wanting one.
    join(&mut t, t0, 1, 1, 0);
    let d = join(&mut t, t0 + secs(60), 3, 6, 5);
    assert_eq!(peer_targets(&d), vec![1, 2]);
}

#[test]
fn established_members_come_first() {
    let (mut t, t0) = stream(0, 10);
    for (p, at) in [(1u8, 0u64), (2, 10), (3, 20)] {
        join(&mut t, t0 + secs(at), p, 6, 0);
    }
    let d = join(&mut t, t0 + secs(30), 4, 6, 2);
    assert_eq!(peer_targets(&d), vec![1, 2], "the two oldest of three members");
}

#[test]
fn no_second_offer_to_a_linked_peer_and_none_to_itself() {
    let (mut t, t0) = stream(1, 10);
    join(&mut t, t0, 1, 6, 0);
    let d = join(&mut t, t0, 2, 6, 5);
    assert_eq!(d.box_offers.len(), 1);
    assert_eq!(peer_targets(&d), vec![1]);
    // Peer 2 announces again within offer_timeout: neither peer 1 nor the box again.
    t.set_box_slots(&id(IH), 1).unwrap();
    let d = join(&mut t, t0 + secs(1), 2, 6, 5);
    assert!(d.box_offers.is_empty());
    assert!(peer_targets(&d).is_empty());
}

#[test]
fn the_stream_swarm_survives_segment_drops_and_claims_are_capped() {
    let (mut t, t0) = stream(1, 10);
    assert_eq!(t.drop_segment(7), 0);
    join(&mut t, t0, 1, 1000, 0);
    assert_eq!(t.free_slots(&id(IH), &id(1)), Some(MAX_FREE_SLOTS));
    assert_eq!(t.set_box_slots(&id(0x77), 1), Err(CoreError::UnknownSwarm));
}
