//! Fuzz target: the RTMP publish gate never panics on client bytes fed in two pieces, never
//! forwards more than it was given, forwards everything once publishing was accepted, and
//! before that forwards only whole checked messages: re-fed to a gate expecting the placeholder
//! name, the forwarded bytes pass and leave nothing half-parsed (an Abort never slips through).
#![no_main]

use libfuzzer_sys::fuzz_target;
use venuebox_proto::rtmp::{placeholder_name, PublishGate, HANDSHAKE_BYTES, RTMP_VERSION};

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    // A valid handshake in front, so the fuzzer spends its time on chunks and AMF0.
    let mut input = vec![RTMP_VERSION; HANDSHAKE_BYTES];
    input.extend_from_slice(rest);
    let cut = HANDSHAKE_BYTES + usize::from(cut).min(rest.len());
    let mut gate = PublishGate::new("testkey123");
    let mut forwarded = Vec::new();
    let mut published = false;
    for piece in [&input[..cut], &input[cut..]] {
        match gate.feed(piece) {
            Ok(step) => {
                forwarded.extend(step.forward);
                published |= step.published.is_some();
            }
            Err(_) => break,
        }
    }
    if !published {
        let mut again = PublishGate::new(&placeholder_name(10));
        let step = again.feed(&forwarded).expect("forwarded bytes are checked messages");
        assert!(step.published.is_none() && again.is_between_messages());
    }
    let forwarded = forwarded.len();
    assert!(forwarded <= input.len());
    if published {
        assert_eq!(forwarded, input.len());
    }
});
