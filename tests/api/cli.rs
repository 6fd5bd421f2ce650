//! The `binome` binary as an administrator uses it: first start, settings errors, platform,
//! registration invitation and key commands, LMS configuration.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::fresh_database;

fn binome(db: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_binome"))
        .args(args)
        .env("DATABASE_URL", db)
        .env("BINOME_BASE_URL", "https://binome.example.org")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test]
async fn platform_and_deployment_administration() {
    let db = fresh_database().await;
    let add = [
        "platform",
        "add",
        "--issuer",
        "https://moodle.example.org",
        "--client-id",
        "AbC123",
        "--auth-url",
        "https://moodle.example.org/mod/lti/auth.php",
        "--token-url",
        "https://moodle.example.org/mod/lti/token.php",
        "--jwks-url",
        "https://moodle.example.org/mod/lti/certs.php",
        "--deployment-id",
        "1",
        "--deployment-id",
        "2",
    ];
    let out = binome(&db, &add);
    assert!(out.status.success(), "{}", text(&out));
    // The same issuer and client id twice is refused; another client id of the issuer is fine.
    let again = binome(&db, &add);
    assert!(!again.status.success());
    assert!(text(&again).contains("already exists"), "{}", text(&again));
    let mut other = add.to_vec();
    other[5] = "Other456";
    assert!(binome(&db, &other).status.success());

    let list = text(&binome(&db, &["platform", "list"]));
    assert!(
        list.contains("client_id=AbC123") && list.contains("client_id=Other456"),
        "{list}"
    );
    assert!(
        list.contains("deployment 1: approved") && list.contains("deployment 2: approved"),
        "{list}"
    );

    let out = binome(
        &db,
        &[
            "platform",
            "approve-deployment",
            "--issuer",
            "https://moodle.example.org",
            "--client-id",
            "AbC123",
            "--deployment-id",
            "7",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&binome(&db, &["platform", "list"])).contains("deployment 7: approved"));

    let out = binome(
        &db,
        &[
            "platform",
            "remove",
            "--issuer",
            "https://moodle.example.org",
            "--client-id",
            "Other456",
            "--yes",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&binome(&db, &["platform", "list"])).contains("Other456"));

    let bad = binome(
        &db,
        &[
            "platform",
            "add",
            "--issuer",
            "not a url",
            "--client-id",
            "x",
            "--auth-url",
            "a",
            "--token-url",
            "b",
            "--jwks-url",
            "c",
        ],
    );
    assert!(!bad.status.success());
    assert!(text(&bad).contains("--issuer"), "{}", text(&bad));
}

#[tokio::test]
async fn key_rotation_from_the_command_line() {
    let db = fresh_database().await;
    let out = binome(&db, &["keys", "rotate"]);
    assert!(out.status.success(), "{}", text(&out));
    let list = text(&binome(&db, &["keys", "list"]));
    assert_eq!(
        list.lines().count(),
        2,
        "the first key and the new one: {list}"
    );
    assert_eq!(
        list.lines().filter(|l| l.contains("current")).count(),
        1,
        "{list}"
    );
}

#[test]
fn lti_config_is_filled_in_for_the_base_url() {
    // Standard output is the JSON to paste (the steps around it go to standard error).
    let canvas = binome("sqlite::memory:", &["lti-config", "canvas"]);
    let canvas = String::from_utf8_lossy(&canvas.stdout);
    let json: serde_json::Value = serde_json::from_str(&canvas).expect("valid JSON");
    assert_eq!(
        json["oidc_initiation_url"],
        "https://binome.example.org/lti/login"
    );
    assert_eq!(
        json["target_link_uri"],
        "https://binome.example.org/lti/launch"
    );
    assert_eq!(
        json["public_jwk_url"],
        "https://binome.example.org/.well-known/jwks.json"
    );
    assert_eq!(json["extensions"][0]["privacy_level"], "public");
    assert_eq!(json["extensions"][0]["domain"], "binome.example.org");
    let scopes = json["scopes"].as_array().unwrap();
    assert!(
        scopes
            .iter()
            .any(|s| s.as_str().unwrap().ends_with("contextmembership.readonly"))
    );
    assert!(
        scopes
            .iter()
            .any(|s| s.as_str().unwrap().ends_with("/score"))
    );
    let moodle = text(&binome("sqlite::memory:", &["lti-config", "moodle"]));
    for field in [
        "LTI 1.3",
        "Keyset URL",
        "https://binome.example.org/lti/login",
        "Redirection URI",
        "Deep Linking",
        "Names and Role Provisioning",
        "Always",
        "cURL",
    ] {
        assert!(moodle.contains(field), "Moodle guide lacks {field}");
    }
    assert!(!moodle.contains("{{"), "every placeholder is filled");
}

#[test]
fn canvas_config_gives_the_redirect_uris_and_an_icon() {
    let out = binome("sqlite::memory:", &["lti-config", "canvas"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON alone");
    // The developer key form requires Redirect URIs, which the JSON does not fill: the
    // command names them, one per line.
    let steps = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = steps.lines().map(str::trim).collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("Redirect URIs"))
        .unwrap_or_else(|| panic!("no Redirect URIs: {steps}"));
    assert_eq!(
        lines[at + 1],
        "https://binome.example.org/lti/launch",
        "{steps}"
    );
    assert!(steps.contains("Paste JSON"), "{steps}");
    // An icon for the tool lists and pickers, served by the tool itself.
    let icon = "https://binome.example.org/static/icon.svg";
    let settings = &json["extensions"][0]["settings"];
    assert_eq!(settings["icon_url"], icon);
    let placements = settings["placements"].as_array().unwrap();
    assert!(!placements.is_empty());
    for p in placements {
        assert_eq!(p["icon_url"], icon, "{p}");
    }
    // The Moodle guide is one text on standard output, as before.
    let moodle = binome("sqlite::memory:", &["lti-config", "moodle"]);
    assert!(moodle.stderr.is_empty(), "{moodle:?}");
}

#[tokio::test]
async fn the_tool_serves_its_icon() {
    let app = crate::helpers::spawn_app().await;
    let r = app
        .http
        .get(format!("{}/static/icon.svg", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    let svg = r.text().await.unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("Binôme"), "{svg}");
}

#[test]
fn unknown_or_malformed_settings_stop_startup_naming_the_setting() {
    for (k, v) in [
        ("BINOME_BASEURL", "x"),
        ("BINOME_BIND", "not-an-address"),
        ("BINOME_BASE_URL", "ftp://x"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_binome"))
            .env(k, v)
            .env("DATABASE_URL", "sqlite::memory:")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{k}");
        assert!(text(&out).contains(k), "{k}: {}", text(&out));
    }
}

#[test]
fn first_start_creates_the_database_and_keys_and_prints_the_urls() {
    let dir = std::env::temp_dir().join(format!(
        "binome-first-{}",
        binome::lti::login::random_token()[..8].replace(['-', '_'], "x")
    ));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_binome"))
        .env_remove("DATABASE_URL")
        .env("BINOME_DATA_DIR", &dir)
        .env("BINOME_BIND", format!("127.0.0.1:{port}"))
        .env("BINOME_BASE_URL", "https://binome.example.org")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Read what the server prints until the registration help appears (or 20 s pass).
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = String::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    // The summary names the invitation URL's shape; the fresh invitation comes after it.
    while printed.matches("/lti/register?invite=").count() < 2
        && std::time::Instant::now() < deadline
    {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            printed.push_str(&line);
            printed.push('\n');
        }
    }
    let answers = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
    child.kill().ok();
    child.wait().ok();
    assert!(answers, "the server answers");
    for url in [
        "https://binome.example.org/lti/login",
        "https://binome.example.org/lti/launch",
        "https://binome.example.org/.well-known/jwks.json",
        "binome platform add",
        "binome registration invite",
        "https://binome.example.org/lti/register?invite=",
    ] {
        assert!(
            printed.contains(url),
            "startup output lacks {url}: {printed}"
        );
    }
    let first = printed.rfind("/lti/register?invite=").unwrap();
    let token: String = printed[first + 21..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    assert_eq!(token.len(), 43, "a fresh invitation is printed: {printed}");
    assert!(
        dir.join("binome.db").exists(),
        "SQLite database created under BINOME_DATA_DIR"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn pairs_plan_prints_a_plan_without_a_database() {
    let dir = std::env::temp_dir().join(format!(
        "binome-plan-{}",
        binome::lti::login::random_token()[..8].replace(['-', '_'], "x")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let roster = dir.join("roster.json");
    let history = dir.join("history.json");
    std::fs::write(
        &roster,
        r#"{"participants": [
            {"id": "ana", "tags": ["sector:health"]}, {"id": "bob", "tags": ["sector:health"]},
            {"id": "cy", "tags": ["sector:retail"]}, {"id": "dee", "tags": ["sector:retail"]},
            {"id": "eve", "tags": ["sector:health"]}, {"id": "fay", "available": false}],
          "links": [{"a": "ana", "b": "bob", "kind": "manages"}]}"#,
    )
    .unwrap();
    std::fs::write(
        &history,
        r#"{"modules": [{"module": "M1", "groups": [["cy", "dee"], ["ana", "gone"]]}]}"#,
    )
    .unwrap();
    let out = binome(
        "sqlite:///nonexistent/dir/never.db",
        &[
            "pairs",
            "plan",
            "--input",
            roster.to_str().unwrap(),
            "--history",
            history.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let groups = plan["groups"].as_array().unwrap();
    let members: Vec<Vec<&str>> = groups
        .iter()
        .map(|g| {
            g["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap())
                .collect()
        })
        .collect();
    assert!(
        members
            .iter()
            .any(|g| g.contains(&"cy") && g.contains(&"dee")),
        "the current pair is kept: {members:?}"
    );
    assert!(
        !members
            .iter()
            .any(|g| g.contains(&"ana") && g.contains(&"bob")),
        "the hierarchical link is honoured"
    );
    assert_eq!(
        members.iter().filter(|g| g.len() == 3).count(),
        1,
        "five available learners: one trio"
    );
    assert_eq!(plan["unplaced"][0]["id"], "fay");
    // A broken input file gets a message that names it, not a crash.
    std::fs::write(&roster, "{ not json").unwrap();
    let bad = binome(
        "sqlite::memory:",
        &["pairs", "plan", "--input", roster.to_str().unwrap()],
    );
    assert!(!bad.status.success());
    assert!(text(&bad).contains("roster.json"), "{}", text(&bad));
    std::fs::remove_dir_all(&dir).ok();
}

/// The invitation URL a command printed, and its token.
fn invitation_in(out: &str) -> (String, String) {
    let at = out
        .find("https://binome.example.org/lti/register?invite=")
        .expect("an invitation URL");
    let url: String = out[at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let token = url.rsplit('=').next().unwrap().to_string();
    (url, token)
}

#[tokio::test]
async fn registration_invitations_from_the_command_line() {
    let db = fresh_database().await;
    let out = binome(
        &db,
        &[
            "registration",
            "invite",
            "--note",
            "Moodle of the Lyon campus",
            "--expires",
            "12h",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let (_, token) = invitation_in(&text(&out));
    assert_eq!(token.len(), 43, "32 random bytes");
    let default = binome(&db, &["registration", "invite"]);
    assert!(default.status.success(), "{}", text(&default));
    let (_, other) = invitation_in(&text(&default));
    assert_ne!(token, other);

    // Stored as a hash only.
    let store = binome::store::Store::connect(&db, 1).await.unwrap();
    let now = crate::platform::now();
    let found = store
        .usable_invitation(&binome::launch::registration::invitation_hash(&token), now)
        .await
        .unwrap()
        .expect("the invitation is stored by its hash");
    assert!((found.expires_at - now - 12 * 3600).abs() < 60, "12 hours");
    let second = store
        .usable_invitation(&binome::launch::registration::invitation_hash(&other), now)
        .await
        .unwrap()
        .unwrap();
    assert!(
        (second.expires_at - now - 7 * 86_400).abs() < 60,
        "7 days by default"
    );

    let list = text(&binome(&db, &["registration", "list"]));
    assert!(
        list.contains(&format!("[{}] unused", found.id))
            && list.contains("note: Moodle of the Lyon campus")
            && list.contains(" UTC"),
        "{list}"
    );
    assert!(
        !list.contains(&token),
        "the list never shows a token: {list}"
    );

    let out = binome(&db, &["registration", "revoke", &found.id.to_string()]);
    assert!(out.status.success(), "{}", text(&out));
    let list = text(&binome(&db, &["registration", "list"]));
    assert!(!list.contains("Lyon"), "{list}");
    assert!(
        store
            .usable_invitation(&binome::launch::registration::invitation_hash(&token), now)
            .await
            .unwrap()
            .is_none()
    );
    let again = binome(&db, &["registration", "revoke", &found.id.to_string()]);
    assert!(!again.status.success());
    assert!(text(&again).contains("not found"), "{}", text(&again));

    for bad in ["100d", "7", "soon"] {
        let out = binome(&db, &["registration", "invite", "--expires", bad]);
        assert!(!out.status.success(), "{bad}");
        assert!(text(&out).contains("--expires"), "{bad}: {}", text(&out));
    }
}

#[tokio::test]
async fn a_pending_registration_is_listed_and_approved_from_the_command_line() {
    let db = fresh_database().await;
    let store = binome::store::Store::connect(&db, 1).await.unwrap();
    let reg = store
        .insert_registered_platform(
            binome::store::NewPlatform {
                issuer: "https://lms.example.org".into(),
                client_id: "open-1".into(),
                auth_url: "https://lms.example.org/auth".into(),
                token_url: "https://lms.example.org/token".into(),
                jwks_url: "https://lms.example.org/jwks".into(),
                accept_new_deployments: false,
                frame_origins: vec![],
                deployments: vec!["1".into()],
                status: binome::lti::PlatformStatus::Pending,
                private_network: false,
                service_hosts: vec![],
                registered_via: binome::lti::RegisteredVia::Open,
            },
            None,
            crate::platform::now(),
        )
        .await
        .unwrap();
    let id = reg.id.get().to_string();
    let list = text(&binome(&db, &["platform", "list"]));
    assert!(
        list.contains(&format!("[{id}] PENDING"))
            && list.contains(&format!("binome platform approve {id}"))
            && list.contains("registered_via=open"),
        "{list}"
    );
    let out = binome(&db, &["platform", "approve", &id]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("approved"), "{}", text(&out));
    let list = text(&binome(&db, &["platform", "list"]));
    assert!(!list.contains("PENDING"), "{list}");
    let reg = store.registrations().await.unwrap().remove(0);
    assert_eq!(reg.status, binome::lti::PlatformStatus::Active);
    assert!(
        reg.private_network,
        "an approved platform is trusted like an invited one"
    );
    let again = binome(&db, &["platform", "approve", &id]);
    assert!(text(&again).contains("already active"), "{}", text(&again));
    let unknown = binome(&db, &["platform", "approve", "999"]);
    assert!(!unknown.status.success());
    assert!(
        text(&unknown).contains("no such registration"),
        "{}",
        text(&unknown)
    );
}

/// The binary with exactly `env` (nothing inherited): what an operator's shell or a
/// container gives it.
fn binome_with(env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_binome"));
    cmd.env_clear().args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[tokio::test]
async fn tool_variables_stop_no_command_and_pairs_plan_reads_no_settings() {
    let db = fresh_database().await;
    // The README offers BINOME_AXE for the accessibility tests: it is not a setting.
    for args in [
        &["keys", "list"][..],
        &["platform", "list"],
        &["lti-config", "canvas"],
    ] {
        let out = binome_with(
            &[("DATABASE_URL", &db), ("BINOME_AXE", "/tmp/axe.min.js")],
            args,
        );
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    }
    // An unknown setting still stops a command that reads settings, naming the command and
    // the setting, and "cannot start" is for `serve` only.
    let out = binome_with(
        &[("DATABASE_URL", &db), ("BINOME_BASEURL", "x")],
        &["platform", "list"],
    );
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out);
    assert!(
        said.starts_with("binome platform list: ") && said.contains("BINOME_BASEURL"),
        "{said}"
    );
    assert!(!said.contains("cannot start"), "{said}");
    let out = binome_with(
        &[("DATABASE_URL", &db), ("BINOME_BASEURL", "x")],
        &["serve"],
    );
    assert!(
        text(&out).starts_with("binome: cannot start: "),
        "{}",
        text(&out)
    );
    // `pairs plan` reads no settings at all: a malformed one does not matter to it.
    let dir = std::env::temp_dir().join(format!(
        "binome-plan-env-{}",
        binome::lti::login::random_token()[..8].replace(['-', '_'], "x")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let roster = dir.join("roster.json");
    std::fs::write(&roster, r#"{"participants":[{"id":"a"},{"id":"b"}]}"#).unwrap();
    let out = binome_with(
        &[("BINOME_SOMETHING_ELSE", "1"), ("BINOME_BIND", "nonsense")],
        &["pairs", "plan", "--input", roster.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));
    // It refuses a key it does not know, naming it and where it is.
    std::fs::write(
        &roster,
        "{\"participants\":[{\"id\":\"a\"}],\n \"polcy\": \"free\"}",
    )
    .unwrap();
    let out = binome_with(&[], &["pairs", "plan", "--input", roster.to_str().unwrap()]);
    assert!(!out.status.success());
    let said = text(&out);
    assert!(
        said.starts_with("binome pairs plan: --input")
            && said.contains("unknown field `polcy`")
            && said.contains("line 2"),
        "{said}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn lists_print_dates_for_people_and_json_for_scripts() {
    let db = fresh_database().await;
    assert!(binome(&db, &["keys", "rotate"]).status.success());
    let list = text(&binome(&db, &["keys", "list"]));
    assert!(list.contains(" UTC") && list.contains("current"), "{list}");
    assert!(
        list.contains("retired ") && list.contains("published until "),
        "{list}"
    );
    assert!(
        !list
            .split_whitespace()
            .any(|w| w.len() >= 10 && w.chars().all(|c| c.is_ascii_digit())),
        "no epoch seconds: {list}"
    );
    let out = binome(&db, &["keys", "list", "--json"]);
    let keys: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys.iter().filter(|k| k["current"] == true).count(), 1);
    let created = keys[0]["created_at"].as_str().unwrap();
    assert!(
        created.len() == 20 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "{created}"
    );
    for args in [
        &["platform", "list", "--json"][..],
        &["registration", "list", "--json"],
    ] {
        let out = binome(&db, args);
        assert!(out.status.success(), "{}", text(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert!(v.is_array(), "{args:?}");
    }
}

#[tokio::test]
async fn platform_remove_asks_first_or_needs_yes() {
    let db = fresh_database().await;
    let out = binome(
        &db,
        &[
            "platform",
            "add",
            "--issuer",
            "https://lms.example.org",
            "--client-id",
            "C1",
            "--auth-url",
            "https://lms.example.org/auth",
            "--token-url",
            "https://lms.example.org/token",
            "--jwks-url",
            "https://lms.example.org/jwks",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    // Not a terminal and no --yes: nothing is removed, and the message says what would go.
    let out = binome(&db, &["platform", "remove", "--id", "1"]);
    assert!(!out.status.success());
    let said = text(&out);
    assert!(
        said.starts_with("binome platform remove: ")
            && said.contains("--yes")
            && said.contains("0 courses")
            && said.contains("https://lms.example.org"),
        "{said}"
    );
    assert!(text(&binome(&db, &["platform", "list"])).contains("client_id=C1"));
    let out = binome(&db, &["platform", "remove", "--id", "1", "--yes"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&binome(&db, &["platform", "list"])).contains("client_id=C1"));
}

#[test]
fn admin_commands_are_quiet_on_a_fresh_database_unless_asked() {
    for (verbose, logged) in [(false, false), (true, true)] {
        let dir = std::env::temp_dir().join(format!(
            "binome-quiet-{}",
            binome::lti::login::random_token()[..8].replace(['-', '_'], "x")
        ));
        let db = format!("sqlite://{}?mode=rwc", dir.join("binome.db").display());
        let mut args = vec!["keys", "list"];
        if verbose {
            args.push("-v");
        }
        let out = binome_with(&[("DATABASE_URL", &db)], &args);
        assert!(out.status.success(), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.contains("migration"), logged, "-v {verbose}: {err}");
        assert!(!err.contains('\u{1b}'), "no colour: {err}");
        std::fs::remove_dir_all(&dir).ok();
    }
}

#[test]
fn help_lists_every_setting_with_its_key_and_default() {
    for args in [&["--help"][..], &["serve", "--help"]] {
        let out = binome_with(&[], args);
        assert!(out.status.success());
        let help = String::from_utf8_lossy(&out.stdout);
        for s in binome::config::SETTINGS {
            assert!(help.contains(s.env), "{args:?} lacks {}", s.env);
            if let Some(key) = s.key {
                assert!(help.contains(key), "{args:?} lacks {key}");
            }
            assert!(
                help.contains(&format!("[default: {}]", s.default)),
                "{args:?}: {}",
                s.env
            );
        }
    }
}

#[test]
fn the_readme_documents_every_setting_and_every_metric() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for s in binome::config::SETTINGS {
        assert!(
            readme.contains(&format!("| `{}` |", s.env)),
            "README lacks {}",
            s.env
        );
    }
    for series in [
        "binome_http_request_duration_seconds",
        "binome_launches_total",
        "binome_session_events_total",
        "binome_grade_delivery_latency_seconds",
        "binome_grade_outbox_scores",
        "binome_roster_syncs_total",
        "binome_rate_limited_total",
        "binome_event_streams_open",
        "binome_event_streams_max",
        "binome_db_pool_connections",
        "binome_db_pool_max_connections",
        "binome_build_info",
        "binome_start_time_seconds",
    ] {
        assert!(
            readme.contains(&format!("`{series}")),
            "README lacks {series}"
        );
    }
}

#[test]
fn the_readme_pairs_plan_example_prints_what_the_readme_shows() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("### Planning pairs offline")
        .nth(1)
        .and_then(|s| s.split("\n### ").next())
        .unwrap();
    let blocks: Vec<&str> = section
        .split("```json\n")
        .skip(1)
        .map(|b| b.split("\n```").next().unwrap())
        .collect();
    let [roster, history, output] = blocks[..] else {
        panic!("three JSON blocks expected: {blocks:?}");
    };
    let dir = std::env::temp_dir().join(format!(
        "binome-readme-plan-{}",
        binome::lti::login::random_token()[..8].replace(['-', '_'], "x")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("roster.json"), roster).unwrap();
    std::fs::write(dir.join("history.json"), history).unwrap();
    let out = binome_with(
        &[],
        &[
            "pairs",
            "plan",
            "--input",
            dir.join("roster.json").to_str().unwrap(),
            "--history",
            dir.join("history.json").to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let shown: serde_json::Value = serde_json::from_str(output).unwrap();
    assert_eq!(printed, shown, "the README's example output is stale");
    assert!(
        printed["groups"].as_array().unwrap().len() >= 2,
        "the example pairs people"
    );
    std::fs::remove_dir_all(&dir).ok();
}
