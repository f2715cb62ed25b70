//! The HTTP lane: the plain HTTP listener's accept loop and its requests run on a thread and a
//! runtime of their own, so `/healthz`, the playlist and segments never wait in a run queue
//! behind WebSocket work (docs/decisions/0008). WebSocket upgrades go back to the main runtime.

use std::future::Future;
use std::io;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Name of the lane's thread (as `top -H` shows it).
const THREAD_NAME: &str = "http-lane";

/// Runs `serve(listener)` on a new thread with a single-threaded runtime of its own; resolves
/// to its result when it returns.
pub async fn run<F, Fut>(listener: TcpListener, serve: F) -> io::Result<()>
where
    F: FnOnce(TcpListener) -> Fut + Send + 'static,
    Fut: Future<Output = io::Result<()>>,
{
    let listener = listener.into_std()?;
    let (done, result) = oneshot::channel();
    std::thread::Builder::new()
        .name(THREAD_NAME.to_owned())
        .spawn(move || {
            let served = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .and_then(|rt| rt.block_on(async move { serve(TcpListener::from_std(listener)?).await }));
            let _ = done.send(served);
        })?;
    result
        .await
        .unwrap_or_else(|_| Err(io::Error::other("the HTTP lane's thread ended without a result")))
}
