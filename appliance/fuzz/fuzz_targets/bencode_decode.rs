//! Fuzzes the bencode decoder: no panics, and decoded values re-encode canonically.
#![no_main]
use libfuzzer_sys::fuzz_target;
use venuebox_proto::bencode::{decode, decode_prefix};

fuzz_target!(|data: &[u8]| {
    if let Ok((value, used)) = decode_prefix(data) {
        assert!(used <= data.len());
        let canonical = value.encode();
        assert_eq!(decode(&canonical), Ok(value));
    }
});
