//! Request routing: one `match` on the path, each arm owned by one subsystem.

use crate::discovery::http::{qr_response, QrFormat};
use crate::state::AppState;
use crate::web::respond::{self, Body, Caching};
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use std::sync::Arc;
use venuebox_proto::http_path::SafePath;

/// Answers one request.
pub async fn route(req: Request<Incoming>, state: Arc<AppState>) -> Response<Body> {
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
        ["api", "status"] => respond::json(&state.reports.status_json()),
        ["metrics"] => metrics(&state),
        ["announce"] => announce(req, &state),
        ["signal"] => crate::signal::conn::upgrade(req, state.signal.clone(), state.ingest.summary().state),
        ["qr.svg"] => qr_response(&state.discovery, QrFormat::Svg, req.uri().query()),
        ["qr.png"] => qr_response(&state.discovery, QrFormat::Png, req.uri().query()),
        ["admin"] => crate::admin::page::serve(req.headers(), staff(&state), None),
        ["admin", sub] => crate::admin::page::serve(req.headers(), staff(&state), Some(sub)),
        ["hls", name] => hls(&req, &state, name),
        _ => static_file(&req, &state, &path).await,
    }
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
    match crate::web::ws::accept(&mut req, config) {
        Ok(accepted) => {
            tokio::spawn(async move {
                if let Some(ws) = accepted.socket.await {
                    crate::tracker::serve_socket(ws, handle).await;
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
