//! Figures: what every subsystem reports, typed once, and the one writer of each format.
//!
//! A [`Source`] returns [`Figure`]s (name, kind, help, labels, value, and where the figure sits
//! in `/api/status`). [`metrics_text`] renders `/metrics` (Prometheus text, `venuebox_<name>`),
//! [`status_json`] renders the sources' objects of `/api/status`, and readers such as the staff
//! page look figures up by name with [`value`]. A leaf: it imports nothing of the service.

mod process;

use serde_json::{Map, Value};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

/// Prefix of every metric name.
pub const PREFIX: &str = "venuebox_";

/// What a figure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A value that goes up and down.
    Gauge,
    /// A monotonic total.
    Counter,
    /// Shown in `/api/status` only (lists, text, structured facts).
    Status,
}

/// One figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Metric name without [`PREFIX`] (`http_body_bytes_total`); empty for status-only figures.
    pub name: String,
    /// Gauge, counter or status only.
    pub kind: Kind,
    /// One sentence for `# HELP`.
    pub help: &'static str,
    /// Prometheus labels.
    pub labels: Vec<(&'static str, String)>,
    /// The metric value.
    pub value: f64,
    /// Its key in the source's `/api/status` object (`a/b` nests), if it is shown there.
    pub key: Option<String>,
    /// The value shown under `key` (the value as a JSON number unless set otherwise).
    pub shown: Value,
}

impl Figure {
    fn metric(kind: Kind, name: impl Into<String>, help: &'static str, value: f64, shown: Value) -> Self {
        Self {
            name: name.into(),
            kind,
            help,
            labels: Vec::new(),
            value,
            key: None,
            shown,
        }
    }

    /// A monotonic total.
    pub fn counter(name: impl Into<String>, help: &'static str, value: u64) -> Self {
        Self::metric(Kind::Counter, name, help, value as f64, value.into())
    }

    /// A gauge with a whole value.
    pub fn count(name: impl Into<String>, help: &'static str, value: u64) -> Self {
        Self::metric(Kind::Gauge, name, help, value as f64, value.into())
    }

    /// A gauge.
    pub fn gauge(name: impl Into<String>, help: &'static str, value: f64) -> Self {
        Self::metric(Kind::Gauge, name, help, value, value.into())
    }

    /// A gauge that may be unknown: `/metrics` shows `absent` then, `/api/status` shows `null`.
    pub fn maybe(name: impl Into<String>, help: &'static str, value: Option<f64>, absent: f64) -> Self {
        Self::metric(Kind::Gauge, name, help, value.unwrap_or(absent), value.into())
    }

    /// A value shown in `/api/status` under `key` only.
    pub fn status(key: impl Into<String>, shown: impl Into<Value>) -> Self {
        Self {
            key: Some(key.into()),
            ..Self::metric(Kind::Status, "", "", 0.0, shown.into())
        }
    }

    /// Also shown in `/api/status` under `key`.
    pub fn at(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Shown in `/api/status` as `shown` instead of its value.
    pub fn shown(mut self, shown: impl Into<Value>) -> Self {
        self.shown = shown.into();
        self
    }

    /// With a label.
    pub fn label(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.labels.push((name, value.into()));
        self
    }
}

/// A subsystem that reports figures.
pub trait Source: Send + Sync {
    /// Key of its object in `/api/status`.
    fn name(&self) -> &'static str;
    /// Its figures now.
    fn figures(&self) -> Vec<Figure>;
}

/// The `/metrics` text of `sources`, in their order: `# HELP` and `# TYPE` once per name.
pub fn metrics_text(sources: &[Arc<dyn Source>]) -> String {
    let mut out = String::with_capacity(8192);
    let mut last = String::new();
    for figure in sources.iter().flat_map(|s| s.figures()) {
        if figure.kind == Kind::Status {
            continue;
        }
        if figure.name != last {
            let kind = if figure.kind == Kind::Counter {
                "counter"
            } else {
                "gauge"
            };
            let name = &figure.name;
            let _ = writeln!(
                out,
                "# HELP {PREFIX}{name} {}\n# TYPE {PREFIX}{name} {kind}",
                figure.help
            );
            last.clone_from(&figure.name);
        }
        let _ = write!(out, "{PREFIX}{}", figure.name);
        if !figure.labels.is_empty() {
            let labels: Vec<String> = figure
                .labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", label_value(v)))
                .collect();
            let _ = write!(out, "{{{}}}", labels.join(","));
        }
        let _ = writeln!(out, " {}", figure.value);
    }
    out
}

/// One source's `/api/status` object.
pub fn source_json(source: &dyn Source) -> Value {
    let mut doc = Value::Object(Map::new());
    for figure in source.figures() {
        let Some(key) = figure.key else { continue };
        let mut at = &mut doc;
        let mut parts = key.split('/').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                at[part] = figure.shown.clone();
                break;
            }
            if !at[part].is_object() {
                at[part] = Value::Object(Map::new());
            }
            at = &mut at[part];
        }
    }
    doc
}

/// The sources' objects of `/api/status`, each under its source's name.
pub fn status_json(sources: &[Arc<dyn Source>]) -> Value {
    let mut doc = Map::new();
    for source in sources {
        doc.insert(source.name().to_owned(), source_json(source.as_ref()));
    }
    Value::Object(doc)
}

/// The sum of the metric `name` over its label sets, if any source reports it.
pub fn value(sources: &[Arc<dyn Source>], name: &str) -> Option<f64> {
    let values: Vec<f64> = sources
        .iter()
        .flat_map(|s| s.figures())
        .filter(|f| f.kind != Kind::Status && f.name == name)
        .map(|f| f.value)
        .collect();
    (!values.is_empty()).then(|| values.iter().sum())
}

/// Every source of the service, in `/metrics` order, and when the service started: the handle
/// the status, metrics and staff page readers take.
pub struct Reports {
    started: Instant,
    sources: Vec<Arc<dyn Source>>,
}

impl Reports {
    /// The service's figures: its uptime after the first `core` sources, then the rest.
    pub fn new(core: Vec<Arc<dyn Source>>, rest: Vec<Arc<dyn Source>>) -> Self {
        let started = Instant::now();
        let mut sources = core;
        sources.push(Arc::new(Uptime(started)));
        sources.extend(rest);
        Self { started, sources }
    }

    /// Seconds since the service started.
    pub fn uptime_secs(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// The `/metrics` text.
    pub fn metrics_text(&self) -> String {
        metrics_text(&self.sources)
    }

    /// The `/api/status` document.
    pub fn status_json(&self) -> Value {
        let mut doc = Map::new();
        for source in &self.sources {
            match source_json(source.as_ref()) {
                Value::Object(top) if source.name().is_empty() => doc.extend(top),
                object => {
                    doc.insert(source.name().to_owned(), object);
                }
            }
        }
        Value::Object(doc)
    }

    /// The sum of metric `name` (without the prefix) over its label sets, if reported.
    pub fn value(&self, name: &str) -> Option<f64> {
        value(&self.sources, name)
    }
}

/// The service itself: name, version, uptime and its process figures (at the top of
/// `/api/status`).
struct Uptime(Instant);

impl Source for Uptime {
    fn name(&self) -> &'static str {
        ""
    }

    fn figures(&self) -> Vec<Figure> {
        vec![
            Figure::status("service", "venuebox"),
            Figure::status("version", env!("CARGO_PKG_VERSION")),
            Figure::gauge("uptime_seconds", "Seconds since start.", self.0.elapsed().as_secs_f64()).at("uptime_secs"),
        ]
        .into_iter()
        .chain(process::figures())
        .collect()
    }
}

/// Escapes a Prometheus label value.
pub fn label_value(text: &str) -> String {
    text.chars()
        .take(200)
        .flat_map(|c| match c {
            '\\' => vec!['\\', '\\'],
            '"' => vec!['\\', '"'],
            '\n' => vec!['\\', 'n'],
            c if c.is_control() => vec![' '],
            c => vec![c],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct S;
    impl Source for S {
        fn name(&self) -> &'static str {
            "s"
        }
        fn figures(&self) -> Vec<Figure> {
            vec![
                Figure::counter("s_bytes_total", "Bytes.", 7).at("bytes"),
                Figure::count("s_by_seq", "Per seq.", 1).label("seq", "1"),
                Figure::count("s_by_seq", "Per seq.", 2).label("seq", "2"),
                Figure::maybe("s_age_seconds", "Age.", None, -1.0).at("x/age"),
                Figure::status("list", serde_json::json!([1, 2])),
            ]
        }
    }

    #[test]
    fn one_figure_two_formats() {
        let sources: Vec<Arc<dyn Source>> = vec![Arc::new(S)];
        let text = metrics_text(&sources);
        assert!(text.starts_with(
            "# HELP venuebox_s_bytes_total Bytes.\n# TYPE venuebox_s_bytes_total counter\nvenuebox_s_bytes_total 7\n"
        ));
        assert_eq!(text.matches("# TYPE venuebox_s_by_seq gauge").count(), 1);
        assert!(text.contains("venuebox_s_by_seq{seq=\"2\"} 2\n"));
        assert!(text.contains("venuebox_s_age_seconds -1\n"));
        let doc = status_json(&sources);
        assert_eq!(
            doc,
            serde_json::json!({"s": {"bytes": 7, "x": {"age": null}, "list": [1, 2]}})
        );
        assert_eq!(value(&sources, "s_by_seq"), Some(3.0));
        assert_eq!(value(&sources, "nope"), None);
    }
}
