//! Fuzzes the swarm core: frames from a few connections (split on 0xff bytes; the byte after
//! each 0xff picks the connection and the time step) must never panic it.
#![no_main]
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use venuebox_proto::tracker::{ConnId, Frame, Registration, Tracker, TrackerConfig, Id20};

fuzz_target!(|data: &[u8]| {
    let mut now = Instant::now();
    let mut t = Tracker::new(TrackerConfig::default());
    let ih = Id20::from_binary_str("01234567890123456789").expect("20 chars");
    let _ = t.register_swarm(now, ih, Registration { segment: 1, length: 1000 });
    for c in 0..4 {
        t.open(now, ConnId(c));
    }
    for chunk in data.split(|b| *b == 0xff) {
        let Some((&ctl, body)) = chunk.split_first() else { continue };
        let conn = ConnId(u64::from(ctl & 3));
        now += Duration::from_millis(u64::from(ctl >> 2) * 100);
        match std::str::from_utf8(body) {
            Ok(text) => t.handle_frame(now, conn, Frame::Text(text)),
            Err(_) => t.handle_frame(now, conn, Frame::Binary(body.len())),
        }
        if ctl == 0xfe {
            t.close(conn);
            t.open(now, conn);
        }
        t.handle_timeout(now);
        while t.poll_output().is_some() {}
    }
    if data.len() % 7 == 0 {
        t.drop_segment(1);
    }
});
