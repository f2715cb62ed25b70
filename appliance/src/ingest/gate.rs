//! The RTMP gate's IO: accepts OBS on `ingest.rtmp_listen`, runs the pure
//! [`PublishGate`](venuebox_proto::rtmp::PublishGate) over what the client sends, relays to
//! ffmpeg on a loopback port, and refuses (and logs, without the key) a wrong stream key.
//!
//! One publisher at a time. A connection takes nothing until its first bytes arrive (a silent
//! client holds no slot); it then waits for the one ffmpeg slot, and a slot holder must reach
//! `publish` within [`HOLD_BEFORE_PUBLISH`], so OBS waits at most that long behind a client that
//! stalls mid-setup. At most [`MAX_PER_ADDRESS`] connections per address; refusals are logged
//! at most once per [`LOG_EVERY`] (the rest are counted). Non-RTMP bytes are refused before
//! ffmpeg is contacted; a client refused later (wrong key) has already reached ffmpeg, which
//! then exits and is restarted by its supervisor.

use crate::config::StreamKey;
use serde::Serialize;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use venuebox_proto::rtmp::{GateError, PublishGate, Step};

/// Time a client has from connecting to `publish`.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(15);
/// Time a client holding the ffmpeg slot has to reach `publish`.
pub const HOLD_BEFORE_PUBLISH: Duration = Duration::from_secs(5);
/// Most simultaneous RTMP connections from one address.
pub const MAX_PER_ADDRESS: usize = 2;
/// Refusals are logged at most this often; the others are only counted.
pub const LOG_EVERY: Duration = Duration::from_secs(10);
/// How long the gate keeps trying to reach ffmpeg (it may be restarting).
pub const UPSTREAM_WAIT: Duration = Duration::from_secs(15);
const READ_BUF: usize = 64 << 10;

/// Figures about RTMP clients.
#[derive(Debug)]
pub struct RtmpStats {
    /// The address OBS pushes to.
    pub listen: SocketAddr,
    /// A publisher is connected and accepted.
    pub publishing: AtomicBool,
    /// Accepted publishes so far.
    pub publishes: AtomicU64,
    /// Clients refused so far.
    pub refused: AtomicU64,
    /// Bytes received from publishers.
    pub bytes_in: AtomicU64,
    /// Connections refused because their address had [`MAX_PER_ADDRESS`] open.
    pub refused_per_address: AtomicU64,
    /// When a refusal was last logged, and how many were not logged since.
    logged: Mutex<(Option<Instant>, u64)>,
    /// Why the last client was refused (never contains a key).
    pub last_refusal: Mutex<Option<String>>,
    /// When the current publisher was accepted.
    pub since: Mutex<Option<Instant>>,
}

/// A snapshot of [`RtmpStats`] for `/api/status`.
#[derive(Debug, Serialize)]
pub struct RtmpSnapshot {
    /// The address OBS pushes to.
    pub listen: SocketAddr,
    /// A publisher is connected.
    pub publishing: bool,
    /// Seconds the current publisher has been connected.
    pub publishing_secs: Option<f64>,
    /// Accepted publishes.
    pub publishes: u64,
    /// Refused clients.
    pub refused: u64,
    /// Bytes received from publishers.
    pub bytes_in: u64,
    /// Connections refused for the per-address cap.
    pub refused_per_address: u64,
    /// Why the last client was refused.
    pub last_refusal: Option<String>,
}

impl RtmpStats {
    /// Stats for a gate listening on `listen`.
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            publishing: AtomicBool::new(false),
            publishes: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            bytes_in: AtomicU64::new(0),
            refused_per_address: AtomicU64::new(0),
            logged: Mutex::new((None, 0)),
            last_refusal: Mutex::new(None),
            since: Mutex::new(None),
        }
    }

    /// The current figures.
    pub fn snapshot(&self) -> RtmpSnapshot {
        let lock = |m: &Mutex<_>| *m.lock().unwrap_or_else(|p| p.into_inner());
        let since: Option<Instant> = lock(&self.since);
        RtmpSnapshot {
            listen: self.listen,
            publishing: self.publishing.load(Ordering::Relaxed),
            publishing_secs: since.map(|t| t.elapsed().as_secs_f64()),
            publishes: self.publishes.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            refused_per_address: self.refused_per_address.load(Ordering::Relaxed),
            last_refusal: self.last_refusal.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        }
    }

    fn refuse(&self, peer: SocketAddr, reason: &str) {
        let mut logged = self.logged.lock().unwrap_or_else(|p| p.into_inner());
        if logged.0.is_none_or(|t| t.elapsed() >= LOG_EVERY) {
            let not_logged = std::mem::take(&mut logged.1);
            tracing::warn!(%peer, reason, not_logged, "RTMP client refused");
            logged.0 = Some(Instant::now());
        } else {
            logged.1 += 1;
            tracing::debug!(%peer, reason, "RTMP client refused");
        }
        drop(logged);
        self.refused.fetch_add(1, Ordering::Relaxed);
        *self.last_refusal.lock().unwrap_or_else(|p| p.into_inner()) = Some(reason.to_owned());
    }

    fn set_publishing(&self, on: bool) {
        self.publishing.store(on, Ordering::Relaxed);
        *self.since.lock().unwrap_or_else(|p| p.into_inner()) = on.then(Instant::now);
    }
}

/// Why a session ended early.
#[derive(Debug, thiserror::Error)]
enum SessionError {
    #[error("{0}")]
    Gate(#[from] GateError),
    #[error("no publish within {SETUP_TIMEOUT:?}")]
    Timeout,
    #[error("ingest ffmpeg unreachable: {0}")]
    Upstream(std::io::Error),
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
}

/// Accepts clients until `shutdown`; fails only if accepting itself fails.
pub async fn run(
    listener: TcpListener,
    upstream: SocketAddr,
    key: StreamKey,
    stats: Arc<RtmpStats>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let slot = Arc::new(Semaphore::new(1));
    let open: Arc<Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    loop {
        let (client, peer) = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            accepted = listener.accept() => accepted?,
        };
        let Some(guard) = AddressGuard::take(&open, peer.ip()) else {
            stats.refused_per_address.fetch_add(1, Ordering::Relaxed);
            stats.refuse(peer, "too many connections from this address");
            continue;
        };
        let (key, stats, slot, token) = (key.clone(), stats.clone(), slot.clone(), shutdown.clone());
        tokio::spawn(async move {
            let _guard = guard;
            tokio::select! {
                _ = token.cancelled() => stats.set_publishing(false),
                _ = session(client, peer, upstream, &key, &stats, slot) => {}
            }
        });
    }
}

/// One open connection counted against its address; uncounted on drop.
struct AddressGuard {
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl AddressGuard {
    fn take(open: &Arc<Mutex<HashMap<IpAddr, usize>>>, ip: IpAddr) -> Option<Self> {
        let mut map = open.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(ip).or_default();
        if *n >= MAX_PER_ADDRESS {
            return None;
        }
        *n += 1;
        Some(Self { open: open.clone(), ip })
    }
}

impl Drop for AddressGuard {
    fn drop(&mut self) {
        let mut map = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// Waits for the ffmpeg slot until `deadline`.
async fn take_slot(slot: Arc<Semaphore>, deadline: tokio::time::Instant) -> Option<OwnedSemaphorePermit> {
    tokio::time::timeout_at(deadline, slot.acquire_owned()).await.ok()?.ok()
}

async fn session(
    client: TcpStream,
    peer: SocketAddr,
    upstream: SocketAddr,
    key: &StreamKey,
    stats: &RtmpStats,
    slot: Arc<Semaphore>,
) {
    let _ = client.set_nodelay(true);
    let deadline = tokio::time::Instant::now() + SETUP_TIMEOUT;
    let (mut cr, cw) = client.into_split();
    let mut gate = PublishGate::new(key.expose());
    let mut buf = vec![0u8; READ_BUF];
    // Refuse non-RTMP before ffmpeg is contacted: ffmpeg serves one client per run. A client
    // that sends nothing takes no slot.
    let first = match client_bytes(&mut cr, &mut gate, &mut buf, deadline).await {
        Ok(Some(step)) => step,
        Ok(None) => return,
        Err(e) => return stats.refuse(peer, &e.to_string()),
    };
    let Some(_slot) = take_slot(slot, deadline).await else {
        return stats.refuse(peer, "another publisher is connected");
    };
    let deadline = deadline.min(tokio::time::Instant::now() + HOLD_BEFORE_PUBLISH);
    let server = match connect_upstream(upstream).await {
        Ok(s) => s,
        Err(e) => return stats.refuse(peer, &SessionError::Upstream(e).to_string()),
    };
    let _ = server.set_nodelay(true);
    let (ur, mut uw) = server.into_split();
    let back = pump(ur, cw, None);
    let forth = async {
        uw.write_all(&first.forward).await?;
        let mut published = first.published;
        while published.is_none() {
            let Some(step) = client_bytes(&mut cr, &mut gate, &mut buf, deadline).await? else {
                return Ok(());
            };
            uw.write_all(&step.forward).await?;
            published = step.published;
        }
        let app = published.map(|p| p.app).unwrap_or_default();
        stats.publishes.fetch_add(1, Ordering::Relaxed);
        stats.set_publishing(true);
        tracing::info!(%peer, app, "RTMP publisher connected");
        pump(cr, uw, Some(&stats.bytes_in)).await;
        Ok::<_, SessionError>(())
    };
    tokio::select! {
        _ = back => {}
        result = forth => match result {
            Err(e @ (SessionError::Gate(_) | SessionError::Timeout)) => stats.refuse(peer, &e.to_string()),
            Err(e) => tracing::info!(%peer, error = %e, "RTMP connection ended"),
            Ok(()) => {}
        },
    }
    if stats.publishing.load(Ordering::Relaxed) {
        let secs = stats.snapshot().publishing_secs.unwrap_or(0.0);
        tracing::info!(%peer, secs, "RTMP publisher disconnected");
        stats.set_publishing(false);
    }
}

/// Reads from the client into the gate; `None` when the client closed.
async fn client_bytes(
    cr: &mut OwnedReadHalf,
    gate: &mut PublishGate,
    buf: &mut [u8],
    deadline: tokio::time::Instant,
) -> Result<Option<Step>, SessionError> {
    let n = tokio::time::timeout_at(deadline, cr.read(buf))
        .await
        .map_err(|_| SessionError::Timeout)??;
    if n == 0 {
        return Ok(None);
    }
    Ok(Some(gate.feed(&buf[..n])?))
}

/// Copies `from` to `to` until either side ends, counting bytes into `counter`.
async fn pump(mut from: impl AsyncRead + Unpin, mut to: impl AsyncWrite + Unpin, counter: Option<&AtomicU64>) {
    let mut buf = vec![0u8; READ_BUF];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
        if let Some(c) = counter {
            c.fetch_add(n as u64, Ordering::Relaxed);
        }
    }
    let _ = to.shutdown().await;
}

/// Connects to ffmpeg, retrying while it (re)starts.
async fn connect_upstream(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let deadline = Instant::now() + UPSTREAM_WAIT;
    loop {
        match TcpStream::connect(addr).await {
            Ok(s) => return Ok(s),
            Err(e) if Instant::now() >= deadline => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}
