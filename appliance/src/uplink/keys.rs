//! Object names and HTTP metadata in the bucket: the same layout as the box's own HTTP server
//! (`index.html`, `assets/...`, `hls/live.m3u8`, `hls/seg-N.ts`), so the viewer app plays from
//! the bucket's public URL exactly as it does from the box.

/// The uploaded playlist, relative to the prefix.
pub const PLAYLIST: &str = "hls/live.m3u8";
/// Marker holding the version of the uploaded viewer app.
pub const VIEWER_VERSION: &str = ".venuebox-viewer-version";
/// Probe object written and removed by `venuebox uplink-check`.
pub const CHECK_PROBE: &str = ".venuebox-uplink-check";

/// Live playlist: never cached, so remote viewers see new segments at once.
pub const CACHE_PLAYLIST: &str = "no-store";
/// Segments: their names are never reused (sequence numbers survive restarts).
pub const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Init segments: named per process, so cached only briefly.
pub const CACHE_SHORT: &str = "public, max-age=300";
/// Viewer pages without a content hash in their name.
pub const CACHE_REVALIDATE: &str = "no-cache";

/// Key of a media or init segment called `name` (the box's name, e.g. `seg-00000042.ts`).
pub fn hls(prefix: &str, name: &str) -> String {
    format!("{prefix}hls/{name}")
}

/// Key of a file of the viewer app at `rel` (e.g. `assets/index-abc.js`).
pub fn viewer(prefix: &str, rel: &str) -> String {
    format!("{prefix}{rel}")
}

/// Content type of an object, by extension (the box's own table).
pub fn content_type(name: &str) -> &'static str {
    crate::web::respond::mime_for(name)
}

/// Cache-Control of a viewer file, as the box serves it.
pub fn viewer_cache(rel: &str) -> &'static str {
    if rel.starts_with("assets/") {
        CACHE_IMMUTABLE // Vite puts content hashes in these names
    } else if rel.ends_with(".html") || rel == "sw.js" || rel.ends_with(".webmanifest") {
        CACHE_REVALIDATE
    } else {
        CACHE_SHORT
    }
}
