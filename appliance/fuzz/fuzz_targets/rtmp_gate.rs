//! Fuzz target: the RTMP publish gate never panics on client bytes fed in two pieces, never
//! forwards more than it was given, and forwards everything once publishing was accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use venuebox_proto::rtmp::{PublishGate, HANDSHAKE_BYTES, RTMP_VERSION};

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    // A valid handshake in front, so the fuzzer spends its time on chunks and AMF0.
    let mut input = vec![RTMP_VERSION; HANDSHAKE_BYTES];
    input.extend_from_slice(rest);
    let cut = HANDSHAKE_BYTES + usize::from(cut).min(rest.len());
    let mut gate = PublishGate::new("testkey123");
    let mut forwarded = 0;
    let mut published = false;
    for piece in [&input[..cut], &input[cut..]] {
        match gate.feed(piece) {
            Ok(step) => {
                forwarded += step.forward.len();
                published |= step.published.is_some();
            }
            Err(_) => return,
        }
    }
    assert!(forwarded <= input.len());
    if published {
        assert_eq!(forwarded, input.len());
    }
});
