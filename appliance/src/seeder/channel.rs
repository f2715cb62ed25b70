//! Waiting for the browser's data channel on an answered peer connection, and reading it: the
//! edge shared by per-segment peers ([`super::peer`]) and mesh links ([`super::mesh`]).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, watch};
use webrtc::data::data_channel::DataChannel;
use webrtc::peer_connection::peer_connection_state::RTCPeerConnectionState;
use webrtc::peer_connection::RTCPeerConnection;

/// Largest data-channel message read (bigger ones end the connection).
const READ_BUF: usize = 128 * 1024;

/// Longest wait for the data channel or the peer connection to close.
pub(super) const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Time for the data channel's stream reset to reach the peer before the connection closes.
pub(super) const RESET_GRACE: Duration = Duration::from_millis(300);

/// The detached data channel once the browser opened it, and a flag set when the peer
/// connection failed or closed.
pub(super) struct Opening {
    /// Fires once with the open, detached channel.
    pub channel: oneshot::Receiver<Arc<DataChannel>>,
    /// Becomes true when the connection failed, closed or disconnected.
    pub failed: watch::Receiver<bool>,
}

/// Hooks `pc` so that its first data channel, once open, is handed over detached.
pub(super) fn watch_open(pc: &RTCPeerConnection) -> Opening {
    let (dc_tx, dc_rx) = oneshot::channel();
    let dc_tx = Arc::new(Mutex::new(Some(dc_tx)));
    pc.on_data_channel(Box::new(move |dc| {
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
    pc.on_peer_connection_state_change(Box::new(move |state| {
        use RTCPeerConnectionState::{Closed, Disconnected, Failed};
        if matches!(state, Failed | Closed | Disconnected) {
            failed_tx.send_replace(true);
        }
        Box::pin(async {})
    }));
    Opening {
        channel: dc_rx,
        failed: failed_rx,
    }
}

/// Reads data-channel messages into a small bounded queue until the channel ends.
pub(super) fn spawn_reader(dc: Arc<DataChannel>) -> mpsc::Receiver<Bytes> {
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

/// Closes the channel (if any) and then the connection, each within [`CLOSE_TIMEOUT`].
pub(super) async fn close(dc: Option<Arc<DataChannel>>, pc: &RTCPeerConnection) {
    if let Some(dc) = dc {
        let closed = tokio::time::timeout(CLOSE_TIMEOUT, dc.close()).await;
        tracing::debug!(ok = matches!(closed, Ok(Ok(()))), "data channel closed");
        // The stream reset goes out asynchronously; give it a moment before tearing down SCTP.
        tokio::time::sleep(RESET_GRACE).await;
    }
    let closed = tokio::time::timeout(CLOSE_TIMEOUT, pc.close()).await;
    tracing::debug!(ok = matches!(closed, Ok(Ok(()))), "peer connection closed");
}
