//! `/qr.svg` and `/qr.png`: the viewer URL as a QR code, `?by=ip` (default) or `?by=name`.

use super::{qr, By, Discovery};
use crate::web::respond::{self, Body};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};

/// Image format of a QR response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrFormat {
    /// `image/svg+xml`.
    Svg,
    /// `image/png`.
    Png,
}

/// Answers a QR request.
pub fn qr_response(discovery: &Discovery, format: QrFormat, query: Option<&str>) -> Response<Body> {
    let Some(by) = By::from_query(query) else {
        return respond::text(StatusCode::BAD_REQUEST, "by must be ip or name\n");
    };
    let url = discovery.viewer_url(by);
    let (body, mime) = match format {
        QrFormat::Svg => (qr::svg(&url).map(Bytes::from), "image/svg+xml"),
        QrFormat::Png => (qr::png(&url).map(Bytes::from), "image/png"),
    };
    let Ok(body) = body else {
        return respond::text(StatusCode::INTERNAL_SERVER_ERROR, "cannot make the QR code\n");
    };
    let mut resp = Response::new(Full::new(body));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&url) {
        h.insert("x-viewer-url", v);
    }
    resp
}
