//! Fuzzes the live mesh wire: any payload decodes to a message that re-encodes to the same bytes
//! or to a typed error; a link fed a valid handshake then arbitrary bytes, in chunks the input
//! chooses, never panics and keeps its request bounds; a link fed raw bytes never panics.
#![no_main]
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use venuebox_proto::live::link::{Link, LinkConfig, Output, LOCAL_LIVE_ID};
use venuebox_proto::live::LiveMsg;
use venuebox_proto::torrent::InfoHash;
use venuebox_proto::wire::{ExtendedHandshake, Handshake, Message};

const HASH: InfoHash = InfoHash([7; 20]);

fn peer_prefix() -> Vec<u8> {
    let mut bytes = Handshake::new(HASH, [2; 20]).encode().to_vec();
    let ext = ExtendedHandshake {
        m: [("vb_live".to_owned(), 3)].into(),
        ..Default::default()
    };
    bytes.extend(
        Message::Extended {
            id: 0,
            payload: ext.encode().into(),
        }
        .encode(),
    );
    bytes
}

/// Feeds `data` in chunks sized by the data itself; answers requests; drains everything.
fn drive(link: &mut Link, t0: Instant, data: &[u8]) {
    let mut rest = data;
    let mut i = 0u64;
    while !rest.is_empty() {
        let n = (usize::from(rest[0]) % 61 + 1).min(rest.len());
        let now = t0 + Duration::from_millis(i * 700);
        link.handle_input(now, &rest[..n]);
        rest = &rest[n..];
        i += 1;
        while let Some(out) = link.poll_output() {
            if let Output::Live(LiveMsg::Request(k)) = out {
                let data = vec![0; k.length as usize].into();
                let _ = link.send(
                    now,
                    LiveMsg::Block {
                        seq: k.seq,
                        piece: k.piece,
                        begin: k.begin,
                        data,
                    },
                );
            }
        }
        let (incoming, outgoing) = link.outstanding();
        assert!(incoming <= 32 && outgoing <= 32);
        link.on_transport_drained(now, if i % 3 == 0 { 0 } else { link.queued() });
        link.handle_timeout(now);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = LiveMsg::decode(data) {
        assert_eq!(msg.encode(), data);
        assert_eq!(msg.validate(), Ok(()));
    }
    let t0 = Instant::now();
    let mut framed = peer_prefix();
    framed.extend(
        Message::Extended {
            id: LOCAL_LIVE_ID,
            payload: data.to_vec().into(),
        }
        .encode(),
    );
    framed.extend_from_slice(data);
    let mut link = Link::new(t0, HASH, [1; 20], LinkConfig::default());
    drive(&mut link, t0, &framed);
    let mut raw = Link::new(t0, HASH, [1; 20], LinkConfig::default());
    drive(&mut raw, t0, data);
});
