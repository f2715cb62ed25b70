//! One peer connection: waits for the browser's data channel, then moves bytes and timers
//! between it and a sans-IO [`Session`], and closes everything when the session ends.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio::time::{sleep_until, Instant};
use tracing::debug;
use venuebox_proto::session::{Output, Session, SessionConfig};
use webrtc::data::data_channel::DataChannel;
use webrtc::peer_connection::RTCPeerConnection;

use super::channel::{self, spawn_reader, Opening};

use super::segments::PeerSlot;

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
    let opening = channel::watch_open(&p.pc);
    tokio::spawn(run(p, opening));
}

async fn run(p: PeerParams, opening: Opening) {
    let mut removed = p.slot.segment().removed();
    let mut failed = opening.failed;
    let dc = tokio::select! {
        dc = opening.channel => dc.ok(),
        _ = tokio::time::sleep(p.connect_timeout) => None,
        _ = failed.wait_for(|f| *f) => None,
        _ = removed.wait_for(|r| *r) => None,
    };
    if let Some(dc) = &dc {
        drive(&p, dc.clone(), failed, removed).await;
    }
    channel::close(dc, &p.pc).await;
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

/// Awaits one write for at most `limit`: a peer that takes nothing for that long ends its
/// session, so it holds neither its slot nor stops its session's timers.
async fn write_within<T, E>(write: impl std::future::Future<Output = Result<T, E>>, limit: Duration) -> bool {
    matches!(tokio::time::timeout(limit, write).await, Ok(Ok(_)))
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
                    if !write_within(dc.write(&bytes), p.session.stall_timeout).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_write_the_peer_never_takes_ends_within_the_limit() {
        let t0 = std::time::Instant::now();
        let never = std::future::pending::<Result<usize, ()>>();
        assert!(!write_within(never, Duration::from_millis(50)).await);
        assert!(t0.elapsed() < Duration::from_secs(2));
        assert!(write_within(async { Ok::<_, ()>(5) }, Duration::from_millis(50)).await);
    }
}
