//! Runs only the tracker on a plain TCP listener (for benchmarks and interop tests that want the
//! tracker alone): `cargo run --release --example tracker_server -- [addr]`; prints the bound
//! address on its first line. The bench configuration lifts the per-connection rate limit.
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use venuebox::tracker::{self, TrackerIoConfig};
use venuebox_proto::tracker::TrackerConfig;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:0".into());
    let mut cfg = TrackerConfig::default();
    if std::env::var_os("TRACKER_BENCH").is_some() {
        cfg.rate_per_sec = 1_000_000;
        cfg.rate_burst = 1_000_000;
    }
    let ws_cfg = tracker::ws_config(cfg.decode.max_frame);
    let (handle, mut link, task) = tracker::run(cfg, TrackerIoConfig::default());
    let shutdown = CancellationToken::new();
    tokio::spawn(task.run(shutdown.clone()));
    tokio::spawn(async move { while link.offers.recv().await.is_some() {} });
    let listener = TcpListener::bind(addr).await?;
    println!("{}", listener.local_addr()?);
    loop {
        let (stream, peer) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let handle = handle.clone();
        tokio::spawn(async move {
            if let Ok(ws) = tokio_tungstenite::accept_async_with_config(stream, Some(ws_cfg)).await {
                tracker::serve_socket(ws, handle, Some(peer.ip())).await;
            }
        });
    }
}
