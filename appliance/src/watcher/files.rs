//! Reading the producer's files: bounded reads, and playlist URIs that cannot leave the folder.

use super::WatchError;
use bytes::Bytes;
use std::path::{Path, PathBuf};
use tokio::io::AsyncReadExt;
use venuebox_proto::http_path::is_plain_name;

/// Joins a playlist-relative URI onto the folder, refusing anything that could leave it.
pub fn resolve_uri(dir: &Path, uri: &str) -> Option<PathBuf> {
    let path = uri.split(['?', '#']).next()?;
    if path.contains("://") || path.starts_with('/') {
        return None;
    }
    let mut out = dir.to_path_buf();
    for part in path.split('/') {
        if !is_plain_name(part) {
            return None;
        }
        out.push(part);
    }
    Some(out)
}

pub(super) async fn read_bounded(path: &Path, limit: u64) -> Result<Bytes, WatchError> {
    let io = |source| WatchError::Io {
        path: path.to_owned(),
        source,
    };
    let file = tokio::fs::File::open(path).await.map_err(io)?;
    let size = file.metadata().await.map_err(io)?.len();
    if size > limit {
        return Err(WatchError::TooLarge {
            path: path.to_owned(),
            size,
            limit,
        });
    }
    let mut buf = Vec::with_capacity(size as usize);
    file.take(limit + 1).read_to_end(&mut buf).await.map_err(io)?;
    if buf.len() as u64 > limit {
        return Err(WatchError::TooLarge {
            path: path.to_owned(),
            size: buf.len() as u64,
            limit,
        });
    }
    Ok(Bytes::from(buf))
}

#[cfg(test)]
mod tests {
    use super::resolve_uri;
    use std::path::Path;

    #[test]
    fn uris_cannot_leave_the_folder() {
        let d = Path::new("/hls");
        assert_eq!(resolve_uri(d, "seg1.ts").unwrap(), Path::new("/hls/seg1.ts"));
        assert_eq!(resolve_uri(d, "0/seg1.ts?x=1").unwrap(), Path::new("/hls/0/seg1.ts"));
        for bad in [
            "../x.ts",
            "/etc/passwd",
            "http://evil/x.ts",
            "a/../../b",
            "",
            ".hidden",
            "a//b",
        ] {
            assert!(resolve_uri(d, bad).is_none(), "{bad}");
        }
    }
}
