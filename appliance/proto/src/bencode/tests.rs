use proptest::prelude::*;

use super::*;

#[test]
fn decodes_each_kind() {
    assert_eq!(decode(b"i-42e").unwrap(), Value::Int(-42));
    assert_eq!(decode(b"4:spam").unwrap(), Value::bytes("spam"));
    assert_eq!(decode(b"0:").unwrap(), Value::bytes(""));
    let list = decode(b"l4:spami7ee").unwrap();
    assert_eq!(list, Value::List(vec![Value::bytes("spam"), Value::Int(7)]));
    let dict = decode(b"d3:cow3:moo4:spam4:eggse").unwrap();
    assert_eq!(dict.get("cow"), Some(&Value::bytes("moo")));
    assert_eq!(dict.get("spam").and_then(Value::as_bytes), Some(&b"eggs"[..]));
}

#[test]
fn prefix_reports_bytes_used() {
    let (v, used) = decode_prefix(b"d1:ai1eeTRAILER").unwrap();
    assert_eq!(used, 8);
    assert_eq!(v.get("a").and_then(Value::as_int), Some(1));
    assert_eq!(decode(b"i1eX"), Err(DecodeError::TrailingBytes { count: 1 }));
}

#[test]
fn truncated_input_is_incomplete() {
    let full = b"d4:infod6:lengthi40000e4:name3:abcee";
    for cut in 0..full.len() {
        assert_eq!(decode_prefix(&full[..cut]), Err(DecodeError::Incomplete), "cut {cut}");
    }
    assert!(decode(full).is_ok());
}

#[test]
fn malformed_input_is_rejected() {
    let bad: &[&[u8]] = &[
        b"i01e",
        b"i-0e",
        b"ie",
        b"i-e",
        b"i1x2e",
        b"01:a",
        b"x",
        b"d1:a",
        b"di1ei2ee",
        b"d1:ai1e1:ai2ee",
        b"i99999999999999999999e",
        b"e",
        b"-1:a",
    ];
    for input in bad {
        let err = decode(input).unwrap_err();
        let incomplete_ok = *input == b"d1:a";
        assert!(incomplete_ok || err != DecodeError::Incomplete, "{input:?}: {err}");
    }
    assert_eq!(decode(b"d1:ai1e1:ai2ee"), Err(DecodeError::DuplicateKey { at: 7 }));
}

#[test]
fn nesting_is_bounded() {
    let deep = [vec![b'l'; MAX_DEPTH + 1], vec![b'e'; MAX_DEPTH + 1]].concat();
    assert_eq!(decode(&deep), Err(DecodeError::TooDeep { at: MAX_DEPTH }));
    let ok = [vec![b'l'; MAX_DEPTH], vec![b'e'; MAX_DEPTH]].concat();
    assert!(decode(&ok).is_ok());
}

#[test]
fn unsorted_keys_are_accepted_and_reencoded_sorted() {
    let v = decode(b"d1:bi2e1:ai1ee").unwrap();
    assert_eq!(v.encode(), b"d1:ai1e1:bi2ee");
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(Value::Int),
        proptest::collection::vec(any::<u8>(), 0..24).prop_map(Value::Bytes),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
            proptest::collection::btree_map(proptest::collection::vec(any::<u8>(), 0..8), inner, 0..6)
                .prop_map(Value::Dict),
        ]
    })
}

proptest! {
    #[test]
    fn round_trips(v in arb_value()) {
        let bytes = v.encode();
        prop_assert_eq!(decode(&bytes), Ok(v));
        for cut in 0..bytes.len() {
            prop_assert_eq!(decode_prefix(&bytes[..cut]), Err(DecodeError::Incomplete));
        }
    }

    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = decode(&bytes);
    }
}
