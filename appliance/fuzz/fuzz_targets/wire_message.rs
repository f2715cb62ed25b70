//! Fuzzes the wire decoders: handshake, messages, extended handshake and ut_metadata payloads;
//! whatever decodes must re-encode to bytes that decode to the same value.
#![no_main]
use libfuzzer_sys::fuzz_target;
use venuebox_proto::wire::{ExtendedHandshake, Handshake, Message, MetadataMsg};

fuzz_target!(|data: &[u8]| {
    if let Ok((hs, _)) = Handshake::decode(data) {
        assert_eq!(Handshake::decode(&hs.encode()).map(|(h, _)| h), Ok(hs));
    }
    if let Ok((msg, used)) = Message::decode(data, 1 << 16) {
        assert!(used <= data.len());
        assert_eq!(Message::decode(&msg.encode(), 1 << 16).map(|(m, _)| m), Ok(msg));
    }
    if let Ok(ext) = ExtendedHandshake::decode(data) {
        assert_eq!(ExtendedHandshake::decode(&ext.encode()), Ok(ext));
    }
    if let Ok(msg) = MetadataMsg::decode(data) {
        assert_eq!(MetadataMsg::decode(&msg.encode()), Ok(msg));
    }
});
