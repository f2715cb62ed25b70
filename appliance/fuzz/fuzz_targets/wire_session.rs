//! Fuzzes a seeding session with a valid handshake followed by arbitrary peer bytes, fed in
//! chunks the input chooses: the session must never panic and must stay within its limits.
#![no_main]
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use venuebox_proto::seed::SwarmSeed;
use venuebox_proto::session::{Output, Session, SessionConfig};
use venuebox_proto::torrent::Torrent;
use venuebox_proto::wire::Handshake;

fn segment() -> &'static (Arc<Torrent>, Bytes) {
    static SEG: OnceLock<(Arc<Torrent>, Bytes)> = OnceLock::new();
    SEG.get_or_init(|| {
        let data: Bytes = (0..100_000u32).map(|i| i as u8).collect::<Vec<_>>().into();
        (Arc::new(Torrent::build("seg.ts", &data).unwrap()), data)
    })
}

fuzz_target!(|data: &[u8]| {
    let (torrent, bytes) = segment();
    let t0 = Instant::now();
    let mut seed = SwarmSeed::new(torrent.piece_count());
    let mut s = Session::new(t0, torrent.clone(), bytes.clone(), [1; 20], SessionConfig::default());
    let hs = Handshake::new(torrent.info_hash(), [2; 20]).encode();
    s.handle_input(t0, &hs, &mut seed);
    let mut sent = 0usize;
    for (i, chunk) in data.chunks(37).enumerate() {
        let now = t0 + Duration::from_millis(i as u64 * 300);
        s.handle_input(now, chunk, &mut seed);
        s.handle_timeout(now, &mut seed);
        while let Some(out) = s.poll_output() {
            if let Output::Send(b) = out {
                sent += b.len();
            }
        }
        s.set_buffered(now, 0, &mut seed);
    }
    assert!(sent < 64 * 1024 * 1024);
});
