//! The command line: `binome serve` (the default) and the administration commands for
//! platforms, deployments, registration invitations, keys and LMS configuration, the health
//! check of a running instance (`binome health`) and the offline pairing (`binome pairs plan`).
//!
//! Lists print for people, or JSON with `--json` for scripts; a command that deletes asks
//! first (on a terminal) or wants `--yes`; an error names the command that failed.

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::config::Settings;
use crate::launch::keyring;
use crate::launch::now;
use crate::launch::registration as dynreg;
use crate::lti::{PlatformStatus, RegistrationId};
use crate::pairing;
use crate::store::{DeploymentStatus, NewPlatform, Store};

#[derive(Debug, Parser)]
#[command(
    name = "binome",
    version,
    about = "Binôme — LTI 1.3 peer-coaching tool"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Log more of what an administration command does (-v: info, such as the database
    /// migrations applied; -vv: debug). `RUST_LOG` overrides it. `serve` logs at info.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Reads the command line; `--help` (of `binome` and of `binome serve`) ends with every
/// setting, its `binome.toml` key and its default.
pub fn parse() -> Cli {
    let help = crate::config::settings_help();
    let command = Cli::command()
        .after_help(help.clone())
        .mut_subcommand("serve", |c| c.after_help(help));
    let matches = command.get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the tool (the default).
    Serve,
    /// Register, list and remove LMS platforms and their deployments.
    #[command(subcommand)]
    Platform(PlatformCmd),
    /// Invite an LMS to register by LTI Dynamic Registration; list and revoke invitations.
    #[command(subcommand)]
    Registration(RegistrationCmd),
    /// Manage the tool's signing keys.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Print the configuration to paste into an LMS, filled in for BINOME_BASE_URL.
    LtiConfig { lms: Lms },
    /// Plan pairs offline from JSON files (no database, no settings needed).
    #[command(subcommand)]
    Pairs(PairsCmd),
    /// Ask a running instance whether it is ready (GET /readyz): exit 0 when it is, 1 when
    /// not (for container health checks).
    Health(HealthArgs),
}

impl Command {
    /// The command as typed, for messages (`binome platform remove: …`).
    pub fn name(&self) -> &'static str {
        match self {
            Command::Serve => "serve",
            Command::Platform(p) => match p {
                PlatformCmd::Add(_) => "platform add",
                PlatformCmd::List(_) => "platform list",
                PlatformCmd::Remove(_) => "platform remove",
                PlatformCmd::Update { .. } => "platform update",
                PlatformCmd::Approve { .. } => "platform approve",
                PlatformCmd::ApproveDeployment { .. } => "platform approve-deployment",
            },
            Command::Registration(r) => match r {
                RegistrationCmd::Invite { .. } => "registration invite",
                RegistrationCmd::List(_) => "registration list",
                RegistrationCmd::Revoke { .. } => "registration revoke",
            },
            Command::Keys(k) => match k {
                KeysCmd::Rotate => "keys rotate",
                KeysCmd::List(_) => "keys list",
            },
            Command::LtiConfig { .. } => "lti-config",
            Command::Pairs(_) => "pairs plan",
            Command::Health(_) => "health",
        }
    }
}

/// `binome health`.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The instance's readiness URL (plain http); default: /readyz on BINOME_BIND, with
    /// 0.0.0.0 or :: asked on loopback. With --url, no setting is read.
    #[arg(long)]
    pub url: Option<String>,
    /// How long to wait for the answer, in seconds.
    #[arg(long, default_value_t = 3)]
    pub timeout: u64,
}

/// `--json` of the list commands.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON (for scripts) instead of text.
    #[arg(long)]
    json: bool,
}

/// `binome platform remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    #[command(flatten)]
    which: Which,
    /// Remove without asking (needed when standard input is not a terminal).
    #[arg(long)]
    yes: bool,
}

#[derive(Debug, Subcommand)]
pub enum PairsCmd {
    /// Print the pairing plan for a roster as JSON.
    Plan(PlanArgs),
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The roster: a pairing `PlanInput` as JSON (participants, links, locked, weights, ...).
    #[arg(long)]
    input: std::path::PathBuf,
    /// Previous modules' groups as JSON (`{"modules":[{"module":"M1","groups":[["a","b"]]}]}`).
    #[arg(long)]
    history: Option<std::path::PathBuf>,
    /// Tie-breaking seed (overrides the input's).
    #[arg(long)]
    seed: Option<u64>,
    /// History policy (overrides the input's; default keep).
    #[arg(long)]
    policy: Option<PolicyArg>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PolicyArg {
    /// Keep current pairs, re-pair the rest with minimal disruption.
    Keep,
    /// Avoid every previous partner.
    New,
    /// Ignore history.
    Free,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Lms {
    Canvas,
    Moodle,
}

#[derive(Debug, Subcommand)]
pub enum PlatformCmd {
    /// Register a platform (issuer + client id) and its deployments.
    Add(AddPlatform),
    /// List registrations and deployments.
    List(ListArgs),
    /// Remove a registration and everything scoped to it (its courses, rosters, pairs,
    /// sessions and grades); asks first, or --yes.
    Remove(RemoveArgs),
    /// Change the framing origins, the new-deployment rule or the service hosts of a
    /// registration, keeping its courses (Canvas schools on their own domain need their
    /// origin here).
    Update {
        #[command(flatten)]
        which: Which,
        /// Origins allowed to frame the tool, replacing the current list (repeatable).
        #[arg(long = "frame-origin")]
        frame_origins: Option<Vec<String>>,
        /// Accept (true) or refuse (false) launches from unknown deployment ids.
        #[arg(long)]
        accept_new_deployments: Option<bool>,
        #[command(flatten)]
        service_hosts: ServiceHostArgs,
    },
    /// Approve a registration made without an invitation (shown PENDING by `platform list`):
    /// its launches are let in.
    Approve {
        /// Registration id as shown by `binome platform list`.
        id: i32,
    },
    /// Approve a deployment (pending after a refused launch, or new).
    ApproveDeployment {
        #[command(flatten)]
        which: Which,
        #[arg(long)]
        deployment_id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RegistrationCmd {
    /// Print a one-time registration URL (`BASE_URL/lti/register?invite=…`) to paste into
    /// the LMS (Moodle: "Register tool URL"; Canvas: "LTI Registration").
    Invite {
        /// What the invitation is for (shown by `registration list`).
        #[arg(long)]
        note: Option<String>,
        /// How long it may be used: 30m, 12h, 7d (at most 90d).
        #[arg(long, default_value = "7d")]
        expires: String,
    },
    /// List invitations: note, created, expires, used or not, by which registration.
    List(ListArgs),
    /// Revoke an unused invitation.
    Revoke {
        /// Invitation id as shown by `binome registration list`.
        id: i32,
    },
}

#[derive(Debug, Args)]
pub struct AddPlatform {
    /// The platform's issuer (Moodle: its wwwroot; Canvas Cloud: https://canvas.instructure.com).
    #[arg(long)]
    issuer: String,
    /// The client id the platform gave the tool.
    #[arg(long)]
    client_id: String,
    /// OIDC authentication request URL.
    #[arg(long)]
    auth_url: String,
    /// OAuth2 access token URL.
    #[arg(long)]
    token_url: String,
    /// The platform's public keyset URL.
    #[arg(long)]
    jwks_url: String,
    /// Deployment ids to approve now (repeatable).
    #[arg(long = "deployment-id")]
    deployment_ids: Vec<String>,
    /// Accept launches from deployment ids not listed (Canvas creates one per install).
    #[arg(long)]
    accept_new_deployments: bool,
    /// Extra origin allowed to frame the tool, e.g. https://school.instructure.com (repeatable).
    #[arg(long = "frame-origin")]
    frame_origins: Vec<String>,
}

/// The hosts a platform's service token may be sent to, beyond its own.
#[derive(Debug, Args)]
pub struct ServiceHostArgs {
    /// A host the platform's roster and grade services live on, beyond the hosts of its
    /// issuer, auth, token and keyset URLs (a bare host name, e.g. services.lms.example.org):
    /// its service token may be sent there. Added to the current ones (repeatable).
    #[arg(long = "service-host")]
    add: Vec<String>,
    /// Forget the service hosts added before (then add those given with --service-host).
    #[arg(long = "clear-service-hosts")]
    clear: bool,
}

impl ServiceHostArgs {
    /// The registration's new list of added service hosts, or None when unchanged.
    fn apply(&self, current: &[String]) -> Result<Option<Vec<String>>, CliError> {
        if self.add.is_empty() && !self.clear {
            return Ok(None);
        }
        let mut hosts: Vec<String> = if self.clear {
            Vec::new()
        } else {
            current.to_vec()
        };
        for raw in &self.add {
            let h = crate::lti::service_url::check_service_host(raw)
                .map_err(|e| CliError::Usage(format!("--service-host {e}")))?;
            if !hosts.contains(&h) {
                hosts.push(h);
            }
        }
        Ok(Some(hosts))
    }
}

/// Selects a registration by id or by issuer and client id.
#[derive(Debug, Args)]
pub struct Which {
    /// Registration id as shown by `binome platform list`.
    #[arg(long, conflicts_with_all = ["issuer", "client_id"])]
    id: Option<i32>,
    #[arg(long, requires = "client_id")]
    issuer: Option<String>,
    #[arg(long, requires = "issuer")]
    client_id: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeysCmd {
    /// Add a new current key; the previous one stays published for BINOME_KEY_GRACE_DAYS.
    Rotate,
    /// List the published keys: created, current or retired, published until.
    List(ListArgs),
}

/// A command failed; main prints this and exits with status 1.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line or an input file is not usable.
    #[error("{0}")]
    Usage(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The tool's keys could not be read or made.
    #[error(transparent)]
    Keys(#[from] keyring::KeyRingError),
    /// The operator did not confirm a deletion.
    #[error("{0}")]
    NotConfirmed(String),
}

/// An error and its causes, as one line: "database error: unable to open database file".
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

fn check_url(name: &str, raw: &str) -> Result<(), CliError> {
    match url::Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(CliError::Usage(format!(
            "--{name} {raw:?} is not an http(s) URL"
        ))),
    }
}

fn check_origin(raw: &str) -> Result<String, CliError> {
    let ok = (raw.starts_with("https://") || raw.starts_with("http://"))
        && !raw.contains([' ', ';', ',', '\'', '"'])
        && raw
            .split("://")
            .nth(1)
            .is_some_and(|h| !h.is_empty() && !h.contains('/'));
    if ok {
        Ok(raw.trim_end_matches('/').to_string())
    } else {
        Err(CliError::Usage(format!(
            "--frame-origin {raw:?} must look like https://host[:port]"
        )))
    }
}

/// A duration as an operator types it: a number and a unit, `m` (minutes), `h` (hours) or
/// `d` (days); at least a minute, at most [`dynreg::MAX_INVITATION_SECS`].
pub fn parse_duration(raw: &str) -> Result<i64, CliError> {
    let bad = || {
        CliError::Usage(format!(
            "--expires {raw:?}: write a number and a unit, like 30m, 12h or 7d (at most 90d)"
        ))
    };
    let raw_t = raw.trim();
    let (digits, unit) = raw_t.split_at(raw_t.len().saturating_sub(1));
    let n: i64 = digits.parse().map_err(|_| bad())?;
    let secs = match unit {
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        "d" => n.checked_mul(86_400),
        _ => None,
    }
    .ok_or_else(bad)?;
    if !(60..=dynreg::MAX_INVITATION_SECS).contains(&secs) {
        return Err(bad());
    }
    Ok(secs)
}

/// A Unix time as scripts read it: RFC 3339, UTC (`2026-12-07T00:00:00Z`).
pub fn iso_time(t: i64) -> String {
    // Whole seconds, so RFC 3339 writes no fraction.
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| t.to_string())
}

/// A Unix time as a person reads it, in UTC.
pub fn human_time(t: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(format).ok())
        .unwrap_or_else(|| t.to_string())
}

async fn resolve(store: &Store, w: &Which) -> Result<RegistrationId, CliError> {
    let regs = store.registrations().await?;
    let found = match (&w.id, &w.issuer, &w.client_id) {
        (Some(id), _, _) => regs.iter().find(|r| r.id.get() == *id),
        (None, Some(i), Some(c)) => regs
            .iter()
            .find(|r| r.issuer == i.as_str() && r.client_id == c.as_str()),
        _ => {
            return Err(CliError::Usage(
                "name the registration with --id, or with --issuer and --client-id".into(),
            ));
        }
    };
    found
        .map(|r| r.id)
        .ok_or_else(|| CliError::Usage("no such registration (see `binome platform list`)".into()))
}

/// Runs an administration command and returns what to print.
pub async fn run_admin(settings: &Settings, cmd: Command) -> Result<String, CliError> {
    if let Command::LtiConfig { lms } = cmd {
        return Ok(lti_config(settings, lms));
    }
    if let Command::Pairs(PairsCmd::Plan(args)) = cmd {
        return pairs_plan(&args);
    }
    let store = Store::connect(&settings.database_url, 2).await?;
    let now = now();
    match cmd {
        Command::Platform(PlatformCmd::Add(a)) => {
            for (n, u) in [
                ("issuer", &a.issuer),
                ("auth-url", &a.auth_url),
                ("token-url", &a.token_url),
                ("jwks-url", &a.jwks_url),
            ] {
                check_url(n, u)?;
            }
            if a.client_id.trim().is_empty() {
                return Err(CliError::Usage("--client-id is empty".into()));
            }
            let frame_origins = a
                .frame_origins
                .iter()
                .map(|o| check_origin(o))
                .collect::<Result<Vec<_>, _>>()?;
            let reg = store
                .add_platform(
                    NewPlatform {
                        issuer: a.issuer.trim().into(),
                        client_id: a.client_id.trim().into(),
                        auth_url: a.auth_url,
                        token_url: a.token_url,
                        jwks_url: a.jwks_url,
                        accept_new_deployments: a.accept_new_deployments,
                        frame_origins,
                        deployments: a.deployment_ids,
                        status: crate::lti::PlatformStatus::Active,
                        private_network: true,
                        service_hosts: vec![],
                        registered_via: crate::lti::RegisteredVia::Operator,
                    },
                    now,
                )
                .await?;
            Ok(format!(
                "registered platform {} (id {}) with client id {}\n",
                reg.issuer,
                reg.id.get(),
                reg.client_id
            ))
        }
        Command::Platform(PlatformCmd::List(list)) => {
            let regs = store.registrations().await?;
            let deps = store.deployments().await?;
            if list.json {
                let rows: Vec<serde_json::Value> = regs
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "id": r.id.get(),
                            "issuer": r.issuer,
                            "client_id": r.client_id,
                            "status": match r.status {
                                PlatformStatus::Active => "active",
                                PlatformStatus::Pending => "pending",
                            },
                            "registered_via": r.registered_via.as_str(),
                            "auth_url": r.auth_url,
                            "token_url": r.token_url,
                            "jwks_url": r.jwks_url,
                            "accept_new_deployments": r.accept_new_deployments,
                            "frame_origins": r.frame_origins,
                            "service_hosts": r.service_hosts,
                            "deployments": deps
                                .iter()
                                .filter(|d| d.registration == r.id)
                                .map(|d| serde_json::json!({
                                    "deployment_id": d.deployment_id,
                                    "status": match d.status {
                                        DeploymentStatus::Active => "approved",
                                        DeploymentStatus::Pending => "pending",
                                    },
                                }))
                                .collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                return Ok(json_lines(&rows));
            }
            if regs.is_empty() {
                return Ok("no platform registered yet; see `binome platform add --help`\n".into());
            }
            let mut out = String::new();
            for r in regs {
                let status = match r.status {
                    PlatformStatus::Active => String::new(),
                    PlatformStatus::Pending => format!(
                        " PENDING (registered without an invitation; approve with `binome platform approve {}`)",
                        r.id.get()
                    ),
                };
                out.push_str(&format!(
                    "[{}]{status} issuer={} client_id={}\n    registered_via={}\n    auth_url={}\n    token_url={}\n    jwks_url={}\n    accept_new_deployments={}{}\n",
                    r.id.get(),
                    r.issuer,
                    r.client_id,
                    r.registered_via.as_str(),
                    r.auth_url,
                    r.token_url,
                    r.jwks_url,
                    r.accept_new_deployments,
                    if r.frame_origins.is_empty() { String::new() } else { format!("\n    frame_origins={}", r.frame_origins.join(" ")) }
                ));
                if !r.service_hosts.is_empty() {
                    out.push_str(&format!(
                        "    service_hosts={}\n",
                        r.service_hosts.join(" ")
                    ));
                }
                for d in deps.iter().filter(|d| d.registration == r.id) {
                    let status = match d.status {
                        DeploymentStatus::Active => "approved",
                        DeploymentStatus::Pending => {
                            "PENDING (approve with `binome platform approve-deployment`)"
                        }
                    };
                    out.push_str(&format!("    deployment {}: {status}\n", d.deployment_id));
                }
            }
            Ok(out)
        }
        Command::Platform(PlatformCmd::Remove(args)) => {
            let id = resolve(&store, &args.which).await?;
            let reg = store
                .registrations()
                .await?
                .into_iter()
                .find(|r| r.id == id)
                .ok_or_else(|| CliError::Usage("no such registration".into()))?;
            let courses = store.courses_of_platform(id).await?;
            let what = format!(
                "registration {} (issuer {}, client id {}) and everything under it: {courses} course{} with their rosters, pairs, live sessions and grades",
                id.get(),
                reg.issuer,
                reg.client_id,
                if courses == 1 { "" } else { "s" },
            );
            if !args.yes {
                confirm(&what, &id.get().to_string())?;
            }
            store.remove_platform(id).await?;
            Ok(format!("removed {what}\n"))
        }
        Command::Platform(PlatformCmd::Update {
            which,
            frame_origins,
            accept_new_deployments,
            service_hosts,
        }) => {
            let id = resolve(&store, &which).await?;
            let current = store
                .registrations()
                .await?
                .into_iter()
                .find(|r| r.id == id)
                .map(|r| r.service_hosts)
                .unwrap_or_default();
            let service_hosts = service_hosts.apply(&current)?;
            let origins = match frame_origins {
                Some(list) => Some(
                    list.iter()
                        .map(|o| check_origin(o))
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                None => None,
            };
            store
                .update_platform(id, origins, accept_new_deployments, service_hosts)
                .await?;
            Ok(format!("registration {} updated\n", id.get()))
        }
        Command::Platform(PlatformCmd::Approve { id }) => {
            let regs = store.registrations().await?;
            let Some(reg) = regs.iter().find(|r| r.id.get() == id) else {
                return Err(CliError::Usage(
                    "no such registration (see `binome platform list`)".into(),
                ));
            };
            if reg.status == PlatformStatus::Active {
                return Ok(format!("registration {id} is already active\n"));
            }
            store.approve_platform(reg.id).await?;
            Ok(format!(
                "registration {id} ({} with client id {}) approved: its launches are let in\n",
                reg.issuer, reg.client_id
            ))
        }
        Command::Registration(RegistrationCmd::Invite { note, expires }) => {
            let ttl = parse_duration(&expires)?;
            let note = note.as_deref().map(str::trim).filter(|n| !n.is_empty());
            let (new, stored) = dynreg::invite(&store, note, ttl, now).await?;
            let mut out = format!(
                "Registration URL (one use, until {}):\n  {}\n\nPaste it into the LMS: Moodle, Site administration → Plugins → External tool → Manage tools → \"Tool URL\" → Add LTI Advantage; Canvas, Developer Keys → + Developer Key → LTI Registration.\n",
                human_time(stored.expires_at),
                new.url(&settings.tool_urls().register)
            );
            if settings.registration == crate::config::RegistrationMode::Off {
                out.push_str(
                    "Note: registration = \"off\" on this server: Dynamic Registration is refused until the setting is \"invite\" or \"open\".\n",
                );
            }
            Ok(out)
        }
        Command::Registration(RegistrationCmd::List(list)) => {
            let invitations = store.invitations().await?;
            if list.json {
                let rows: Vec<serde_json::Value> = invitations
                    .iter()
                    .map(|i| {
                        serde_json::json!({
                            "id": i.id,
                            "note": i.note,
                            "created_at": iso_time(i.created_at),
                            "expires_at": iso_time(i.expires_at),
                            "used_at": i.used_at.map(iso_time),
                            "registration": i.platform.map(|p| p.get()),
                            "expired": i.used_at.is_none() && i.expires_at <= now,
                        })
                    })
                    .collect();
                return Ok(json_lines(&rows));
            }
            if invitations.is_empty() {
                return Ok("no invitation yet; see `binome registration invite --help`\n".into());
            }
            let mut out = String::new();
            for i in invitations {
                let state = match (i.used_at, i.platform) {
                    (Some(at), Some(p)) => {
                        format!("used {} by registration {}", human_time(at), p.get())
                    }
                    (Some(at), None) => {
                        format!("used {} (that registration was removed)", human_time(at))
                    }
                    (None, _) if i.expires_at <= now => "expired, unused".to_string(),
                    (None, _) => "unused".to_string(),
                };
                out.push_str(&format!(
                    "[{}] {state}; created {}, expires {}{}\n",
                    i.id,
                    human_time(i.created_at),
                    human_time(i.expires_at),
                    i.note
                        .as_deref()
                        .map(|n| format!("; note: {n}"))
                        .unwrap_or_default()
                ));
            }
            Ok(out)
        }
        Command::Registration(RegistrationCmd::Revoke { id }) => {
            store.revoke_invitation(id).await?;
            Ok(format!("invitation {id} revoked\n"))
        }
        Command::Platform(PlatformCmd::ApproveDeployment {
            which,
            deployment_id,
        }) => {
            let id = resolve(&store, &which).await?;
            store
                .approve_deployment(id, deployment_id.trim(), now)
                .await?;
            Ok(format!(
                "deployment {} of registration {} approved\n",
                deployment_id.trim(),
                id.get()
            ))
        }
        Command::Keys(KeysCmd::Rotate) => {
            // Make sure a first key exists so that the rotation keeps it published.
            keyring::KeyRing::load(store.clone(), settings.key_grace, now).await?;
            let kid = keyring::rotate(&store, now).await?;
            Ok(format!(
                "new current key {kid}; previous keys stay published for {} days\n",
                settings.key_grace.as_secs() / 86_400
            ))
        }
        Command::Keys(KeysCmd::List(list)) => {
            let grace = settings.key_grace.as_secs() as i64;
            let keys = store.published_keys(now - grace).await?;
            if list.json {
                let rows: Vec<serde_json::Value> = keys
                    .iter()
                    .map(|k| {
                        serde_json::json!({
                            "kid": k.kid,
                            "created_at": iso_time(k.created_at),
                            "current": k.retired_at.is_none(),
                            "retired_at": k.retired_at.map(iso_time),
                            "published_until": k.retired_at.map(|t| iso_time(t + grace)),
                        })
                    })
                    .collect();
                return Ok(json_lines(&rows));
            }
            let mut out = String::new();
            for k in keys {
                let status = match k.retired_at {
                    None => "current (signs)".to_string(),
                    Some(t) => format!(
                        "retired {}, published until {}",
                        human_time(t),
                        human_time(t + grace)
                    ),
                };
                out.push_str(&format!(
                    "{}  created {}  {status}\n",
                    k.kid,
                    human_time(k.created_at)
                ));
            }
            Ok(out)
        }
        Command::Serve | Command::LtiConfig { .. } | Command::Pairs(_) | Command::Health(_) => {
            Ok(String::new())
        }
    }
}

/// A JSON array, pretty-printed, with a final newline.
fn json_lines(rows: &[serde_json::Value]) -> String {
    let mut out = serde_json::to_string_pretty(rows).unwrap_or_else(|_| "[]".into());
    out.push('\n');
    out
}

/// Asks the operator, on a terminal, to type `answer` before `what` is deleted; refuses
/// without asking when standard input is not a terminal (a script must say `--yes`).
fn confirm(what: &str, answer: &str) -> Result<(), CliError> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Err(CliError::NotConfirmed(format!(
            "this deletes {what}; nothing was removed: run it on a terminal to confirm, or add --yes"
        )));
    }
    let mut err = std::io::stderr();
    let _ = write!(
        err,
        "This deletes {what}.\nIt cannot be undone. Type {answer} to confirm: "
    );
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::NotConfirmed(format!("no confirmation read ({e})")))?;
    if line.trim() == answer {
        Ok(())
    } else {
        Err(CliError::NotConfirmed(
            "not confirmed; nothing was removed".into(),
        ))
    }
}

fn read_json<T: serde::de::DeserializeOwned>(
    flag: &str,
    path: &std::path::Path,
) -> Result<T, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("--{flag} {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        let problem = match e.classify() {
            serde_json::error::Category::Data => "does not fit the expected input",
            _ => "is not valid JSON",
        };
        CliError::Usage(format!("--{flag} {} {problem}: {e}", path.display()))
    })
}

/// `binome pairs plan`: reads the roster (and history), runs the engine, prints the plan.
pub fn pairs_plan(args: &PlanArgs) -> Result<String, CliError> {
    let mut input: pairing::PlanInput = read_json("input", &args.input)?;
    if let Some(h) = &args.history {
        input.history = read_json("history", h)?;
    }
    if let Some(seed) = args.seed {
        input.seed = seed;
    }
    if let Some(p) = args.policy {
        input.policy = match p {
            PolicyArg::Keep => pairing::Policy::KeepPairs,
            PolicyArg::New => pairing::Policy::NewPartners,
            PolicyArg::Free => pairing::Policy::Free,
        };
    }
    let plan = pairing::plan(&input);
    let mut out = serde_json::to_string_pretty(&plan)
        .map_err(|e| CliError::Usage(format!("cannot print the plan: {e}")))?;
    out.push('\n');
    Ok(out)
}

/// What an administrator needs beside the printed configuration, for standard error (so
/// that standard output stays the JSON to paste): Canvas's developer key form also requires
/// its Redirect URIs, one per line, which the JSON does not fill.
pub fn lti_config_notes(settings: &Settings, lms: Lms) -> Option<String> {
    match lms {
        Lms::Canvas => Some(format!(
            "Canvas: Admin → Developer Keys → + Developer Key → + LTI Key.\n\
             \x20 Redirect URIs (required; one per line):\n\
             \x20   {launch}\n\
             \x20 Method: Paste JSON, with the JSON printed on standard output.\n\
             \x20 Then save, turn the key ON, and install the app in an account or course with its client id\n\
             \x20 (see `binome platform add --help` to register Canvas in Binôme).\n",
            launch = settings.url("/lti/launch")
        )),
        Lms::Moodle => None,
    }
}

/// The LMS configuration of `lti-config/`, filled in for this server.
pub fn lti_config(settings: &Settings, lms: Lms) -> String {
    let template = match lms {
        Lms::Canvas => include_str!("../lti-config/canvas.json"),
        Lms::Moodle => include_str!("../lti-config/moodle.md"),
    };
    let host = settings.base_url.host_str().unwrap_or("localhost");
    template
        .replace("{{BASE_URL}}", settings.base())
        .replace("{{HOST}}", host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_scripts_and_people_read_them() {
        assert_eq!(iso_time(1_796_601_600), "2026-12-07T00:00:00Z");
        assert_eq!(iso_time(1_796_635_845), "2026-12-07T09:30:45Z");
        assert_eq!(iso_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_time(i64::MAX), i64::MAX.to_string());
        assert_eq!(human_time(1_796_635_845), "2026-12-07 09:30 UTC");
        assert_eq!(human_time(i64::MIN), i64::MIN.to_string());
    }

    #[test]
    fn invitation_durations_read_as_an_operator_writes_them() {
        for (raw, secs) in [
            ("30m", Some(1800)),
            ("12h", Some(43_200)),
            ("7d", Some(604_800)),
            (" 90d ", Some(90 * 86_400)),
            ("91d", None),
            ("0m", None),
            ("7", None),
            ("d", None),
            ("7w", None),
            ("-1d", None),
            ("99999999999999999d", None),
        ] {
            assert_eq!(parse_duration(raw).ok(), secs, "{raw}");
        }
    }

    #[test]
    fn times_are_printed_as_dates() {
        assert_eq!(human_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(human_time(1_796_601_600), "2026-12-07 00:00 UTC");
    }
}
