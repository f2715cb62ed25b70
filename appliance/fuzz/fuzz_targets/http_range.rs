//! Fuzz target: `Range` resolution never panics and partial ranges stay inside the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use venuebox_proto::range::{resolve, RangeDecision};

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let len = u64::from_le_bytes(data[..8].try_into().expect("8 bytes")) % (1 << 40);
    let Ok(header) = std::str::from_utf8(&data[8..]) else { return };
    if let RangeDecision::Partial { start, end } = resolve(header, len) {
        assert!(start <= end && end < len);
    }
});
