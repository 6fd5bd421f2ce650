//! The command line: `binome serve` (the default) and the administration commands for
//! platforms, deployments, registration invitations, keys and LMS configuration.

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// Plan pairs offline from JSON files (no database needed).
    #[command(subcommand)]
    Pairs(PairsCmd),
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
    List,
    /// Remove a registration and everything scoped to it.
    Remove(Which),
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
    List,
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
    /// List the published keys.
    List,
}

/// A command failed; main prints this and exits with status 1.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Keys(#[from] keyring::KeyRingError),
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

/// A Unix time as a person reads it, in UTC.
pub fn human_time(t: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(t) {
        Ok(d) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute()
        ),
        Err(_) => t.to_string(),
    }
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
        Command::Platform(PlatformCmd::List) => {
            let regs = store.registrations().await?;
            let deps = store.deployments().await?;
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
        Command::Platform(PlatformCmd::Remove(w)) => {
            let id = resolve(&store, &w).await?;
            store.remove_platform(id).await?;
            Ok(format!("removed registration {}\n", id.get()))
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
        Command::Registration(RegistrationCmd::List) => {
            let invitations = store.invitations().await?;
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
        Command::Keys(KeysCmd::List) => {
            let keys = store
                .published_keys(now - settings.key_grace.as_secs() as i64)
                .await?;
            let mut out = String::new();
            for k in keys {
                let status = match k.retired_at {
                    None => "current".to_string(),
                    Some(t) => format!(
                        "retired at {t}, published until {}",
                        t + settings.key_grace.as_secs() as i64
                    ),
                };
                out.push_str(&format!("{} created {} {status}\n", k.kid, k.created_at));
            }
            Ok(out)
        }
        Command::Serve | Command::LtiConfig { .. } | Command::Pairs(_) => Ok(String::new()),
    }
}

fn read_json<T: serde::de::DeserializeOwned>(
    flag: &str,
    path: &std::path::Path,
) -> Result<T, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("--{flag} {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        CliError::Usage(format!(
            "--{flag} {}: not valid JSON here: {e}",
            path.display()
        ))
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
