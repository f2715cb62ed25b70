use proptest::prelude::*;
use sha1::{Digest, Sha1};

use super::*;
use crate::bencode::decode;

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 256) as u8).collect()
}

#[test]
fn piece_length_gives_8_to_64_pieces_for_typical_segments() {
    for len in [200_000u64, 750_000, 1_500_000, 4_000_000, 12_000_000] {
        let pieces = len.div_ceil(u64::from(piece_length_for(len)));
        assert!((8..=64).contains(&pieces), "{len} bytes -> {pieces} pieces");
    }
    assert_eq!(piece_length_for(1), MIN_PIECE_LENGTH);
    assert_eq!(piece_length_for(64 * 16384), 16384);
    assert_eq!(piece_length_for(64 * 16384 + 1), 32768);
}

#[test]
fn info_dict_matches_the_data() {
    let bytes = data(100_001);
    let t = Torrent::build("seg-00000042.ts", &bytes).unwrap();
    let info = decode(t.info_bytes()).unwrap();
    assert_eq!(info.get("length").and_then(|v| v.as_int()), Some(100_001));
    assert_eq!(
        info.get("name").and_then(|v| v.as_bytes()),
        Some(&b"seg-00000042.ts"[..])
    );
    assert_eq!(info.get("piece length").and_then(|v| v.as_int()), Some(16384));
    let pieces = info.get("pieces").and_then(|v| v.as_bytes()).unwrap();
    assert_eq!(pieces.len(), 20 * 7);
    let last: [u8; 20] = Sha1::digest(&bytes[6 * 16384..]).into();
    assert_eq!(&pieces[120..], &last);
    assert_eq!(t.info_hash().0, <[u8; 20]>::from(Sha1::digest(t.info_bytes())));
    assert_eq!(t.piece_range(6), Some(98304..100_001));
    assert_eq!(t.piece_range(7), None);
}

#[test]
fn matches_the_info_dict_captured_from_npm_bencode() {
    // testdata/wire/info.bin was encoded by npm bencode from the same four fields.
    let captured = include_bytes!("../testdata/wire/info.bin");
    let ours = Value::dict([
        ("length", Value::Int(40000)),
        ("name", Value::bytes("seg-00000042.ts")),
        ("piece length", Value::Int(16384)),
        ("pieces", Value::Bytes(vec![0xab; 60])),
    ]);
    assert_eq!(ours.encode(), captured.to_vec());
}

#[test]
fn torrent_file_and_magnet() {
    let t = Torrent::build("seg 1.ts", &data(5000)).unwrap();
    let trackers = vec!["ws://10.0.0.2:8080/announce".to_owned()];
    let file = decode(&t.torrent_file(&trackers)).unwrap();
    assert_eq!(
        file.get("announce").and_then(|v| v.as_bytes()),
        Some(trackers[0].as_bytes())
    );
    assert_eq!(file.get("info").unwrap().encode(), t.info_bytes().to_vec());
    let magnet = t.magnet(&trackers);
    let expected = format!(
        "magnet:?xt=urn:btih:{}&dn=seg%201.ts&tr=ws%3A%2F%2F10.0.0.2%3A8080%2Fannounce",
        t.info_hash().to_hex()
    );
    assert_eq!(magnet, expected);
}

#[test]
fn rejects_bad_input() {
    assert_eq!(Torrent::build("a.ts", &[]), Err(TorrentError::Empty));
    for name in ["", ".", "..", "a/b.ts", "a\\b", "nul\0"] {
        assert!(matches!(Torrent::build(name, b"x"), Err(TorrentError::InvalidName(_))));
    }
}

proptest! {
    #[test]
    fn pieces_cover_the_file(len in 1usize..400_000) {
        let t = Torrent::build("s.ts", &data(len)).unwrap();
        let mut next = 0;
        for i in 0..t.piece_count() {
            let r = t.piece_range(i).unwrap();
            prop_assert_eq!(r.start, next);
            next = r.end;
        }
        prop_assert_eq!(next, len);
        prop_assert!(t.piece_count() as u64 <= TARGET_MAX_PIECES);
    }
}
