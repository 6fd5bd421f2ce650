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
}

#[test]
fn store_knows_no_http() {
    forbid("src/store", &["actix_web", "crate::web", "reqwest"]);
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
