//! The service's recent warnings and errors for support (the staff page's collapsed log): a
//! tracing layer that keeps the last [`MAX_ERRORS`] WARN/ERROR events of the service's own
//! modules (never library internals) in memory (secrets are never logged, so none land here).

use serde::Serialize;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// Entries kept.
pub const MAX_ERRORS: usize = 50;
/// Longest text kept per entry.
pub const MAX_TEXT: usize = 400;

/// One warning or error.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorEntry {
    /// Unix time, seconds.
    pub at: u64,
    /// `ERROR` or `WARN`.
    pub level: &'static str,
    /// Module that logged it.
    pub target: String,
    /// Message and fields.
    pub text: String,
}

fn ring() -> &'static Mutex<VecDeque<ErrorEntry>> {
    static RING: OnceLock<Mutex<VecDeque<ErrorEntry>>> = OnceLock::new();
    RING.get_or_init(|| Mutex::new(VecDeque::with_capacity(MAX_ERRORS)))
}

/// The kept entries, newest first.
pub fn recent() -> Vec<ErrorEntry> {
    ring()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .rev()
        .cloned()
        .collect()
}

fn push(entry: ErrorEntry) {
    let mut r = ring().lock().unwrap_or_else(|p| p.into_inner());
    if r.len() == MAX_ERRORS {
        r.pop_front();
    }
    r.push_back(entry);
}

/// The layer to add to the subscriber.
#[derive(Debug, Default, Clone, Copy)]
pub struct RecentErrors;

struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if self.0.len() < MAX_TEXT {
            let sep = if self.0.is_empty() { "" } else { " " };
            let _ = if field.name() == "message" {
                write!(self.0, "{sep}{value:?}")
            } else {
                write!(self.0, "{sep}{}={value:?}", field.name())
            };
        }
    }
}

impl<S: Subscriber> Layer<S> for RecentErrors {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let level = *event.metadata().level();
        // Library internals (webrtc, hyper...) stay in the log, never on the staff page.
        if level > Level::WARN || !event.metadata().target().starts_with("venuebox") {
            return;
        }
        let mut text = Text(String::new());
        event.record(&mut text);
        let mut text = text.0;
        if text.len() > MAX_TEXT {
            let cut = (0..=MAX_TEXT).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            text.truncate(cut);
        }
        push(ErrorEntry {
            at: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            level: if level == Level::ERROR { "ERROR" } else { "WARN" },
            target: event.metadata().target().to_owned(),
            text,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt as _;

    #[test]
    fn keeps_warnings_and_errors_only_and_is_bounded() {
        let subscriber = tracing_subscriber::registry().with(RecentErrors);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("not kept");
            for i in 0..(MAX_ERRORS + 5) {
                tracing::warn!(segment = i, "marker-warning");
            }
            tracing::error!(code = 7, "marker-error");
        });
        let r = recent();
        assert!(r.len() <= MAX_ERRORS);
        assert_eq!(r[0].level, "ERROR");
        assert!(
            r[0].text.contains("marker-error") && r[0].text.contains("code=7"),
            "{:?}",
            r[0]
        );
        assert!(r.iter().all(|e| !e.text.contains("not kept")));
    }
}
