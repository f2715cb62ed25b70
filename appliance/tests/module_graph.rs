//! The import graph between top-level modules is one-way: reads every `crate::` path (and every
//! `super::` path that climbs to another top-level module) in `appliance/src` and
//! `appliance/proto/src` and fails on any cycle (docs/decisions/0005). Inside proto's `tracker`
//! the files are checked too, where codec halves used to call each other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The `.rs` files below `root`, with their module path (`signal/hub.rs` -> `[signal, hub]`).
fn modules(root: &Path) -> Vec<(Vec<String>, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("source folder") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(root).expect("below root");
            let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            let file = parts.pop().expect("a file name");
            let stem = file.trim_end_matches(".rs");
            if !matches!(stem, "mod" | "lib" | "main") {
                parts.push(stem.to_owned());
            }
            out.push((parts, path));
        }
    }
    out
}

/// The code without `//` comments (doc links name modules without importing them).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_at(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// The first names of the items of a `{a::b, c, d::{e}}` group starting at `s` (after `{`).
fn group_heads(s: &str) -> Vec<String> {
    let (mut depth, mut heads, mut at_item) = (0usize, Vec::new(), true);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => at_item = true,
            c if at_item && depth == 0 && (c.is_alphanumeric() || c == '_') => {
                heads.push(ident_at(&s[i..]).to_owned());
                at_item = false;
            }
            _ => {}
        }
    }
    heads
}

/// The module paths (absolute, from the crate root) that `text` in module `module` refers to.
fn references(module: &[String], text: &str) -> Vec<Vec<String>> {
    let text = code(text);
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        if text[..i].ends_with('$') || text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &text[i + "crate::".len()..];
        for head in heads(rest) {
            out.push(path_from(&[], &head, &rest[head.len()..]));
        }
    }
    for (i, _) in text.match_indices("super::") {
        if text[..i].ends_with("super::") || text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let mut rest = &text[i..];
        let mut base = module.to_vec();
        while let Some(r) = rest.strip_prefix("super::") {
            base.pop();
            rest = r;
        }
        for head in heads(rest) {
            out.push(path_from(&base, &head, &rest[head.len()..]));
        }
    }
    out
}

fn heads(rest: &str) -> Vec<String> {
    match rest.strip_prefix('{') {
        Some(group) => group_heads(group),
        None => vec![ident_at(rest).to_owned()],
    }
}

/// `base` + `head` + the next segment after `head`, when there is one (for sub-module graphs).
fn path_from(base: &[String], head: &str, after: &str) -> Vec<String> {
    let mut path = base.to_vec();
    path.push(head.to_owned());
    if let Some(next) = after.strip_prefix("::") {
        let next = ident_at(next);
        if !next.is_empty() {
            path.push(next.to_owned());
        }
    }
    path
}

/// Edges between the modules at `depth` below `within` (depth 1 of `[]`: top-level modules).
fn graph(root: &Path, within: &[String]) -> Graph {
    let files = modules(root);
    let known: BTreeSet<String> = files
        .iter()
        .filter(|(m, _)| m.len() > within.len() && m.starts_with(within))
        .map(|(m, _)| m[within.len()].clone())
        .collect();
    let mut g = Graph::new();
    for (module, path) in &files {
        if module.len() <= within.len() || !module.starts_with(within) {
            continue;
        }
        let from = module[within.len()].clone();
        let text = std::fs::read_to_string(path).expect("readable source");
        for target in references(module, &text) {
            if target.len() <= within.len() || !target.starts_with(within) {
                continue;
            }
            let to = &target[within.len()];
            if *to != from && known.contains(to) {
                g.entry(from.clone()).or_default().insert(to.clone());
            }
        }
    }
    g
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        let n = t.index.len();
        t.index.insert(v, n);
        t.low.insert(v, n);
        t.stack.push(v);
        t.on.insert(v);
        for w in t.g.get(v).into_iter().flatten() {
            if !t.index.contains_key(w.as_str()) {
                visit(t, w);
                let lw = t.low[w.as_str()];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if t.on.contains(w.as_str()) {
                let iw = t.index[w.as_str()];
                let lv = t.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out
}

fn assert_one_way(root: &Path, within: &[String]) {
    let g = graph(root, within);
    let found = cycles(&g);
    let edges: Vec<String> = found
        .iter()
        .flat_map(|c| {
            c.iter().flat_map(|a| {
                g.get(a)
                    .into_iter()
                    .flatten()
                    .filter(|b| c.contains(b))
                    .map(move |b| format!("{a} -> {b}"))
            })
        })
        .collect();
    assert!(
        found.is_empty(),
        "import cycles in {}/{}: {found:?}\nedges: {edges:#?}",
        root.display(),
        within.join("/")
    );
}

fn src(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[test]
fn appliance_top_level_modules_import_one_way() {
    assert_one_way(&src("src"), &[]);
}

#[test]
fn proto_top_level_modules_import_one_way() {
    assert_one_way(&src("proto/src"), &[]);
}

#[test]
fn proto_tracker_codec_imports_one_way() {
    assert_one_way(&src("proto/src"), &["tracker".to_owned()]);
}

#[test]
fn the_reader_sees_groups_and_super_paths() {
    let m = vec!["signal".to_owned(), "hub".to_owned()];
    let refs = references(
        &m,
        "use crate::{config::X, window::{A, B}};\nuse super::super::status::S;\n// crate::admin\n",
    );
    let tops: BTreeSet<&str> = refs.iter().map(|p| p[0].as_str()).collect();
    assert_eq!(tops, BTreeSet::from(["config", "window", "status"]));
    let g = Graph::from([
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["a".to_owned()])),
    ]);
    assert_eq!(cycles(&g), vec![vec!["a".to_owned(), "b".to_owned()]]);
}
