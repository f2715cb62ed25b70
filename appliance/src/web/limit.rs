//! Connection limits of the HTTP listeners: a global cap and a per-address cap, both held for
//! the socket's whole life (a WebSocket keeps its HTTP connection's slot), and a write-stall
//! timeout: a client that reads nothing of what it asked for for `write_timeout` is cut off.
//!
//! Use: [`ConnLimits::admit`] on accept; wrap the socket in [`Guarded`] with the returned
//! [`Slot`]; the slot is given back when the socket (or the upgraded WebSocket) is dropped.

use crate::report::{Figure, Source};
use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `http.max_connections` are open.
    Full,
    /// Its address has `http.max_connections_per_address` open.
    PerAddress,
}

/// The caps and their counters.
#[derive(Debug)]
pub struct ConnLimits {
    max: usize,
    per_address: usize,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
    refused_full: AtomicU64,
    refused_per_address: AtomicU64,
    write_timeouts: AtomicU64,
}

/// One admitted connection; dropping it frees its place.
#[derive(Debug)]
pub struct Slot {
    limits: Arc<ConnLimits>,
    ip: IpAddr,
}

impl ConnLimits {
    /// At most `max` connections, `per_address` of them from one address.
    pub fn new(max: usize, per_address: usize) -> Arc<Self> {
        Arc::new(Self {
            max,
            per_address,
            open: Mutex::new((0, HashMap::new())),
            refused_full: AtomicU64::new(0),
            refused_per_address: AtomicU64::new(0),
            write_timeouts: AtomicU64::new(0),
        })
    }

    /// Takes a place for a connection from `ip`, or says why not.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, Refusal> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.0 >= self.max {
            self.refused_full.fetch_add(1, Ordering::Relaxed);
            return Err(Refusal::Full);
        }
        let from_ip = open.1.entry(ip).or_default();
        if *from_ip >= self.per_address {
            self.refused_per_address.fetch_add(1, Ordering::Relaxed);
            return Err(Refusal::PerAddress);
        }
        *from_ip += 1;
        open.0 += 1;
        Ok(Slot {
            limits: self.clone(),
            ip,
        })
    }

    /// Open connections now, and addresses with at least one.
    pub fn open(&self) -> (usize, usize) {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        (open.0, open.1.len())
    }

    /// Open connections from `ip`.
    pub fn open_from(&self, ip: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.1.get(&ip).copied().unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.limits.open.lock().unwrap_or_else(|p| p.into_inner());
        open.0 -= 1;
        if let Some(n) = open.1.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.1.remove(&self.ip);
            }
        }
    }
}

impl Source for ConnLimits {
    fn name(&self) -> &'static str {
        "connections"
    }

    fn figures(&self) -> Vec<Figure> {
        let (open, addresses) = self.open();
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        vec![
            Figure::count(
                "http_connections_open",
                "Open HTTP connections, WebSockets included.",
                open as u64,
            )
            .at("open"),
            Figure::count(
                "http_connection_addresses",
                "Addresses with an open HTTP connection.",
                addresses as u64,
            )
            .at("addresses"),
            Figure::counter(
                "http_connections_refused_total",
                "Connections closed at once because http.max_connections were open.",
                l(&self.refused_full),
            )
            .at("refused_full"),
            Figure::counter(
                "http_connections_refused_per_address_total",
                "Connections closed at once because their address had http.max_connections_per_address open.",
                l(&self.refused_per_address),
            )
            .at("refused_per_address"),
            Figure::counter(
                "http_write_timeouts_total",
                "Connections closed because the client read nothing for http.write_timeout_secs.",
                l(&self.write_timeouts),
            )
            .at("write_timeouts"),
        ]
    }
}

/// A socket that holds its [`Slot`] and fails a write that makes no progress for `timeout`.
pub struct Guarded<S> {
    inner: S,
    slot: Slot,
    timeout: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<S> Guarded<S> {
    /// Wraps `inner`.
    pub fn new(inner: S, slot: Slot, timeout: Duration) -> Self {
        Self {
            inner,
            slot,
            timeout,
            stalled: None,
        }
    }

    /// The socket, its slot and its timeout (to wrap the socket again after moving it).
    pub fn into_parts(self) -> (S, Slot, Duration) {
        (self.inner, self.slot, self.timeout)
    }

    /// Called when a write would block: errs once it has blocked for `timeout`.
    fn check_stall(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let timeout = self.timeout;
        let sleep = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.slot.limits.write_timeouts.fetch_add(1, Ordering::Relaxed);
                Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, "client stopped reading"))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

use std::future::Future as _;

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, data) {
            Poll::Pending => self.check_stall(cx).map(Err),
            ready => {
                self.stalled = None;
                ready
            }
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write_vectored(cx, bufs) {
            Poll::Pending => self.check_stall(cx).map(Err),
            ready => {
                self.stalled = None;
                ready
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Pending => self.check_stall(cx).map(Err),
            ready => ready,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_gets_its_share_and_gives_it_back() {
        let limits = ConnLimits::new(10, 3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let held: Vec<_> = (0..3).map(|_| limits.admit(a).unwrap()).collect();
        assert_eq!(limits.admit(a).unwrap_err(), Refusal::PerAddress);
        let others: Vec<_> = (0..3).map(|_| limits.admit(b).unwrap()).collect();
        assert_eq!(limits.open(), (6, 2));
        drop(held);
        assert_eq!(limits.open_from(a), 0);
        assert!(limits.admit(a).is_ok());
        drop(others);
        assert_eq!(limits.open(), (0, 0));
    }

    #[test]
    fn the_global_cap_holds_across_addresses() {
        let limits = ConnLimits::new(4, 3);
        let held: Vec<_> = (1..=4u8)
            .map(|i| limits.admit(IpAddr::from([10, 0, 0, i])).unwrap())
            .collect();
        assert_eq!(limits.admit(IpAddr::from([10, 0, 0, 9])).unwrap_err(), Refusal::Full);
        drop(held);
    }
}
