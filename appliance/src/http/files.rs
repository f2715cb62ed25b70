//! The viewer app from its folder: validated paths only, no escape through `..`, encodings or
//! symbolic links; a built-in page explains how to build the viewer when it is absent. Files are
//! read once and held in memory (up to [`MAX_CACHED_BYTES`] in all), so a thousand requests for
//! the app share one buffer instead of reading a fresh one each; a changed file (size or time)
//! is read again.

use crate::web::respond::{self, Body, Caching};
use bytes::Bytes;
use hyper::{HeaderMap, Method, Response};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;
use venuebox_proto::http_path::SafePath;

/// Largest static file served.
pub const MAX_FILE_BYTES: u64 = 32 << 20;

/// Most bytes of viewer files held in memory; beyond, files are read per request.
pub const MAX_CACHED_BYTES: usize = 64 << 20;

type Cache = HashMap<PathBuf, (u64, Option<SystemTime>, Bytes)>;

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The file's bytes: the held copy while size and modification time are unchanged.
pub async fn load(file: &Path, meta: &std::fs::Metadata) -> Option<Bytes> {
    let stamp = (meta.len(), meta.modified().ok());
    {
        let held = cache().lock().unwrap_or_else(|p| p.into_inner());
        if let Some((len, time, data)) = held.get(file) {
            if (*len, *time) == stamp {
                return Some(data.clone());
            }
        }
    }
    let data = Bytes::from(tokio::fs::read(file).await.ok()?);
    let mut held = cache().lock().unwrap_or_else(|p| p.into_inner());
    held.remove(file);
    let total: usize = held.values().map(|(_, _, d)| d.len()).sum();
    if total + data.len() <= MAX_CACHED_BYTES {
        held.insert(file.to_owned(), (stamp.0, stamp.1, data.clone()));
    }
    Some(data)
}

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
    let data = load(&file, &meta).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_is_read_once_and_its_buffer_shared() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("app.js");
        std::fs::write(&file, b"console.log(1)").unwrap();
        let meta = std::fs::metadata(&file).unwrap();
        let (a, b) = (load(&file, &meta).await.unwrap(), load(&file, &meta).await.unwrap());
        assert_eq!(a.as_ptr(), b.as_ptr(), "one buffer for every request");
        std::fs::write(&file, b"console.log(22)").unwrap();
        let meta = std::fs::metadata(&file).unwrap();
        assert_eq!(
            &load(&file, &meta).await.unwrap()[..],
            b"console.log(22)",
            "a changed file is read again"
        );
    }
}
