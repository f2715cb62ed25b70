//! The publish gate against bytes ffmpeg's RTMP client sent (captured), an OBS-like sequence
//! built here, every split point, and garbage.

use super::amf0::{encode_number, encode_object, encode_string};
use super::*;
use proptest::prelude::*;

const KEY: &str = "testkey123";
/// What `ffmpeg -f flv rtmp://127.0.0.1:19352/live/testkey123` (ffmpeg 5.1) sent first.
const CAPTURED: &[u8] = include_bytes!("../../testdata/rtmp/ffmpeg51-publish-testkey123.bin");

/// Chunks one message: a type 0 chunk, then type 3 chunks of `chunk_size`.
fn chunked(csid: u8, type_id: u8, stream_id: u32, payload: &[u8], chunk_size: usize) -> Vec<u8> {
    let mut out = vec![csid];
    out.extend_from_slice(&[0, 0, 0]);
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes()[1..]);
    out.push(type_id);
    out.extend_from_slice(&stream_id.to_le_bytes());
    for (i, piece) in payload.chunks(chunk_size).enumerate() {
        if i > 0 {
            out.push(0xC0 | csid);
        }
        out.extend_from_slice(piece);
    }
    out
}

fn command(name: &str, txn: f64, stream: Option<&str>) -> Vec<u8> {
    let mut p = Vec::new();
    encode_string(&mut p, name);
    encode_number(&mut p, txn);
    if name == "connect" {
        encode_object(&mut p, &[("app", "live"), ("tcUrl", "rtmp://box:1935/live")]);
    } else {
        p.push(0x05);
    }
    if let Some(s) = stream {
        encode_string(&mut p, s);
    }
    p
}

fn handshake() -> Vec<u8> {
    let mut h = vec![RTMP_VERSION];
    h.extend((0..HANDSHAKE_BYTES - 1).map(|i| (i % 251) as u8));
    h
}

/// OBS's order: Set Chunk Size, connect, releaseStream, FCPublish, createStream, publish, then
/// a video message.
fn obs_like(key: &str, chunk_size: usize) -> Vec<u8> {
    let mut out = handshake();
    if chunk_size != 128 {
        out.extend(chunked(2, 1, 0, &(chunk_size as u32).to_be_bytes(), 128));
    }
    out.extend(chunked(3, 20, 0, &command("connect", 1.0, None), chunk_size));
    out.extend(chunked(3, 20, 0, &command("releaseStream", 2.0, Some(key)), chunk_size));
    out.extend(chunked(3, 20, 0, &command("FCPublish", 3.0, Some(key)), chunk_size));
    out.extend(chunked(3, 20, 0, &command("createStream", 4.0, None), chunk_size));
    let mut publish = command("publish", 5.0, Some(key));
    encode_string(&mut publish, "live");
    out.extend(chunked(4, 20, 1, &publish, chunk_size));
    out.extend(chunked(6, 9, 1, &[0x17; 300], chunk_size));
    out
}

/// Feeds `data` in pieces cut at `cuts`; returns everything forwarded and the publish.
fn run(gate: &mut PublishGate, data: &[u8], cuts: &[usize]) -> Result<(Vec<u8>, Option<Published>), GateError> {
    let (mut forwarded, mut published, mut from) = (Vec::new(), None, 0);
    for &to in cuts.iter().chain([data.len()].iter()) {
        let step = gate.feed(&data[from..to])?;
        forwarded.extend(step.forward);
        if step.published.is_some() {
            assert!(published.is_none(), "published twice");
            published = step.published;
        }
        from = to;
    }
    Ok((forwarded, published))
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

#[test]
fn captured_ffmpeg_publish_is_accepted_and_the_key_replaced() {
    let (fwd, published) = run(&mut PublishGate::new(KEY), CAPTURED, &[]).unwrap();
    assert_eq!(published, Some(Published { app: "live".into() }));
    assert_eq!(fwd.len(), CAPTURED.len());
    assert_eq!(count(CAPTURED, KEY.as_bytes()), 3);
    assert_eq!(count(&fwd, KEY.as_bytes()), 0);
    assert_eq!(count(&fwd, placeholder_name(KEY.len()).as_bytes()), 3);
    let changed = fwd.iter().zip(CAPTURED).filter(|(a, b)| a != b).count();
    assert!(changed <= 3 * KEY.len(), "only key bytes change: {changed}");
}

#[test]
fn captured_bytes_split_at_every_point_give_the_same_result() {
    let (whole, _) = run(&mut PublishGate::new(KEY), CAPTURED, &[]).unwrap();
    for cut in 1..CAPTURED.len() {
        let (fwd, published) = run(&mut PublishGate::new(KEY), CAPTURED, &[cut]).unwrap();
        assert_eq!(fwd, whole, "cut at {cut}");
        assert!(published.is_some());
    }
}

#[test]
fn byte_by_byte_feeding_never_forwards_an_unchecked_key() {
    let data = obs_like(KEY, 4096);
    let cuts: Vec<usize> = (1..data.len()).collect();
    let (fwd, published) = run(&mut PublishGate::new(KEY), &data, &cuts).unwrap();
    assert!(published.is_some());
    assert_eq!(fwd.len(), data.len());
    assert_eq!(count(&fwd, KEY.as_bytes()), 0);
}

#[test]
fn a_key_split_across_chunks_is_rewritten_in_every_piece() {
    let key = "k".repeat(40) + &"Z".repeat(200);
    let data = obs_like(&key, 128);
    let (fwd, published) = run(&mut PublishGate::new(&key), &data, &[]).unwrap();
    assert!(published.is_some());
    assert_eq!(count(&fwd, b"kkkkkkkkkk"), 0);
    assert_eq!(count(&fwd, b"ZZZZZZZZ"), 0);
    assert_eq!(fwd.len(), data.len());
}

#[test]
fn a_wrong_key_is_refused_without_naming_it() {
    for wrong in ["testkey12", "testkey124", "", "TESTKEY123"] {
        let data = obs_like(wrong, 4096);
        let err = run(&mut PublishGate::new(KEY), &data, &[]).unwrap_err();
        assert_eq!(err, GateError::WrongKey("releaseStream"));
        let text = err.to_string();
        assert!(
            !text.contains(KEY) && (wrong.is_empty() || !text.contains(wrong)),
            "{text}"
        );
    }
}

#[test]
fn nothing_after_the_handshake_is_forwarded_before_its_message_is_checked() {
    let data = obs_like("wrongwrong", 4096);
    let mut gate = PublishGate::new(KEY);
    let mut forwarded = Vec::new();
    for b in &data {
        match gate.feed(std::slice::from_ref(b)) {
            Ok(step) => forwarded.extend(step.forward),
            Err(_) => break,
        }
    }
    assert_eq!(count(&forwarded, b"wrongwrong"), 0);
}

/// A wrong-key `publish` whose first chunk is followed by an Abort of its chunk stream, then a
/// harmless `createStream`: a server that ignores Abort would reassemble the publish.
fn abort_split_publish(wrong: &str) -> Vec<u8> {
    let mut out = handshake();
    out.extend(chunked(3, 20, 0, &command("connect", 1.0, None), 128));
    let mut publish = command("publish", 5.0, Some(wrong));
    publish.extend(std::iter::repeat_n(0x05, 200));
    let first = chunked(4, 20, 1, &publish, 128);
    out.extend_from_slice(&first[..12 + 128]);
    out.extend(chunked(2, 2, 0, &4u32.to_be_bytes(), 128));
    out.extend(chunked(3, 20, 0, &command("createStream", 4.0, None), 128));
    out
}

#[test]
fn an_abort_before_publish_is_refused_and_nothing_of_the_aborted_message_is_forwarded() {
    let data = abort_split_publish("wrongwrong");
    for cut in 0..data.len() {
        let mut gate = PublishGate::new(KEY);
        let mut forwarded = Vec::new();
        let mut refused = None;
        for piece in [&data[..cut], &data[cut..]] {
            match gate.feed(piece) {
                Ok(step) => forwarded.extend(step.forward),
                Err(e) => {
                    refused = Some(e);
                    break;
                }
            }
        }
        assert_eq!(refused, Some(GateError::Abort), "cut {cut}");
        assert_eq!(count(&forwarded, b"wrongwrong"), 0, "cut {cut}");
    }
}

#[test]
fn garbage_is_refused_with_typed_errors() {
    let err = |data: &[u8]| run(&mut PublishGate::new(KEY), data, &[]).unwrap_err();
    assert_eq!(err(b"GET / HTTP/1.1\r\n\r\n"), GateError::NotRtmp(b'G'));
    assert_eq!(err(&[6; 10]), GateError::NotRtmp(6));
    let mut d = handshake();
    d.push(0xC3); // type 3 chunk with no previous header
    assert_eq!(err(&d), GateError::Chunk(ChunkError::NoPreviousHeader(3)));
    let mut d = handshake();
    d.extend(chunked(3, 20, 0, &command("play", 1.0, Some(KEY)), 4096));
    assert!(matches!(err(&d), GateError::UnexpectedCommand(c) if c == "play"));
    let mut d = handshake();
    d.extend(chunked(6, 9, 1, &[0x17; 10], 128));
    assert_eq!(err(&d), GateError::UnexpectedMessage(9));
    let mut d = handshake();
    d.extend([3, 0, 0, 0, 0xFF, 0xFF, 0xFF, 20, 0, 0, 0, 0]);
    assert_eq!(err(&d), GateError::Chunk(ChunkError::MessageTooLarge(0xFF_FFFF)));
    let mut d = handshake();
    d.extend(chunked(2, 1, 0, &[0, 0, 0, 0], 128));
    assert_eq!(err(&d), GateError::Chunk(ChunkError::BadChunkSize(0)));
    let mut d = handshake();
    d.extend(chunked(3, 20, 0, &command("publish", 1.0, None), 4096));
    assert_eq!(err(&d), GateError::MissingStreamName("publish"));
}

#[test]
fn endless_harmless_messages_hit_the_bound() {
    let mut d = handshake();
    for _ in 0..5000 {
        d.extend(chunked(2, 5, 0, &[0, 0, 0x10, 0], 128));
    }
    let err = run(&mut PublishGate::new(KEY), &d, &[]).unwrap_err();
    assert_eq!(err, GateError::TooMuchBeforePublish);
}

#[test]
fn after_publish_bytes_pass_through_untouched() {
    let mut gate = PublishGate::new(KEY);
    let (_, published) = run(&mut gate, &obs_like(KEY, 4096), &[]).unwrap();
    assert!(published.is_some());
    let step = gate.feed(b"anything at all").unwrap();
    assert_eq!(step.forward, b"anything at all");
    assert_eq!(step.published, None);
}

proptest! {
    #[test]
    fn random_bytes_after_a_handshake_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut d = handshake();
        d.extend(tail);
        let _ = run(&mut PublishGate::new(KEY), &d, &[]);
    }

    #[test]
    fn mutated_obs_streams_never_panic_nor_lose_bytes(i in 0usize..4000, b in any::<u8>(), cut in 1usize..4000) {
        let mut d = obs_like(KEY, 4096);
        let i = i % d.len();
        d[i] = b;
        let cut = cut % d.len();
        if let Ok((fwd, Some(_))) = run(&mut PublishGate::new(KEY), &d, &[cut]) {
            prop_assert_eq!(fwd.len(), d.len());
        }
    }
}
