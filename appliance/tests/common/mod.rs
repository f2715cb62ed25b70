//! Helpers shared by the integration tests: an in-process service on port 0, a raw HTTP/1.1
//! client (so paths reach the server exactly as written), and waiting with a deadline.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use venuebox::config::{Config, IngestMode};
use venuebox::service::{Control, Service};

/// A response as raw parts.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request with `Connection: close` and reads the whole reply.
pub async fn request(addr: SocketAddr, method: &str, target: &str, extra_headers: &[(&str, &str)]) -> Reply {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for (k, v) in extra_headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    parse_reply(&raw, method == "HEAD")
}

pub async fn get(addr: SocketAddr, target: &str) -> Reply {
    request(addr, "GET", target, &[]).await
}

/// Parses a raw HTTP/1.1 answer (status, headers, de-chunked body).
pub fn parse_reply(raw: &[u8], head: bool) -> Reply {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("complete head");
    let head_text = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head_text.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked && !head {
        body = dechunk(&body);
    }
    Reply { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 4 + size..];
    }
}

/// A fresh state folder (generated certificate) per service under cargo's scratch folder for
/// integration tests (`target/tmp`, gone with `cargo clean`), never /tmp, where nothing removes
/// it, nor the machine's /var/lib/venuebox.
pub fn unique_state_dir() -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("venuebox-test-state-{}-{n}", std::process::id()))
}

/// Sends one request over HTTPS (any certificate accepted); returns the reply and the
/// server's certificate (DER).
pub async fn https_request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    extra_headers: &[(&str, &str)],
) -> (Reply, Vec<u8>) {
    let mut stream = tls_connect(addr).await;
    let cert = stream.get_ref().1.peer_certificates().unwrap()[0].to_vec();
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for (k, v) in extra_headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await; // a peer closing without close_notify is fine
    (parse_reply(&raw, method == "HEAD"), cert)
}

/// A TLS connection to `addr` that accepts any certificate.
pub async fn tls_connect(addr: SocketAddr) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let config =
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(std::sync::Arc::new(AnyCert))
            .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    connector.connect(name, tcp).await.expect("TLS handshake")
}

#[derive(Debug)]
struct AnyCert;

impl rustls::client::danger::ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A running in-process service.
pub struct Running {
    pub addr: SocketAddr,
    pub control: mpsc::Sender<Control>,
    pub handle: tokio::task::JoinHandle<anyhow::Result<()>>,
    pub state: std::sync::Arc<venuebox::state::AppState>,
}

impl Running {
    pub async fn stop(self) {
        self.control.send(Control::Shutdown).await.unwrap();
        self.handle.await.unwrap().unwrap();
    }
}

/// A config that watches `dir` with fast polling and listens on 127.0.0.1:0.
pub fn hls_dir_config(dir: &Path) -> Config {
    let mut c = Config::default();
    c.http.listen = "127.0.0.1:0".parse().unwrap();
    c.ingest.mode = IngestMode::HlsDir;
    c.ingest.hls_dir = dir.to_owned();
    c.ingest.poll_ms = 100;
    c.admin.password = "test-password".into(); // never a generated file on the test machine
    c.http.https_listen = "127.0.0.1:0".into();
    c.admin.state_dir = unique_state_dir();
    c
}

pub async fn start(config: Config) -> Running {
    let listener = tokio::net::TcpListener::bind(config.http.listen).await.unwrap();
    let svc = Service::start(config, listener).await.unwrap();
    let (addr, state) = (svc.local_addr(), svc.state().clone());
    let (control, rx) = mpsc::channel(4);
    let handle = tokio::spawn(svc.run(rx));
    Running {
        addr,
        control,
        handle,
        state,
    }
}

/// Polls `check` every 20 ms until it returns `Some` or `timeout` passes.
pub async fn wait_for<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Writes `name` atomically (temp file + rename), as ffmpeg's `temp_file` flag does.
pub fn write_atomic(dir: &Path, name: &str, data: &[u8]) {
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, data).unwrap();
    std::fs::rename(tmp, dir.join(name)).unwrap();
}

/// A playlist listing `segments` (uri, duration) from media sequence `first`.
pub fn playlist(first: u64, segments: &[&str], end: bool) -> String {
    let mut p = format!("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:{first}\n");
    for s in segments {
        p.push_str(&format!("#EXTINF:2.000000,\n{s}\n"));
    }
    if end {
        p.push_str("#EXT-X-ENDLIST\n");
    }
    p
}

/// Is ffmpeg on this machine? The test scripts install it; a missing one is a failure.
pub fn ffmpeg() -> &'static str {
    let ok = std::process::Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "ffmpeg is required (scripts/test installs it: apt-get install ffmpeg)"
    );
    "ffmpeg"
}

/// A viewer's signaling WebSocket.
pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/signal` as a viewer does.
pub async fn connect(addr: SocketAddr) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/signal"))
        .await
        .unwrap();
    ws
}

/// The next server message (pings skipped); `None` when the socket closed.
pub async fn next(ws: &mut Ws) -> Option<venuebox_proto::signal::ServerMessage> {
    use futures_util::StreamExt as _;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("a message within 20 s");
        match msg {
            Some(Ok(Message::Text(t))) => {
                let decoded = venuebox_proto::signal::ServerMessage::decode(t.as_bytes());
                return Some(decoded.expect("valid message"));
            }
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}

/// A loopback TCP port that was free a moment ago (for children that take a port number).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
