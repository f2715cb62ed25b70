//! Fuzzes the decoder of the box's signaling messages (what viewers and tests run): never
//! panics; what decodes re-encodes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use venuebox_proto::signal::ServerMessage;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = ServerMessage::decode(data) {
        msg.encode().expect("a decoded message re-encodes");
    }
});
