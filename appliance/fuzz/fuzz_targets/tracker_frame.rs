//! Fuzzes the tracker codecs: any text must decode to a message or a typed error, never panic;
//! whatever decodes must re-encode to text that decodes to the same message.
#![no_main]
use libfuzzer_sys::fuzz_target;
use venuebox_proto::tracker::{ClientMessage, DecodeLimits, ServerMessage};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let limits = DecodeLimits::default();
    if let Ok(m) = ClientMessage::decode(text, &limits) {
        assert_eq!(ClientMessage::decode(&m.encode(), &limits), Ok(m));
    }
    if let Ok(m) = ServerMessage::decode(text) {
        assert_eq!(ServerMessage::decode(&m.encode()), Ok(m));
    }
});
