//! LTI Deep Linking 2.0 responses (§4.2, §4.5): the content items a course designer chose,
//! signed by the tool and posted back to the platform's `deep_link_return_url`.

use serde::Serialize;
use serde_json::{Value, json};

use super::keys::{KeyError, ToolKey};
use super::login::random_token;

const CLAIM: &str = "https://purl.imsglobal.org/spec/lti/claim";
const CLAIM_DL: &str = "https://purl.imsglobal.org/spec/lti-dl/claim";

/// How long the platform may take to accept the response.
pub const RESPONSE_TTL_SECS: i64 = 300;

/// The grade column a resource link asks the platform to create (Deep Linking §3.4.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LineItem {
    pub score_maximum: u32,
    pub label: String,
    pub resource_id: String,
    pub tag: String,
}

/// The `iframe` presentation of an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Iframe {
    pub height: u32,
}

/// The `window` presentation of an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Window {
    pub target_name: String,
}

/// An `ltiResourceLink` content item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceLink {
    pub title: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_item: Option<LineItem>,
    /// Open inside the LMS page, this tall (Deep Linking §3.4.1 `iframe`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iframe: Option<Iframe>,
    /// Open in a window of this name (`window`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub custom: serde_json::Map<String, Value>,
}

/// Who answers whom: the registration and deployment of the deep-linking request.
#[derive(Debug, Clone, Copy)]
pub struct Responder<'a> {
    pub client_id: &'a super::ClientId,
    pub issuer: &'a super::Issuer,
    pub deployment_id: &'a super::DeploymentId,
}

/// The claims of an `LtiDeepLinkingResponse` carrying `items`, echoing the request's `data`.
pub fn response_claims(
    who: Responder<'_>,
    items: &[ResourceLink],
    data: Option<&str>,
    now: i64,
) -> Value {
    let items: Vec<Value> = items
        .iter()
        .map(|i| {
            let mut v = serde_json::to_value(i).unwrap_or_default();
            v["type"] = "ltiResourceLink".into();
            v
        })
        .collect();
    let mut claims = json!({
        "iss": who.client_id,
        "aud": who.issuer,
        "iat": now,
        "exp": now + RESPONSE_TTL_SECS,
        "nonce": random_token(),
        format!("{CLAIM}/deployment_id"): who.deployment_id,
        format!("{CLAIM}/message_type"): "LtiDeepLinkingResponse",
        format!("{CLAIM}/version"): "1.3.0",
        format!("{CLAIM_DL}/content_items"): items,
    });
    if let Some(d) = data {
        claims[format!("{CLAIM_DL}/data")] = d.into();
    }
    claims
}

/// The signed response JWT (RS256, with the tool key's `kid`, which Moodle requires).
pub fn sign_response(
    key: &ToolKey,
    who: Responder<'_>,
    items: &[ResourceLink],
    data: Option<&str>,
    now: i64,
) -> Result<String, KeyError> {
    key.sign(&response_claims(who, items, data, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_carry_items_data_and_addressing() {
        let who = Responder {
            client_id: &"cid".into(),
            issuer: &"https://lms.example".into(),
            deployment_id: &"1".into(),
        };
        let item = ResourceLink {
            title: "Module 1".into(),
            url: "https://tool.example/lti/launch".into(),
            text: None,
            line_item: Some(LineItem {
                score_maximum: 100,
                label: "Module 1".into(),
                resource_id: "binome-peer-coaching".into(),
                tag: "binome-completion".into(),
            }),
            iframe: Some(Iframe { height: 800 }),
            window: None,
            custom: Default::default(),
        };
        let c = response_claims(who, &[item], Some("opaque"), 1000);
        assert_eq!(c["iss"], "cid");
        assert_eq!(c["aud"], "https://lms.example");
        assert_eq!(c["exp"], 1300);
        assert_eq!(c[format!("{CLAIM_DL}/data")], "opaque");
        let items = &c[format!("{CLAIM_DL}/content_items")];
        assert_eq!(items[0]["type"], "ltiResourceLink");
        assert_eq!(items[0]["lineItem"]["scoreMaximum"], 100);
        assert!(items[0].get("text").is_none());
        assert_eq!(items[0]["iframe"]["height"], 800);
        assert!(items[0].get("window").is_none());
    }
}
