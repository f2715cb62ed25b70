//! Tests of the signaling codec with the documented examples (testdata/signal), round trips and
//! bad input; and of the stats aggregator.

use super::*;
use proptest::prelude::*;

const EXAMPLES: [(&str, &str); 8] = [
    ("hello", include_str!("../../testdata/signal/hello.json")),
    ("segment", include_str!("../../testdata/signal/segment.json")),
    ("segment-fmp4", include_str!("../../testdata/signal/segment-fmp4.json")),
    (
        "discontinuity",
        include_str!("../../testdata/signal/discontinuity.json"),
    ),
    ("removed", include_str!("../../testdata/signal/removed.json")),
    ("end", include_str!("../../testdata/signal/end.json")),
    ("error", include_str!("../../testdata/signal/error.json")),
    ("stats", include_str!("../../testdata/signal/stats.json")),
];

fn same_json(a: &str, b: &str) {
    let (a, b): (serde_json::Value, serde_json::Value) =
        (serde_json::from_str(a).unwrap(), serde_json::from_str(b).unwrap());
    assert_eq!(a, b);
}

#[test]
fn documented_examples_decode_and_reencode_identically() {
    for (name, text) in EXAMPLES {
        if name == "stats" {
            let m = ClientMessage::decode(text.as_bytes()).unwrap();
            same_json(&m.encode().unwrap(), text);
        } else {
            let m = ServerMessage::decode(text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
            same_json(&m.encode().unwrap(), text);
        }
    }
}

#[test]
fn segment_example_carries_the_torrent_bytes() {
    let ServerMessage::Segment(s) = ServerMessage::decode(EXAMPLES[1].1.as_bytes()).unwrap() else {
        panic!("not a segment");
    };
    assert!(s.torrent.unwrap().as_bytes().starts_with(b"d8:announce"));
    assert_eq!(
        s.info_hash.unwrap().as_str(),
        "0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(s.url, "/hls/seg-3527381042.ts");
}

fn stats_text(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(EXAMPLES[7].1).unwrap();
    edit(&mut v);
    v.to_string()
}

#[test]
fn client_garbage_and_wrong_shapes_are_typed_errors() {
    let bad: Vec<(String, ErrorCode)> = vec![
        ("not json".into(), ErrorCode::BadMessage),
        ("[1,2]".into(), ErrorCode::BadMessage),
        ("{\"type\":\"stats\"}".into(), ErrorCode::UnsupportedVersion),
        (stats_text(|v| v["v"] = 2.into()), ErrorCode::UnsupportedVersion),
        (stats_text(|v| v["v"] = "1".into()), ErrorCode::UnsupportedVersion),
        (stats_text(|v| v["type"] = "hello".into()), ErrorCode::BadMessage),
        (stats_text(|v| v["peers"] = "4".into()), ErrorCode::BadMessage),
        (stats_text(|v| v["peers"] = (-1).into()), ErrorCode::BadMessage),
        (stats_text(|v| v["peers"] = 20_000.into()), ErrorCode::BadMessage),
        (
            stats_text(|v| v["bytes_p2p"] = (1u64 << 60).into()),
            ErrorCode::BadMessage,
        ),
        (stats_text(|v| v["buffer_secs"] = (-0.5).into()), ErrorCode::BadMessage),
        (stats_text(|v| v["latency_secs"] = 1e9.into()), ErrorCode::BadMessage),
        (stats_text(|v| v["extra"] = 1.into()), ErrorCode::BadMessage),
        (
            stats_text(|v| drop(v.as_object_mut().unwrap().remove("stalls"))),
            ErrorCode::BadMessage,
        ),
        (
            format!("{{\"v\":1,\"type\":\"stats\",\"pad\":\"{}\"}}", "x".repeat(5000)),
            ErrorCode::TooLarge,
        ),
    ];
    for (text, code) in bad {
        let err = ClientMessage::decode(text.as_bytes()).expect_err(&text[..text.len().min(80)]);
        assert_eq!(err.code(), code, "{text:.80}: {err}");
    }
}

#[test]
fn deeply_nested_json_is_rejected_without_overflow() {
    let text = format!("{}{}", "[".repeat(3000), "]".repeat(3000));
    assert!(ClientMessage::decode(text.as_bytes()).is_err());
    let text = format!(
        "{{\"v\":1,\"type\":\"stats\",\"x\":{}{}}}",
        "[".repeat(1000),
        "]".repeat(1000)
    );
    assert!(ClientMessage::decode(text.as_bytes()).is_err());
}

#[test]
fn server_messages_are_validated_both_ways() {
    let seg = || -> SegmentInfo {
        let ServerMessage::Segment(s) = ServerMessage::decode(EXAMPLES[1].1.as_bytes()).unwrap() else {
            unreachable!()
        };
        s
    };
    let mut s = seg();
    s.torrent = None;
    assert!(ServerMessage::Segment(s).encode().is_err(), "info hash without torrent");
    let mut s = seg();
    s.duration = f64::NAN;
    assert!(ServerMessage::Segment(s).encode().is_err());
    let mut s = seg();
    s.url = "javascript:alert(1)".into();
    assert!(ServerMessage::Segment(s).encode().is_err());
    let mut s = seg();
    s.r2_url = Some("/relative".into());
    assert!(ServerMessage::Segment(s).encode().is_err());
    let mut s = seg();
    s.program_date_time = Some("yesterday".into());
    assert!(ServerMessage::Segment(s).encode().is_err());
    for bad in [
        EXAMPLES[1]
            .1
            .replace("0123456789abcdef0123456789abcdef01234567", "0123"),
        EXAMPLES[1]
            .1
            .replace("0123456789abcdef0123456789abcdef01234567", &"G".repeat(40)),
        EXAMPLES[1]
            .1
            .replace("seg-3527381042.ts\",\n  \"duration", "../etc/passwd\",\n  \"duration"),
        EXAMPLES[1].1.replace("\"torrent\": \"", "\"torrent\": \"!!"),
        EXAMPLES[0].1.replace("ws://venuebox", "http://venuebox"),
    ] {
        assert!(ServerMessage::decode(bad.as_bytes()).is_err(), "{bad}");
    }
    assert!(TorrentFile::new(b"not bencode".to_vec()).is_err());
    assert!(TorrentFile::new(vec![b'd'; MAX_TORRENT_BYTES + 1]).is_err());
}

#[test]
fn hello_requires_increasing_sequences() {
    let ServerMessage::Hello(mut h) = ServerMessage::decode(EXAMPLES[0].1.as_bytes()).unwrap() else {
        unreachable!()
    };
    h.segments.push(h.segments[0].clone());
    assert!(ServerMessage::Hello(h).encode().is_err());
}

#[test]
fn hello_names_the_stream_swarm_within_bounds() {
    let ServerMessage::Hello(mut h) = ServerMessage::decode(EXAMPLES[0].1.as_bytes()).unwrap() else {
        unreachable!()
    };
    let swarm = h.swarm.clone().expect("the vector names a swarm");
    assert_eq!(swarm.neighbours, 6);
    h.swarm = Some(SwarmInfo {
        neighbours: 0,
        ..swarm.clone()
    });
    assert!(ServerMessage::Hello(h.clone()).encode().is_err());
    h.swarm = Some(SwarmInfo {
        neighbours: MAX_NEIGHBOURS + 1,
        ..swarm
    });
    assert!(ServerMessage::Hello(h.clone()).encode().is_err());
    h.swarm = None;
    let text = ServerMessage::Hello(h).encode().unwrap();
    assert!(!text.contains("swarm"), "an older hello stays as it was: {text}");
}

fn arb_stats() -> impl Strategy<Value = ViewerStats> {
    (
        0..=MAX_COUNTER,
        0..=MAX_COUNTER,
        0..=MAX_COUNTER,
        0..=MAX_PEERS,
        0.0..=MAX_SECONDS,
        proptest::option::of(0.0..=MAX_SECONDS),
        any::<u32>(),
    )
        .prop_map(|(a, b, c, peers, buffer_secs, latency_secs, stalls)| ViewerStats {
            bytes_p2p: a,
            bytes_http: b,
            bytes_r2: c,
            peers,
            buffer_secs,
            latency_secs,
            stalls,
            ..ViewerStats::default()
        })
}

fn arb_segment() -> impl Strategy<Value = SegmentInfo> {
    (
        any::<u64>(),
        "[a-z0-9][a-z0-9._-]{0,30}",
        0.001f64..3600.0,
        any::<u64>(),
        any::<bool>(),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..200)),
    )
        .prop_map(|(seq, name, duration, bytes, discontinuity, torrent)| {
            let torrent = torrent.map(|mut t| {
                t.insert(0, b'd');
                t.push(b'e');
                TorrentFile::new(t).unwrap()
            });
            SegmentInfo {
                seq,
                url: format!("/hls/{name}"),
                name: SegmentName::try_from(name).unwrap(),
                duration,
                bytes,
                discontinuity,
                program_date_time: Some("2026-11-25T13:00:00.000Z".into()),
                r2_url: Some("https://r2.example/x".into()),
                info_hash: torrent
                    .as_ref()
                    .map(|_| InfoHashHex::try_from("ab".repeat(20)).unwrap()),
                torrent,
                init: None,
            }
        })
}

proptest! {
    #[test]
    fn stats_round_trip(s in arb_stats()) {
        let m = ClientMessage::Stats(s);
        prop_assert_eq!(ClientMessage::decode(m.encode().unwrap().as_bytes()).unwrap(), m);
    }

    #[test]
    fn segment_round_trip(s in arb_segment()) {
        let m = ServerMessage::Segment(s);
        prop_assert_eq!(ServerMessage::decode(m.encode().unwrap().as_bytes()).unwrap(), m);
    }

    #[test]
    fn client_decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = ClientMessage::decode(&bytes);
        let _ = ServerMessage::decode(&bytes);
    }
}

mod aggregation;
