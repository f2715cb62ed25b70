//! The R2 uplink against a real S3-compatible server that checks SigV4 (s3s-fs), with the
//! server killed for 30 s, answering 500 or very slow behind a fault-injecting proxy.
//! Built with `--features s3-server-tests` by scripts/test.d/50-uplink.sh, which installs s3s-fs.

mod common;
#[path = "uplink/harness.rs"]
mod harness;
#[path = "uplink/proxy.rs"]
mod proxy;
#[path = "uplink/server.rs"]
mod server;

use bytes::Bytes;
use harness::{config, observe, spawn_checker, start_uplink, wait_published, Feed};
use http_body_util::{BodyExt as _, Empty};
use proxy::{Mode, Proxy};
use rusty_s3::S3Action as _;
use server::{S3Server, ACCESS_KEY, SECRET_KEY};
use std::time::Duration;

const PREFIX: &str = "live/";

/// GET through a URL presigned with `secret`: status, headers, body.
async fn presigned_get(srv: &S3Server, key: &str, secret: &str) -> (u16, hyper::HeaderMap, Bytes) {
    let bucket = rusty_s3::Bucket::new(
        srv.endpoint().parse().unwrap(),
        rusty_s3::UrlStyle::Path,
        srv.bucket.clone(),
        "auto",
    )
    .unwrap();
    let creds = rusty_s3::Credentials::new(ACCESS_KEY, secret);
    let url = bucket.get_object(Some(&creds), key).sign(Duration::from_secs(60));
    let client =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let resp = client.get(url.as_str().parse().unwrap()).await.unwrap();
    let (parts, body) = resp.into_parts();
    (
        parts.status.as_u16(),
        parts.headers,
        body.collect().await.unwrap().to_bytes(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_arrive_with_the_right_bytes_and_headers() {
    let srv = S3Server::start("venue").await;
    let mut feed = Feed::new(10, 50_000);
    let viewer_dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(viewer_dir.path().join("assets")).unwrap();
    std::fs::write(viewer_dir.path().join("index.html"), "<!doctype html><title>v</title>").unwrap();
    std::fs::write(viewer_dir.path().join("assets/app-abc.js"), "console.log(1)").unwrap();
    let cfg = config(&srv.endpoint(), "venue");
    let bundle = venuebox::uplink::viewer::load(viewer_dir.path(), PREFIX)
        .unwrap()
        .unwrap();
    let up = harness::start_uplink_with(&cfg, feed.window.clone(), Some(bundle.clone()));
    let mut last = String::new();
    for _ in 0..5 {
        last = feed.push();
    }
    let dir = srv.dir();
    let o = wait_published(&dir, PREFIX, &feed.sent, &last, Duration::from_secs(20)).await;
    assert_eq!(o.uris.len(), 5);
    let (status_code, headers, body) = presigned_get(&srv, &format!("{PREFIX}hls/{last}"), SECRET_KEY).await;
    assert_eq!(status_code, 200);
    assert_eq!(body, feed.sent.lock().unwrap()[&last]);
    assert_eq!(headers["content-type"], "video/mp2t");
    assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable");
    let (_, headers, body) = presigned_get(&srv, &format!("{PREFIX}hls/live.m3u8"), SECRET_KEY).await;
    assert_eq!(headers["content-type"], "application/vnd.apple.mpegurl");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(std::str::from_utf8(&body).unwrap().contains(&last));
    common::wait_for(Duration::from_secs(10), "viewer marker", || async {
        dir.object(&format!("{PREFIX}.venuebox-viewer-version"))
            .filter(|v| v == bundle.version.as_bytes())
    })
    .await;
    let (_, headers, body) = presigned_get(&srv, &format!("{PREFIX}index.html"), SECRET_KEY).await;
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-cache");
    assert_eq!(&body[..], b"<!doctype html><title>v</title>");
    let (_, headers, _) = presigned_get(&srv, &format!("{PREFIX}assets/app-abc.js"), SECRET_KEY).await;
    assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable");
    let stats = up.status.stats();
    assert!(
        stats.bytes_uploaded >= 5 * 50_000 && stats.last_error.is_none(),
        "{stats:?}"
    );
    up.finish().await;
}

type Case<'a> = (&'a [&'a str], [(&'a str, &'a str); 2], &'a str);

fn uplink_check(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_venuebox"));
    cmd.arg("uplink-check")
        .args(args)
        .env_remove("VENUEBOX_R2_ACCESS_KEY_ID")
        .env_remove("VENUEBOX_R2_SECRET_ACCESS_KEY");
    cmd.env("VENUEBOX_UPLINK_CREDENTIALS_FILE", "/nonexistent/creds.toml");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_and_targets_give_clear_errors() {
    let srv = S3Server::start("venue").await;
    // The server really checks signatures.
    let (status, _, body) = presigned_get(&srv, "live/x", "not-the-secret").await;
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    let ep = srv.endpoint();
    let good = [
        ("VENUEBOX_R2_ACCESS_KEY_ID", ACCESS_KEY),
        ("VENUEBOX_R2_SECRET_ACCESS_KEY", SECRET_KEY),
    ];
    let (ok, text) = uplink_check(&["--endpoint", &ep, "--bucket", "venue"], &good);
    assert!(ok && text.contains("uplink OK"), "{text}");
    assert!(!text.contains(SECRET_KEY) && !text.contains(ACCESS_KEY), "{text}");
    assert!(srv.dir().list("").is_empty(), "the probe is deleted again");
    let cases: &[Case] = &[
        (
            &["--bucket", "venue"],
            [good[0], ("VENUEBOX_R2_SECRET_ACCESS_KEY", "wrong")],
            "secret access key is wrong",
        ),
        (
            &["--bucket", "venue"],
            [("VENUEBOX_R2_ACCESS_KEY_ID", "NOSUCHKEY"), good[1]],
            "does not know this access key ID",
        ),
        (&["--bucket", "nobucket"], good, "bucket nobucket does not exist"),
    ];
    for (args, env, expected) in cases {
        let mut a = vec!["--endpoint", ep.as_str()];
        a.extend_from_slice(args);
        let (ok, text) = uplink_check(&a, env);
        assert!(!ok && text.contains(expected), "{expected}: {text}");
        assert!(
            !text.contains(SECRET_KEY) && !text.contains("X-Amz-Signature"),
            "{text}"
        );
    }
    let closed = format!(
        "http://127.0.0.1:{}",
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    );
    let (ok, text) = uplink_check(&["--endpoint", &closed, "--bucket", "venue"], &good);
    assert!(!ok && text.contains("cannot connect"), "{text}");
    let (ok, text) = uplink_check(&["--endpoint", &ep, "--bucket", "venue"], &[]);
    assert!(
        !ok && text.contains("no credentials") && text.contains("VENUEBOX_R2_ACCESS_KEY_ID"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_show_in_the_uplink_status() {
    let srv = S3Server::start("venue").await;
    let mut feed = Feed::new(10, 1000);
    let cfg = config(&srv.endpoint(), "venue");
    let store = venuebox::uplink::s3::S3Store::new(
        &cfg,
        &venuebox::uplink::credentials::load(|k| Some(format!("{k}-wrong")), std::path::Path::new("/x")).unwrap(),
    )
    .unwrap();
    let status = std::sync::Arc::new(venuebox::uplink::UplinkStatus::new(true, String::new()));
    let stop = tokio_util::sync::CancellationToken::new();
    let params = venuebox::uplink::task::TaskParams {
        store,
        window: feed.window.clone(),
        scheduler: venuebox::uplink::scheduler_config(&cfg, 3),
        viewer: None,
        status: status.clone(),
    };
    tokio::spawn(venuebox::uplink::task::run(params, stop.clone()));
    feed.push();
    let err = common::wait_for(Duration::from_secs(10), "an error in the status", || async {
        status.stats().last_error
    })
    .await;
    // s3s says NotSignedUp for an unknown key; R2 and AWS say InvalidAccessKeyId.
    assert!(
        err.contains("access denied (NotSignedUp)") || err.contains("access denied (InvalidAccessKeyId)"),
        "{err}"
    );
    assert_eq!(status.stats().bytes_uploaded, 0);
    assert!(srv.dir().list("live/hls").is_empty());
    stop.cancel();
}

/// Pushes a segment every `every` for `total`, returning the last name.
async fn stream(feed: &mut Feed, every: Duration, total: Duration) -> String {
    let mut last = feed.push();
    let n = (total.as_secs_f64() / every.as_secs_f64()) as usize;
    for _ in 1..n {
        tokio::time::sleep(every).await;
        last = feed.push();
    }
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_down_for_30_s_loses_nothing_and_catches_up() {
    let mut srv = S3Server::start("venue").await;
    let mut feed = Feed::new(12, 20_000);
    let dir = srv.dir();
    let (checker_stop, checker) = spawn_checker(dir.clone(), PREFIX.into(), feed.sent.clone());
    let up = start_uplink(&config(&srv.endpoint(), "venue"), feed.window.clone());
    let every = Duration::from_millis(500);
    let before = stream(&mut feed, every, Duration::from_secs(3)).await;
    let o = wait_published(&dir, PREFIX, &feed.sent, &before, Duration::from_secs(10)).await;
    let first_msn = o.media_sequence;
    srv.kill();
    let during = stream(&mut feed, every, Duration::from_secs(30)).await;
    // Lag is bounded while segments keep coming (older ones are skipped after max_lag_secs);
    // once the newest has waited past 3 s the outage shows in the status.
    let status = up.status.clone();
    common::wait_for(Duration::from_secs(10), "the outage in the lag", || {
        let status = status.clone();
        async move { (status.lag_secs(std::time::Instant::now()) > 3.0 && status.stats().failures > 0).then_some(()) }
    })
    .await;
    srv.restart().await;
    let last = feed.push();
    let caught_up = tokio::time::Instant::now();
    let o = wait_published(&dir, PREFIX, &feed.sent, &last, Duration::from_secs(15)).await;
    println!("caught up {:?} after the restart", caught_up.elapsed());
    assert!(o.discontinuities >= 1, "the gap is a discontinuity: {o:?}");
    assert!(o.media_sequence > first_msn);
    assert!(
        o.uris.contains(&during),
        "the live edge of the outage is uploaded: {o:?}"
    );
    let stats = up.status.stats();
    assert!(stats.segments_skipped > 0, "{stats:?}");
    checker_stop.cancel();
    let checks = checker.await.unwrap().expect("the bucket stayed consistent");
    assert!(checks > 20, "only {checks} observations");
    up.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_500_then_recovery_keeps_the_playlist_consistent() {
    let srv = S3Server::start("venue").await;
    let proxy = Proxy::start(srv.addr()).await;
    let mut feed = Feed::new(12, 20_000);
    let dir = srv.dir();
    let (checker_stop, checker) = spawn_checker(dir.clone(), PREFIX.into(), feed.sent.clone());
    let up = start_uplink(&config(&proxy.endpoint(), "venue"), feed.window.clone());
    let every = Duration::from_millis(300);
    let before = stream(&mut feed, every, Duration::from_secs(2)).await;
    wait_published(&dir, PREFIX, &feed.sent, &before, Duration::from_secs(10)).await;
    proxy.set(Mode::Error500);
    stream(&mut feed, every, Duration::from_secs(6)).await;
    let err = up.status.stats().last_error.unwrap_or_default();
    assert!(err.contains("HTTP 500 (InternalError)"), "{err}");
    proxy.set(Mode::Pass);
    let last = feed.push();
    let o = wait_published(&dir, PREFIX, &feed.sent, &last, Duration::from_secs(15)).await;
    assert!(o.discontinuities >= 1, "{o:?}");
    checker_stop.cancel();
    assert!(checker.await.unwrap().expect("consistent") > 10);
    up.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn very_slow_server_writes_nothing_half_and_catches_up() {
    let srv = S3Server::start("venue").await;
    let proxy = Proxy::start(srv.addr()).await;
    let mut feed = Feed::new(12, 60_000);
    let dir = srv.dir();
    let (checker_stop, checker) = spawn_checker(dir.clone(), PREFIX.into(), feed.sent.clone());
    let up = start_uplink(&config(&proxy.endpoint(), "venue"), feed.window.clone());
    let every = Duration::from_millis(400);
    let before = stream(&mut feed, every, Duration::from_secs(2)).await;
    wait_published(&dir, PREFIX, &feed.sent, &before, Duration::from_secs(10)).await;
    proxy.set(Mode::Slow); // 16 KiB/s: a 60 kB segment needs ~4 s, the time limit is 2 s
    stream(&mut feed, every, Duration::from_secs(8)).await;
    let err = up.status.stats().last_error.unwrap_or_default();
    assert!(err.contains("no answer within 2000 ms"), "{err}");
    let sent = feed.sent.lock().unwrap().clone();
    for name in dir.list(&format!("{PREFIX}hls")) {
        if let Some(expected) = sent.get(&name) {
            assert_eq!(
                dir.object(&format!("{PREFIX}hls/{name}")).unwrap(),
                expected.as_ref(),
                "{name} half-written"
            );
        }
    }
    proxy.set(Mode::Pass);
    let last = feed.push();
    wait_published(&dir, PREFIX, &feed.sent, &last, Duration::from_secs(15)).await;
    checker_stop.cancel();
    assert!(checker.await.unwrap().expect("consistent") > 10);
    up.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_leave_the_bucket_after_the_window() {
    let srv = S3Server::start("venue").await;
    let mut feed = Feed::new(4, 5_000);
    let dir = srv.dir();
    let mut cfg = config(&srv.endpoint(), "venue");
    cfg.delete_grace_secs = 0.2;
    let up = start_uplink(&cfg, feed.window.clone());
    let last = stream(&mut feed, Duration::from_millis(200), Duration::from_secs(3)).await;
    wait_published(&dir, PREFIX, &feed.sent, &last, Duration::from_secs(10)).await;
    let in_window: Vec<String> = feed.window.read().segments().map(|s| s.name.clone()).collect();
    let mut expected = in_window.clone();
    expected.push("live.m3u8".into());
    expected.sort();
    common::wait_for(Duration::from_secs(10), "old objects deleted", || {
        let now = dir.list(&format!("{PREFIX}hls"));
        let want = expected.clone();
        async move { (now == want).then_some(()) }
    })
    .await;
    let o = observe(&dir, PREFIX, &feed.sent).unwrap().unwrap();
    assert_eq!(o.uris, in_window);
    assert!(up.status.stats().objects_deleted >= 10);
    up.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_uploads_and_reports_in_status_and_metrics() {
    use std::os::unix::fs::PermissionsExt as _;
    let srv = S3Server::start("venue").await;
    let hls = tempfile::tempdir().unwrap();
    let creds = hls.path().join("r2.toml");
    std::fs::write(
        &creds,
        format!("access_key_id = \"{ACCESS_KEY}\"\nsecret_access_key = \"{SECRET_KEY}\"\n"),
    )
    .unwrap();
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut c = common::hls_dir_config(&hls.path().join("in"));
    std::fs::create_dir(hls.path().join("in")).unwrap();
    c.uplink = config(&srv.endpoint(), "venue");
    c.uplink.credentials_file = creds;
    c.http.viewer_dir = hls.path().join("no-viewer");
    let svc = common::start(c).await;
    let dir = hls.path().join("in");
    common::write_atomic(&dir, "a0.ts", &[7u8; 3000]);
    common::write_atomic(&dir, "stream.m3u8", common::playlist(0, &["a0.ts"], false).as_bytes());
    let bucket = srv.dir();
    let text = common::wait_for(Duration::from_secs(15), "uploaded playlist", || async {
        bucket
            .object("live/hls/live.m3u8")
            .map(|b| String::from_utf8(b).unwrap())
    })
    .await;
    let name = text.lines().find(|l| l.starts_with("seg-")).unwrap().to_owned();
    assert_eq!(bucket.object(&format!("live/hls/{name}")).unwrap(), vec![7u8; 3000]);
    let status = common::get(svc.addr, "/api/status").await;
    let doc: serde_json::Value = serde_json::from_slice(&status.body).unwrap();
    assert_eq!(doc["uplink"]["enabled"], true);
    assert!(doc["uplink"]["bytes_uploaded"].as_u64().unwrap() >= 3000, "{doc}");
    assert_eq!(doc["uplink"]["public_playlist"], "http://cdn.test/live/hls/live.m3u8");
    let metrics = common::get(svc.addr, "/metrics").await.text();
    assert!(
        metrics.contains("venuebox_uplink_uploaded_bytes_total") && metrics.contains("venuebox_uplink_lag_seconds"),
        "{metrics}"
    );
    assert!(!metrics.contains(SECRET_KEY) && !status.text().contains(SECRET_KEY));
    svc.stop().await;
}
