//! One viewer's signaling connection: hello, then the hub's frames through a bounded queue;
//! stats reports in, validated, rate-limited and aggregated.
//!
//! A reader loop owns the socket's read half and the hub subscription; a writer task owns the
//! write half and drains a bounded queue with a per-message timeout. A viewer whose queue is full,
//! who falls [`super::hub::FANOUT_BUFFER`] frames behind, or whose socket does not take a message
//! within [`WRITE_TIMEOUT`] is dropped: nothing is ever buffered without limit.

use super::hub::Frame;
use super::{SignalCounters, SignalHub};
use crate::web::respond::Body;
use crate::web::ws::{self, WebSocket};
use futures_util::{SinkExt as _, StreamExt as _};
use hyper::body::Incoming;
use hyper::{Request, Response};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use venuebox_proto::signal::{ClientId, ClientMessage, ErrorCode, ErrorInfo, ServerMessage, SignalError, StreamState};

/// A message not taken by the viewer's socket within this time drops the viewer.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Frames above this size close the socket outright (tungstenite limit); between
/// [`venuebox_proto::signal::MAX_CLIENT_MESSAGE_BYTES`] and this, the viewer gets a `too_large` error.
pub const MAX_FRAME_BYTES: usize = 64 << 10;
/// Rejected messages after which the socket is closed (policy violation).
pub const MAX_VIOLATIONS: u32 = 20;

/// Answers `GET /signal`: upgrades and spawns the connection.
pub fn upgrade(mut req: Request<Incoming>, hub: Arc<SignalHub>, stream_state: StreamState) -> Response<Body> {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES))
        .read_buffer_size(crate::tracker::READ_BUFFER_BYTES)
        .write_buffer_size(0);
    let tracker_url = tracker_url(req.headers());
    let accepted = match ws::accept(&mut req, config) {
        Ok(a) => a,
        Err(resp) => return *resp,
    };
    tokio::spawn(async move {
        if let Some(socket) = accepted.socket.await {
            serve(socket, hub, tracker_url, stream_state).await;
        }
    });
    accepted.response
}

/// `ws://<Host>/announce`, with the request's Host when it is a plausible host[:port].
pub fn tracker_url(headers: &hyper::HeaderMap) -> String {
    let host = headers
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty() && h.len() <= 255 && h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("venuebox.local");
    format!("ws://{host}/announce")
}

/// Runs one connection to its end.
pub async fn serve(socket: WebSocket, hub: Arc<SignalHub>, tracker_url: String, state: StreamState) {
    let (sink, stream) = socket.split();
    let (out_tx, out_rx) = mpsc::channel(hub.settings.outbound_queue);
    let mut writer = tokio::spawn(write_loop(sink, out_rx));
    let Some(client) = hub.join() else {
        SignalCounters::bump(&hub.counters.refused_full);
        let _ = out_tx.try_send(error_message(
            ErrorCode::ServerFull,
            "too many viewers; try again later",
        ));
        let _ = out_tx.try_send(close(CloseCode::Again, "server full"));
        drop(out_tx);
        let _ = tokio::time::timeout(WRITE_TIMEOUT, writer).await;
        return;
    };
    SignalCounters::bump(&hub.counters.connections);
    let (hello, frames) = hub
        .announcer
        .subscribe(tracker_url, state, hub.settings.stats_interval_secs);
    let mut conn = Conn {
        hub: hub.clone(),
        client,
        out: out_tx,
        violations: 0,
    };
    match hello.encode() {
        Ok(text) => {
            conn.send(Message::Text(Utf8Bytes::from(text)));
        }
        Err(e) => {
            tracing::error!(error = %e, "hello failed validation");
            conn.send(close(CloseCode::Error, "internal error"));
        }
    }
    // A writer that ended first (the client reset the socket or stopped reading) has been
    // awaited already: awaiting its handle again panics, which aborts the release build.
    let writer_ended = tokio::select! {
        _ = conn.run(stream, frames) => false,
        _ = &mut writer => true,
    };
    hub.stats().leave(client);
    drop(conn);
    if !writer_ended {
        let _ = tokio::time::timeout(WRITE_TIMEOUT, writer).await;
    }
}

struct Conn {
    hub: Arc<SignalHub>,
    client: ClientId,
    out: mpsc::Sender<Message>,
    violations: u32,
}

type Reader = futures_util::stream::SplitStream<WebSocket>;

impl Conn {
    /// Queues a message; `false` (and the viewer counted as slow) when the queue is full.
    fn send(&self, msg: Message) -> bool {
        match self.out.try_send(msg) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                SignalCounters::bump(&self.hub.counters.dropped_slow);
                tracing::debug!(client = self.client, "signaling viewer too slow; dropped");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    async fn run(&mut self, mut stream: Reader, mut frames: broadcast::Receiver<Frame>) {
        let shutdown = self.hub.shutdown.clone();
        loop {
            let keep_going = tokio::select! {
                _ = shutdown.cancelled() => {
                    self.send(close(CloseCode::Away, "box shutting down"));
                    false
                }
                frame = frames.recv() => self.on_frame(frame),
                msg = stream.next() => match msg {
                    Some(Ok(m)) => self.on_message(m),
                    Some(Err(e)) => {
                        tracing::debug!(client = self.client, error = %e, "signaling socket error");
                        SignalCounters::bump(&self.hub.counters.rejected_messages);
                        false
                    }
                    None => false,
                },
            };
            if !keep_going {
                return;
            }
        }
    }

    fn on_frame(&mut self, frame: Result<Frame, broadcast::error::RecvError>) -> bool {
        match frame {
            Ok(Frame::Text(text)) => self.send(Message::Text(text)),
            Ok(Frame::Reset) => {
                self.send(close(CloseCode::Restart, "resync: reconnect"));
                false
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {
                SignalCounters::bump(&self.hub.counters.dropped_slow);
                false
            }
            Err(broadcast::error::RecvError::Closed) => false,
        }
    }

    fn on_message(&mut self, msg: Message) -> bool {
        let result = match &msg {
            Message::Text(t) => self.on_text(t.as_bytes()),
            Message::Binary(_) => Err((
                ErrorCode::BadMessage,
                "binary frames are not part of the protocol".into(),
            )),
            Message::Close(_) => return false,
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => Ok(()),
        };
        let Err((code, text)) = result else {
            return true;
        };
        SignalCounters::bump(&self.hub.counters.rejected_messages);
        self.violations += 1;
        if self.violations >= MAX_VIOLATIONS {
            SignalCounters::bump(&self.hub.counters.closed_abuse);
            self.send(close(CloseCode::Policy, "too many bad messages"));
            return false;
        }
        self.send(error_message(code, &text))
    }

    fn on_text(&mut self, bytes: &[u8]) -> Result<(), (ErrorCode, String)> {
        let msg = ClientMessage::decode(bytes).map_err(|e: SignalError| (e.code(), e.to_string()))?;
        match msg {
            ClientMessage::Stats(stats) => {
                let now = self.hub.now_ms();
                let result = self.hub.stats().report(self.client, stats, now);
                result.map_err(|e| {
                    let code = match e {
                        venuebox_proto::signal::ReportError::RateLimited => ErrorCode::RateLimited,
                        _ => ErrorCode::BadMessage,
                    };
                    (code, e.to_string())
                })
            }
        }
    }
}

fn error_message(code: ErrorCode, text: &str) -> Message {
    let mut message = text.to_owned();
    message.truncate(venuebox_proto::signal::MAX_ERROR_TEXT);
    let msg = ServerMessage::Error(ErrorInfo { code, message });
    let text = msg.encode().expect("error messages are small and valid");
    Message::Text(Utf8Bytes::from(text))
}

fn close(code: CloseCode, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }))
}

async fn write_loop(mut sink: futures_util::stream::SplitSink<WebSocket, Message>, mut rx: mpsc::Receiver<Message>) {
    while let Some(msg) = rx.recv().await {
        let closing = matches!(msg, Message::Close(_));
        match tokio::time::timeout(WRITE_TIMEOUT, sink.send(msg)).await {
            Ok(Ok(())) if !closing => {}
            _ => break,
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracker_url_uses_a_plausible_host_only() {
        let mut h = hyper::HeaderMap::new();
        assert_eq!(tracker_url(&h), "ws://venuebox.local/announce");
        h.insert(hyper::header::HOST, "192.168.1.20:8080".parse().unwrap());
        assert_eq!(tracker_url(&h), "ws://192.168.1.20:8080/announce");
        h.insert(hyper::header::HOST, "evil\"/x".parse().unwrap());
        assert_eq!(tracker_url(&h), "ws://venuebox.local/announce");
    }
}
