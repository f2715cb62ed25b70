//! Frames captured from the real npm bittorrent-tracker 11.2.3 client and server
//! (tests/interop/tracker/capture-vectors.mjs) decoded and re-encoded byte for byte.
use std::path::PathBuf;

use super::*;

fn frames(scenario: &str) -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/tracker")
        .join(scenario);
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(names.len() > 10, "too few vectors in {}", dir.display());
    names
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(dir.join(&n)).unwrap();
            (n, text)
        })
        .collect()
}

fn limits() -> DecodeLimits {
    DecodeLimits::default()
}

#[test]
fn client_frames_decode_and_reencode_exactly() {
    let mut kinds = std::collections::HashSet::new();
    for (name, text) in frames("swarm").iter().filter(|(n, _)| n.contains("-c2s-")) {
        let msg = ClientMessage::decode(text, &limits()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&msg.encode(), text, "{name}");
        kinds.insert(match &msg {
            ClientMessage::Announce(a) if a.answer.is_some() => "answer".to_owned(),
            ClientMessage::Announce(a) => format!("{:?}/{}", a.event, a.offers.len()),
            ClientMessage::Scrape(Scrape::One(_)) => "scrape1".into(),
            ClientMessage::Scrape(Scrape::Many(v)) => format!("scrape{}", v.len()),
            ClientMessage::Scrape(Scrape::All) => "scrape*".into(),
        });
        // Split at every offset: no prefix is a message (the protocol is one message per frame).
        for cut in (1..text.len()).filter(|c| text.is_char_boundary(*c)).step_by(97) {
            assert!(
                ClientMessage::decode(&text[..cut], &limits()).is_err(),
                "{name} @ {cut}"
            );
        }
    }
    for want in [
        "answer",
        "Some(Started)/5",
        "Some(Completed)/0",
        "None/5",
        "scrape1",
        "scrape2",
    ] {
        assert!(kinds.contains(want), "no {want} vector in {kinds:?}");
    }
}

#[test]
fn server_frames_decode_and_reencode_exactly() {
    for scenario in ["swarm", "raw"] {
        for (name, text) in frames(scenario).iter().filter(|(n, _)| n.contains("-s2c-")) {
            let msg = ServerMessage::decode(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&msg.encode(), text, "{name}");
        }
    }
}

#[test]
fn the_peer_ids_carry_every_awkward_byte() {
    let (_, text) = &frames("swarm")[0];
    let ClientMessage::Announce(a) = ClientMessage::decode(text, &limits()).unwrap() else {
        panic!("first frame is an announce")
    };
    assert_eq!(a.info_hash.to_hex(), "00011f225c7f80c3e9ff41424344454647484950");
    assert_eq!(a.peer_id.to_hex(), "2d5757303130302d0a0d09085c22ff80c0c1c2c3");
    assert_eq!((a.left, a.uploaded, a.numwant), (Some(0), Some(0), Some(5)));
    assert_eq!(a.offers.len(), 5);
    assert!(a.offers[0].offer.sdp().starts_with("v=0\r\n"));
}

#[test]
fn bad_frames_the_reference_rejects_are_rejected_with_typed_errors() {
    use DecodeError::*;
    let expected: Vec<(&str, Option<DecodeError>)> = vec![
        ("not json", Some(NotJson)),
        ("[]", Some(NotObject)),
        ("{}", Some(InvalidAction)),
        ("{\"action\":\"frobnicate\"}", Some(InvalidAction)),
        ("\"info_hash\":\"short\"", Some(InvalidInfoHash(IdError::Length(5)))),
        ("\"peer_id\":\"0123\"", Some(InvalidPeerId(IdError::Length(4)))),
        (
            "\"peer_id\":\"01234567890123456789\",\"answer\"",
            Some(InvalidToPeerId(IdError::NotString)),
        ),
        ("exploded", Some(InvalidEvent)),
        ("\"bad\"]", Some(InvalidInfoHash(IdError::Length(3)))),
        ("\"to_peer_id\"", None),
        ("\"numwant\":0", None),
        ("{\"action\":\"scrape\"}", None),
        ("{\"action\":\"scrape\",\"info_hash\":\"01234567890123456789\"}", None),
    ];
    let mut seen = 0;
    for (name, text) in frames("raw").iter().filter(|(n, _)| n.contains("-c2s-")) {
        let (_, want) = expected
            .iter()
            .find(|(needle, _)| text.contains(needle))
            .unwrap_or_else(|| panic!("{name}: unexpected vector {text}"));
        let got = ClientMessage::decode(text, &limits()).map_err(|r| r.error);
        match want {
            Some(err) => assert_eq!(got.as_ref().err(), Some(err), "{name}: {text}"),
            None => assert!(got.is_ok(), "{name}: {got:?}"),
        }
        seen += 1;
    }
    assert_eq!(seen, expected.len());
}
