//! The viewer app as objects: every file of `viewer/dist` under the prefix, with the box's
//! Content-Type and Cache-Control, and a version (a hash of names and bytes) so that it is
//! uploaded once per version, not once per start.

use super::keys;
use super::store::PutRequest;
use bytes::Bytes;
use sha2::{Digest as _, Sha256};
use std::path::Path;

/// Most files uploaded.
pub const MAX_FILES: usize = 512;
/// Most bytes uploaded.
pub const MAX_BYTES: u64 = 64 << 20;

/// The built viewer app.
#[derive(Debug, Clone)]
pub struct ViewerBundle {
    /// Its files as uploads.
    pub files: Vec<PutRequest>,
    /// Hash of names and contents.
    pub version: String,
}

impl ViewerBundle {
    /// The marker object recording this version, uploaded after every file.
    pub fn marker(&self, prefix: &str) -> PutRequest {
        PutRequest {
            key: keys::viewer(prefix, keys::VIEWER_VERSION),
            body: Bytes::from(self.version.clone()),
            content_type: "text/plain; charset=utf-8",
            cache_control: keys::CACHE_PLAYLIST,
        }
    }
}

/// Why the viewer could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ViewerError {
    /// A file or folder could not be read.
    #[error("reading the viewer app: {0}")]
    Io(#[from] std::io::Error),
    /// Too many files or bytes.
    #[error("the viewer app has more than {MAX_FILES} files or {MAX_BYTES} bytes")]
    TooLarge,
}

/// Reads the built viewer in `dir`; `None` when it has no `index.html` (not built).
pub fn load(dir: &Path, prefix: &str) -> Result<Option<ViewerBundle>, ViewerError> {
    if !dir.join("index.html").is_file() {
        return Ok(None);
    }
    let mut rels = Vec::new();
    walk(dir, "", &mut rels)?;
    rels.sort();
    let (mut files, mut total, mut hash) = (Vec::new(), 0u64, Sha256::new());
    for rel in rels {
        let data = std::fs::read(dir.join(&rel))?;
        total += data.len() as u64;
        if total > MAX_BYTES {
            return Err(ViewerError::TooLarge);
        }
        hash.update((rel.len() as u64).to_le_bytes());
        hash.update(rel.as_bytes());
        hash.update((data.len() as u64).to_le_bytes());
        hash.update(&data);
        files.push(PutRequest {
            key: keys::viewer(prefix, &rel),
            body: Bytes::from(data),
            content_type: keys::content_type(&rel),
            cache_control: keys::viewer_cache(&rel),
        });
    }
    let digest = hash.finalize();
    let version = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    Ok(Some(ViewerBundle { files, version }))
}

/// Collects regular files (no symbolic links) below `dir` as `/`-separated relative paths.
fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) -> Result<(), ViewerError> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue; // not UTF-8: cannot be a URL path the app refers to
        };
        let child = format!("{rel}{name}");
        if kind.is_dir() {
            walk(&entry.path(), &format!("{child}/"), out)?;
        } else if kind.is_file() {
            out.push(child);
            if out.len() > MAX_FILES {
                return Err(ViewerError::TooLarge);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_keys_types_and_version() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path(), "").unwrap().is_none());
        std::fs::create_dir(dir.path().join("assets")).unwrap();
        std::fs::write(dir.path().join("index.html"), "<html>").unwrap();
        std::fs::write(dir.path().join("assets/app-1.js"), "x()").unwrap();
        let b = load(dir.path(), "v/").unwrap().unwrap();
        let keys: Vec<_> = b
            .files
            .iter()
            .map(|f| (f.key.as_str(), f.content_type, f.cache_control))
            .collect();
        assert_eq!(
            keys,
            [
                (
                    "v/assets/app-1.js",
                    "text/javascript; charset=utf-8",
                    keys::CACHE_IMMUTABLE
                ),
                ("v/index.html", "text/html; charset=utf-8", keys::CACHE_REVALIDATE),
            ]
        );
        let same = load(dir.path(), "v/").unwrap().unwrap();
        assert_eq!(b.version, same.version);
        std::fs::write(dir.path().join("assets/app-1.js"), "y()").unwrap();
        assert_ne!(b.version, load(dir.path(), "v/").unwrap().unwrap().version);
        assert_eq!(b.marker("v/").key, "v/.venuebox-viewer-version");
    }
}
