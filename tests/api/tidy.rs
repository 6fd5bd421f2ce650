//! Architecture checks that run under `cargo test` (in the spirit of rust-analyzer's tidy):
//! the domain modules stay pure and `lti/` knows nothing of coaching, actix or the database.

use std::path::Path;

fn sources(dir: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    if !root.exists() {
        return out;
    }
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push((
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                ));
            }
        }
    }
    out
}

fn forbid(dir: &str, crates: &[&str]) {
    for (path, text) in sources(dir) {
        for line in text.lines() {
            let l = line.trim_start();
            if l.starts_with("//") {
                continue;
            }
            for c in crates {
                assert!(!l.contains(&format!("{c}::")), "{path} uses {c}: {line}");
            }
        }
    }
}

#[test]
fn domain_modules_do_no_io() {
    let io = [
        "tokio",
        "sea_orm",
        "sqlx",
        "reqwest",
        "actix_web",
        "std::fs",
        "std::net",
        "crate::store",
        "crate::web",
        "crate::lti",
    ];
    forbid("src/coaching", &io);
    forbid("src/pairing", &io);
}

#[test]
fn lti_knows_no_coaching_actix_or_database() {
    forbid(
        "src/lti",
        &[
            "actix_web",
            "sea_orm",
            "sqlx",
            "crate::store",
            "crate::web",
            "crate::coaching",
            "crate::pairing",
            "crate::launch",
        ],
    );
}

#[test]
fn glue_layers_know_no_actix() {
    forbid("src/launch", &["actix_web", "crate::web"]);
    forbid("src/roster", &["actix_web", "crate::web"]);
    forbid("src/grades", &["actix_web", "crate::web"]);
    forbid(
        "src/realtime",
        &["actix_web", "crate::web", "crate::startup"],
    );
}

#[test]
fn read_models_know_no_http() {
    // A read model is built without a request and rendered by the caller: no actix, no
    // templates, nothing of the web layer.
    forbid(
        "src/read",
        &["actix_web", "minijinja", "crate::web", "crate::startup"],
    );
}

#[test]
fn store_knows_no_http() {
    forbid(
        "src/store",
        &["actix_web", "crate::web", "crate::realtime", "reqwest"],
    );
}

#[test]
fn every_source_file_says_what_it_is_for() {
    for (path, text) in sources("src") {
        assert!(
            text.starts_with("//!"),
            "{path} must start with a //! doc line"
        );
    }
}

/// The floors of `ARCHITECTURE.md`, top to bottom. A module may import only modules on a
/// lower floor (the bottom floor imports nothing of the crate).
const FLOORS: &[&[&str]] = &[
    &["main", "cli", "health"],
    &["startup", "telemetry"],
    &["web"],
    &["read"],
    &["launch"],
    &["roster", "grades", "realtime"],
    &["store"],
    &["lti", "pairing", "coaching", "i18n", "config", "metrics"],
];

/// Folders the matrix must find: a check of a folder that was renamed away proves nothing.
const REQUIRED: &[&str] = &[
    "src/web",
    "src/read",
    "src/launch",
    "src/roster",
    "src/grades",
    "src/realtime",
    "src/store",
    "src/lti",
    "src/pairing",
    "src/coaching",
    "src/i18n",
];

fn floor_of(module: &str) -> Option<usize> {
    FLOORS.iter().position(|f| f.contains(&module))
}

/// The module path of a source file under `src/`: `web/extract.rs` is `["web", "extract"]`,
/// `web/mod.rs` is `["web"]`.
fn module_path(path: &Path) -> Vec<String> {
    let rel = path
        .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
        .unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// The first segments, resolved from the crate root, of every path a source names: `use`
/// trees with braces (`use crate::{a, b::{c}}`), `super::super::x`, and inline
/// `crate::x::y(...)`.
fn crate_paths(module: &[String], text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let rest: String = bytes[i..bytes.len().min(i + 7)].iter().collect();
        let boundary = i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_');
        let (base, skip): (Vec<String>, usize) = if boundary && rest.starts_with("crate::") {
            (Vec::new(), 7)
        } else if boundary && rest.starts_with("super::") {
            // Count the `super::` in a row.
            let mut n = 0;
            let mut j = i;
            while bytes[j..].iter().take(7).collect::<String>() == "super::" {
                n += 1;
                j += 7;
            }
            let keep = module.len().saturating_sub(n);
            (module[..keep].to_vec(), j - i)
        } else {
            i += 1;
            continue;
        };
        i += skip;
        // Read one path or a braced tree.
        let (tree, used) = read_tree(&bytes[i..]);
        i += used;
        for t in tree {
            let mut p = base.clone();
            p.extend(t);
            if !p.is_empty() {
                out.push(p);
            }
        }
    }
    out
}

/// A path or brace tree at the start of `s`: each leaf path's first segment(s), and how many
/// characters were read.
fn read_tree(s: &[char]) -> (Vec<Vec<String>>, usize) {
    let mut i = 0;
    let mut seg = String::new();
    while i < s.len() && (s[i].is_alphanumeric() || s[i] == '_') {
        seg.push(s[i]);
        i += 1;
    }
    if !seg.is_empty() {
        return (vec![vec![seg]], i);
    }
    if i < s.len() && s[i] == '{' {
        let mut depth = 0;
        let mut items = Vec::new();
        let mut cur = String::new();
        while i < s.len() {
            let c = s[i];
            i += 1;
            match c {
                '{' => {
                    depth += 1;
                    if depth > 1 {
                        cur.push(c);
                    }
                }
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        items.push(cur.clone());
                        break;
                    }
                    cur.push(c);
                }
                ',' if depth == 1 => items.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            }
        }
        let leaves = items
            .iter()
            .map(|it| it.trim())
            .filter(|it| !it.is_empty() && *it != "self")
            .map(|it| {
                let first: String = it
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                vec![first]
            })
            .collect();
        return (leaves, i);
    }
    (Vec::new(), i)
}

#[test]
fn every_import_points_down_the_layer_matrix() {
    for dir in REQUIRED {
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).is_dir(),
            "{dir} is missing: update the matrix in ARCHITECTURE.md and here"
        );
    }
    let mut checked = 0;
    for (path, text) in sources("src") {
        let module = module_path(Path::new(&path));
        let Some(top) = module.first() else { continue };
        let Some(own) = floor_of(top) else {
            panic!("{path}: module {top} is on no floor of the matrix");
        };
        for p in crate_paths(&module, &text) {
            let target = &p[0];
            if target == top {
                continue;
            }
            let Some(theirs) = floor_of(target) else {
                continue;
            };
            assert!(
                theirs > own,
                "{path} ({top}, floor {own}) imports {target} (floor {theirs}): every arrow points down"
            );
            checked += 1;
        }
    }
    assert!(checked > 50, "the matrix saw only {checked} imports");
}

#[test]
fn the_web_layer_has_no_import_cycles() {
    let mut edges: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for (path, text) in sources("src/web") {
        let module = module_path(Path::new(&path));
        let Some(name) = module.get(1).cloned() else {
            continue;
        };
        for p in crate_paths(&module, &text) {
            if p.len() >= 2 && p[0] == "web" && p[1] != name {
                edges.entry(name.clone()).or_default().insert(p[1].clone());
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        n: &str,
        edges: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) {
        if done.contains(n) {
            return;
        }
        assert!(
            !stack.iter().any(|s| s == n),
            "web/ import cycle: {} -> {n}",
            stack.join(" -> ")
        );
        stack.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            visit(m, edges, stack, done);
        }
        stack.pop();
        done.insert(n.to_string());
    }
    let mut done = Default::default();
    for n in edges.keys() {
        visit(n, &edges, &mut Vec::new(), &mut done);
    }
    assert!(edges.len() > 5, "saw {} web modules", edges.len());
}

#[test]
fn the_import_reader_understands_braces_and_super() {
    let m = vec!["web".to_string(), "extract".to_string()];
    let paths = crate_paths(
        &m,
        "use crate::{launch::now, store::{A, B}};\nuse super::super::roster::x;\nlet v = crate::lti::f();\n// crate::startup::ignored\nuse super::body::read;",
    );
    let firsts: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        firsts,
        vec!["launch", "store", "roster", "lti", "web::body"],
        "{paths:?}"
    );
}
