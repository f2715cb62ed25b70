//! One simulated WebTorrent client: announce with offers, wait for the reply, answer offers.
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{client_async, WebSocketStream};
use venuebox_proto::tracker::{
    Announce, AnnounceEvent, Answer, ClientMessage, Id20, Offer, ServerMessage, Signal, SignalKind,
};

use crate::Args;

/// Shared counters of all clients.
#[derive(Default)]
pub struct Stats {
    ready: AtomicUsize,
    /// Announce replies received.
    pub replies: AtomicU64,
    /// Offers received (relayed by the tracker).
    pub offers: AtomicU64,
    /// Answers received.
    pub answers: AtomicU64,
    /// Failures, protocol errors, lost sockets.
    pub errors: AtomicU64,
    /// Announce -> reply latencies in microseconds.
    pub latencies: Mutex<Vec<u32>>,
    stop: AtomicBool,
}

impl Stats {
    /// Clients that got their first announce reply.
    pub fn ready(&self) -> usize {
        self.ready.load(Relaxed)
    }

    /// Tells clients to stop.
    pub fn stop(&self) {
        self.stop.store(true, Relaxed);
    }
}

fn id(kind: u8, n: u64) -> Id20 {
    let mut b = [b'x'; 20];
    b[0] = kind;
    b[4..12].copy_from_slice(&n.to_be_bytes());
    Id20(b)
}

const SDP: &str = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=candidate:1 1 udp 2122260223 198.18.0.1 50000 typ host generation 0\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0\r\na=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";

type Ws = WebSocketStream<TcpStream>;

/// Runs client `i` until stopped.
pub async fn run(i: usize, a: &Args, stats: &Stats) -> anyhow::Result<()> {
    let hostport = a
        .url
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let tcp = TcpStream::connect(&hostport).await?;
    tcp.set_nodelay(true)?;
    let (mut ws, _) = client_async(a.url.as_str(), tcp).await?;
    let me = id(b'P', i as u64);
    let ih = id(b'H', (i % a.swarms.max(1)) as u64);
    let mut seq = 0u64;
    let mut first = true;
    let period = (a.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / a.rate));
    while !stats.stop.load(Relaxed) {
        let started = Instant::now();
        let offers = (0..a.offers)
            .map(|_| {
                seq += 1;
                Offer {
                    offer_id: id(b'O', (i as u64) << 32 | seq),
                    offer: Signal::from_sdp(SignalKind::Offer, SDP),
                }
            })
            .collect();
        let event = if first { Some(AnnounceEvent::Started) } else { None };
        let left = if i.is_multiple_of(2) { 0 } else { 1_000_000 };
        let msg = announce(ih, me, event, Some(left), offers, None);
        ws.send(Message::text(msg)).await?;
        wait_reply(&mut ws, ih, me, started, stats, &mut first).await?;
        if let Some(p) = period {
            let until = tokio::time::Instant::from_std(started + p);
            while tokio::time::Instant::now() < until {
                tokio::select! {
                    _ = tokio::time::sleep_until(until) => {}
                    m = ws.next() => { handle(&mut ws, m, ih, me, stats).await?; }
                }
            }
        }
    }
    Ok(())
}

fn announce(
    ih: Id20,
    me: Id20,
    event: Option<AnnounceEvent>,
    left: Option<u64>,
    offers: Vec<Offer>,
    answer: Option<Answer>,
) -> String {
    let numwant = Some(offers.len() as u64);
    ClientMessage::Announce(Announce {
        info_hash: ih,
        peer_id: me,
        event,
        numwant,
        uploaded: Some(0),
        downloaded: Some(0),
        left,
        offers,
        answer,
    })
    .encode()
}

async fn wait_reply(
    ws: &mut Ws,
    ih: Id20,
    me: Id20,
    t0: Instant,
    stats: &Stats,
    first: &mut bool,
) -> anyhow::Result<()> {
    loop {
        let m = ws.next().await;
        if let Some(reply) = handle(ws, m, ih, me, stats).await? {
            if reply {
                let us = u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX);
                stats.latencies.lock().expect("not poisoned").push(us);
                stats.replies.fetch_add(1, Relaxed);
                if std::mem::replace(first, false) {
                    stats.ready.fetch_add(1, Relaxed);
                }
            }
            return Ok(());
        }
    }
}

/// Handles one incoming message; `Some(true)` for our announce reply, `Some(false)` for a failure.
async fn handle(
    ws: &mut Ws,
    m: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    ih: Id20,
    me: Id20,
    stats: &Stats,
) -> anyhow::Result<Option<bool>> {
    let text = match m {
        Some(Ok(Message::Text(t))) => t,
        Some(Ok(_)) => return Ok(None),
        Some(Err(e)) => {
            stats.errors.fetch_add(1, Relaxed);
            anyhow::bail!("socket: {e}")
        }
        None => {
            stats.errors.fetch_add(1, Relaxed);
            anyhow::bail!("closed")
        }
    };
    match ServerMessage::decode(text.as_str()) {
        Ok(ServerMessage::Announce(r)) if r.info_hash == ih => Ok(Some(true)),
        Ok(ServerMessage::Offer(o)) => {
            stats.offers.fetch_add(1, Relaxed);
            let answer = Answer {
                to_peer_id: o.peer_id,
                offer_id: o.offer_id,
                answer: Signal::from_sdp(SignalKind::Answer, SDP),
            };
            ws.send(Message::text(announce(
                o.info_hash,
                me,
                None,
                None,
                vec![],
                Some(answer),
            )))
            .await?;
            Ok(None)
        }
        Ok(ServerMessage::Answer(_)) => {
            stats.answers.fetch_add(1, Relaxed);
            Ok(None)
        }
        Ok(_) => Ok(None),
        Err(_) => {
            stats.errors.fetch_add(1, Relaxed);
            Ok(Some(false))
        }
    }
}
