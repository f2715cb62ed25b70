//! The staff page's protection and data, and the QR endpoints decoded with a real QR decoder.

mod common;

use base64::Engine as _;
use common::*;
use rustls::pki_types::pem::PemObject as _;

fn basic(user: &str, pass: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

#[tokio::test]
async fn admin_refuses_without_the_password() {
    let hls = tempfile::tempdir().unwrap();
    let svc = start(hls_dir_config(hls.path())).await;
    let tls = *svc.state.https_addr.get().expect("HTTPS is on");
    for target in ["/admin", "/admin/data.json"] {
        let (r, _) = https_request(tls, "GET", target, &[]).await;
        assert_eq!(r.status, 401, "{target}");
        assert!(r.header("www-authenticate").unwrap().starts_with("Basic realm="));
        assert!(!r.text().contains("VenueBox staff</h1>"));
        let wrong = basic("staff", "guess");
        let (r, _) = https_request(tls, "GET", target, &[("Authorization", &wrong)]).await;
        assert_eq!(r.status, 401, "{target} with a wrong password");
    }
    let ok = basic("staff", "test-password");
    let (page, _) = https_request(tls, "GET", "/admin", &[("Authorization", &ok)]).await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("VenueBox staff</h1>"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    let (data, _) = https_request(tls, "GET", "/admin/data.json", &[("Authorization", &ok)]).await;
    let v: serde_json::Value = serde_json::from_slice(&data.body).unwrap();
    assert_eq!(v["status"]["service"], "venuebox");
    assert!(v["history"].is_array() && v["log"].is_array() && v["status"]["box"]["problems"].is_array());
    assert!(
        v["egress_bytes"].as_f64().unwrap() > 0.0,
        "the page itself was sent: {v}"
    );
    assert_eq!(v["urls"]["name"], format!("http://venuebox.local:{}/", svc.addr.port()));
    svc.stop().await;
}

#[tokio::test]
async fn plain_http_admin_redirects_to_https_without_a_challenge() {
    let hls = tempfile::tempdir().unwrap();
    let svc = start(hls_dir_config(hls.path())).await;
    let tls = *svc.state.https_addr.get().expect("HTTPS is on");
    let ok = basic("staff", "test-password");
    for target in ["/admin", "/admin/data.json"] {
        let r = request(svc.addr, "GET", target, &[("Authorization", &ok)]).await;
        assert_eq!(r.status, 308, "{target}");
        assert_eq!(
            r.header("location"),
            Some(format!("https://test:{}{target}", tls.port()).as_str())
        );
        assert!(
            r.header("www-authenticate").is_none(),
            "no password challenge over plain HTTP"
        );
        assert!(!r.text().contains("VenueBox staff"));
    }
    // The certificate served is the one whose fingerprint the console shows.
    let (_, cert) = https_request(tls, "GET", "/healthz", &[]).await;
    let dir = &svc.state.config().admin.state_dir;
    let pem = std::fs::read(dir.join(venuebox::http::tls::CERT_FILE)).unwrap();
    let kept = rustls::pki_types::CertificateDer::from_pem_slice(&pem).unwrap();
    assert_eq!(cert, kept.to_vec());
    // Viewers keep plain HTTP.
    assert_eq!(get(svc.addr, "/healthz").await.status, 200);
    svc.stop().await;
}

#[tokio::test]
async fn the_eleventh_wrong_password_within_a_minute_is_refused() {
    let hls = tempfile::tempdir().unwrap();
    let svc = start(hls_dir_config(hls.path())).await;
    let tls = *svc.state.https_addr.get().expect("HTTPS is on");
    let wrong = basic("staff", "guess");
    for i in 1..=10 {
        let (r, _) = https_request(tls, "GET", "/admin/data.json", &[("Authorization", &wrong)]).await;
        assert_eq!(r.status, 401, "wrong password {i}");
    }
    let ok = basic("staff", "test-password");
    for auth in [&wrong, &ok] {
        let (r, _) = https_request(tls, "GET", "/admin/data.json", &[("Authorization", auth)]).await;
        assert_eq!(r.status, 429, "the 11th attempt is refused unchecked");
    }
    svc.stop().await;
}

fn decode_png(bytes: &[u8]) -> String {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().unwrap().1
}

#[tokio::test]
async fn served_qr_codes_decode_back_to_the_viewer_urls() {
    let hls = tempfile::tempdir().unwrap();
    let svc = start(hls_dir_config(hls.path())).await;
    let status: serde_json::Value = serde_json::from_slice(&get(svc.addr, "/api/status").await.body).unwrap();
    let by_ip = status["discovery"]["viewer_url_ip"].as_str().unwrap().to_owned();
    assert_eq!(by_ip, format!("http://127.0.0.1:{}/", svc.addr.port()));
    for (query, expected) in [
        ("", by_ip.clone()),
        ("?by=ip", by_ip.clone()),
        ("?by=name", format!("http://venuebox.local:{}/", svc.addr.port())),
    ] {
        let r = get(svc.addr, &format!("/qr.png{query}")).await;
        assert_eq!((r.status, r.header("content-type")), (200, Some("image/png")));
        assert_eq!(decode_png(&r.body), expected, "{query}");
        let svg = get(svc.addr, &format!("/qr.svg{query}")).await;
        assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
        assert!(svg.text().contains("<svg"));
        assert_eq!(svg.header("x-viewer-url"), Some(expected.as_str()));
    }
    assert_eq!(get(svc.addr, "/qr.png?by=carrier-pigeon").await.status, 400);
    svc.stop().await;
}
