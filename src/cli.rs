//! The command line: `binome serve` (the default) and the administration commands for
//! platforms, deployments, keys and LMS configuration.

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::Settings;
use crate::launch::keyring;
use crate::launch::now;
use crate::lti::RegistrationId;
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
    /// Approve a deployment (pending after a refused launch, or new).
    ApproveDeployment {
        #[command(flatten)]
        which: Which,
        #[arg(long)]
        deployment_id: String,
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
                out.push_str(&format!(
                    "[{}] issuer={} client_id={}\n    auth_url={}\n    token_url={}\n    jwks_url={}\n    accept_new_deployments={}{}\n",
                    r.id.get(),
                    r.issuer,
                    r.client_id,
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
