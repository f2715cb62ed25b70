//! The tracker inside the real service: `/announce` on the HTTP port, status and metrics, and
//! swarms dropped when their segment leaves the window.
mod common;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{client_async, WebSocketStream};
use venuebox::window::{Container, IncomingSegment};
use venuebox_proto::tracker::{Announce, AnnounceEvent, ClientMessage, Id20, Scrape, ServerMessage};

type Ws = WebSocketStream<TcpStream>;

async fn connect(addr: std::net::SocketAddr) -> Ws {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (ws, resp) = client_async(format!("ws://{addr}/announce"), tcp).await.unwrap();
    assert_eq!(resp.status(), 101);
    ws
}

async fn ask(ws: &mut Ws, msg: &ClientMessage) -> ServerMessage {
    ws.send(Message::text(msg.encode())).await.unwrap();
    let reply = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.unwrap();
    let Some(Ok(Message::Text(text))) = reply else {
        panic!("{reply:?}")
    };
    ServerMessage::decode(text.as_str()).unwrap()
}

fn started(ih: Id20, peer: Id20, left: u64) -> ClientMessage {
    ClientMessage::Announce(Announce {
        info_hash: ih,
        peer_id: peer,
        event: Some(AnnounceEvent::Started),
        numwant: None,
        uploaded: None,
        downloaded: None,
        left: Some(left),
        offers: vec![],
        answer: None,
    })
}

fn scrape_counts(reply: ServerMessage) -> (u64, u64) {
    let ServerMessage::Scrape(s) = reply else {
        panic!("{reply:?}")
    };
    (s.files[0].complete, s.files[0].incomplete)
}

fn segment(i: u8) -> IncomingSegment {
    IncomingSegment {
        source_uri: format!("s{i}.ts"),
        kind: Container::Ts,
        duration: 2.0,
        data: bytes::Bytes::from(vec![i; 1000]),
        discontinuity: false,
        program_date_time: None,
        init: None,
    }
}

#[tokio::test]
async fn announce_scrape_status_metrics_and_window_drop() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::hls_dir_config(dir.path());
    config.window.max_segments = 2;
    let svc = common::start(config).await;
    let tracker = svc.state.tracker.clone().expect("the service runs a tracker");

    // A swarm the box registers for the first segment it holds.
    svc.state.window.push(segment(1));
    let first_seq = svc.state.window.read().segments().next().unwrap().seq;
    let ih = Id20([7; 20]);
    assert!(tracker.register_swarm(ih, first_seq, 1000).await);

    let mut ws = connect(svc.addr).await;
    let ServerMessage::Announce(r) = ask(&mut ws, &started(ih, Id20([1; 20]), 1000)).await else {
        panic!()
    };
    assert_eq!(
        (r.complete, r.incomplete),
        (1, 1),
        "the box's seeder counts as a seeder"
    );
    assert_eq!(
        scrape_counts(ask(&mut ws, &ClientMessage::Scrape(Scrape::One(ih))).await),
        (1, 1)
    );

    // Figures reach /api/status and /metrics (published once a second).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let status: serde_json::Value =
            serde_json::from_slice(&common::get(svc.addr, "/api/status").await.body).unwrap();
        // Three swarms: the one registered above, the one the seeder registered for segment 1
        // and the live mesh's stream swarm.
        if status["tracker"]["peers"] == 1 && status["tracker"]["swarms"] == 3 {
            assert_eq!(status["tracker"]["announces"], 1);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{}", status["tracker"]);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let metrics = common::get(svc.addr, "/metrics").await.text();
    assert!(metrics.contains("venuebox_tracker_peers 1"), "{metrics}");
    assert!(metrics.contains("venuebox_tracker_announces_per_second"));

    // Two more segments push the first out of the window: its swarm goes with it.
    svc.state.window.push(segment(2));
    svc.state.window.push(segment(3));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let counts = scrape_counts(ask(&mut ws, &ClientMessage::Scrape(Scrape::One(ih))).await);
        if counts == (0, 0) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "swarm still there: {counts:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(ws);
    svc.stop().await;
}

#[tokio::test]
async fn plain_http_to_announce_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let svc = common::start(common::hls_dir_config(dir.path())).await;
    let reply = common::get(svc.addr, "/announce").await;
    assert_eq!(reply.status, 426);
    svc.stop().await;
}

/// A `/announce` WebSocket from the local address `from` (any 127/8 address).
async fn connect_from(from: [u8; 4], addr: std::net::SocketAddr) -> Ws {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind((from, 0).into()).unwrap();
    let tcp = socket.connect(addr).await.unwrap();
    client_async(format!("ws://{addr}/announce"), tcp).await.unwrap().0
}

#[tokio::test]
async fn another_device_cannot_take_over_a_viewers_peer_id() {
    let hls = tempfile::tempdir().unwrap();
    let svc = common::start(common::hls_dir_config(hls.path())).await;
    let (ih, victim_id) = (Id20([7; 20]), Id20(*b"-WW0100-victimvictim"));
    let mut victim = connect_from([127, 0, 0, 1], svc.addr).await;
    let mut attacker = connect_from([127, 0, 0, 9], svc.addr).await;
    assert!(matches!(
        ask(&mut victim, &started(ih, victim_id, 100)).await,
        ServerMessage::Announce(_)
    ));
    let reply = ask(&mut attacker, &started(ih, victim_id, 0)).await;
    let ServerMessage::Failure(f) = reply else {
        panic!("the takeover was accepted: {reply:?}")
    };
    assert_eq!(f.reason, "peer id in use by another client");
    let mut stopped = started(ih, victim_id, 0);
    if let ClientMessage::Announce(a) = &mut stopped {
        a.event = Some(AnnounceEvent::Stopped);
    }
    let _ = ask(&mut attacker, &stopped).await;
    let scrape = ClientMessage::Scrape(Scrape::One(ih));
    assert_eq!(
        scrape_counts(ask(&mut victim, &scrape).await),
        (0, 1),
        "the victim is still a peer"
    );
    svc.stop().await;
}
