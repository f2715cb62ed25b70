//! `/admin` (the page), `/admin/data.json` (its figures) and `/admin/update` (update upload and
//! progress), all behind HTTP Basic.

use crate::discovery::By;
use crate::discovery::Discovery;
use crate::report::Reports;
use crate::web::respond::{self, Body};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{HeaderMap, Response, StatusCode};
use serde_json::json;

const PAGE: &str = include_str!("admin.html");

/// What the staff page reads: its own state, the figures and the viewer URLs.
#[derive(Clone, Copy)]
pub struct Staff<'a> {
    /// The staff page's state.
    pub admin: &'a super::Admin,
    /// Every figure source.
    pub reports: &'a Reports,
    /// The viewer URLs.
    pub discovery: &'a Discovery,
}

/// Answers `/admin` and `/admin/<sub>` from `client`; 401 without the staff credentials, 429
/// without checking them once the address sent too many wrong ones.
pub async fn serve(
    headers: &HeaderMap,
    client: std::net::IpAddr,
    state: Staff<'_>,
    sub: Option<&str>,
) -> Response<Body> {
    if let Err(refused) = authorize(headers, client, state.admin) {
        return *refused;
    }
    match sub {
        None => page(),
        Some("data.json") => respond::json(&data(state)),
        Some("update") => update_status(state.admin).await,
        Some(_) => respond::not_found(),
    }
}

/// `POST /admin/update` from `client`: the same login, then the upload (see [`super::upload`]).
pub async fn upload(
    headers: &HeaderMap,
    client: std::net::IpAddr,
    admin: &super::Admin,
    body: Incoming,
) -> Response<Body> {
    if let Err(refused) = authorize(headers, client, admin) {
        return *refused;
    }
    match admin.uploads.receive(body).await {
        Ok(n) => text_owned(
            StatusCode::ACCEPTED,
            format!("uploaded {n} bytes; the box installs it and reboots (progress: /admin/update)\n"),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "update upload refused");
            text_owned(e.status(), format!("{e}\n"))
        }
    }
}

/// Ok when the request carries the staff password; else the answer to send (401, or 429
/// without checking once the address sent too many wrong ones).
fn authorize(headers: &HeaderMap, client: std::net::IpAddr, admin: &super::Admin) -> Result<(), Box<Response<Body>>> {
    let authorization = headers.get(header::AUTHORIZATION).map(HeaderValue::as_bytes);
    let now = std::time::Instant::now();
    if !admin.logins.allowed(client, now) {
        return Err(Box::new(respond::text(
            StatusCode::TOO_MANY_REQUESTS,
            "too many wrong passwords; wait a minute\n",
        )));
    }
    if !admin.auth.check(authorization) {
        if authorization.is_some() {
            admin.logins.failed(client, now);
        }
        return Err(Box::new(unauthorized()));
    }
    Ok(())
}

async fn update_status(admin: &super::Admin) -> Response<Body> {
    text_owned(StatusCode::OK, admin.uploads.status().await)
}

fn text_owned(status: StatusCode, text: String) -> Response<Body> {
    let mut resp = respond::text(status, "");
    *resp.body_mut() = Body::from(text);
    resp
}

fn unauthorized() -> Response<Body> {
    let mut resp = respond::text(StatusCode::UNAUTHORIZED, "staff password required\n");
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"VenueBox staff\", charset=\"UTF-8\""),
    );
    resp
}

fn page() -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::from_static(PAGE.as_bytes())));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
        ),
    );
    resp
}

/// Everything the page shows.
pub fn data(state: Staff<'_>) -> serde_json::Value {
    let now = state.reports.snapshot();
    json!({
        "status": now.status_json(),
        "history": state.admin.history().samples(),
        // The box's egress in bytes since start (HTTP bodies + WebRTC seeder); the charts' rate
        // is this figure's slope.
        "egress_bytes": super::history::egress_bytes(&now),
        // The service's own warnings for support; staff act on `status.box.problems`.
        "log": super::errors::recent(),
        "urls": {
            "ip": state.discovery.viewer_url(By::Ip),
            "name": state.discovery.viewer_url(By::Name),
        },
    })
}
