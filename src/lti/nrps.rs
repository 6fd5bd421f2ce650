//! Names and Role Provisioning Services 2.0 (LTI NRPS §2–§3): read a course's membership,
//! following `Link: rel="next"` pages, and note the `differences` link for later syncs.
//!
//! The whole roster is read before anything is returned: a page that fails makes the whole
//! read fail, so a half-fetched roster can never replace a complete one.
//!
//! Links are followed only on the memberships URL's origin: every request carries the
//! platform's Bearer token, which must never be handed to another host. A page seen twice
//! (a `next` cycle) ends the read as a failure instead of running to the page cap.

use serde::Deserialize;
use serde_json::Value;

use super::Registration;
use super::jwks::{read_limited, short_error};
use super::keys::ToolKey;
use super::services::{ServiceError, ServiceTokens, parse_links};

/// The NRPS read-only scope.
pub const SCOPE: &str = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
const MEDIA_TYPE: &str = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";
/// Pages followed at most (a runaway `next` chain must end).
const MAX_PAGES: usize = 10_000;
/// Members asked per page: fewer round trips on large courses (a platform may cap it lower).
const PAGE_SIZE: &str = "1000";
/// Largest page read.
const MAX_PAGE_BYTES: usize = 16 * 1024 * 1024;

/// One member as NRPS sends it; roles are kept raw (short, full and institution forms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NrpsMember {
    pub user_id: String,
    pub roles: Vec<String>,
    /// `Active` (default), `Inactive` or `Deleted`.
    pub status: String,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub picture: Option<String>,
}

/// A complete membership read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub members: Vec<NrpsMember>,
    /// Where to ask for changes only, next time (when the platform offers it).
    pub differences_url: Option<String>,
    pub pages: usize,
}

#[derive(Deserialize)]
struct Container {
    #[serde(default)]
    members: Vec<Value>,
}

fn text(v: &Value, k: &str) -> Option<String> {
    match v.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.replace('\0', "")),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn member(v: &Value) -> Option<NrpsMember> {
    let user_id = text(v, "user_id")?;
    let roles = v
        .get("roles")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| r.as_str().map(|s| s.replace('\0', "")))
                .collect()
        })
        .unwrap_or_default();
    Some(NrpsMember {
        user_id,
        roles,
        status: text(v, "status").unwrap_or_else(|| "Active".into()),
        name: text(v, "name"),
        given_name: text(v, "given_name"),
        family_name: text(v, "family_name"),
        email: text(v, "email"),
        picture: text(v, "picture"),
    })
}

/// Whether `link` is on the same origin (scheme, host, port) as `home`.
pub fn same_origin(link: &str, home: &str) -> bool {
    match (url::Url::parse(link), url::Url::parse(home)) {
        (Ok(a), Ok(b)) => a.origin().is_tuple() && a.origin() == b.origin(),
        _ => false,
    }
}

/// Reads the whole membership at `url` (the launch's `context_memberships_url`, or a
/// `differences` link got from it); only links on the origin of `home` (the memberships URL)
/// are followed or kept.
pub async fn read_membership(
    http: &reqwest::Client,
    tokens: &ServiceTokens,
    reg: &Registration,
    key: &ToolKey,
    url: &str,
    home: &str,
) -> Result<Membership, ServiceError> {
    let invalid = |detail: String| ServiceError::Invalid {
        service: "NRPS",
        detail,
    };
    if !same_origin(url, home) {
        return Err(invalid(
            "a roster link leads off the platform's origin".into(),
        ));
    }
    let mut members = Vec::new();
    let mut next = Some(with_limit(url));
    let mut differences_url = None;
    let mut pages = 0;
    let mut visited = std::collections::HashSet::new();
    while let Some(page_url) = next.take() {
        if !visited.insert(page_url.clone()) {
            return Err(invalid(format!(
                "the pages loop back to page {}",
                page_url.chars().take(200).collect::<String>()
            )));
        }
        pages += 1;
        if pages > MAX_PAGES {
            return Err(ServiceError::Invalid {
                service: "NRPS",
                detail: format!("more than {MAX_PAGES} pages"),
            });
        }
        let (body, links) = get_page(http, tokens, reg, key, &page_url).await?;
        let container: Container =
            serde_json::from_slice(&body).map_err(|e| ServiceError::Invalid {
                service: "NRPS",
                detail: format!("page {pages} is not a membership container ({e})"),
            })?;
        members.extend(container.members.iter().filter_map(member));
        if members.len() > 1_000_000 {
            return Err(ServiceError::Invalid {
                service: "NRPS",
                detail: "more than a million members".into(),
            });
        }
        if differences_url.is_none()
            && let Some(d) = links.get("differences")
        {
            if same_origin(d, home) {
                differences_url = Some(d.clone());
            } else {
                tracing::warn!(
                    registration = reg.id.0,
                    "NRPS differences link on another origin ignored"
                );
            }
        }
        next = links.get("next").cloned().filter(|n| *n != page_url);
        if next.as_deref().is_some_and(|n| !same_origin(n, home)) {
            return Err(invalid(format!(
                "page {pages} links its next page to another origin; not followed"
            )));
        }
    }
    Ok(Membership {
        members,
        differences_url,
        pages,
    })
}

/// The membership URL with a `limit`, unless it has one (its other parameters are kept).
fn with_limit(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if !u.query_pairs().any(|(k, _)| k == "limit") => {
            u.query_pairs_mut().append_pair("limit", PAGE_SIZE);
            u.into()
        }
        _ => url.to_string(),
    }
}

async fn get_page(
    http: &reqwest::Client,
    tokens: &ServiceTokens,
    reg: &Registration,
    key: &ToolKey,
    url: &str,
) -> Result<(Vec<u8>, std::collections::HashMap<String, String>), ServiceError> {
    for attempt in 0..2 {
        let token = tokens.token(http, reg, key, &[SCOPE]).await?;
        let resp = http
            .get(url)
            .header("Accept", MEDIA_TYPE)
            .bearer_auth(&token)
            .send()
            .await
            .map_err(|e| ServiceError::Unreachable {
                service: "NRPS",
                detail: short_error(&e),
            })?;
        let status = resp.status().as_u16();
        if status == 401 && attempt == 0 {
            // The token may have been revoked or expired early: one retry with a fresh one.
            tokens.invalidate(reg.id, &[SCOPE]);
            continue;
        }
        if !(200..300).contains(&status) {
            return Err(ServiceError::Status {
                service: "NRPS",
                status,
            });
        }
        let links = parse_links(resp.headers());
        let body = read_limited(resp, MAX_PAGE_BYTES).await.map_err(|detail| {
            ServiceError::Unreachable {
                service: "NRPS",
                detail,
            }
        })?;
        return Ok((body, links));
    }
    Err(ServiceError::Status {
        service: "NRPS",
        status: 401,
    })
}
