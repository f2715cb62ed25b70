//! Building responses: bodies with `Range` and `HEAD` support, MIME types, plain errors.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::{HeaderMap, Method, Response, StatusCode};
use venuebox_proto::range::{self, RangeDecision};

/// The body type of every response.
pub type Body = Full<Bytes>;

/// Cache policy of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// Never cache (live playlist, status, the viewer's index.html).
    NoStore,
    /// Revalidate each time but allow conditional requests.
    NoCache,
    /// Short-lived (unhashed static files).
    Short,
    /// Never changes (segments, hashed assets).
    Immutable,
}

impl Caching {
    fn header(self) -> &'static str {
        match self {
            Self::NoStore => "no-store",
            Self::NoCache => "no-cache",
            Self::Short => "public, max-age=300",
            Self::Immutable => "public, max-age=31536000, immutable",
        }
    }
}

/// MIME type for a file name, by extension.
pub fn mime_for(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match ext.to_ascii_lowercase().as_str() {
        "m3u8" => "application/vnd.apple.mpegurl",
        "ts" => "video/mp2t",
        "m4s" => "video/iso.segment",
        "mp4" => "video/mp4",
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "txt" | "map" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        "torrent" => "application/x-bittorrent",
        _ => "application/octet-stream",
    }
}

/// Answers GET or HEAD for `data`, honouring a single `Range`.
pub fn bytes(
    method: &Method,
    headers: &HeaderMap,
    data: Bytes,
    mime: &'static str,
    caching: Caching,
) -> Response<Body> {
    let len = data.len() as u64;
    let decision = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map_or(RangeDecision::Full, |v| range::resolve(v, len));
    let (status, body, content_range) = match decision {
        RangeDecision::Full => (StatusCode::OK, data, None),
        RangeDecision::Partial { start, end } => {
            let slice = data.slice(start as usize..=end as usize);
            (
                StatusCode::PARTIAL_CONTENT,
                slice,
                Some(format!("bytes {start}-{end}/{len}")),
            )
        }
        RangeDecision::Unsatisfiable => (
            StatusCode::RANGE_NOT_SATISFIABLE,
            Bytes::new(),
            Some(format!("bytes */{len}")),
        ),
    };
    let body_len = body.len();
    let mut resp = Response::new(Full::new(if method == Method::HEAD { Bytes::new() } else { body }));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(caching.header()));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(body_len));
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    if let Some(cr) = content_range {
        h.insert(header::CONTENT_RANGE, HeaderValue::from_str(&cr).expect("ASCII digits"));
    }
    resp
}

/// A small plain-text response.
pub fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// A JSON response that is never cached.
pub fn json(value: &serde_json::Value) -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::from(value.to_string())));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut()
        .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    resp
}

/// 405 with the methods that are allowed.
pub fn method_not_allowed() -> Response<Body> {
    let mut resp = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    resp
}

/// 404.
pub fn not_found() -> Response<Body> {
    text(StatusCode::NOT_FOUND, "not found\n")
}
