//! Fuzzes the decoder of viewers' signaling messages: never panics; what decodes re-encodes
//! and decodes to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use venuebox_proto::signal::ClientMessage;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = ClientMessage::decode(data) {
        let text = msg.encode().expect("a decoded message re-encodes");
        assert_eq!(ClientMessage::decode(text.as_bytes()).expect("and decodes"), msg);
    }
});
