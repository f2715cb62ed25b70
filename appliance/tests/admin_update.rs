//! The staff page's update upload (`POST /admin/update`): login and HTTPS required, the bundle
//! streamed to `admin.update_dir` under its final name only when complete, a size cap, a time
//! limit and one upload at a time. (Installing it is RAUC's part: image/test/rauctest.py.)

mod common;

use base64::Engine as _;
use common::*;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

fn staff() -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode("staff:test-password");
    format!("Basic {b64}")
}

fn config(dir: &Path, max_bytes: u64, timeout_secs: u64) -> venuebox::config::Config {
    let mut c = hls_dir_config(dir);
    c.admin.update_dir = dir.join("update");
    c.admin.update_max_bytes = max_bytes;
    c.admin.update_timeout_secs = timeout_secs;
    c
}

/// Starts `POST /admin/update` over HTTPS with `Content-Length: declared` and sends `first`.
async fn begin_upload(
    addr: SocketAddr,
    auth: Option<&str>,
    declared: usize,
    first: &[u8],
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut stream = tls_connect(addr).await;
    let mut head =
        format!("POST /admin/update HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: {declared}\r\n");
    if let Some(a) = auth {
        head.push_str(&format!("Authorization: {a}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first).await.unwrap();
    stream.flush().await.unwrap();
    stream
}

async fn finish(mut stream: tokio_rustls::client::TlsStream<tokio::net::TcpStream>, rest: &[u8]) -> Reply {
    let _ = stream.write_all(rest).await; // the server may answer and close before the end
    let _ = stream.flush().await;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    parse_reply(&raw, false)
}

async fn upload(addr: SocketAddr, auth: Option<&str>, body: &[u8]) -> Reply {
    finish(begin_upload(addr, auth, body.len(), &[]).await, body).await
}

fn bundle_path(dir: &Path) -> PathBuf {
    dir.join("update").join("bundle.raucb")
}

fn bundle_bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

#[tokio::test]
async fn a_complete_upload_becomes_the_bundle_and_its_status_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let svc = start(config(dir.path(), 1 << 20, 60)).await;
    let tls = *svc.state.https_addr.get().unwrap();
    let body = bundle_bytes(300_000);
    let r = upload(tls, Some(&staff()), &body).await;
    assert_eq!(r.status, 202, "{}", r.text());
    assert_eq!(std::fs::read(bundle_path(dir.path())).unwrap(), body);
    assert!(!dir.path().join("update/upload.part").exists());
    let (status, _) = https_request(tls, "GET", "/admin/update", &[("Authorization", &staff())]).await;
    assert_eq!(status.status, 200);
    assert!(status.text().contains("uploaded 300000 bytes"), "{}", status.text());
    // The installer has not taken it yet: a second upload waits its turn.
    let again = upload(tls, Some(&staff()), &body).await;
    assert_eq!(again.status, 409, "{}", again.text());
    svc.stop().await;
}

#[tokio::test]
async fn the_upload_needs_the_password_and_https() {
    let dir = tempfile::tempdir().unwrap();
    let svc = start(config(dir.path(), 1 << 20, 60)).await;
    let tls = *svc.state.https_addr.get().unwrap();
    let body = bundle_bytes(1000);
    assert_eq!(upload(tls, None, &body).await.status, 401);
    assert_eq!(upload(tls, Some("Basic c3RhZmY6Z3Vlc3M="), &body).await.status, 401);
    let plain = request(
        svc.addr,
        "POST",
        "/admin/update",
        &[("Authorization", &staff()), ("Content-Length", "0")],
    )
    .await;
    assert_eq!(plain.status, 403);
    assert!(plain.header("www-authenticate").is_none());
    let (status, _) = https_request(tls, "GET", "/admin/update", &[]).await;
    assert_eq!(status.status, 401);
    assert!(!dir.path().join("update").exists(), "nothing was stored");
    svc.stop().await;
}

#[tokio::test]
async fn a_bundle_over_the_cap_is_refused_and_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let svc = start(config(dir.path(), 10_000, 60)).await;
    let tls = *svc.state.https_addr.get().unwrap();
    // Declared too large: refused before a byte is stored.
    let r = finish(begin_upload(tls, Some(&staff()), 10_001, &[]).await, &[]).await;
    assert_eq!(r.status, 413, "{}", r.text());
    // Chunked, so the size shows only while it streams: refused at the cap, the part removed.
    let mut stream = tls_connect(tls).await;
    let head = format!("POST /admin/update HTTP/1.1\r\nHost: test\r\nConnection: close\r\nAuthorization: {}\r\nTransfer-Encoding: chunked\r\n\r\n", staff());
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = bundle_bytes(4096);
    let mut answer = None;
    for _ in 0..4 {
        let framed = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk.clone(),
            b"\r\n".to_vec(),
        ]
        .concat();
        if stream.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    if !raw.is_empty() {
        answer = Some(parse_reply(&raw, false));
    }
    assert_eq!(answer.map(|r| r.status), Some(413));
    assert!(!bundle_path(dir.path()).exists());
    assert!(!dir.path().join("update/upload.part").exists());
    svc.stop().await;
}

#[tokio::test]
async fn one_upload_at_a_time_and_a_stalled_one_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let svc = start(config(dir.path(), 1 << 20, 2)).await;
    let tls = *svc.state.https_addr.get().unwrap();
    let body = bundle_bytes(50_000);
    // The first upload sends half its body and stalls.
    let stalled = begin_upload(tls, Some(&staff()), body.len(), &body[..25_000]).await;
    let part = dir.path().join("update/upload.part");
    wait_for(
        std::time::Duration::from_secs(10),
        "the first upload to start",
        || async { part.exists().then_some(()) },
    )
    .await;
    let second = upload(tls, Some(&staff()), &body).await;
    assert_eq!(second.status, 409, "{}", second.text());
    // Past admin.update_timeout_secs the stalled one is answered 408 and its part removed.
    let r = finish(stalled, &[]).await;
    assert_eq!(r.status, 408, "{}", r.text());
    assert!(!part.exists() && !bundle_path(dir.path()).exists());
    // The slot is free again.
    assert_eq!(upload(tls, Some(&staff()), &body).await.status, 202);
    svc.stop().await;
}
