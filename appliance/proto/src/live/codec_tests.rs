//! Codec tests: the shared byte vectors, every split of the payload type table, round trips.

use bytes::Bytes;
use proptest::prelude::*;
use serde_json::Value;

use super::codec::*;
use super::PieceBits;

const VECTORS: &str = include_str!("../../testdata/live/vectors.json");

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn num(v: &Value, k: &str) -> u64 {
    v[k].as_u64().unwrap_or_else(|| panic!("field {k} in {v}"))
}

fn key(v: &Value) -> BlockKey {
    BlockKey {
        seq: num(v, "seq"),
        piece: num(v, "piece") as u16,
        begin: num(v, "begin") as u32,
        length: num(v, "length") as u32,
    }
}

/// The message a vector's JSON describes, built independently of the decoder.
fn expected(v: &Value) -> LiveMsg {
    let seq = num(v, "seq");
    match v["type"].as_str().unwrap() {
        "have" => {
            let pieces: PieceBits = v["pieces"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_u64().unwrap() as u16)
                .collect();
            pieces.to_have(seq, num(v, "count") as u16)
        }
        "have_piece" => LiveMsg::HavePiece {
            seq,
            piece: num(v, "piece") as u16,
        },
        "request" => LiveMsg::Request(key(v)),
        "cancel" => LiveMsg::Cancel(key(v)),
        "reject" => LiveMsg::Reject(key(v)),
        "block" => LiveMsg::Block {
            seq,
            piece: num(v, "piece") as u16,
            begin: num(v, "begin") as u32,
            data: unhex(v["data_hex"].as_str().unwrap()).into(),
        },
        "gone" => LiveMsg::Gone { seq },
        other => panic!("unknown type {other} in vectors"),
    }
}

#[test]
fn shared_vectors_decode_and_reencode() {
    let vectors: Vec<Value> = serde_json::from_str(VECTORS).unwrap();
    let (mut valid, mut invalid) = (0, 0);
    for v in &vectors {
        let name = v["name"].as_str().unwrap();
        let bytes = unhex(v["hex"].as_str().unwrap());
        let got = LiveMsg::decode(&bytes);
        if let Some(code) = v.get("error").and_then(Value::as_str) {
            assert_eq!(got.map_err(|e| e.code()), Err(code), "vector {name}");
            invalid += 1;
        } else {
            let msg = got.unwrap_or_else(|e| panic!("vector {name}: {e}"));
            assert_eq!(msg, expected(&v["message"]), "vector {name}");
            assert_eq!(msg.encode(), bytes, "vector {name} re-encodes");
            assert_eq!(msg.encoded_len(), bytes.len(), "vector {name}");
            assert_eq!(msg.validate(), Ok(()), "vector {name}");
            valid += 1;
        }
    }
    assert!(valid >= 11 && invalid >= 15, "{valid} valid, {invalid} invalid vectors");
}

#[test]
fn every_error_name_has_a_vector() {
    let vectors: Vec<Value> = serde_json::from_str(VECTORS).unwrap();
    let codes: Vec<&str> = vectors.iter().filter_map(|v| v.get("error")?.as_str()).collect();
    let all = [
        LiveError::Empty,
        LiveError::UnknownType(0),
        LiveError::BadLength { kind: 1, len: 0 },
        LiveError::SpareBits,
        LiveError::TooManyPieces(0),
        LiveError::BadBlockLength(0),
        LiveError::SeqOutOfRange(0),
    ];
    for e in all {
        assert!(codes.contains(&e.code()), "no vector for {}", e.code());
    }
}

#[test]
fn check_order_follows_the_spec() {
    // Size before seq: a short `gone` with a huge seq prefix is bad_length.
    assert_eq!(LiveMsg::decode(&[7, 0xff, 0xff]).unwrap_err().code(), "bad_length");
    // have: count before the bitfield size, size before seq, seq before spare bits.
    let mut have = vec![1, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x04, 0x01];
    assert_eq!(LiveMsg::decode(&have).unwrap_err().code(), "too_many_pieces");
    have[9..11].copy_from_slice(&[0, 9]);
    assert_eq!(LiveMsg::decode(&have).unwrap_err().code(), "bad_length");
    have.extend_from_slice(&[0xff, 0xff]);
    assert_eq!(LiveMsg::decode(&have).unwrap_err().code(), "seq_out_of_range");
    have[1] = 0;
    assert_eq!(LiveMsg::decode(&have).unwrap_err().code(), "spare_bits");
    // block: data size before seq and piece.
    let block = [5, 0xff, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0];
    assert_eq!(LiveMsg::decode(&block).unwrap_err().code(), "bad_block_length");
    // request: seq, then piece, then length.
    let mut req = [3, 0xff, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(LiveMsg::decode(&req).unwrap_err().code(), "seq_out_of_range");
    req[1] = 0;
    assert_eq!(LiveMsg::decode(&req).unwrap_err().code(), "too_many_pieces");
    req[9..11].copy_from_slice(&[0, 1]);
    assert_eq!(LiveMsg::decode(&req).unwrap_err().code(), "bad_block_length");
}

#[test]
fn cancel_and_reject_lengths_are_bounded_like_requests() {
    for kind in [4u8, 6] {
        let mut p = vec![kind, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0];
        p.extend_from_slice(&(MAX_BLOCK + 1).to_be_bytes());
        assert_eq!(
            LiveMsg::decode(&p),
            Err(LiveError::BadBlockLength(MAX_BLOCK as usize + 1))
        );
    }
}

#[test]
fn decoded_block_shares_the_buffer() {
    let payload = Bytes::from(
        LiveMsg::Block {
            seq: 1,
            piece: 2,
            begin: 3,
            data: vec![9; 100].into(),
        }
        .encode(),
    );
    let Ok(LiveMsg::Block { data, .. }) = LiveMsg::decode_bytes(&payload) else {
        panic!("not a block")
    };
    assert_eq!(data.as_ptr(), payload[15..].as_ptr());
}

#[test]
fn validate_rejects_what_decode_rejects() {
    let bad = [
        LiveMsg::Gone { seq: MAX_SEQ + 1 },
        LiveMsg::HavePiece {
            seq: 0,
            piece: MAX_PIECES,
        },
        LiveMsg::Request(BlockKey {
            seq: 0,
            piece: 0,
            begin: 0,
            length: 0,
        }),
        LiveMsg::Block {
            seq: 0,
            piece: 0,
            begin: 0,
            data: Bytes::new(),
        },
        LiveMsg::Have {
            seq: 0,
            count: 9,
            bitfield: Bytes::from_static(&[0]),
        },
        LiveMsg::Have {
            seq: 0,
            count: 9,
            bitfield: Bytes::from_static(&[0, 1]),
        },
    ];
    for msg in bad {
        let err = msg.validate().unwrap_err();
        assert_eq!(LiveMsg::decode(&msg.encode()), Err(err), "{msg:?}");
    }
}

fn arb_key() -> impl Strategy<Value = BlockKey> {
    (0..=MAX_SEQ, 0..MAX_PIECES, any::<u32>(), 1..=MAX_BLOCK).prop_map(|(seq, piece, begin, length)| BlockKey {
        seq,
        piece,
        begin,
        length,
    })
}

fn arb_have() -> impl Strategy<Value = LiveMsg> {
    (
        0..=MAX_SEQ,
        0..=MAX_PIECES,
        proptest::collection::vec(0..MAX_PIECES, 0..64),
    )
        .prop_map(|(seq, count, pieces)| {
            let set: PieceBits = pieces.into_iter().filter(|p| *p < count).collect();
            set.to_have(seq, count)
        })
}

fn arb_msg() -> impl Strategy<Value = LiveMsg> {
    let block = (
        0..=MAX_SEQ,
        0..MAX_PIECES,
        any::<u32>(),
        proptest::collection::vec(any::<u8>(), 1..=MAX_BLOCK as usize),
    );
    prop_oneof![
        arb_have(),
        (0..=MAX_SEQ, 0..MAX_PIECES).prop_map(|(seq, piece)| LiveMsg::HavePiece { seq, piece }),
        arb_key().prop_map(LiveMsg::Request),
        arb_key().prop_map(LiveMsg::Cancel),
        block.prop_map(|(seq, piece, begin, data)| LiveMsg::Block {
            seq,
            piece,
            begin,
            data: data.into()
        }),
        arb_key().prop_map(LiveMsg::Reject),
        (0..=MAX_SEQ).prop_map(|seq| LiveMsg::Gone { seq }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_message_round_trips(msg in arb_msg()) {
        prop_assert_eq!(msg.validate(), Ok(()));
        let bytes = msg.encode();
        prop_assert_eq!(bytes.len(), msg.encoded_len());
        prop_assert_eq!(LiveMsg::decode(&bytes), Ok(msg));
    }

    #[test]
    fn arbitrary_payloads_never_panic_and_reencode(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(msg) = LiveMsg::decode(&bytes) {
            prop_assert_eq!(msg.encode(), bytes);
        }
    }

    #[test]
    fn piece_bits_round_trip_through_bitfields(pieces in proptest::collection::vec(0..MAX_PIECES, 0..100)) {
        let set: PieceBits = pieces.iter().copied().collect();
        prop_assert_eq!(PieceBits::from_bitfield(&set.to_bitfield(MAX_PIECES)), set);
        prop_assert_eq!(set.len(), set.iter().count());
    }
}
