//! `venuebox healthz`: asks the running service's `/healthz` on the configured HTTP port (over
//! loopback when it listens on every address). The boot's mark-good step runs it.

use std::io::{Read as _, Write as _};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// Why `/healthz` did not answer "ok".
#[derive(Debug, thiserror::Error)]
pub enum HealthzError {
    /// Nothing accepted the connection, or it broke or timed out.
    #[error("no answer from {addr}: {source}")]
    Io {
        /// Where it asked.
        addr: SocketAddr,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// An answer that is not `200` with the body `ok`.
    #[error("{addr} answered {first_line:?}, not 200 ok")]
    NotOk {
        /// Where it asked.
        addr: SocketAddr,
        /// The answer's status line.
        first_line: String,
    },
}

/// The address to ask for a service that listens on `listen`.
pub fn target(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}

/// One `GET /healthz` on the service listening on `listen`, within `timeout` per step.
pub fn probe(listen: SocketAddr, timeout: Duration) -> Result<(), HealthzError> {
    let addr = target(listen);
    let io = |source| HealthzError::Io { addr, source };
    let mut conn = TcpStream::connect_timeout(&addr, timeout).map_err(io)?;
    conn.set_read_timeout(Some(timeout)).map_err(io)?;
    conn.set_write_timeout(Some(timeout)).map_err(io)?;
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .map_err(io)?;
    let mut answer = Vec::new();
    conn.take(4096).read_to_end(&mut answer).map_err(io)?;
    let text = String::from_utf8_lossy(&answer);
    let first_line = text.lines().next().unwrap_or("").to_owned();
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    if first_line.split_whitespace().nth(1) == Some("200") && body.trim() == "ok" {
        return Ok(());
    }
    Err(HealthzError::NotOk { addr, first_line })
}

#[cfg(test)]
mod tests {
    use super::target;
    use std::net::SocketAddr;

    #[test]
    fn every_address_is_asked_over_loopback() {
        let t = |s: &str| target(s.parse::<SocketAddr>().unwrap()).to_string();
        assert_eq!(t("0.0.0.0:80"), "127.0.0.1:80");
        assert_eq!(t("[::]:8081"), "[::1]:8081");
        assert_eq!(t("10.0.0.5:8080"), "10.0.0.5:8080");
    }
}
