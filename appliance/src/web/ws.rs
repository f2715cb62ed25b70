//! WebSocket upgrade of a hyper request (RFC 6455 handshake) into a tokio-tungstenite stream,
//! shared by the tracker (`/announce`) and signaling (`/signal`). A plain-HTTP socket moves from
//! the HTTP lane to the runtime that awaits the upgrade (docs/decisions/0008).

use super::respond::{text, Body};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::upgrade::Upgraded;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

use super::limit::Guarded;

/// The byte stream under a WebSocket: the plain TCP socket with its slot, or hyper's upgraded
/// connection (TLS).
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// An accepted WebSocket.
pub type WebSocket = WebSocketStream<Box<dyn Io>>;

/// A handshake that succeeded.
pub struct Accepted {
    /// The 101 response to return from the request handler.
    pub response: Response<Body>,
    /// Resolves to the WebSocket once hyper hands the connection over (`None` if it never does).
    pub socket: futures_util::future::BoxFuture<'static, Option<WebSocket>>,
}

/// Checks the handshake; on success returns the 101 response to send and a future that
/// yields the WebSocket once hyper has handed the connection over. On failure returns the
/// response to send instead (426 or 400), boxed.
pub fn accept(req: &mut Request<Incoming>, config: WebSocketConfig) -> Result<Accepted, Box<Response<Body>>> {
    let h = req.headers();
    let has_token = |name: header::HeaderName, token: &str| {
        h.get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    if !has_token(header::UPGRADE, "websocket") || !has_token(header::CONNECTION, "upgrade") {
        let mut resp = text(StatusCode::UPGRADE_REQUIRED, "this endpoint speaks WebSocket only\n");
        resp.headers_mut()
            .insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        return Err(Box::new(resp));
    }
    if h.get(header::SEC_WEBSOCKET_VERSION).map(HeaderValue::as_bytes) != Some(b"13") {
        return Err(Box::new(text(
            StatusCode::BAD_REQUEST,
            "unsupported WebSocket version\n",
        )));
    }
    let Some(key) = h.get(header::SEC_WEBSOCKET_KEY) else {
        return Err(Box::new(text(StatusCode::BAD_REQUEST, "missing Sec-WebSocket-Key\n")));
    };
    let accept_key = derive_accept_key(key.as_bytes());
    let on_upgrade = hyper::upgrade::on(req);
    let mut resp = Response::new(Full::default());
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let rh = resp.headers_mut();
    rh.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    rh.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    rh.insert(
        header::SEC_WEBSOCKET_ACCEPT,
        HeaderValue::from_str(&accept_key).expect("base64 is ASCII"),
    );
    let ws = async move {
        let (io, read_ahead) = onto_this_runtime(on_upgrade.await.ok()?)?;
        Some(WebSocketStream::from_partially_read(io, read_ahead, Role::Server, Some(config)).await)
    };
    Ok(Accepted {
        response: resp,
        socket: Box::pin(ws),
    })
}

/// The upgraded connection as a stream driven by the runtime this is called on, and the bytes
/// hyper read past the handshake. A plain TCP socket (accepted on the HTTP lane) is taken out of
/// hyper and registered here, keeping its slot; a TLS stream stays inside hyper's wrapper.
fn onto_this_runtime(upgraded: Upgraded) -> Option<(Box<dyn Io>, Vec<u8>)> {
    match upgraded.downcast::<TokioIo<Guarded<TcpStream>>>() {
        Ok(parts) => {
            let (tcp, slot, timeout) = parts.io.into_inner().into_parts();
            let tcp = TcpStream::from_std(tcp.into_std().ok()?).ok()?;
            Some((Box::new(Guarded::new(tcp, slot, timeout)), parts.read_buf.to_vec()))
        }
        Err(upgraded) => Some((Box::new(TokioIo::new(upgraded)), Vec::new())),
    }
}
