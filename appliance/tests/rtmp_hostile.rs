//! Hostile RTMP clients against the gate, with a real ffmpeg behind it (threat model T1, T6 in
//! docs/THREATS.md): a wrong-key `publish` split around an Abort must not reach ffmpeg, and a
//! client that connects and says nothing must not keep OBS (ffmpeg pushing) out.

mod common;

use common::*;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use venuebox::config::{IngestMode, StreamKey};
use venuebox::ingest::gate::{self, RtmpStats};
use venuebox_proto::rtmp::placeholder_name;

const WAIT: Duration = Duration::from_secs(30);

fn amf_string(out: &mut Vec<u8>, s: &str) {
    out.push(0x02);
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn amf_number(out: &mut Vec<u8>, n: f64) {
    out.push(0x00);
    out.extend_from_slice(&n.to_be_bytes());
}

fn command(name: &str, txn: f64, stream: Option<&str>) -> Vec<u8> {
    let mut p = Vec::new();
    amf_string(&mut p, name);
    amf_number(&mut p, txn);
    if name == "connect" {
        p.push(0x03);
        for (k, v) in [
            ("app", "live"),
            ("type", "nonprivate"),
            ("tcUrl", "rtmp://127.0.0.1/live"),
        ] {
            p.extend_from_slice(&(k.len() as u16).to_be_bytes());
            p.extend_from_slice(k.as_bytes());
            amf_string(&mut p, v);
        }
        p.extend_from_slice(&[0, 0, 9]);
    } else {
        p.push(0x05);
    }
    if let Some(s) = stream {
        amf_string(&mut p, s);
    }
    p
}

/// One message as a type 0 chunk and type 3 continuation chunks of 128 bytes.
fn chunked(csid: u8, type_id: u8, stream_id: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![csid, 0, 0, 0];
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes()[1..]);
    out.push(type_id);
    out.extend_from_slice(&stream_id.to_le_bytes());
    for (i, piece) in payload.chunks(128).enumerate() {
        if i > 0 {
            out.push(0xC0 | csid);
        }
        out.extend_from_slice(piece);
    }
    out
}

/// A TCP relay that records every byte going to `to`.
async fn recording_proxy(to: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let server = wait_for(WAIT, "ffmpeg to listen", || async { TcpStream::connect(to).await.ok() }).await;
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                tokio::spawn(async move { tokio::io::copy(&mut sr, &mut cw).await });
                let mut buf = vec![0u8; 65536];
                while let Ok(n) = cr.read(&mut buf).await {
                    if n == 0 || sw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    record.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            });
        }
    });
    (addr, seen)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_publish_split_around_an_abort_never_reaches_ffmpeg() {
    let (key, wrong) = ("Right-Key-31c7", "WrongKeyAbort9");
    let ffmpeg_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut ffmpeg_child = Command::new(ffmpeg())
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-listen", "1"])
        .arg("-i")
        .arg(format!("rtmp://{ffmpeg_addr}/live/{}", placeholder_name(key.len())))
        .args(["-f", "null", "-"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (proxy, seen) = recording_proxy(ffmpeg_addr).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gate_addr = listener.local_addr().unwrap();
    let stats = Arc::new(RtmpStats::new(gate_addr));
    let token = CancellationToken::new();
    tokio::spawn(gate::run(
        listener,
        proxy,
        StreamKey::new(key),
        stats.clone(),
        token.clone(),
    ));

    let mut client = TcpStream::connect(gate_addr).await.unwrap();
    let mut c0c1 = vec![3u8];
    c0c1.extend((0..1536).map(|i| (i % 251) as u8));
    client.write_all(&c0c1).await.unwrap();
    let mut s0s1s2 = vec![0u8; 1 + 1536 * 2];
    tokio::time::timeout(WAIT, client.read_exact(&mut s0s1s2))
        .await
        .unwrap()
        .unwrap();
    client.write_all(&s0s1s2[1..1537]).await.unwrap(); // C2 echoes S1
    client
        .write_all(&chunked(3, 20, 0, &command("connect", 1.0, None)))
        .await
        .unwrap();
    let seen_now = || seen.lock().unwrap().len();
    wait_for(WAIT, "connect to reach ffmpeg", || async {
        (seen_now() > 1 + 1536 * 2).then_some(())
    })
    .await;
    // The wrong-key publish, longer than one chunk; its first chunk, then an Abort of its chunk
    // stream, then a harmless message that would complete a "checked" prefix.
    let mut publish = command("publish", 5.0, Some(wrong));
    publish.extend(std::iter::repeat_n(0x05, 200));
    let first = chunked(4, 20, 1, &publish);
    let mut attack = first[..12 + 128].to_vec();
    attack.extend(chunked(2, 2, 0, &4u32.to_be_bytes()));
    attack.extend(chunked(3, 20, 0, &command("createStream", 4.0, None)));
    attack.extend_from_slice(&first[12 + 128..]);
    let _ = client.write_all(&attack).await;
    let reason = wait_for(WAIT, "the gate to refuse", || async {
        stats.last_refusal.lock().unwrap().clone()
    })
    .await;
    assert!(reason.contains("abort"), "{reason}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = seen.lock().unwrap().clone();
    let found = seen.windows(wrong.len()).any(|w| w == wrong.as_bytes());
    assert!(!found, "bytes of the aborted (unchecked) publish reached ffmpeg");
    assert_eq!(stats.publishes.load(Ordering::Relaxed), 0);
    token.cancel();
    let _ = ffmpeg_child.kill();
    let _ = ffmpeg_child.wait();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_client_does_not_keep_obs_out() {
    let dir = tempfile::tempdir().unwrap();
    let key = "Silent-Key-4e21";
    let mut c = hls_dir_config(dir.path());
    c.ingest.mode = IngestMode::Rtmp;
    c.ingest.stream_key = StreamKey::new(key);
    c.ingest.rtmp_listen = "127.0.0.1:0".parse().unwrap();
    let svc = start(c).await;
    let rtmp = svc.state.ingest.rtmp.as_ref().expect("rtmp mode has a gate").clone();
    // Two silent connections from 127.0.0.2 (the most one address may hold) and a third refused.
    let mut silent = Vec::new();
    for _ in 0..3 {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        silent.push(socket.connect(rtmp.listen).await.unwrap());
    }
    wait_for(WAIT, "the third connection refused", || async {
        (rtmp.refused_per_address.load(Ordering::Relaxed) == 1).then_some(())
    })
    .await;
    // The silent client keeps its connections; OBS (ffmpeg, from 127.0.0.1) connects.
    let mut obs = Command::new(ffmpeg())
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-re"])
        .args(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25"])
        .args([
            "-t",
            "4",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "25",
            "-f",
            "flv",
        ])
        .arg(format!("rtmp://{}/live/{key}", rtmp.listen))
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(WAIT, "OBS publishing beside a silent client", || async {
        (rtmp.publishes.load(Ordering::Relaxed) == 1).then_some(())
    })
    .await;
    let _ = obs.kill();
    let _ = obs.wait();
    drop(silent);
    svc.stop().await;
}
