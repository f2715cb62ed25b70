//! One peer connection: waits for the browser's data channel, then moves bytes and timers
//! between it and a sans-IO [`Session`], and closes everything when the session ends.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, watch, Notify};
use tokio::time::{sleep_until, Instant};
use tracing::debug;
use venuebox_proto::session::{Output, Session, SessionConfig};
use webrtc::data::data_channel::DataChannel;
use webrtc::peer_connection::peer_connection_state::RTCPeerConnectionState;
use webrtc::peer_connection::RTCPeerConnection;

use super::segments::PeerSlot;

/// Largest data-channel message read (bigger ones end the connection).
const READ_BUF: usize = 128 * 1024;

/// Longest wait for the data channel or the peer connection to close.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Time for the data channel's stream reset to reach the peer before the connection closes.
const RESET_GRACE: Duration = Duration::from_millis(300);

/// What a connection task needs.
pub(super) struct PeerParams {
    pub pc: Arc<RTCPeerConnection>,
    pub slot: PeerSlot,
    pub session: SessionConfig,
    pub connect_timeout: Duration,
    pub peer_id: [u8; 20],
}

/// Spawns the task that owns the connection until it ends.
pub(super) fn spawn(p: PeerParams) {
    let (dc_tx, dc_rx) = oneshot::channel();
    let dc_tx = Arc::new(Mutex::new(Some(dc_tx)));
    p.pc.on_data_channel(Box::new(move |dc| {
        let dc_tx = dc_tx.clone();
        Box::pin(async move {
            let opened = dc.clone();
            dc.on_open(Box::new(move || {
                Box::pin(async move {
                    let Ok(raw) = opened.detach().await else {
                        return;
                    };
                    if let Some(tx) = dc_tx.lock().expect("dc sender lock").take() {
                        let _ = tx.send(raw);
                    }
                })
            }));
        })
    }));
    let (failed_tx, failed_rx) = watch::channel(false);
    p.pc.on_peer_connection_state_change(Box::new(move |state| {
        use RTCPeerConnectionState::{Closed, Disconnected, Failed};
        if matches!(state, Failed | Closed | Disconnected) {
            failed_tx.send_replace(true);
        }
        Box::pin(async {})
    }));
    tokio::spawn(run(p, dc_rx, failed_rx));
}

async fn run(p: PeerParams, dc_rx: oneshot::Receiver<Arc<DataChannel>>, mut failed: watch::Receiver<bool>) {
    let mut removed = p.slot.segment().removed();
    let dc = tokio::select! {
        dc = dc_rx => dc.ok(),
        _ = tokio::time::sleep(p.connect_timeout) => None,
        _ = failed.wait_for(|f| *f) => None,
        _ = removed.wait_for(|r| *r) => None,
    };
    if let Some(dc) = dc {
        drive(&p, dc.clone(), failed, removed).await;
        let closed = tokio::time::timeout(CLOSE_TIMEOUT, dc.close()).await;
        debug!(ok = matches!(closed, Ok(Ok(()))), "data channel closed");
        // The stream reset goes out asynchronously; give it a moment before tearing down SCTP.
        tokio::time::sleep(RESET_GRACE).await;
    }
    let closed = tokio::time::timeout(CLOSE_TIMEOUT, p.pc.close()).await;
    debug!(ok = matches!(closed, Ok(Ok(()))), "peer connection closed");
}

/// Runs the session over `dc` until either side ends it.
async fn drive(
    p: &PeerParams,
    dc: Arc<DataChannel>,
    mut failed: watch::Receiver<bool>,
    mut removed: watch::Receiver<bool>,
) {
    let seg = p.slot.segment().clone();
    let now = Instant::now().into_std();
    let mut session = Session::new(now, seg.torrent.clone(), seg.data.clone(), p.peer_id, p.session.clone());
    let drained = Arc::new(Notify::new());
    dc.set_buffered_amount_low_threshold(p.session.send_buffer_cap / 2);
    let notify = drained.clone();
    dc.on_buffered_amount_low(Box::new(move || {
        notify.notify_one();
        Box::pin(async {})
    }));
    let mut incoming = spawn_reader(dc.clone());
    loop {
        let deadline = session
            .poll_timeout()
            .map_or_else(|| Instant::now() + Duration::from_secs(3600), Instant::from_std);
        let now = |_| Instant::now().into_std();
        tokio::select! {
            msg = incoming.recv() => match msg {
                Some(bytes) => seg.with_seed(|s| session.handle_input(now(()), &bytes, s)),
                None => break,
            },
            _ = sleep_until(deadline) => seg.with_seed(|s| session.handle_timeout(now(()), s)),
            _ = drained.notified() => seg.with_seed(|s| session.set_buffered(now(()), dc.buffered_amount(), s)),
            _ = failed.wait_for(|f| *f) => break,
            _ = removed.wait_for(|r| *r) => break,
        }
        if !flush(&mut session, &dc, p).await {
            return;
        }
    }
    let (shown, held) = session.progress();
    debug!(
        seq = seg.seq,
        uploaded = session.uploaded(),
        shown,
        held,
        "peer transport closed"
    );
    seg.with_seed(|s| session.close(s));
}

/// Writes the session's output; after writes, reports the buffered amount and writes what that
/// released. Returns false once the session closed.
async fn flush(session: &mut Session, dc: &DataChannel, p: &PeerParams) -> bool {
    let seg = p.slot.segment();
    loop {
        let mut wrote = false;
        while let Some(out) = session.poll_output() {
            match out {
                Output::Send(bytes) => {
                    if dc.write(&bytes).await.is_err() {
                        seg.with_seed(|s| session.close(s));
                        return false;
                    }
                    wrote = true;
                }
                Output::Close(reason) => {
                    let (shown, held) = session.progress();
                    debug!(seq = seg.seq, %reason, uploaded = session.uploaded(), shown, held, "peer session closed");
                    if reason.is_misbehaviour() {
                        seg.count_dropped();
                    }
                    return false;
                }
            }
        }
        if !wrote {
            return true;
        }
        let now = Instant::now().into_std();
        seg.with_seed(|s| session.set_buffered(now, dc.buffered_amount(), s));
    }
}

/// Reads data-channel messages into a small bounded queue until the channel ends.
fn spawn_reader(dc: Arc<DataChannel>) -> mpsc::Receiver<Bytes> {
    let (tx, rx) = mpsc::channel(8);
    tokio::spawn(async move {
        let mut buf = vec![0u8; READ_BUF];
        loop {
            match dc.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(Bytes::copy_from_slice(&buf[..n])).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}
