//! A fault-injecting TCP proxy in front of the real server: passes bytes through, answers every
//! request with HTTP 500, or throttles to a few KiB/s. Changing the mode closes connections that
//! were passing, so pooled keep-alive connections see the new behaviour at once.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    Pass = 0,
    Error500 = 1,
    /// About `SLOW_BYTES_PER_SEC` each way.
    Slow = 2,
}

pub const SLOW_BYTES_PER_SEC: usize = 16 * 1024;

pub struct Proxy {
    pub addr: SocketAddr,
    mode: Arc<AtomicU8>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(AtomicU8::new(Mode::Pass as u8));
        let m = mode.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(handle(client, upstream, m.clone()));
            }
        });
        Self { addr, mode }
    }

    pub fn set(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn mode(m: &AtomicU8) -> Mode {
    match m.load(Ordering::SeqCst) {
        1 => Mode::Error500,
        2 => Mode::Slow,
        _ => Mode::Pass,
    }
}

async fn handle(client: TcpStream, upstream: SocketAddr, m: Arc<AtomicU8>) {
    let start = mode(&m);
    if start == Mode::Error500 {
        answer_500(client).await;
        return;
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        return; // upstream down: the client sees the connection close
    };
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    let up = pump(cr, sw, m.clone(), start);
    let down = pump(sr, cw, m, start);
    tokio::select! { _ = up => {}, _ = down => {} }
}

/// Copies until EOF or until the mode differs from `start`; throttles in slow mode.
async fn pump(mut from: impl AsyncReadExt + Unpin, mut to: impl AsyncWriteExt + Unpin, m: Arc<AtomicU8>, start: Mode) {
    let mut buf = vec![0u8; 2048];
    loop {
        let n = match tokio::time::timeout(Duration::from_millis(100), from.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(n)) => n,
            Err(_) => {
                if mode(&m) != start {
                    return;
                }
                continue;
            }
        };
        if mode(&m) != start {
            return;
        }
        if start == Mode::Slow {
            tokio::time::sleep(Duration::from_secs_f64(n as f64 / SLOW_BYTES_PER_SEC as f64)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// Reads one request (head and Content-Length body) and answers 500 with an S3 error document.
async fn answer_500(mut client: TcpStream) {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(p) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        match client.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut have = data.len() - head_end;
    while have < length {
        match client.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => have += n,
        }
    }
    let body = "<?xml version=\"1.0\"?><Error><Code>InternalError</Code><Message>injected</Message></Error>";
    let reply = format!(
        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = client.write_all(reply.as_bytes()).await;
    let _ = client.shutdown().await;
}
