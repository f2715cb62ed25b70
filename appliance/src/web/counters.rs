//! What the HTTP server sent: responses and response body bytes, with HLS segments counted
//! apart (the box's HTTP egress to viewers, which the swarm benchmark divides by the bitrate).

use crate::report::{Figure, Source};
use std::sync::atomic::{AtomicU64, Ordering};

/// Monotonic counters, updated once per response.
#[derive(Debug, Default)]
pub struct HttpCounters {
    responses: AtomicU64,
    body_bytes: AtomicU64,
    segment_responses: AtomicU64,
    segment_bytes: AtomicU64,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HttpSnapshot {
    /// Responses sent (WebSocket upgrades included, with an empty body).
    pub responses: u64,
    /// Response body bytes of every response.
    pub body_bytes: u64,
    /// Responses that carried an HLS segment or init segment (whole or a range).
    pub segment_responses: u64,
    /// Body bytes of those responses.
    pub segment_bytes: u64,
}

impl HttpCounters {
    /// Counts one response with a body of `bytes`.
    pub fn record(&self, bytes: u64) {
        self.responses.fetch_add(1, Ordering::Relaxed);
        self.body_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Counts a segment body of `bytes` (also counted by [`record`](Self::record)).
    pub fn record_segment(&self, bytes: u64) {
        self.segment_responses.fetch_add(1, Ordering::Relaxed);
        self.segment_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Reads the counters.
    pub fn snapshot(&self) -> HttpSnapshot {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        HttpSnapshot {
            responses: l(&self.responses),
            body_bytes: l(&self.body_bytes),
            segment_responses: l(&self.segment_responses),
            segment_bytes: l(&self.segment_bytes),
        }
    }
}

impl Source for HttpCounters {
    fn name(&self) -> &'static str {
        "http"
    }

    fn figures(&self) -> Vec<Figure> {
        let s = self.snapshot();
        vec![
            Figure::counter("http_responses_total", "HTTP responses sent.", s.responses).at("responses"),
            Figure::counter("http_body_bytes_total", "HTTP response body bytes sent.", s.body_bytes).at("body_bytes"),
            Figure::counter(
                "http_segment_responses_total",
                "HTTP responses carrying a segment.",
                s.segment_responses,
            )
            .at("segment_responses"),
            Figure::counter(
                "http_segment_bytes_total",
                "HTTP segment body bytes sent.",
                s.segment_bytes,
            )
            .at("segment_bytes"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_responses_and_segments_apart() {
        let c = HttpCounters::default();
        c.record(100);
        c.record(625_000);
        c.record_segment(625_000);
        let s = c.snapshot();
        assert_eq!(
            s,
            HttpSnapshot {
                responses: 2,
                body_bytes: 625_100,
                segment_responses: 1,
                segment_bytes: 625_000
            }
        );
        assert_eq!(crate::report::source_json(&c)["segment_bytes"], 625_000);
        let m = crate::report::metrics_text(&[std::sync::Arc::new(c)]);
        assert!(m.contains("venuebox_http_body_bytes_total 625100\n"));
        assert!(m.contains("venuebox_http_segment_responses_total 1\n"));
    }
}
