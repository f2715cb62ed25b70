//! The HTTP server: one port for the viewer, HLS, status, metrics and the WebSocket endpoints,
//! and the same on an HTTPS port for staff (`tls.rs`). HTTP/1.1 only: cleartext HTTP/2 would
//! let one connection hold hundreds of streams against a zero flow-control window.
//!
//! Every connection takes a place under the global and the per-address cap
//! ([`crate::web::limit`]) for its whole life, a WebSocket included, and is cut off when its
//! client reads nothing for `http.write_timeout_secs`.
//!
//! Plain HTTP runs on its own thread ([`lane`]); a WebSocket upgrade is routed on the main
//! runtime, where the socket then lives (docs/decisions/0008).

pub mod files;
pub mod lane;
pub mod router;
pub mod tls;

use crate::state::AppState;
use crate::web::limit::Guarded;
use crate::web::Client;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

/// A client that sends no complete request head within this time is disconnected.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// A TLS client that does not finish its handshake within this time is disconnected.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves plain HTTP on `listener` until `shutdown`, then lets open requests finish a moment.
/// Requests are answered on the HTTP lane's thread; upgrades on the runtime that calls this.
pub async fn serve(listener: TcpListener, state: Arc<AppState>, shutdown: CancellationToken) -> std::io::Result<()> {
    let main = Some(Handle::current());
    lane::run(listener, move |listener| {
        accept_loop(listener, state, None, shutdown, main)
    })
    .await
}

/// Serves HTTPS on `listener` with `tls` until `shutdown`.
pub async fn serve_tls(
    listener: TcpListener,
    state: Arc<AppState>,
    tls: Arc<rustls::ServerConfig>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    accept_loop(
        listener,
        state,
        Some(tokio_rustls::TlsAcceptor::from(tls)),
        shutdown,
        None,
    )
    .await
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<AppState>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: CancellationToken,
    upgrades_on: Option<Handle>,
) -> std::io::Result<()> {
    let connections = tokio_util::task::TaskTracker::new();
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let slot = match state.conns.admit(peer.ip()) {
            Ok(slot) => slot,
            Err(why) => {
                tracing::debug!(?why, "connection limit reached; closing new connection");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let timeout = Duration::from_secs(state.config().http.write_timeout_secs);
        let stream = Guarded::new(stream, slot, timeout);
        let (state, shutdown, tls) = (state.clone(), shutdown.clone(), tls.clone());
        let upgrades_on = upgrades_on.clone();
        connections.spawn(async move {
            match tls {
                None => connection(stream, peer, false, state, shutdown, upgrades_on).await,
                Some(acceptor) => {
                    let handshake = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                    match handshake.await {
                        Ok(Ok(stream)) => connection(stream, peer, true, state, shutdown, upgrades_on).await,
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
    connections.close();
    let _ = tokio::time::timeout(Duration::from_secs(2), connections.wait()).await;
    Ok(())
}

/// Serves one connection's requests (and hands an upgrade over with the socket's slot); an
/// upgrade request is routed on `upgrades_on` when given, so its WebSocket task runs there.
async fn connection<S>(
    stream: S,
    peer: SocketAddr,
    https: bool,
    state: Arc<AppState>,
    shutdown: CancellationToken,
    upgrades_on: Option<Handle>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let client = Client { addr: peer, https };
    let service = service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        let state = state.clone();
        req.extensions_mut().insert(client);
        let elsewhere = upgrades_on
            .clone()
            .filter(|_| req.headers().contains_key(hyper::header::UPGRADE));
        async move {
            let resp = match elsewhere {
                Some(main) => main.spawn(router::route(req, state.clone())).await.unwrap_or_else(|_| {
                    crate::web::respond::text(hyper::StatusCode::SERVICE_UNAVAILABLE, "shutting down\n")
                }),
                None => router::route(req, state.clone()).await,
            };
            let body = hyper::body::Body::size_hint(resp.body()).exact().unwrap_or(0);
            state.http.record(body);
            Ok::<_, std::convert::Infallible>(resp)
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
    let conn = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        res = conn.as_mut() => {
            if let Err(e) = res {
                tracing::trace!(%peer, error = %e, "connection ended");
            }
            return;
        }
        _ = shutdown.cancelled() => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}
