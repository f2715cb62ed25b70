//! One tracker WebSocket: frames in to the core task, frames out from its bounded queue.
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

use super::handle::{Command, TrackerHandle};

/// Longest a write to a client may take before it counts as dead.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest the closing handshake may take.
const LINGER: Duration = Duration::from_secs(2);

/// Read buffer per tracker socket; tungstenite's 128 KiB default would cost 128 MB at 1000
/// viewers, while an announce with offers is a few KiB (larger frames are assembled anyway).
pub const READ_BUFFER_BYTES: usize = 4 * 1024;

/// WebSocket limits for tracker sockets: frames and messages up to `max_frame` bytes, small
/// buffers (many idle viewers), each message written at once.
pub fn ws_config(max_frame: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(max_frame))
        .max_frame_size(Some(max_frame))
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
}

/// Why a socket ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    ClientClosed,
    Idle,
    Error,
    DroppedByTracker,
    TrackerStopped,
}

/// Serves one accepted WebSocket from `origin` (the client's address) until it closes.
pub async fn serve_socket<S>(ws: WebSocketStream<S>, handle: TrackerHandle, origin: Option<std::net::IpAddr>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let conn = handle.next_conn_id();
    let (tx, mut rx) = mpsc::channel::<String>(handle.io.outbound_queue);
    if !handle.send(Command::Open { conn, tx, origin }).await {
        return;
    }
    handle.stats.sockets_accepted.fetch_add(1, Ordering::Relaxed);
    let (mut sink, mut stream) = ws.split();
    let end = loop {
        tokio::select! {
            msg = tokio::time::timeout(handle.io.idle_timeout, stream.next()) => {
                let cmd = match msg {
                    Err(_) => break End::Idle,
                    Ok(None) | Ok(Some(Ok(Message::Close(_)))) => break End::ClientClosed,
                    Ok(Some(Err(e))) => break ended_by(&e),
                    Ok(Some(Ok(Message::Text(t)))) => Command::Text { conn, text: t.as_str().to_owned() },
                    Ok(Some(Ok(Message::Binary(b)))) => Command::Binary { conn, len: b.len() },
                    Ok(Some(Ok(_))) => continue, // ping/pong: tungstenite answers pings itself
                };
                if !handle.send(cmd).await {
                    break End::TrackerStopped;
                }
            }
            out = rx.recv() => {
                let Some(frame) = out else { break End::DroppedByTracker };
                if write_batch(&mut sink, frame, &mut rx).await.is_err() {
                    break End::Error;
                }
            }
        }
    };
    match end {
        End::Idle => handle.stats.idle_closed.fetch_add(1, Ordering::Relaxed),
        End::Error => handle.stats.socket_errors.fetch_add(1, Ordering::Relaxed),
        _ => 0,
    };
    tracing::trace!(conn = conn.0, ?end, "tracker socket ended");
    // Closing handshake: send Close, then read until the client's Close so that unread input
    // does not make the kernel reset the connection and discard what we sent last.
    let linger = async {
        let _ = sink.close().await;
        while let Some(Ok(_)) = stream.next().await {}
    };
    let _ = tokio::time::timeout(LINGER, linger).await;
    handle.send(Command::Close { conn }).await;
}

fn ended_by(e: &WsError) -> End {
    match e {
        WsError::ConnectionClosed | WsError::AlreadyClosed => End::ClientClosed,
        _ => End::Error,
    }
}

/// Writes `first` and whatever else is queued, then flushes, within `WRITE_TIMEOUT`.
async fn write_batch<K>(sink: &mut K, first: String, rx: &mut mpsc::Receiver<String>) -> Result<(), ()>
where
    K: futures_util::Sink<Message, Error = WsError> + Unpin,
{
    let work = async {
        sink.feed(Message::text(first)).await?;
        while let Ok(next) = rx.try_recv() {
            sink.feed(Message::text(next)).await?;
        }
        sink.flush().await
    };
    match tokio::time::timeout(WRITE_TIMEOUT, work).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}
