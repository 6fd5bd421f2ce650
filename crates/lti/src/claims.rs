//! The claims of a verified LTI 1.3 id_token (LTI 1.3 Core §5), parsed once into typed structs.
//!
//! Parsing is strict on what the spec requires for the message type and lenient on the rest:
//! a loosely typed optional claim (a number where a string was expected, say) is dropped,
//! never the whole launch.

use serde_json::{Map, Value};

use super::error::LaunchError;
use super::roles::Roles;

const LTI: &str = "https://purl.imsglobal.org/spec/lti/claim/";
const CLAIM_AGS: &str = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
const CLAIM_NRPS: &str = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice";
const CLAIM_DL: &str = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings";

/// The LTI message types this tool handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    /// A learner or instructor opens an activity.
    ResourceLink,
    /// A course designer picks content to add to the course.
    DeepLinking,
}

impl MessageType {
    /// The wire name of the message type.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::ResourceLink => "LtiResourceLinkRequest",
            MessageType::DeepLinking => "LtiDeepLinkingRequest",
        }
    }
}

/// The course (context claim).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub id: String,
    pub label: Option<String>,
    pub title: Option<String>,
}

/// The activity link (resource_link claim).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceLink {
    pub id: String,
    pub title: Option<String>,
    pub description: Option<String>,
}

/// Who the user is, as far as the platform shares it (all optional: privacy settings decide).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    /// `sub`; absent in an anonymous launch.
    pub id: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub picture: Option<String>,
}

impl Person {
    /// The best name to greet the person with.
    pub fn display_name(&self) -> Option<String> {
        if let Some(n) = &self.name {
            return Some(n.clone());
        }
        match (&self.given_name, &self.family_name) {
            (Some(g), Some(f)) => Some(format!("{g} {f}")),
            (Some(g), None) => Some(g.clone()),
            (None, Some(f)) => Some(f.clone()),
            (None, None) => None,
        }
    }
}

/// Assignment and Grade Services endpoint claim (AGS §3.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgsEndpoint {
    pub scope: Vec<String>,
    pub lineitems: Option<String>,
    pub lineitem: Option<String>,
}

/// Deep linking settings claim (Deep Linking 2.0 §4.4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeepLinkingSettings {
    pub return_url: String,
    pub accept_types: Vec<String>,
    /// Where the platform may show the item: `iframe`, `window`, `frame`…
    pub accept_presentation_document_targets: Vec<String>,
    pub accept_multiple: bool,
    /// Whether the platform takes a line item with the item (Deep Linking 2.0); absent in
    /// Moodle 4.5, which takes one all the same.
    pub accept_lineitem: Option<bool>,
    pub data: Option<String>,
    pub title: Option<String>,
    pub text: Option<String>,
}

/// A verified launch, typed. Built only by [`Launch::from_claims`] after signature checks.
#[derive(Debug, Clone)]
pub struct Launch {
    pub issuer: String,
    pub client_id: String,
    pub deployment_id: String,
    pub message_type: MessageType,
    pub person: Person,
    pub roles: Roles,
    pub context: Option<Context>,
    pub resource_link: Option<ResourceLink>,
    pub locale: Option<String>,
    pub return_url: Option<String>,
    pub document_target: Option<String>,
    pub target_link_uri: Option<String>,
    pub custom: Map<String, Value>,
    pub ags: Option<AgsEndpoint>,
    /// NRPS `context_memberships_url` from the NRPS claim (the platform's own word).
    pub memberships_url: Option<String>,
    /// Moodle's custom parameter `context_memberships_url`: course staff can type custom
    /// parameters, so it stands in for a missing claim only on one of the platform's service
    /// hosts (`Registration::service_url`, checked by the launch flow).
    pub custom_memberships_url: Option<String>,
    pub deep_linking: Option<DeepLinkingSettings>,
    pub platform_product: Option<String>,
}

fn s(v: Option<&Value>) -> Option<String> {
    match v {
        // NUL is never meaningful in a claim and PostgreSQL text refuses it; what is left
        // must be non-empty (an id of NULs alone is no id).
        Some(Value::String(x)) => Some(x.replace('\0', "")).filter(|x| !x.is_empty()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn lti<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    claims.get(&format!("{LTI}{name}"))
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(x)) => x.split_whitespace().map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

impl Launch {
    /// Builds the typed launch from verified claims; `client_id` is the registration's.
    pub fn from_claims(
        claims: &Map<String, Value>,
        client_id: &super::ClientId,
    ) -> Result<Launch, LaunchError> {
        match lti(claims, "version").and_then(Value::as_str) {
            Some("1.3.0") => {}
            other => {
                return Err(LaunchError::WrongVersion(
                    other.unwrap_or("(missing)").chars().take(40).collect(),
                ));
            }
        }
        let message_type = match lti(claims, "message_type").and_then(Value::as_str) {
            Some("LtiResourceLinkRequest") => MessageType::ResourceLink,
            Some("LtiDeepLinkingRequest") => MessageType::DeepLinking,
            other => {
                return Err(LaunchError::UnknownMessageType(
                    other.unwrap_or("(missing)").chars().take(60).collect(),
                ));
            }
        };
        let deployment_id =
            s(lti(claims, "deployment_id")).ok_or(LaunchError::MissingClaim("deployment_id"))?;
        if deployment_id.len() > 255 {
            return Err(LaunchError::MissingClaim("deployment_id"));
        }
        let roles = match lti(claims, "roles") {
            Some(Value::Array(items)) => {
                let raw: Vec<String> = items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect();
                Roles::parse(&raw)
            }
            _ => return Err(LaunchError::MissingClaim("roles")),
        };
        let resource_link = match lti(claims, "resource_link") {
            Some(Value::Object(rl)) => s(rl.get("id")).map(|id| ResourceLink {
                id,
                title: s(rl.get("title")),
                description: s(rl.get("description")),
            }),
            _ => None,
        };
        if message_type == MessageType::ResourceLink && resource_link.is_none() {
            return Err(LaunchError::MissingClaim("resource_link"));
        }
        let deep_linking = match claims.get(CLAIM_DL) {
            Some(Value::Object(dl)) => {
                s(dl.get("deep_link_return_url")).map(|return_url| DeepLinkingSettings {
                    return_url,
                    accept_types: strings(dl.get("accept_types")),
                    accept_presentation_document_targets: strings(
                        dl.get("accept_presentation_document_targets"),
                    ),
                    accept_multiple: dl
                        .get("accept_multiple")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    accept_lineitem: dl.get("accept_lineitem").and_then(Value::as_bool),
                    data: s(dl.get("data")),
                    title: s(dl.get("title")),
                    text: s(dl.get("text")),
                })
            }
            _ => None,
        };
        if message_type == MessageType::DeepLinking && deep_linking.is_none() {
            return Err(LaunchError::MissingClaim("deep_linking_settings"));
        }
        let context = match lti(claims, "context") {
            Some(Value::Object(c)) => s(c.get("id")).map(|id| Context {
                id,
                label: s(c.get("label")),
                title: s(c.get("title")),
            }),
            _ => None,
        };
        let presentation = lti(claims, "launch_presentation").and_then(Value::as_object);
        let custom = lti(claims, "custom")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let ags = claims
            .get(CLAIM_AGS)
            .and_then(Value::as_object)
            .map(|a| AgsEndpoint {
                scope: strings(a.get("scope")),
                lineitems: s(a.get("lineitems")),
                lineitem: s(a.get("lineitem")),
            });
        let memberships_url = claims
            .get(CLAIM_NRPS)
            .and_then(Value::as_object)
            .and_then(|n| s(n.get("context_memberships_url")));
        let custom_memberships_url = s(custom.get("context_memberships_url"));
        let person = Person {
            id: s(claims.get("sub")),
            name: s(claims.get("name")),
            given_name: s(claims.get("given_name")),
            family_name: s(claims.get("family_name")),
            email: s(claims.get("email")),
            picture: s(claims.get("picture")),
        };
        Ok(Launch {
            issuer: s(claims.get("iss")).unwrap_or_default(),
            client_id: client_id.to_string(),
            deployment_id,
            message_type,
            person,
            roles,
            context,
            resource_link,
            locale: presentation
                .and_then(|p| s(p.get("locale")))
                .or_else(|| s(claims.get("locale"))),
            return_url: presentation.and_then(|p| s(p.get("return_url"))),
            document_target: presentation.and_then(|p| s(p.get("document_target"))),
            target_link_uri: s(lti(claims, "target_link_uri")),
            custom,
            ags,
            memberships_url,
            custom_memberships_url,
            deep_linking,
            platform_product: lti(claims, "tool_platform")
                .and_then(Value::as_object)
                .and_then(|p| s(p.get("product_family_code"))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moodle() -> Map<String, Value> {
        let text = include_str!(
            "../../../tests/fixtures/moodle-4.5/id_token_LtiResourceLinkRequest.claims.json"
        );
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn parses_moodle_resource_link_launch() {
        let l = Launch::from_claims(&moodle(), &"ltiharness-client".into()).unwrap();
        assert_eq!(l.message_type, MessageType::ResourceLink);
        assert_eq!(l.deployment_id, "1");
        assert_eq!(l.person.id.as_deref(), Some("4"));
        assert_eq!(l.person.display_name().as_deref(), Some("Ada Student1"));
        assert!(l.roles.is_learner());
        assert_eq!(l.context.unwrap().id, "2");
        assert_eq!(l.resource_link.unwrap().id, "1");
        assert_eq!(l.locale.as_deref(), Some("en"));
        assert!(l.memberships_url.unwrap().ends_with("/memberships"));
        assert!(l.custom_memberships_url.unwrap().ends_with("/memberships"));
        assert!(l.ags.unwrap().lineitem.is_some());
    }

    #[test]
    fn parses_moodle_deep_linking_launch() {
        let text = include_str!(
            "../../../tests/fixtures/moodle-4.5/id_token_LtiDeepLinkingRequest.claims.json"
        );
        let claims: Map<String, Value> = serde_json::from_str(text).unwrap();
        let l = Launch::from_claims(&claims, &"ltiharness-client".into()).unwrap();
        assert_eq!(l.message_type, MessageType::DeepLinking);
        let dl = l.deep_linking.unwrap();
        assert_eq!(dl.accept_types, vec!["ltiResourceLink"]);
        assert!(dl.accept_multiple);
        assert_eq!(
            dl.accept_presentation_document_targets,
            vec!["frame", "iframe", "window"]
        );
        assert_eq!(dl.accept_lineitem, None);
        assert!(l.roles.is_staff());
    }

    #[test]
    fn loosely_typed_optional_claims_are_dropped_not_fatal() {
        let mut c = moodle();
        c.insert("picture".into(), Value::from(42));
        c.insert("email".into(), Value::Bool(true));
        let l = Launch::from_claims(&c, &"x".into()).unwrap();
        assert_eq!(l.person.email, None);
    }

    #[test]
    fn a_sub_of_nuls_alone_is_no_person() {
        // Else it would read as the empty id, which the store keeps for the group's fields.
        let mut c = moodle();
        c.insert("sub".into(), Value::from("\0\0"));
        assert_eq!(
            Launch::from_claims(&c, &"x".into()).unwrap().person.id,
            None
        );
        c.insert("sub".into(), Value::from("4\0"));
        let l = Launch::from_claims(&c, &"x".into()).unwrap();
        assert_eq!(l.person.id.as_deref(), Some("4"));
    }

    #[test]
    fn empty_roles_list_is_valid_but_missing_roles_is_not() {
        let mut c = moodle();
        c.insert(format!("{LTI}roles"), Value::Array(vec![]));
        assert!(Launch::from_claims(&c, &"x".into()).is_ok());
        c.remove(&format!("{LTI}roles"));
        assert!(matches!(
            Launch::from_claims(&c, &"x".into()),
            Err(LaunchError::MissingClaim("roles"))
        ));
    }
}
