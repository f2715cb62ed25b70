use bytes::Bytes;
use proptest::prelude::*;
use serde_json::Value as Json;

use super::*;
use crate::torrent::InfoHash;

const MAX: u32 = 64 * 1024;

fn vector(name: &str) -> Vec<u8> {
    let path = format!("{}/testdata/wire/{name}.bin", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn manifest() -> Vec<Json> {
    let path = format!("{}/testdata/wire/manifest.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str::<Json>(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn num(entry: &Json, key: &str) -> u32 {
    entry[key].as_u64().unwrap_or_else(|| panic!("{key} in {entry}")) as u32
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// What the capture script made bittorrent-protocol send for each vector.
fn expected(entry: &Json) -> Option<Message> {
    let block = || BlockRef {
        index: num(entry, "index"),
        begin: num(entry, "begin"),
        length: num(entry, "length"),
    };
    Some(match entry["name"].as_str().unwrap() {
        "keep_alive" => Message::KeepAlive,
        "choke" => Message::Choke,
        "unchoke" => Message::Unchoke,
        "interested" => Message::Interested,
        "not_interested" => Message::NotInterested,
        "have" | "have_big" => Message::Have(num(entry, "index")),
        "bitfield" => Message::Bitfield(unhex(entry["bits"].as_str().unwrap()).into()),
        "request" => Message::Request(block()),
        "cancel" => Message::Cancel(block()),
        "reject" => Message::RejectRequest(block()),
        "piece" => {
            let modulo = num(entry, "block_mod");
            let data: Vec<u8> = (0..num(entry, "block_len")).map(|i| (i % modulo) as u8).collect();
            Message::Piece {
                index: num(entry, "index"),
                begin: num(entry, "begin"),
                block: data.into(),
            }
        }
        "port" => Message::Port(num(entry, "port") as u16),
        "have_all" => Message::HaveAll,
        "have_none" => Message::HaveNone,
        "suggest" => Message::SuggestPiece(num(entry, "index")),
        "allowed_fast" => Message::AllowedFast(num(entry, "index")),
        "extended_custom" => Message::Extended {
            id: num(entry, "ext_id") as u8,
            payload: Bytes::from(entry["dict"].as_str().unwrap().as_bytes().to_vec()),
        },
        _ => return None,
    })
}

#[test]
fn captured_messages_decode_and_reencode_identically() {
    let mut checked = 0;
    let entries = manifest();
    for entry in entries.iter().cloned() {
        let Some(msg) = expected(&entry) else {
            continue;
        };
        let bytes = vector(entry["name"].as_str().unwrap());
        assert_eq!(Message::decode(&bytes, MAX), Ok((msg.clone(), bytes.len())), "{entry}");
        assert_eq!(msg.encode(), bytes, "{entry}");
        checked += 1;
    }
    assert_eq!(checked, entries.len() - 2, "all but handshake and ut_metadata_data");
}

#[test]
fn captured_handshake_and_extended_handshake() {
    let entry = manifest().into_iter().find(|e| e["name"] == "handshake").unwrap();
    let bytes = vector("handshake");
    let (hs, used) = Handshake::decode(&bytes).unwrap();
    assert_eq!(hs.info_hash.to_hex(), entry["info_hash"].as_str().unwrap());
    assert_eq!(hs.peer_id.to_vec(), unhex(entry["peer_id"].as_str().unwrap()));
    assert_eq!(hs.reserved.to_vec(), unhex(entry["reserved"].as_str().unwrap()));
    assert!(hs.extended() && hs.fast());
    assert_eq!(hs.encode().to_vec(), bytes[..used].to_vec());
    let (msg, _) = Message::decode(&bytes[used..], MAX).unwrap();
    let Message::Extended { id: 0, payload } = msg else {
        panic!("{msg:?}")
    };
    let ext = ExtendedHandshake::decode(&payload).unwrap();
    assert_eq!(ext.m.get("ut_metadata"), Some(&1));
    let info_len = vector("info").len() as u64;
    assert_eq!(ext.metadata_size, Some(info_len));
    assert_eq!(ext.encode(), payload.to_vec());
}

#[test]
fn captured_ut_metadata_data() {
    let bytes = vector("ut_metadata_data");
    let (msg, _) = Message::decode(&bytes, MAX).unwrap();
    let Message::Extended { id: 3, payload } = msg else {
        panic!("{msg:?}")
    };
    let info = vector("info");
    let want = MetadataMsg::Data {
        piece: 0,
        total_size: info.len() as u64,
        data: info.into(),
    };
    assert_eq!(MetadataMsg::decode(&payload).unwrap(), want);
    assert_eq!(want.encode(), payload.to_vec());
}

/// Decodes a stream (handshake then messages) the way the session does.
fn decode_stream(buf: &[u8]) -> Result<(Option<Handshake>, Vec<Message>, usize), WireError> {
    let mut pos;
    let hs = match Handshake::decode(buf) {
        Ok((hs, used)) => {
            pos = used;
            Some(hs)
        }
        Err(WireError::Incomplete) => return Ok((None, vec![], 0)),
        Err(e) => return Err(e),
    };
    let mut msgs = vec![];
    loop {
        match Message::decode(&buf[pos..], MAX) {
            Ok((m, used)) => {
                msgs.push(m);
                pos += used;
            }
            Err(WireError::Incomplete) => return Ok((hs, msgs, pos)),
            Err(e) => return Err(e),
        }
    }
}

#[test]
fn stream_split_at_every_offset_decodes_the_same() {
    let mut stream = vector("handshake");
    for name in [
        "unchoke",
        "have",
        "bitfield",
        "request",
        "piece",
        "ut_metadata_data",
        "keep_alive",
    ] {
        stream.extend(vector(name));
    }
    let whole = decode_stream(&stream).unwrap();
    assert_eq!(whole.1.len(), 8, "extended handshake and 7 messages");
    for cut in 0..stream.len() {
        let (hs, first, used) = decode_stream(&stream[..cut]).unwrap();
        let mut rest = stream[used..].to_vec();
        let mut msgs = first;
        if hs.is_none() {
            let (h, m, _) = decode_stream(&rest).unwrap();
            assert_eq!(h, whole.0);
            msgs = m;
        } else {
            while let Ok((m, n)) = Message::decode(&rest, MAX) {
                msgs.push(m);
                rest.drain(..n);
            }
        }
        assert_eq!(msgs, whole.1, "cut at {cut}");
    }
}

#[test]
fn garbage_is_malformed_not_incomplete() {
    assert_eq!(Handshake::decode(b"GET / HTTP/1.1"), Err(WireError::BadProtocol));
    assert_eq!(Handshake::decode(b"\x13BitTorrent"), Err(WireError::Incomplete));
    assert_eq!(Handshake::decode(b"\x13BitTorrent pro"), Err(WireError::Incomplete));
    assert_eq!(Handshake::decode(b"\x13BitTorrent Pro"), Err(WireError::BadProtocol));
    assert_eq!(
        Message::decode(&[0, 1, 0, 1, 7], MAX),
        Err(WireError::TooLong { len: 65537, max: MAX })
    );
    assert_eq!(
        Message::decode(&[0, 0, 0, 2, 0, 0], MAX),
        Err(WireError::BadLength { id: 0, len: 2 })
    );
    assert_eq!(
        Message::decode(&[0, 0, 0, 3, 4, 0, 0], MAX),
        Err(WireError::BadLength { id: 4, len: 3 })
    );
    assert_eq!(
        Message::decode(&[0, 0, 0, 1, 20], MAX),
        Err(WireError::BadLength { id: 20, len: 1 })
    );
    assert!(ExtendedHandshake::decode(b"i1e").is_err());
    assert!(ExtendedHandshake::decode(b"d1:mi1ee").is_err());
    assert!(MetadataMsg::decode(b"d8:msg_typei9e5:piecei0ee").is_err());
    assert!(MetadataMsg::decode(b"d8:msg_typei1e5:piecei0ee").is_err());
    assert!(MetadataMsg::decode(b"garbage").is_err());
}

fn arb_block() -> impl Strategy<Value = BlockRef> {
    (any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(index, begin, length)| BlockRef { index, begin, length })
}

fn arb_message() -> impl Strategy<Value = Message> {
    let bytes = || proptest::collection::vec(any::<u8>(), 0..64).prop_map(Bytes::from);
    prop_oneof![
        Just(Message::KeepAlive),
        Just(Message::Choke),
        Just(Message::Unchoke),
        Just(Message::Interested),
        Just(Message::NotInterested),
        Just(Message::HaveAll),
        Just(Message::HaveNone),
        any::<u32>().prop_map(Message::Have),
        any::<u32>().prop_map(Message::SuggestPiece),
        any::<u32>().prop_map(Message::AllowedFast),
        any::<u16>().prop_map(Message::Port),
        bytes().prop_map(Message::Bitfield),
        arb_block().prop_map(Message::Request),
        arb_block().prop_map(Message::Cancel),
        arb_block().prop_map(Message::RejectRequest),
        (any::<u32>(), any::<u32>(), bytes()).prop_map(|(index, begin, block)| Message::Piece { index, begin, block }),
        (any::<u8>(), bytes()).prop_map(|(id, payload)| Message::Extended { id, payload }),
        (21u8..=255, 1u32..64).prop_map(|(id, len)| Message::Unknown { id, len }),
    ]
}

proptest! {
    #[test]
    fn messages_round_trip_and_split(msg in arb_message()) {
        let bytes = msg.encode();
        prop_assert_eq!(Message::decode(&bytes, MAX), Ok((msg, bytes.len())));
        for cut in 0..bytes.len() {
            prop_assert_eq!(Message::decode(&bytes[..cut], MAX), Err(WireError::Incomplete));
        }
    }

    #[test]
    fn handshakes_round_trip(reserved in any::<[u8; 8]>(), ih in any::<[u8; 20]>(), id in any::<[u8; 20]>()) {
        let hs = Handshake { reserved, info_hash: InfoHash(ih), peer_id: id };
        prop_assert_eq!(Handshake::decode(&hs.encode()), Ok((hs, HANDSHAKE_LEN)));
    }

    #[test]
    fn extended_round_trips(m in proptest::collection::btree_map("[a-z_]{1,12}", any::<u8>(), 0..4),
                            size in proptest::option::of(0u64..1 << 40), reqq in proptest::option::of(any::<u32>()),
                            piece in any::<u32>(), data in proptest::collection::vec(any::<u8>(), 0..40)) {
        let hs = ExtendedHandshake { m, metadata_size: size, reqq, v: Some("VenueBox".into()) };
        prop_assert_eq!(ExtendedHandshake::decode(&hs.encode()), Ok(hs));
        for msg in [MetadataMsg::Request { piece }, MetadataMsg::Reject { piece },
                    MetadataMsg::Data { piece, total_size: data.len() as u64, data: data.clone().into() }] {
            prop_assert_eq!(MetadataMsg::decode(&msg.encode()), Ok(msg));
        }
    }

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
        let _ = Handshake::decode(&bytes);
        let _ = Message::decode(&bytes, MAX);
        let _ = ExtendedHandshake::decode(&bytes);
        let _ = MetadataMsg::decode(&bytes);
    }
}
