//! LTI 1.3 and LTI Advantage as a protocol: claims, OIDC login, id_token validation, the tool's
//! keys and JWKS, the platform key cache, and Dynamic Registration (`registration`).
//!
//! This module knows nothing of peer coaching, of actix or of the database: it takes and
//! returns plain values, so the web layer and the store decide where they come from.

pub mod ags;
pub mod claims;
pub mod deep_linking;
pub mod error;
pub mod jwks;
pub mod keys;
pub mod login;
pub mod nrps;
pub mod outbound;
pub mod registration;
pub mod remote;
pub mod roles;
pub mod service_url;
pub mod services;
pub mod validate;

pub use claims::{Launch, MessageType};
pub use error::LaunchError;
pub use remote::{Failure, Service};
pub use service_url::{NotService, ServiceUrl};

/// The database id of a platform registration (issuer + client id).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct RegistrationId(i32);

impl RegistrationId {
    /// The registration of a database id.
    pub const fn new(id: i32) -> RegistrationId {
        RegistrationId(id)
    }

    /// The database id.
    pub const fn get(self) -> i32 {
        self.0
    }
}

/// An opaque identifier the platform chose, kept as the platform sent it: a newtype so that
/// one kind of id cannot be passed where another is meant.
macro_rules! platform_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> $name {
                $name(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> $name {
                $name(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> $name {
                $name(id.to_string())
            }
        }

        // Hashes and compares as its text, so a map keyed by it can be asked with a `&str`.
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

platform_id!(
    /// A person's user id as the platform sends it (`sub`): opaque, stable, and meaningful
    /// only within its platform.
    Subject
);
platform_id!(
    /// The id of one installation of the tool in a platform (`deployment_id`).
    DeploymentId
);
platform_id!(
    /// A platform's issuer (`iss`), e.g. a Moodle wwwroot or `https://canvas.instructure.com`.
    Issuer
);
platform_id!(
    /// The client id a platform assigned to the tool (`aud`/`azp` of its id_tokens).
    ClientId
);

/// A platform registration: what an LMS administrator gave us when installing the tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub id: RegistrationId,
    /// The platform's issuer (`iss`).
    pub issuer: Issuer,
    /// The client id the platform assigned to this tool.
    pub client_id: ClientId,
    /// OIDC authorization endpoint.
    pub auth_url: String,
    /// OAuth2 token endpoint for service calls.
    pub token_url: String,
    /// The platform's public key set.
    pub jwks_url: String,
    /// Whether launches from unknown deployment ids are accepted (and recorded as active).
    pub accept_new_deployments: bool,
    /// Extra origins allowed to frame the tool, beyond those derived from the URLs above.
    pub frame_origins: Vec<String>,
    /// Whether launches are let in: a registration made without an invitation waits for an
    /// operator's approval.
    pub status: PlatformStatus,
    /// Whether requests to this platform may reach loopback and private networks (an
    /// operator added, invited or approved it).
    pub private_network: bool,
    /// Hosts an operator added to those the service token may be sent to.
    pub service_hosts: Vec<String>,
    /// How the registration was made.
    pub registered_via: RegisteredVia,
}

/// Whether a registration's launches are let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlatformStatus {
    /// Launches are accepted.
    Active,
    /// Registered without an invitation; launches wait for `binome platform approve`.
    Pending,
}

impl PlatformStatus {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            PlatformStatus::Active => "active",
            PlatformStatus::Pending => "pending",
        }
    }

    /// The stored value read back; None for a value this version does not know.
    pub fn parse(s: &str) -> Option<PlatformStatus> {
        match s {
            "active" => Some(PlatformStatus::Active),
            "pending" => Some(PlatformStatus::Pending),
            _ => None,
        }
    }
}

/// How a registration came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegisteredVia {
    /// `binome platform add`, or registered before invitations existed.
    Operator,
    /// Dynamic Registration with an operator's invitation.
    Invitation,
    /// Dynamic Registration without an invitation (open registration).
    Open,
}

impl RegisteredVia {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            RegisteredVia::Operator => "operator",
            RegisteredVia::Invitation => "invitation",
            RegisteredVia::Open => "open",
        }
    }

    /// The stored value read back; None for a value this version does not know.
    pub fn parse(s: &str) -> Option<RegisteredVia> {
        match s {
            "operator" => Some(RegisteredVia::Operator),
            "invitation" => Some(RegisteredVia::Invitation),
            "open" => Some(RegisteredVia::Open),
            _ => None,
        }
    }
}

/// Well-known issuer of every Canvas Cloud school.
const CANVAS_CLOUD_ISSUERS: &[&str] = &[
    "https://canvas.instructure.com",
    "https://canvas.beta.instructure.com",
    "https://canvas.test.instructure.com",
];

/// Whether an issuer is Canvas Cloud's shared one.
pub fn is_canvas_cloud_issuer(issuer: &str) -> bool {
    CANVAS_CLOUD_ISSUERS.contains(&issuer.trim_end_matches('/'))
}

impl Registration {
    /// Origins allowed to frame the tool for this platform: the issuer's and the auth URL's
    /// origins, the configured extra ones, and for Canvas Cloud every school domain.
    pub fn frame_ancestors(&self) -> Vec<String> {
        let mut out = Vec::new();
        for u in [self.issuer.as_str(), self.auth_url.as_str()] {
            if let Some(o) = origin_of(u) {
                out.push(o);
            }
        }
        if self.is_canvas_cloud() {
            out.push("https://*.instructure.com".into());
        }
        out.extend(self.frame_origins.iter().cloned());
        out.sort();
        out.dedup();
        out
    }

    /// The origin to which platform-storage messages are posted (the auth URL's origin).
    pub fn storage_origin(&self) -> Option<String> {
        origin_of(&self.auth_url)
    }

    /// Which addresses requests to this platform may reach.
    pub fn reach(&self) -> outbound::Reach {
        if self.private_network && self.status == PlatformStatus::Active {
            outbound::Reach::Private
        } else {
            outbound::Reach::Public
        }
    }

    /// Whether this is a Canvas Cloud registration.
    pub fn is_canvas_cloud(&self) -> bool {
        CANVAS_CLOUD_ISSUERS.contains(&self.issuer.as_str().trim_end_matches('/'))
    }
}

/// `scheme://host[:port]` of a URL, or None when it is not an absolute http(s) URL.
pub fn origin_of(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    Some(url.origin().ascii_serialization())
}
