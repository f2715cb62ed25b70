//! Request routing: one `match` on the path, each arm owned by one subsystem.

use crate::discovery::http::{qr_response, QrFormat};
use crate::state::AppState;
use crate::web::respond::{self, Body, Caching};
use crate::web::Client;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use std::sync::Arc;
use venuebox_proto::http_path::SafePath;

/// Answers one request.
pub async fn route(req: Request<Incoming>, state: Arc<AppState>) -> Response<Body> {
    if req.method() == Method::POST && req.uri().path() == "/admin/update" {
        return admin_upload(req, &state).await;
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return respond::method_not_allowed();
    }
    let path = match SafePath::parse(req.uri().path()) {
        Ok(p) => p,
        Err(e) => {
            tracing::debug!(error = %e, "rejected request path");
            return respond::text(StatusCode::BAD_REQUEST, "bad path\n");
        }
    };
    let parts: Vec<&str> = path.components().iter().map(String::as_str).collect();
    match parts.as_slice() {
        ["healthz"] => respond::text(StatusCode::OK, "ok\n"),
        ["api", "status"] => respond::json(&status(req.headers(), &state)),
        ["metrics"] => metrics(&state),
        ["announce"] => announce(req, &state),
        ["signal"] => crate::signal::conn::upgrade(req, state.signal.clone(), state.ingest.summary().state),
        ["qr.svg"] => qr_response(&state.discovery, QrFormat::Svg, req.uri().query()),
        ["qr.png"] => qr_response(&state.discovery, QrFormat::Png, req.uri().query()),
        ["admin", ..] if !client(&req).https => admin_over_http(&req, &state),
        ["admin"] => crate::admin::page::serve(req.headers(), client(&req).addr.ip(), staff(&state), None).await,
        ["admin", sub] => {
            crate::admin::page::serve(req.headers(), client(&req).addr.ip(), staff(&state), Some(sub)).await
        }
        ["hls", name] => hls(&req, &state, name),
        _ => static_file(&req, &state, &path).await,
    }
}

/// `/api/status`; with the box's own tracker (no `seeder.trackers` set) its magnets name the
/// tracker by the address this client used (its Host header), else by the QR code's address.
fn status(headers: &hyper::HeaderMap, state: &AppState) -> serde_json::Value {
    let mut doc = state.reports.status_json();
    if state.config().seeder.trackers.is_empty() {
        let tracker = if headers.contains_key(hyper::header::HOST) {
            crate::signal::conn::tracker_url(headers)
        } else {
            let url = state.discovery.viewer_url(crate::discovery::By::Ip);
            format!("ws://{}announce", url.trim_start_matches("http://"))
        };
        name_tracker(&mut doc["seeder"]["segments"], &tracker);
    }
    doc
}

/// Replaces the trackers of every `magnet` in `segments` by `tracker`.
fn name_tracker(segments: &mut serde_json::Value, tracker: &str) {
    let Some(list) = segments.as_array_mut() else { return };
    let tr: String = url::form_urlencoded::byte_serialize(tracker.as_bytes()).collect();
    for seg in list {
        if let Some(magnet) = seg["magnet"].as_str() {
            let base = magnet.split("&tr=").next().unwrap_or(magnet);
            seg["magnet"] = format!("{base}&tr={tr}").into();
        }
    }
}

/// Who sent `req` (the server always says; a request from elsewhere counts as plain HTTP).
fn client(req: &Request<Incoming>) -> Client {
    req.extensions().get::<Client>().copied().unwrap_or(Client {
        addr: ([0, 0, 0, 0], 0).into(),
        https: false,
    })
}

/// `/admin` over plain HTTP: a redirect to the HTTPS port, never a password challenge (the
/// audience's Wi-Fi would see the password); 403 when HTTPS is off.
fn admin_over_http(req: &Request<Incoming>, state: &AppState) -> Response<Body> {
    let Some(https) = state.https_addr.get() else {
        return respond::text(
            StatusCode::FORBIDDEN,
            "the staff page needs HTTPS (http.https_listen)\n",
        );
    };
    let host = req
        .headers()
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| {
            h.rsplit_once(':')
                .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
                .map_or(h, |(n, _)| n)
        })
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b)))
        .map_or_else(|| state.discovery.ip().to_string(), str::to_owned);
    let target = format!("https://{host}:{}{}", https.port(), req.uri().path());
    let mut resp = respond::text(StatusCode::PERMANENT_REDIRECT, "the staff page is served over HTTPS\n");
    if let Ok(v) = hyper::header::HeaderValue::from_str(&target) {
        resp.headers_mut().insert(hyper::header::LOCATION, v);
    }
    resp
}

/// `POST /admin/update`: HTTPS only (plain HTTP is refused, never challenged for the password).
async fn admin_upload(req: Request<Incoming>, state: &AppState) -> Response<Body> {
    let who = client(&req);
    if !who.https {
        return respond::text(StatusCode::FORBIDDEN, "updates are uploaded over HTTPS only\n");
    }
    let (parts, body) = req.into_parts();
    crate::admin::page::upload(&parts.headers, who.addr.ip(), &state.admin, body).await
}

fn staff(state: &AppState) -> crate::admin::page::Staff<'_> {
    crate::admin::page::Staff {
        admin: &state.admin,
        reports: &state.reports,
        discovery: &state.discovery,
    }
}

fn hls(req: &Request<Incoming>, state: &AppState, name: &str) -> Response<Body> {
    let (method, headers) = (req.method(), req.headers());
    let window = state.window.read();
    if name == "live.m3u8" {
        let body = Bytes::from(window.playlist().as_bytes().to_vec());
        return respond::bytes(method, headers, body, respond::mime_for(name), Caching::NoStore);
    }
    let data = window
        .segment(name)
        .map(|s| s.data.clone())
        .or_else(|| window.init_segment(name).map(|i| i.data.clone()));
    if let Some(data) = data {
        let resp = respond::bytes(method, headers, data, respond::mime_for(name), Caching::Immutable);
        let body = hyper::body::Body::size_hint(resp.body()).exact().unwrap_or(0);
        state.http.record_segment(body);
        return resp;
    }
    respond::not_found()
}

/// `/announce`: the WebTorrent tracker's WebSocket.
fn announce(mut req: Request<Incoming>, state: &AppState) -> Response<Body> {
    let Some(handle) = state.tracker.clone() else {
        return respond::not_found();
    };
    let config = crate::tracker::ws_config(handle.max_frame);
    let origin = client(&req).addr.ip();
    match crate::web::ws::accept(&mut req, config) {
        Ok(accepted) => {
            tokio::spawn(async move {
                if let Some(ws) = accepted.socket.await {
                    crate::tracker::serve_socket(ws, handle, Some(origin)).await;
                }
            });
            accepted.response
        }
        Err(response) => *response,
    }
}

fn metrics(state: &AppState) -> Response<Body> {
    let mut resp = respond::text(StatusCode::OK, "");
    *resp.body_mut() = Body::from(state.reports.metrics_text());
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    resp
}

async fn static_file(req: &Request<Incoming>, state: &AppState, path: &SafePath) -> Response<Body> {
    let root = state.config().http.viewer_dir.clone();
    super::files::serve(&root, path, req.method(), req.headers())
        .await
        .unwrap_or_else(respond::not_found)
}

#[cfg(test)]
mod tests {
    #[test]
    fn magnets_name_the_tracker_the_client_used() {
        let mut segs = serde_json::json!([
            {"magnet": "magnet:?xt=urn:btih:ab&dn=seg-1.ts&tr=ws%3A%2F%2Fvenuebox.local%3A8080%2Fannounce"},
            {"seq": 2}
        ]);
        super::name_tracker(&mut segs, "ws://127.0.0.1:39000/announce");
        assert_eq!(
            segs[0]["magnet"],
            "magnet:?xt=urn:btih:ab&dn=seg-1.ts&tr=ws%3A%2F%2F127.0.0.1%3A39000%2Fannounce"
        );
        assert_eq!(segs[1], serde_json::json!({"seq": 2}));
    }
}
