//! Figures: what every subsystem reports, typed once, and the one writer of each format.
//!
//! A [`Source`] returns [`Figure`]s (name, kind, help, labels, value, and where the figure sits
//! in `/api/status`). A [`Snapshot`] takes every
//! source's figures once and renders `/metrics` (Prometheus text, `venuebox_<name>`) and
//! `/api/status` from them; a [`Derived`] source (the staff page's problems) is computed from
//! the same snapshot, and readers such as the staff page look figures up by name in it. A leaf:
//! it imports nothing of the service.

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
    Snapshot::take(sources).metrics_text()
}

/// One source's `/api/status` object.
pub fn source_json(source: &dyn Source) -> Value {
    object(&source.figures())
}

/// The `/api/status` object of one source's `figures`.
fn object(figures: &[Figure]) -> Value {
    let mut doc = Value::Object(Map::new());
    for figure in figures {
        let Some(key) = &figure.key else { continue };
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

/// A source computed from the other sources' figures of the same moment (the staff page's
/// problems are facts about the figures `/api/status` shows beside them).
pub trait Derived: Send + Sync {
    /// Key of its object in `/api/status`.
    fn name(&self) -> &'static str;
    /// Its figures, from `others`.
    fn figures(&self, others: &Snapshot) -> Vec<Figure>;
}

/// Every source's figures taken once, at one moment: what one `/metrics` text, `/api/status`
/// document or staff-page sample is written from, so no figure in it contradicts another.
#[derive(Debug, Default)]
pub struct Snapshot {
    parts: Vec<(&'static str, Vec<Figure>)>,
}

impl Snapshot {
    /// The figures of `sources` now.
    pub fn take(sources: &[Arc<dyn Source>]) -> Self {
        Self {
            parts: sources.iter().map(|s| (s.name(), s.figures())).collect(),
        }
    }

    fn with(mut self, derived: &dyn Derived) -> Self {
        let figures = derived.figures(&self);
        self.parts.push((derived.name(), figures));
        self
    }

    fn figures(&self) -> impl Iterator<Item = &Figure> {
        self.parts.iter().flat_map(|(_, f)| f)
    }

    /// The sum of the metric `name` (without the prefix) over its label sets, if reported.
    pub fn value(&self, name: &str) -> Option<f64> {
        let values: Vec<f64> = self
            .figures()
            .filter(|f| f.kind != Kind::Status && f.name == name)
            .map(|f| f.value)
            .collect();
        (!values.is_empty()).then(|| values.iter().sum())
    }

    /// The label `label` of the first figure named `name`.
    pub fn label(&self, name: &str, label: &str) -> Option<String> {
        let f = self.figures().find(|f| f.name == name)?;
        f.labels.iter().find(|(k, _)| *k == label).map(|(_, v)| v.clone())
    }

    /// The `/metrics` text, in the sources' order: `# HELP` and `# TYPE` once per name.
    pub fn metrics_text(&self) -> String {
        let mut out = String::with_capacity(8192);
        let mut last = String::new();
        for figure in self.figures().filter(|f| f.kind != Kind::Status) {
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

    /// The `/api/status` document: each source's object under its name (a source without a
    /// name at the top).
    pub fn status_json(&self) -> Value {
        let mut doc = Map::new();
        for (name, figures) in &self.parts {
            match object(figures) {
                Value::Object(top) if name.is_empty() => doc.extend(top),
                object => {
                    doc.insert((*name).to_owned(), object);
                }
            }
        }
        Value::Object(doc)
    }
}

/// Every source of the service, in `/metrics` order, and when the service started: the handle
/// the status, metrics and staff page readers take.
pub struct Reports {
    started: Instant,
    sources: Vec<Arc<dyn Source>>,
    derived: Vec<Arc<dyn Derived>>,
}

impl Reports {
    /// The service's figures: its uptime after the first `core` sources, then the rest.
    pub fn new(core: Vec<Arc<dyn Source>>, rest: Vec<Arc<dyn Source>>) -> Self {
        let started = Instant::now();
        let mut sources = core;
        sources.push(Arc::new(Uptime(started)));
        sources.extend(rest);
        Self {
            started,
            sources,
            derived: Vec::new(),
        }
    }

    /// With `derived` after the sources, computed from their figures of the same moment.
    pub fn with_derived(mut self, derived: Arc<dyn Derived>) -> Self {
        self.derived.push(derived);
        self
    }

    /// Seconds since the service started.
    pub fn uptime_secs(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Every figure now, the derived ones last.
    pub fn snapshot(&self) -> Snapshot {
        self.derived
            .iter()
            .fold(Snapshot::take(&self.sources), |snap, d| snap.with(d.as_ref()))
    }

    /// The `/metrics` text.
    pub fn metrics_text(&self) -> String {
        self.snapshot().metrics_text()
    }

    /// The `/api/status` document.
    pub fn status_json(&self) -> Value {
        self.snapshot().status_json()
    }

    /// The sum of metric `name` (without the prefix) over its label sets, if reported.
    pub fn value(&self, name: &str) -> Option<f64> {
        self.snapshot().value(name)
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
        let snap = Snapshot::take(&sources);
        assert_eq!(
            snap.status_json(),
            serde_json::json!({"s": {"bytes": 7, "x": {"age": null}, "list": [1, 2]}})
        );
        assert_eq!(snap.value("s_by_seq"), Some(3.0));
        assert_eq!(snap.value("nope"), None);
        assert_eq!(snap.label("s_by_seq", "seq").as_deref(), Some("1"));
    }

    /// Counts its own calls: each snapshot sees a new value.
    #[derive(Default)]
    struct Ticks(std::sync::atomic::AtomicU64);
    impl Source for Ticks {
        fn name(&self) -> &'static str {
            "t"
        }
        fn figures(&self) -> Vec<Figure> {
            let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            vec![Figure::count("t_ticks", "Calls.", n).at("ticks")]
        }
    }

    struct Twice;
    impl Derived for Twice {
        fn name(&self) -> &'static str {
            "d"
        }
        fn figures(&self, others: &Snapshot) -> Vec<Figure> {
            let t = others.value("t_ticks").unwrap_or(0.0);
            vec![Figure::gauge("d_twice", "Twice the ticks.", 2.0 * t).at("twice")]
        }
    }

    #[test]
    fn a_derived_source_reads_the_same_moment_as_the_document_it_is_in() {
        let reports = Reports::new(vec![Arc::new(Ticks::default())], vec![]).with_derived(Arc::new(Twice));
        for _ in 0..3 {
            let doc = reports.status_json();
            assert_eq!(
                doc["d"]["twice"],
                serde_json::json!(2.0 * doc["t"]["ticks"].as_f64().unwrap())
            );
            assert_eq!(doc["service"], "venuebox");
        }
        let text = reports.metrics_text();
        let ticks: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix("venuebox_t_ticks "))
            .unwrap()
            .parse()
            .unwrap();
        assert!(text.contains(&format!("venuebox_d_twice {}\n", 2.0 * ticks)), "{text}");
    }
}
