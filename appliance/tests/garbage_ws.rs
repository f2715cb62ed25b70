//! Misbehaving WebSocket clients (the swarm benchmark's `FAULT=garbage`, issue 18): many clients
//! from several loopback addresses flood `/announce` and `/signal` with broken JSON, wrong types,
//! binary, 60 KiB announces and 70 KiB frames, resetting and reconnecting, while a prober on
//! fresh connections from another address checks that `/healthz` and the playlist keep answering
//! and that nothing in the service panicked (docs/decisions/0008). The latency figures are
//! printed, not asserted.

mod common;

use common::*;
use futures_util::{SinkExt as _, StreamExt as _};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::{Bytes, Message};

/// Misbehaving clients per address, and the addresses (127.0.0.2 ..).
const CLIENTS_PER_ADDRESS: usize = 20;
const ADDRESSES: u8 = 6;
/// How long the flood lasts while the prober measures.
const FLOOD: Duration = Duration::from_secs(12);
/// Panics in this process (the service runs in it): a panic aborts the release build.
static PANICS: AtomicU64 = AtomicU64::new(0);

/// Counts every panic, then reports it as usual.
fn count_panics() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::Relaxed);
        report(info);
    }));
}

/// A probe that takes this long counts as not answered.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// A TCP connection to `to` from the local address `from`.
async fn connect_from(from: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(to).await
}

/// The `k`th garbage frame: the benchmark's kinds plus valid-JSON announces near the size cap.
fn garbage(k: usize) -> Message {
    let big_announce = || {
        let pad = "a".repeat(60 * 1024);
        format!(
            r#"{{"action":"announce","info_hash":"{}","peer_id":"x","pad":"{pad}"}}"#,
            "b".repeat(20)
        )
    };
    match k % 8 {
        0 => Message::text("not json"),
        1 => Message::text(r#"{"action":"announce","info_hash":12}"#),
        2 => Message::text(r#"{"v":1,"type":"stats","bytes_p2p":-1}"#),
        3 => Message::text(r#"{"v":9,"type":"hello"}"#),
        4 => Message::Binary(Bytes::from(vec![0xa5; 64])),
        5 => Message::text(format!(
            r#"{{"action":"announce","offers":[{}{{}}]}}"#,
            "{},".repeat(200)
        )),
        6 => Message::text(big_announce()),
        _ => Message::text("x".repeat(70 * 1024)),
    }
}

/// Frames a client sends on one connection before it resets it (RST, no closing handshake).
const FRAMES_PER_CONNECTION: usize = 12;

/// One misbehaving client: sends garbage as fast as the box takes it, resets the connection
/// after [`FRAMES_PER_CONNECTION`] frames, reconnects when closed or reset.
async fn misbehave(from: IpAddr, to: SocketAddr, path: &'static str, stop: Arc<AtomicBool>, sent: Arc<AtomicU64>) {
    let mut k = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let Ok(tcp) = connect_from(from, to).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = tcp.set_zero_linger();
        let Ok((ws, _)) = tokio_tungstenite::client_async(format!("ws://{to}{path}"), tcp).await else {
            continue;
        };
        let (mut sink, mut stream) = ws.split();
        // What the box says is read only to notice that it closed.
        let closed = tokio::spawn(async move { while let Some(Ok(_)) = stream.next().await {} });
        for _ in 0..FRAMES_PER_CONNECTION {
            if stop.load(Ordering::Relaxed) || closed.is_finished() {
                break;
            }
            k += 1;
            if sink.send(garbage(k)).await.is_err() {
                break;
            }
            sent.fetch_add(1, Ordering::Relaxed);
        }
        closed.abort();
        let _ = closed.await;
    }
}

/// GET `path` on a fresh connection: the time to the whole reply, or `None` past the timeout.
async fn probe(to: SocketAddr, path: &str) -> Option<Duration> {
    let start = Instant::now();
    let answer = async {
        let mut tcp = TcpStream::connect(to).await.ok()?;
        let req = format!("GET {path} HTTP/1.1\r\nHost: box\r\nConnection: close\r\n\r\n");
        tcp.write_all(req.as_bytes()).await.ok()?;
        let mut reply = Vec::new();
        tcp.read_to_end(&mut reply).await.ok()?;
        reply.starts_with(b"HTTP/1.1 200").then_some(())
    };
    match tokio::time::timeout(PROBE_TIMEOUT, answer).await {
        Ok(Some(())) => Some(start.elapsed()),
        _ => None,
    }
}

/// Probes `paths` in turn every 50 ms until `stop`; the latencies and the unanswered count.
async fn prober(to: SocketAddr, paths: [&'static str; 2], stop: Arc<AtomicBool>) -> (Vec<Duration>, usize) {
    let (mut answered, mut unanswered) = (Vec::new(), 0);
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        match probe(to, paths[i % 2]).await {
            Some(d) => answered.push(d),
            None => unanswered += 1,
        }
        i += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (answered, unanswered)
}

/// A runtime on threads of its own, as another machine would be: the service's runtime does
/// only the service's work, and the prober does not queue behind the clients.
fn runtime(threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .unwrap()
}

/// Floods `to` from [`ADDRESSES`] addresses for [`FLOOD`] while probing it from 127.0.0.1;
/// the probes' latencies, the unanswered probes and the frames sent.
fn flood_and_probe(to: SocketAddr) -> (Vec<Duration>, usize, u64) {
    let (clients, probes) = (runtime(2), runtime(1));
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    for a in 0..ADDRESSES {
        let from = IpAddr::from([127, 0, 0, 2 + a]);
        for c in 0..CLIENTS_PER_ADDRESS {
            let path = if c % 2 == 0 { "/announce" } else { "/signal" };
            clients.spawn(misbehave(from, to, path, stop.clone(), sent.clone()));
        }
    }
    let probing = probes.spawn(prober(to, ["/healthz", "/hls/live.m3u8"], stop.clone()));
    std::thread::sleep(FLOOD);
    stop.store(true, Ordering::Relaxed);
    let (answered, unanswered) = probes.block_on(probing).unwrap();
    clients.shutdown_timeout(Duration::from_secs(5));
    (answered, unanswered, sent.load(Ordering::Relaxed))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_keeps_answering_while_websockets_send_garbage() {
    count_panics();
    let hls = tempfile::tempdir().unwrap();
    write_atomic(hls.path(), "seg0.ts", &[0x47; 188 * 100]);
    write_atomic(hls.path(), "stream.m3u8", playlist(0, &["seg0.ts"], false).as_bytes());
    let svc = start(hls_dir_config(hls.path())).await;
    let addr = svc.addr;
    wait_for(Duration::from_secs(10), "the playlist", || async {
        (get(addr, "/hls/live.m3u8").await.status == 200).then_some(())
    })
    .await;
    let (mut answered, unanswered, sent) = tokio::task::spawn_blocking(move || flood_and_probe(addr))
        .await
        .unwrap();
    answered.sort();
    let pct = |q: f64| answered[((answered.len() as f64 * q) as usize).min(answered.len() - 1)];
    println!(
        "{} garbage frames from {} clients; {} probes answered (p50 {:?}, p99 {:?}, max {:?}), {} not within {:?}",
        sent,
        CLIENTS_PER_ADDRESS * ADDRESSES as usize,
        answered.len(),
        pct(0.5),
        pct(0.99),
        answered.last().unwrap(),
        unanswered,
        PROBE_TIMEOUT
    );
    assert!(sent > 1000, "the clients sent only {sent} frames: no flood");
    let panics = PANICS.load(Ordering::Relaxed);
    assert_eq!(
        panics, 0,
        "{panics} panics in the service (each one aborts the release build)"
    );
    assert_eq!(
        unanswered, 0,
        "HTTP probes not answered within {PROBE_TIMEOUT:?} during the flood"
    );
    let status = get(addr, "/api/status").await;
    assert_eq!(status.status, 200);
    svc.stop().await;
}
