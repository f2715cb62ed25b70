use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::*;
use crate::seed::SwarmSeed;
use crate::torrent::{InfoHash, Torrent};
use crate::wire::{ExtendedHandshake, Handshake, Message, MetadataMsg};

const PEER: [u8; 20] = *b"-WW0300-abcdefghijkl";
const BOX: [u8; 20] = *b"-VB0001-boxboxboxbox";

struct Rig {
    t0: Instant,
    torrent: Arc<Torrent>,
    data: Bytes,
    seed: SwarmSeed,
}

impl Rig {
    fn new(len: usize) -> Self {
        let data: Bytes = (0..len).map(|i| (i * 31 % 253) as u8).collect::<Vec<_>>().into();
        let torrent = Arc::new(Torrent::build("seg-00000001.ts", &data).unwrap());
        let seed = SwarmSeed::new(torrent.piece_count());
        Rig {
            t0: Instant::now(),
            torrent,
            data,
            seed,
        }
    }

    fn session(&self) -> Session {
        self.session_with(SessionConfig::default())
    }

    fn session_with(&self, cfg: SessionConfig) -> Session {
        Session::new(self.t0, self.torrent.clone(), self.data.clone(), BOX, cfg)
    }

    fn handshake(&self) -> Vec<u8> {
        let mut hs = Handshake::new(self.torrent.info_hash(), PEER);
        hs.reserved[7] |= 0x04;
        hs.encode().to_vec()
    }

    fn feed(&mut self, s: &mut Session, at_ms: u64, bytes: &[u8]) -> Vec<Output> {
        s.handle_input(self.t0 + Duration::from_millis(at_ms), bytes, &mut self.seed);
        drain(s)
    }
}

fn drain(s: &mut Session) -> Vec<Output> {
    std::iter::from_fn(|| s.poll_output()).collect()
}

/// Decodes the sends of a session (skipping our handshake if present).
fn messages(outputs: &[Output]) -> Vec<Message> {
    let mut stream: Vec<u8> = outputs
        .iter()
        .filter_map(|o| match o {
            Output::Send(b) => Some(b.to_vec()),
            Output::Close(_) => None,
        })
        .flatten()
        .collect();
    if let Ok((_, used)) = Handshake::decode(&stream) {
        stream.drain(..used);
    }
    let mut msgs = vec![];
    while let Ok((m, used)) = Message::decode(&stream, 1 << 20) {
        msgs.push(m);
        stream.drain(..used);
    }
    assert!(stream.is_empty(), "trailing bytes in output");
    msgs
}

fn closed_with(outputs: &[Output]) -> Option<CloseReason> {
    outputs.iter().find_map(|o| match o {
        Output::Close(r) => Some(r.clone()),
        _ => None,
    })
}

fn shown(msgs: &[Message]) -> Vec<u32> {
    msgs.iter()
        .filter_map(|m| if let Message::Have(i) = m { Some(*i) } else { None })
        .collect()
}

fn request(index: u32, begin: u32, length: u32) -> Vec<u8> {
    Message::Request(BlockRef { index, begin, length }).encode()
}

fn ext(id: u8, payload: Vec<u8>) -> Vec<u8> {
    Message::Extended {
        id,
        payload: payload.into(),
    }
    .encode()
}

#[test]
fn handshake_metadata_and_pieces() {
    let mut rig = Rig::new(200_000);
    let mut s = rig.session();
    let out = rig.feed(&mut s, 0, &rig.handshake());
    let Output::Send(hs) = &out[0] else { panic!() };
    let (ours, _) = Handshake::decode(hs).unwrap();
    assert_eq!(
        (ours.info_hash, ours.peer_id, ours.extended(), ours.fast()),
        (rig.torrent.info_hash(), BOX, true, false)
    );
    let msgs = messages(&out);
    let Message::Extended { id: 0, payload } = &msgs[0] else {
        panic!("{msgs:?}")
    };
    let their_view = ExtendedHandshake::decode(payload).unwrap();
    assert_eq!(their_view.metadata_size, Some(rig.torrent.info_bytes().len() as u64));
    assert_eq!(msgs[1], Message::Unchoke);
    let revealed = shown(&msgs);
    assert_eq!(revealed.len(), SessionConfig::default().reveal_window as usize);

    let peer_ext = ExtendedHandshake {
        m: [("ut_metadata".into(), 7)].into(),
        ..Default::default()
    };
    let mut input = ext(0, peer_ext.encode());
    input.extend(ext(UT_METADATA_ID, MetadataMsg::Request { piece: 0 }.encode()));
    input.extend(ext(UT_METADATA_ID, MetadataMsg::Request { piece: 9 }.encode()));
    input.extend(request(revealed[0], 16384 - 100, 100));
    let msgs = messages(&rig.feed(&mut s, 5, &input));
    let Message::Extended { id: 7, payload } = &msgs[0] else {
        panic!("{msgs:?}")
    };
    let info = rig.torrent.info_bytes().clone();
    let want = MetadataMsg::Data {
        piece: 0,
        total_size: info.len() as u64,
        data: info,
    };
    assert_eq!(MetadataMsg::decode(payload).unwrap(), want);
    let Message::Extended { id: 7, payload } = &msgs[1] else {
        panic!("{msgs:?}")
    };
    assert_eq!(MetadataMsg::decode(payload).unwrap(), MetadataMsg::Reject { piece: 9 });
    let start = revealed[0] as usize * 16384 + 16384 - 100;
    let piece = Message::Piece {
        index: revealed[0],
        begin: 16384 - 100,
        block: rig.data.slice(start..start + 100),
    };
    assert_eq!(msgs[2], piece);
    assert_eq!((s.uploaded(), rig.seed.uploaded()), (100, 100));
}

#[test]
fn blocks_are_slices_of_the_segment_not_copies() {
    let mut rig = Rig::new(100_000);
    let mut s = rig.session();
    let first = shown(&messages(&rig.feed(&mut s, 0, &rig.handshake())))[0];
    let out = rig.feed(&mut s, 1, &request(first, 0, 16384));
    let Output::Send(block) = &out[1] else { panic!() };
    let base = rig.data.as_ptr() as usize;
    let at = block.as_ptr() as usize;
    assert!(
        at >= base && at + block.len() <= base + rig.data.len(),
        "block is not inside the segment"
    );
}

#[test]
fn input_split_at_every_offset_gives_the_same_output() {
    let mut rig = Rig::new(100_000);
    let mut probe = rig.session();
    let first = shown(&messages(&rig.feed(&mut probe, 0, &rig.handshake())))[0];
    let mut input = rig.handshake();
    input.extend(ext(
        0,
        ExtendedHandshake {
            m: [("ut_metadata".into(), 3)].into(),
            ..Default::default()
        }
        .encode(),
    ));
    input.extend(ext(UT_METADATA_ID, MetadataMsg::Request { piece: 0 }.encode()));
    input.extend(Message::Interested.encode());
    input.extend(request(first, 0, 16384));
    input.extend(Message::KeepAlive.encode());
    let whole = {
        let mut rig = Rig::new(100_000);
        let mut s = rig.session();
        messages(&rig.feed(&mut s, 0, &input))
    };
    assert!(whole.iter().any(|m| matches!(m, Message::Piece { .. })));
    for cut in 0..input.len() {
        let mut rig = Rig::new(100_000);
        let mut s = rig.session();
        let mut out = rig.feed(&mut s, 0, &input[..cut]);
        out.extend(rig.feed(&mut s, 0, &input[cut..]));
        assert_eq!(messages(&out), whole, "cut at {cut}");
    }
}

#[test]
fn two_peers_are_shown_different_pieces_until_one_starves() {
    let mut rig = Rig::new(64 * 16384);
    let (mut a, mut b) = (rig.session(), rig.session());
    let shown_a = shown(&messages(&rig.feed(&mut a, 0, &rig.handshake())));
    let shown_b = shown(&messages(&rig.feed(&mut b, 0, &rig.handshake())));
    assert!(
        shown_a.iter().all(|i| !shown_b.contains(i)),
        "{shown_a:?} vs {shown_b:?}"
    );
    // b hears of a piece it got from a (peer-to-peer progress): no extra reveals yet.
    let from_a = Message::Have(shown_a[0]).encode();
    assert!(shown(&messages(&rig.feed(&mut b, 1000, &from_a))).is_empty());
    // Serve b everything it was shown; fresh pieces keep coming while any are left.
    for &i in &shown_b {
        let out = rig.feed(&mut b, 1100, &request(i, 0, 16384));
        assert!(closed_with(&out).is_none());
    }
    assert_eq!(rig.seed.uploaded(), 8 * 16384);
}

#[test]
fn pieces_already_out_are_shown_only_after_patience() {
    let mut rig = Rig::new(8 * 16384);
    let mut a = rig.session();
    let all = shown(&messages(&rig.feed(&mut a, 0, &rig.handshake())));
    assert_eq!(all.len(), 8);
    let mut b = rig.session();
    assert!(shown(&messages(&rig.feed(&mut b, 0, &rig.handshake()))).is_empty());
    let patience = SessionConfig::default().patience;
    assert_eq!(b.poll_timeout(), Some(rig.t0 + patience));
    b.handle_timeout(rig.t0 + patience, &mut rig.seed);
    assert_eq!(shown(&messages(&drain(&mut b))).len(), 8);
}

#[test]
fn finished_peer_is_closed() {
    let mut rig = Rig::new(3 * 16384);
    let mut s = rig.session();
    rig.feed(&mut s, 0, &rig.handshake());
    let out = rig.feed(&mut s, 1, &Message::Bitfield(vec![0b1110_0000].into()).encode());
    assert_eq!(closed_with(&out), Some(CloseReason::Finished));
    assert!(s.is_closed() && s.poll_timeout().is_none());
}

fn misbehaviour(setup: impl Fn(&Rig, &[u32]) -> Vec<u8>, cfg: SessionConfig) -> CloseReason {
    let mut rig = Rig::new(20 * 16384);
    let mut s = rig.session_with(cfg);
    let first = rig.feed(&mut s, 0, &rig.handshake());
    let revealed = shown(&messages(&first));
    let out = rig.feed(&mut s, 1, &setup(&rig, &revealed));
    let reason = closed_with(&out).expect("session must close");
    assert!(reason.is_misbehaviour(), "{reason}");
    assert!(s.is_closed());
    reason
}

#[test]
fn misbehaving_peers_are_dropped() {
    let cfg = SessionConfig::default;
    let wrong = |_: &Rig, _: &[u32]| Handshake::new(InfoHash([9; 20]), PEER).encode().to_vec();
    let mut rig = Rig::new(20 * 16384);
    let mut s = rig.session();
    assert_eq!(
        closed_with(&rig.feed(&mut s, 0, &wrong(&rig, &[]))),
        Some(CloseReason::WrongInfoHash)
    );
    let mut s = rig.session();
    let garbage = rig.feed(&mut s, 0, b"GET / HTTP/1.1\r\n");
    assert!(matches!(closed_with(&garbage), Some(CloseReason::Malformed(_))));

    let r = misbehaviour(|_, r| request(r[0], 0, 1 << 20), cfg());
    assert_eq!(r, CloseReason::OversizedRequest(1 << 20));
    assert_eq!(
        misbehaviour(|_, _| request(20, 0, 16384), cfg()),
        CloseReason::OutOfRange("request index")
    );
    assert_eq!(
        misbehaviour(|_, r| request(r[0], 16000, 16384), cfg()),
        CloseReason::OutOfRange("request offset")
    );
    assert_eq!(
        misbehaviour(|_, _| request(19, 0, 16384), cfg()),
        CloseReason::NotOffered(19)
    );
    assert_eq!(
        misbehaviour(|_, _| Message::Have(99).encode(), cfg()),
        CloseReason::OutOfRange("have")
    );
    let piece = |_: &Rig, _: &[u32]| {
        Message::Piece {
            index: 0,
            begin: 0,
            block: vec![1; 10].into(),
        }
        .encode()
    };
    assert_eq!(misbehaviour(piece, cfg()), CloseReason::UnrequestedPiece);
    assert!(matches!(
        misbehaviour(|_, _| vec![0xff; 8], cfg()),
        CloseReason::Malformed(_)
    ));
    let flood = |_: &Rig, r: &[u32]| (0..300).flat_map(|_| request(r[0], 0, 16384)).collect();
    let tight = SessionConfig {
        send_buffer_cap: 0,
        ..cfg()
    };
    assert_eq!(misbehaviour(flood, tight), CloseReason::TooManyRequests);
}

#[test]
fn peer_that_never_reads_is_dropped_and_others_go_on() {
    let mut rig = Rig::new(20 * 16384);
    let cfg = SessionConfig {
        send_buffer_cap: 64 * 1024,
        ..Default::default()
    };
    let (mut slow, mut good) = (rig.session_with(cfg.clone()), rig.session_with(cfg.clone()));
    let r = shown(&messages(&rig.feed(&mut slow, 0, &rig.handshake())));
    let reqs: Vec<u8> = r.iter().flat_map(|&i| request(i, 0, 16384)).collect();
    let out = rig.feed(&mut slow, 1, &reqs);
    assert_eq!(
        messages(&out)
            .iter()
            .filter(|m| matches!(m, Message::Piece { .. }))
            .count(),
        4
    );
    let stall_at = rig.t0 + Duration::from_millis(1) + cfg.stall_timeout;
    assert!(slow.poll_timeout().unwrap() <= stall_at);
    let g = shown(&messages(&rig.feed(&mut good, 2, &rig.handshake())));
    let served = messages(&rig.feed(&mut good, 3, &request(g[0], 0, 16384)));
    assert!(served.iter().any(|m| matches!(m, Message::Piece { .. })));
    slow.handle_timeout(stall_at, &mut rig.seed);
    assert_eq!(closed_with(&drain(&mut slow)), Some(CloseReason::NotReading));
    good.set_buffered(stall_at, 0, &mut rig.seed);
    good.handle_timeout(stall_at, &mut rig.seed);
    assert!(closed_with(&drain(&mut good)).is_none());
}

#[test]
fn metadata_requests_are_bounded_for_a_peer_that_never_reads() {
    let mut rig = Rig::new(200_000);
    let mut s = rig.session();
    rig.feed(&mut s, 0, &rig.handshake());
    let peer_ext = ExtendedHandshake {
        m: [("ut_metadata".into(), 7)].into(),
        ..Default::default()
    };
    rig.feed(&mut s, 1, &ext(0, peer_ext.encode()));
    let ask = ext(UT_METADATA_ID, MetadataMsg::Request { piece: 0 }.encode());
    let (mut replies, mut closed) = (0, None);
    for i in 0..1000 {
        let out = rig.feed(&mut s, 2 + i, &ask);
        replies += messages(&out)
            .iter()
            .filter(|m| matches!(m, Message::Extended { id: 7, .. }))
            .count();
        if let Some(reason) = closed_with(&out) {
            closed = Some(reason);
            break;
        }
    }
    assert_eq!(closed, Some(CloseReason::TooManyRequests));
    assert_eq!(replies, MAX_METADATA_REQUESTS as usize);
}

#[test]
fn reading_peer_is_served_as_the_buffer_drains() {
    let mut rig = Rig::new(20 * 16384);
    let cfg = SessionConfig {
        send_buffer_cap: 16384,
        ..Default::default()
    };
    let mut s = rig.session_with(cfg);
    let r = shown(&messages(&rig.feed(&mut s, 0, &rig.handshake())));
    s.set_buffered(rig.t0, 0, &mut rig.seed);
    let reqs: Vec<u8> = r.iter().take(3).flat_map(|&i| request(i, 0, 16384)).collect();
    let count = |out: &[Output]| {
        messages(out)
            .iter()
            .filter(|m| matches!(m, Message::Piece { .. }))
            .count()
    };
    let mut pieces = count(&rig.feed(&mut s, 1, &reqs));
    assert_eq!(pieces, 1, "one block fills the 16 KiB buffer");
    for ms in 2..5 {
        s.set_buffered(rig.t0 + Duration::from_millis(ms), 0, &mut rig.seed);
        pieces += count(&drain(&mut s));
    }
    assert_eq!(pieces, 3);
}

#[test]
fn timers_close_silent_peers_and_keep_alive() {
    let mut rig = Rig::new(20 * 16384);
    let cfg = SessionConfig::default();
    let mut s = rig.session();
    s.handle_timeout(rig.t0 + cfg.handshake_timeout, &mut rig.seed);
    assert_eq!(closed_with(&drain(&mut s)), Some(CloseReason::HandshakeTimeout));
    let mut s = rig.session();
    rig.feed(&mut s, 0, &rig.handshake());
    s.handle_timeout(rig.t0 + cfg.keepalive_interval, &mut rig.seed);
    assert_eq!(messages(&drain(&mut s)).last(), Some(&Message::KeepAlive));
    s.handle_timeout(rig.t0 + cfg.idle_timeout, &mut rig.seed);
    assert_eq!(closed_with(&drain(&mut s)), Some(CloseReason::Idle));
}

#[test]
fn closing_releases_holdings() {
    let mut rig = Rig::new(2 * 16384);
    let mut a = rig.session();
    let cfg = SessionConfig {
        reveal_window: 0,
        ..Default::default()
    };
    let mut b = rig.session_with(cfg);
    rig.feed(&mut b, 0, &rig.handshake());
    rig.feed(&mut b, 0, &Message::Have(0).encode());
    let to_a = shown(&messages(&rig.feed(&mut a, 0, &rig.handshake())));
    assert_eq!(to_a, vec![1], "piece 0 is held by b");
    b.close(&mut rig.seed);
    let mut c = rig.session();
    assert_eq!(shown(&messages(&rig.feed(&mut c, 0, &rig.handshake()))), vec![0]);
}
