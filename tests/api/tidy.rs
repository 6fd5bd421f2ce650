//! Architecture checks that run under `cargo test` (in the spirit of rust-analyzer's tidy):
//! the pure core (`crates/coaching`, `crates/pairing`) does no I/O, `crates/lti` knows nothing of
//! coaching, actix or the database, and every import of the binary points down.

use std::path::Path;

/// Every source file of the binary and of the workspace's crates, with its text.
pub(crate) fn workspace_sources() -> Vec<(String, String)> {
    [
        "src",
        "crates/lti/src",
        "crates/coaching/src",
        "crates/pairing/src",
    ]
    .into_iter()
    .flat_map(sources)
    .collect()
}

/// Every `.rs` file below `dir` (relative to the package), with its text.
pub(crate) fn sources(dir: &str) -> Vec<(String, String)> {
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

/// The dependencies a crate of the workspace declares, by name, from its manifest.
fn dependencies_of(manifest: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(manifest);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{manifest}: {e}"));
    let doc: toml::Table = text.parse().unwrap_or_else(|e| panic!("{manifest}: {e}"));
    let mut names: Vec<String> = doc
        .get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// The pure core is made of crates, so "no I/O" is what their manifests allow: no runtime, no
/// database, no HTTP, and neither knows the protocol.
#[test]
fn the_pure_core_depends_on_no_io_crate() {
    let io = [
        "tokio",
        "sea-orm",
        "sqlx",
        "reqwest",
        "actix-web",
        "binome-lti",
        "binome",
    ];
    for manifest in ["crates/coaching/Cargo.toml", "crates/pairing/Cargo.toml"] {
        let deps = dependencies_of(manifest);
        assert!(
            !deps.is_empty(),
            "{manifest} declares no dependency at all?"
        );
        for d in &deps {
            assert!(!io.contains(&d.as_str()), "{manifest} depends on {d}");
        }
    }
    // What a manifest cannot say: the standard library's file and network access.
    forbid("crates/coaching/src", &["std::fs", "std::net"]);
    forbid("crates/pairing/src", &["std::fs", "std::net"]);
}

/// `lti` speaks the protocol (it makes HTTP requests) but knows nothing of coaching, of actix
/// or of the database.
#[test]
fn lti_knows_no_coaching_actix_or_database() {
    let deps = dependencies_of("crates/lti/Cargo.toml");
    assert!(deps.iter().any(|d| d == "reqwest"), "{deps:?}");
    for d in &deps {
        assert!(
            ![
                "actix-web",
                "sea-orm",
                "sqlx",
                "binome-coaching",
                "binome-pairing",
                "binome"
            ]
            .contains(&d.as_str()),
            "crates/lti depends on {d}"
        );
    }
}

#[test]
fn glue_layers_know_no_actix() {
    forbid("src/launch", &["actix_web", "crate::web"]);
    forbid("src/roster", &["actix_web", "crate::web"]);
    forbid("src/activity", &["actix_web", "crate::web"]);
    forbid("src/pairs", &["actix_web", "crate::web"]);
    forbid("src/course", &["actix_web", "crate::web"]);
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
    let files = workspace_sources();
    assert!(files.len() > 100, "only {} source files", files.len());
    for (path, text) in files {
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
    &["roster", "grades", "realtime", "activity"],
    &["pairs"],
    &["course"],
    &["store"],
    &["lti", "pairing", "coaching", "i18n", "config", "metrics"],
];

/// Folders the matrix must find: a check of a folder that was renamed away proves nothing.
const REQUIRED: &[&str] = &[
    "src/web",
    "src/read",
    "src/launch",
    "src/roster",
    "src/activity",
    "src/pairs",
    "src/course",
    "src/grades",
    "src/realtime",
    "src/store",
    "src/i18n",
    "crates/lti/src",
    "crates/pairing/src",
    "crates/coaching/src",
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

/// The words of each vocabulary that has a type (a member's status, a session's status
/// detail, a score's progress), each named by its type. Each is read and written through its
/// one mapping (a `match` or `FromStr`), so comparing one of these words as a string anywhere
/// else means a vocabulary escaped its type.
const VOCABULARIES: &[(&str, &[&str])] = &[
    (
        "lti::nrps::MemberStatus",
        &["Active", "Inactive", "Deleted"],
    ),
    ("coaching::StatusDetail", &["closing", "ended", "prepared"]),
    (
        "lti::ags::ActivityProgress, GradingProgress",
        &[
            "Initialized",
            "Started",
            "InProgress",
            "Submitted",
            "Completed",
            "FullyGraded",
            "Pending",
            "PendingManual",
            "Failed",
            "NotReady",
        ],
    ),
];

/// Where a line compares a word of [`VOCABULARIES`] as a string, if it does.
fn vocabulary_comparison(line: &str) -> Option<&'static str> {
    let l = line.trim_start();
    if l.starts_with("//") {
        return None;
    }
    let mut words = VOCABULARIES
        .iter()
        .flat_map(|(_, words)| words.iter().copied());
    words.find(|w| {
        let lit = format!("\"{w}\"");
        [
            format!("== {lit}"),
            format!("!= {lit}"),
            format!("{lit} =="),
            format!("{lit} !="),
            format!("== Some({lit})"),
            format!("!= Some({lit})"),
            format!("strip_prefix(\"{w}"),
            format!("starts_with(\"{w}"),
        ]
        .iter()
        .any(|p| l.contains(p.as_str()))
    })
}

#[test]
fn vocabularies_are_never_compared_as_strings() {
    let mut seen = 0;
    // The pure core may live in workspace crates (`crates/*/src`) as well as in `src/`.
    for (path, text) in sources("src").into_iter().chain(sources("crates")) {
        for line in text.lines() {
            seen += 1;
            if let Some(word) = vocabulary_comparison(line) {
                panic!("{path} compares {word:?} as a string; match its type: {line}");
            }
        }
    }
    assert!(seen > 10_000, "the scan saw only {seen} lines");
}

#[test]
fn the_vocabulary_check_sees_comparisons() {
    let check = |line: &str, expected: Option<&str>| {
        assert_eq!(vocabulary_comparison(line), expected, "{line}");
    };
    check(r#"status == "Active" && may_manage(r)"#, Some("Active"));
    check(r#"if p.status != "Deleted" {"#, Some("Deleted"));
    check(
        r#"None if status == Some("Inactive") => x,"#,
        Some("Inactive"),
    );
    check(r#"s.strip_prefix("Active:")"#, Some("Active"));
    check(
        r#"None if detail == Some("closing") => x,"#,
        Some("closing"),
    );
    check(r#"d.strip_prefix("prepared:")"#, Some("prepared"));
    check(
        r#".filter(|r| r.activity_progress != "Completed")"#,
        Some("Completed"),
    );
    check(r#""Active" => MemberStatus::Active,"#, None);
    check(r#"// status == "Active" in a comment"#, None);
    check(r#"status.is_active()"#, None);
}
