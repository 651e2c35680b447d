//! The modules of `api/src` depend on each other one way: no import cycle, and no background
//! loop (scheduler, outbox worker, search index refresh) reaches into a handler — they call the
//! application layer. Read from the source text, so a new `crate::…` path that closes a cycle
//! fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`handlers::bids`) of a source file under `src`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .filter(|p| p != "mod")
        .collect();
    parts.join("::")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module graph: for each module, the modules it names through `crate::`.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
    let mut all = Vec::new();
    files(&src, &mut all);
    let modules: BTreeSet<String> = all.iter().map(|f| module_of(&src, f)).collect();
    let mut g = BTreeMap::new();
    for f in &all {
        let text = std::fs::read_to_string(f).unwrap();
        // leave the unit tests out: `#[cfg(test)] mod tests` may reach anywhere
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        let me = module_of(&src, f);
        let mut deps = BTreeSet::new();
        let mut rest = text;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let names: Vec<String> = if let Some(group) = rest.strip_prefix('{') {
                // `use crate::{a, b::c}`
                let group = &group[..group.find('}').unwrap_or(0)];
                group.split(',').map(|s| s.trim().to_owned()).collect()
            } else {
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                    .unwrap_or(rest.len());
                vec![rest[..end].to_owned()]
            };
            for name in names {
                // the longest prefix of the path that is a module
                let segs: Vec<&str> = name.split("::").filter(|s| !s.is_empty()).collect();
                for n in (1..=segs.len()).rev() {
                    let m = segs[..n].join("::");
                    if modules.contains(&m) {
                        if m != me && !me.starts_with(&format!("{m}::")) {
                            deps.insert(m);
                        }
                        break;
                    }
                }
            }
        }
        g.insert(me, deps);
    }
    g
}

#[test]
fn no_import_cycle_between_modules() {
    let g = graph();
    // depth-first search for a back edge
    fn visit(
        m: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(m) {
            return;
        }
        if let Some(i) = path.iter().position(|p| p == m) {
            panic!("import cycle: {} -> {m}", path[i..].join(" -> "));
        }
        path.push(m.to_owned());
        for d in g.get(m).into_iter().flatten() {
            visit(d, g, path, done);
        }
        path.pop();
        done.insert(m.to_owned());
    }
    let mut done = BTreeSet::new();
    for m in g.keys() {
        visit(m, &g, &mut Vec::new(), &mut done);
    }
}

#[test]
fn background_loops_do_not_import_handlers() {
    let g = graph();
    for loop_module in ["scheduler", "outbox", "search"] {
        let deps = &g[loop_module];
        assert!(
            !deps.iter().any(|d| d.starts_with("handlers")),
            "{loop_module} imports {deps:?}"
        );
    }
}

/// Statuses, modes, kinds, roles and sources are enums above the database boundary: no source
/// file of the API or the application layer compares one with a string literal.
#[test]
fn no_status_or_role_is_compared_as_a_string() {
    let mut all = Vec::new();
    for dir in ["src", "../application/src"] {
        files(
            &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir),
            &mut all,
        );
    }
    let fields = ["status", "mode", "role", "kind", "source"];
    let mut found = Vec::new();
    for f in &all {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for field in fields {
                for op in ["==", "!="] {
                    for pattern in [
                        format!("{field} {op} \""),
                        format!("{field}.as_str() {op} \""),
                    ] {
                        if code.contains(&pattern) {
                            found.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
                        }
                    }
                }
                if code.contains(&format!("matches!({field}.as_str()"))
                    || code.contains(&format!("match {field}.as_str()"))
                    || code.contains(&format!(".{field}.as_str() {{"))
                    || code.contains(&format!(".{field}.as_str(), \""))
                {
                    found.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "compare the enum instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_graph_sees_the_known_edges() {
    // guards the reader itself: if it saw nothing, the tests above could not fail
    let g = graph();
    assert!(g["handlers::bids"].contains("handlers::access"));
    assert!(g["app"].contains("handlers"));
    assert!(g["scheduler"].contains("state"));
}
