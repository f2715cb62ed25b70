//! Test harness for the uplink: a window fed with synthetic segments, the uplink task on the
//! real S3 client, and a checker that the playlist in the bucket never names a missing or
//! wrong object.

use super::server::{BucketDir, ACCESS_KEY, SECRET_KEY};
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use venuebox::uplink::credentials::{self, Credentials};
use venuebox::uplink::s3::S3Store;
use venuebox::uplink::viewer::ViewerBundle;
use venuebox::uplink::{scheduler_config, task, UplinkConfig, UplinkStatus};
use venuebox::window::{Container, IncomingSegment, SharedWindow, WindowLimits};
use venuebox_proto::m3u8::MediaPlaylist;

pub fn creds() -> Credentials {
    credentials::load(
        |k| Some(if k.ends_with("KEY_ID") { ACCESS_KEY } else { SECRET_KEY }.to_owned()),
        std::path::Path::new("/nonexistent"),
    )
    .unwrap()
}

/// Fast timings for tests.
pub fn config(endpoint: &str, bucket: &str) -> UplinkConfig {
    UplinkConfig {
        enabled: true,
        endpoint: endpoint.to_owned(),
        bucket: bucket.to_owned(),
        public_base_url: "http://cdn.test".into(),
        prefix: "live/".into(),
        backoff_initial_ms: 50,
        backoff_max_ms: 1000,
        request_timeout_ms: 2000,
        max_lag_secs: 4.0,
        delete_grace_secs: 1.0,
        concurrency: 3,
        queue_segments: 6,
        ..UplinkConfig::default()
    }
}

pub struct Feed {
    pub window: Arc<SharedWindow>,
    /// Box name -> bytes of every segment pushed.
    pub sent: Arc<Mutex<HashMap<String, Bytes>>>,
    counter: u64,
    pub size: usize,
}

impl Feed {
    pub fn new(max_segments: usize, size: usize) -> Self {
        let window = SharedWindow::new(WindowLimits {
            max_duration_secs: 1000.0,
            max_segments,
            max_bytes: 1 << 30,
        });
        Self {
            window,
            sent: Arc::default(),
            counter: 0,
            size,
        }
    }

    /// Pushes one segment with recognisable bytes; returns its box name.
    pub fn push(&mut self) -> String {
        self.counter += 1;
        let mut data = format!("segment {} ", self.counter).into_bytes();
        data.resize(self.size, (self.counter % 251) as u8);
        let data = Bytes::from(data);
        self.window.push(IncomingSegment {
            source_uri: format!("s{}.ts", self.counter),
            kind: Container::Ts,
            duration: 1.0,
            data: data.clone(),
            discontinuity: false,
            program_date_time: None,
            init: None,
        });
        let name = self.window.read().segments().last().unwrap().name.clone();
        self.sent.lock().unwrap().insert(name.clone(), data);
        name
    }
}

pub struct Uplink {
    pub status: Arc<UplinkStatus>,
    pub stop: CancellationToken,
    pub handle: tokio::task::JoinHandle<Result<(), task::TaskError>>,
}

impl Uplink {
    /// Stops the task; it must not have failed.
    pub async fn finish(self) {
        self.stop.cancel();
        self.handle.await.unwrap().unwrap();
    }
}

pub fn start_uplink(cfg: &UplinkConfig, window: Arc<SharedWindow>) -> Uplink {
    start_uplink_with(cfg, window, None)
}

pub fn start_uplink_with(cfg: &UplinkConfig, window: Arc<SharedWindow>, viewer: Option<ViewerBundle>) -> Uplink {
    let store = S3Store::new(cfg, &creds()).unwrap();
    let status = Arc::new(UplinkStatus::new(
        true,
        cfg.public_url(venuebox::uplink::keys::PLAYLIST),
    ));
    let stop = CancellationToken::new();
    let params = task::TaskParams {
        store,
        window,
        scheduler: scheduler_config(cfg, 42),
        viewer,
        status: status.clone(),
    };
    let handle = tokio::spawn(task::run(params, stop.clone()));
    Uplink { status, stop, handle }
}

/// What one look at the bucket found.
#[derive(Debug, Default, Clone)]
pub struct Observation {
    pub uris: Vec<String>,
    pub media_sequence: u64,
    pub discontinuities: usize,
}

/// Reads the playlist from the server's storage and checks every object it names against the
/// bytes that were pushed. `Ok(None)` while there is no playlist yet.
pub fn observe(
    server: &BucketDir,
    prefix: &str,
    sent: &Mutex<HashMap<String, Bytes>>,
) -> Result<Option<Observation>, String> {
    let Some(text) = server.object(&format!("{prefix}hls/live.m3u8")) else {
        return Ok(None);
    };
    let pl = MediaPlaylist::parse(&text).map_err(|e| format!("uploaded playlist does not parse: {e}"))?;
    let sent = sent.lock().unwrap();
    for seg in &pl.segments {
        let stored = server
            .object(&format!("{prefix}hls/{}", seg.uri))
            .ok_or_else(|| format!("playlist names {} but the bucket lacks it", seg.uri))?;
        let expected = sent
            .get(&seg.uri)
            .ok_or_else(|| format!("unknown segment {}", seg.uri))?;
        if stored != expected.as_ref() {
            return Err(format!(
                "{} holds {} bytes, not the {} pushed",
                seg.uri,
                stored.len(),
                expected.len()
            ));
        }
    }
    Ok(Some(Observation {
        uris: pl.segments.iter().map(|s| s.uri.clone()).collect(),
        media_sequence: pl.media_sequence,
        discontinuities: pl.segments.iter().filter(|s| s.discontinuity).count(),
    }))
}

/// Checks the bucket every 50 ms until stopped: every observation must be consistent, and a
/// media sequence number must always name the same segment.
pub fn spawn_checker(
    server: BucketDir,
    prefix: String,
    sent: Arc<Mutex<HashMap<String, Bytes>>>,
) -> (CancellationToken, tokio::task::JoinHandle<Result<usize, String>>) {
    let stop = CancellationToken::new();
    let token = stop.clone();
    let handle = tokio::spawn(async move {
        let mut numbering: HashMap<u64, String> = HashMap::new();
        let mut checks = 0;
        while !token.is_cancelled() {
            if let Some(o) = observe(&server, &prefix, &sent)? {
                checks += 1;
                for (i, uri) in o.uris.iter().enumerate() {
                    let msn = o.media_sequence + i as u64;
                    let prev = numbering.entry(msn).or_insert_with(|| uri.clone());
                    if prev != uri {
                        return Err(format!("media sequence {msn} named {prev}, now {uri}"));
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(checks)
    });
    (stop, handle)
}

/// Waits until the uploaded playlist ends with `name`.
pub async fn wait_published(
    server: &BucketDir,
    prefix: &str,
    sent: &Mutex<HashMap<String, Bytes>>,
    name: &str,
    within: Duration,
) -> Observation {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Ok(Some(o)) = observe(server, prefix, sent) {
            if o.uris.last().map(String::as_str) == Some(name) {
                return o;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name} not published within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
