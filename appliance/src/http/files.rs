//! The viewer app from its folder: validated paths only, no escape through `..`, encodings or
//! symbolic links; a built-in page explains how to build the viewer when it is absent.

use crate::web::respond::{self, Body, Caching};
use bytes::Bytes;
use hyper::{HeaderMap, Method, Response};
use std::path::{Path, PathBuf};
use venuebox_proto::http_path::SafePath;

/// Largest static file served.
pub const MAX_FILE_BYTES: u64 = 32 << 20;

const NO_VIEWER: &str = include_str!("no_viewer.html");

/// Serves `path` from `root`; `None` means not found.
pub async fn serve(root: &Path, path: &SafePath, method: &Method, headers: &HeaderMap) -> Option<Response<Body>> {
    let rel = if path.components().is_empty() {
        "index.html".to_owned()
    } else {
        path.relative()
    };
    let Some(file) = locate(root, &rel).await else {
        return (rel == "index.html").then(|| no_viewer(method, headers));
    };
    let meta = tokio::fs::metadata(&file).await.ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
        return None;
    }
    let data = Bytes::from(tokio::fs::read(&file).await.ok()?);
    let caching = if rel.starts_with("assets/") {
        Caching::Immutable // Vite puts content hashes in these names.
    } else if rel.ends_with(".html") || rel == "sw.js" || rel.ends_with(".webmanifest") {
        Caching::NoCache
    } else {
        Caching::Short
    };
    Some(respond::bytes(method, headers, data, respond::mime_for(&rel), caching))
}

/// Joins and canonicalises, refusing a result outside the canonical root (symlinks).
async fn locate(root: &Path, rel: &str) -> Option<PathBuf> {
    let root = tokio::fs::canonicalize(root).await.ok()?;
    let file = tokio::fs::canonicalize(root.join(rel)).await.ok()?;
    file.starts_with(&root).then_some(file)
}

fn no_viewer(method: &Method, headers: &HeaderMap) -> Response<Body> {
    respond::bytes(
        method,
        headers,
        Bytes::from_static(NO_VIEWER.as_bytes()),
        "text/html; charset=utf-8",
        Caching::NoStore,
    )
}
