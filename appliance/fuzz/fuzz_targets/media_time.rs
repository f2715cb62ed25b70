//! Fuzz target: a segment's first-timestamp readers never panic on producer bytes. The first
//! byte picks the reader: even, MPEG-TS on the rest; odd, fMP4 with the next two bytes (big
//! endian) giving the init segment's length, the segment after it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use venuebox_proto::media_time::{fmp4_first_time, ts_first_time, Continuity};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let first = if pick % 2 == 0 {
        ts_first_time(rest)
    } else {
        let len = rest
            .get(..2)
            .map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])));
        let rest = rest.get(2..).unwrap_or(&[]);
        let (init, segment) = rest.split_at(len.min(rest.len()));
        fmp4_first_time(init, segment)
    };
    let mut check = Continuity::new();
    assert!(
        !check.observe(first.clone().ok(), 2.0, 1.0),
        "the first segment is never marked"
    );
    let _ = check.observe(first.ok(), 2.0, 1.0);
});
