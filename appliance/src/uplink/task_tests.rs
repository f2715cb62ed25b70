//! The task on the in-memory store: ordering seen by the bucket, viewer once per version,
//! failure and recovery, resync after missed events.

use super::*;
use crate::uplink::scheduler::SchedulerConfig;
use crate::uplink::store::{MemoryStore, Op};
use crate::window::{IncomingSegment, WindowLimits};
use bytes::Bytes;
use std::collections::HashSet;
use std::time::Duration;

fn window() -> Arc<SharedWindow> {
    SharedWindow::new(WindowLimits {
        max_duration_secs: 100.0,
        max_segments: 4,
        max_bytes: 1 << 20,
    })
}

fn push(w: &SharedWindow, n: u8) {
    w.push(IncomingSegment::test_ts(format!("{n}.ts"), vec![n; 10]));
}

fn params(store: MemoryStore, w: Arc<SharedWindow>, viewer: Option<ViewerBundle>) -> TaskParams<MemoryStore> {
    TaskParams {
        store,
        window: w,
        scheduler: SchedulerConfig {
            prefix: String::new(),
            concurrency: 3,
            queue_segments: 8,
            max_lag: Duration::from_secs(30),
            backoff_initial: Duration::from_millis(10),
            backoff_max: Duration::from_millis(50),
            delete_old: true,
            delete_grace: Duration::ZERO,
            seed: 9,
        },
        viewer,
        status: Arc::new(UplinkStatus::new(true, String::new())),
    }
}

async fn until(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out: {what}");
}

fn playlist_names(store: &MemoryStore) -> Vec<String> {
    let pl = store
        .object("hls/live.m3u8")
        .map(|o| String::from_utf8(o.body.to_vec()).unwrap())
        .unwrap_or_default();
    pl.lines()
        .filter(|l| l.starts_with("seg-"))
        .map(str::to_owned)
        .collect()
}

/// Replays the store's log: every playlist names only objects present at that moment.
fn assert_never_names_missing(store: &MemoryStore) {
    let mut present = HashSet::new();
    for op in store.log() {
        match op {
            Op::Put(p) => {
                if p.key.ends_with(".m3u8") {
                    for uri in std::str::from_utf8(&p.body)
                        .unwrap()
                        .lines()
                        .filter(|l| l.starts_with("seg-"))
                    {
                        assert!(present.contains(&format!("hls/{uri}")), "playlist named missing {uri}");
                    }
                }
                present.insert(p.key);
            }
            Op::Delete(k) => {
                present.remove(&k);
            }
        }
    }
}

#[tokio::test]
async fn bucket_order_is_safe_and_old_objects_go() {
    let (store, w) = (MemoryStore::default(), window());
    let stop = CancellationToken::new();
    let task = tokio::spawn(run(params(store.clone(), w.clone(), None), stop.clone()));
    for n in 0..10 {
        push(&w, n);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let newest: Vec<String> = w.read().segments().map(|s| s.name.clone()).collect();
    until("playlist = window", || playlist_names(&store) == newest).await;
    until("old segments deleted", || store.keys().len() == newest.len() + 1).await;
    assert_never_names_missing(&store);
    stop.cancel();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn failures_recover_and_stay_consistent() {
    let (store, w) = (MemoryStore::default(), window());
    let stop = CancellationToken::new();
    let p = params(store.clone(), w.clone(), None);
    let status = p.status.clone();
    tokio::spawn(run(p, stop.clone()));
    store.set_failing(true);
    push(&w, 1);
    until("a failure", || status.stats().failures > 0).await;
    assert!(status.stats().last_error.unwrap().contains("HTTP 500"));
    store.set_failing(false);
    push(&w, 2);
    let newest = w.read().segments().last().unwrap().name.clone();
    until("recovered", || playlist_names(&store).last() == Some(&newest)).await;
    assert_never_names_missing(&store);
    stop.cancel();
}

#[tokio::test]
async fn viewer_is_uploaded_once_per_version() {
    let (store, w) = (MemoryStore::default(), window());
    let file = PutRequest {
        key: "index.html".into(),
        body: Bytes::from_static(b"<html>"),
        content_type: "text/html",
        cache_control: "no-cache",
    };
    let bundle = ViewerBundle {
        files: vec![file],
        version: "v1".into(),
    };
    for round in 0..2 {
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(
            params(store.clone(), w.clone(), Some(bundle.clone())),
            stop.clone(),
        ));
        until("marker", || store.object(".venuebox-viewer-version").is_some()).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        stop.cancel();
        task.await.unwrap().unwrap();
        let puts = store
            .log()
            .iter()
            .filter(|o| matches!(o, Op::Put(p) if p.key == "index.html"))
            .count();
        assert_eq!(puts, 1, "round {round}");
    }
}

use super::super::store::PutRequest;
