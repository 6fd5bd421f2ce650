//! Names and Role Provisioning Services 2.0 (LTI NRPS §2–§3): read a course's membership,
//! following `Link: rel="next"` pages, and note the `differences` link for later syncs.
//!
//! The whole roster is read before anything is returned: a page that fails makes the whole
//! read fail, so a half-fetched roster can never replace a complete one.
//!
//! The memberships URL is a [`ServiceUrl`] (on one of the platform's own hosts, checked by the
//! caller before any token is asked for), and links are followed only on its origin: every
//! request carries the platform's Bearer token, which must never be handed to another host.
//! A page seen twice (a `next` cycle) ends the read as a failure instead of running to the
//! page cap.

use serde::Deserialize;
use serde_json::Value;

use super::jwks::read_limited;
use super::keys::ToolKey;
use super::services::{ServiceError, ServiceTokens, parse_links};
use super::{Registration, ServiceUrl, Subject, remote};

/// The NRPS read-only scope.
pub const SCOPE: &str = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
const MEDIA_TYPE: &str = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";
/// Pages followed at most (a runaway `next` chain must end).
const MAX_PAGES: usize = 10_000;
/// Members asked per page: fewer round trips on large courses (a platform may cap it lower).
const PAGE_SIZE: &str = "1000";
/// Largest page read.
const MAX_PAGE_BYTES: usize = 16 * 1024 * 1024;

/// A member's `status` (NRPS §2.3): an open set, so a value this tool does not know is kept
/// as it came rather than read as one it does. The one membership-status vocabulary of the
/// tool: the roster store keeps it and the rules ask [`MemberStatus::is_active`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MemberStatus {
    /// Also what an absent status means (the spec's default).
    Active,
    Inactive,
    Deleted,
    /// A status the spec does not name (a platform's own, such as a suspension), as sent.
    Other(String),
}

impl MemberStatus {
    /// Reads a status; the three the spec names are matched without regard to case.
    pub fn parse(raw: Option<&str>) -> MemberStatus {
        let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
            return MemberStatus::Active;
        };
        match raw.to_ascii_lowercase().as_str() {
            "active" => MemberStatus::Active,
            "inactive" => MemberStatus::Inactive,
            "deleted" => MemberStatus::Deleted,
            _ => MemberStatus::Other(raw.chars().take(100).collect()),
        }
    }

    /// The spec's name of the status (`Active`, `Inactive`, `Deleted`), or the platform's
    /// own value as it came.
    pub fn as_str(&self) -> &str {
        match self {
            MemberStatus::Active => "Active",
            MemberStatus::Inactive => "Inactive",
            MemberStatus::Deleted => "Deleted",
            MemberStatus::Other(s) => s,
        }
    }

    /// Whether the member takes part: only the spec's `Active` does (a status it does not
    /// name must never make someone pairable or let them manage).
    pub fn is_active(&self) -> bool {
        *self == MemberStatus::Active
    }
}

impl std::fmt::Display for MemberStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Written as its name, as NRPS spells it.
impl serde::Serialize for MemberStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Read as NRPS would send it (see [`MemberStatus::parse`]).
impl<'de> Deserialize<'de> for MemberStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Ok(MemberStatus::parse(Some(&raw)))
    }
}

/// One member as NRPS sends it; roles are kept raw (short, full and institution forms), names
/// with their HTML entities decoded (Moodle escapes them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NrpsMember {
    pub user_id: Subject,
    pub roles: Vec<String>,
    pub status: MemberStatus,
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
        Some(Value::String(s)) => Some(s.replace('\0', "")).filter(|s| !s.is_empty()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// A name field, entity-decoded: Moodle's NRPS sends `Zoé &amp; "Ünïcode"` for what the
/// id_token carries as `Zoé & "Ünïcode"`. Decoded once here, escaped once on output.
fn name(v: &Value, k: &str) -> Option<String> {
    text(v, k)
        .map(|s| decode_entities(&s))
        .filter(|s| !s.is_empty())
}

/// Decodes the HTML character references Moodle's output functions produce: `&amp; &lt;
/// &gt; &quot; &apos; &nbsp;` and numeric ones (`&#39;`, `&#039;`, `&#x27;`). Anything else,
/// including an invalid or unterminated reference, is kept as it is. One pass: `&amp;lt;`
/// becomes `&lt;`, as the platform meant.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        // References are short; looking a few characters ahead keeps this linear.
        let end = rest
            .char_indices()
            .take(12)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        let decoded = end.and_then(|end| {
            let body = &rest[1..end];
            let ch = if let Some(num) = body.strip_prefix('#') {
                let code = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => num.parse::<u32>().ok(),
                };
                code.and_then(char::from_u32)
            } else {
                match body {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "nbsp" => Some('\u{a0}'),
                    _ => None,
                }
            };
            ch.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                // A NUL is dropped, as everywhere else in what platforms send.
                if c != '\0' {
                    out.push(c);
                }
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
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
        user_id: Subject::new(user_id),
        roles,
        status: MemberStatus::parse(text(v, "status").as_deref()),
        name: name(v, "name"),
        given_name: name(v, "given_name"),
        family_name: name(v, "family_name"),
        email: text(v, "email"),
        picture: text(v, "picture"),
    })
}

/// Reads the whole membership at `url` (the launch's `context_memberships_url`, or a
/// `differences` link got from it); only links on the origin of `home` (the memberships URL)
/// are followed or kept.
pub async fn read_membership(
    http: &super::outbound::HttpClient,
    tokens: &ServiceTokens,
    reg: &Registration,
    key: &ToolKey,
    url: &ServiceUrl,
    home: &ServiceUrl,
) -> Result<Membership, ServiceError> {
    let invalid = |detail: String| ServiceError::Invalid {
        service: "NRPS",
        detail,
    };
    if home.same_origin(url.as_str()).is_none() {
        return Err(invalid(
            "a roster link leads off the platform's origin".into(),
        ));
    }
    let mut members = Vec::new();
    let first = home
        .same_origin(&with_limit(url.as_str()))
        .ok_or_else(|| invalid("a roster link leads off the platform's origin".into()))?;
    let mut next = Some(first);
    let mut differences_url = None;
    let mut pages = 0;
    let mut visited = std::collections::HashSet::new();
    while let Some(page_url) = next.take() {
        if !visited.insert(page_url.as_str().to_string()) {
            return Err(invalid(format!(
                "the pages loop back (page {pages} links to an earlier one)"
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
                detail: format!(
                    "page {pages} is not a membership container ({})",
                    remote::json_problem(&e)
                ),
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
            match home.same_origin(d) {
                Some(d) => differences_url = Some(d.as_str().to_string()),
                None => tracing::warn!(
                    registration = reg.id.0,
                    "NRPS differences link on another origin ignored"
                ),
            }
        }
        next = match links.get("next").filter(|n| **n != page_url.as_str()) {
            None => None,
            Some(n) => match home.same_origin(n) {
                Some(n) => Some(n),
                None => {
                    return Err(invalid(format!(
                        "page {pages} links its next page to another origin; not followed"
                    )));
                }
            },
        };
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
    http: &super::outbound::HttpClient,
    tokens: &ServiceTokens,
    reg: &Registration,
    key: &ToolKey,
    url: &ServiceUrl,
) -> Result<(Vec<u8>, std::collections::HashMap<String, String>), ServiceError> {
    for attempt in 0..2 {
        let token = tokens.token(http, reg, key, &[SCOPE]).await?;
        let resp = http
            .send(
                http.get(url.url().clone())
                    .header("Accept", MEDIA_TYPE)
                    .bearer_auth(&token),
            )
            .await
            .map_err(|e| ServiceError::Unreachable {
                service: "NRPS",
                detail: e.short(),
            })?;
        let status = resp.status().as_u16();
        if status == 401 && attempt == 0 {
            // The token may have been revoked or expired early: one retry with a fresh one.
            tokens.invalidate(reg.id, &[SCOPE]).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moodle_names_are_decoded_once() {
        assert_eq!(
            decode_entities("Zoé &amp; &quot;Ünïcode&quot;"),
            "Zoé & \"Ünïcode\""
        );
        assert_eq!(decode_entities("&lt;b&gt;Zoé&lt;/b&gt;"), "<b>Zoé</b>");
        assert_eq!(decode_entities("O&#039;Brien O&#39;Neil"), "O'Brien O'Neil");
        assert_eq!(decode_entities("&#233;&#xE9;&#XE9;"), "ééé");
        assert_eq!(decode_entities("a&nbsp;b"), "a\u{a0}b");
        assert_eq!(decode_entities("&amp;lt;"), "&lt;", "one pass only");
        for kept in [
            "AT&T",
            "a & b",
            "&unknown;",
            "&#xZZ;",
            "&#1114112;",
            "&#55296;",
            "&",
            "&amp",
        ] {
            assert_eq!(decode_entities(kept), kept);
        }
        assert_eq!(decode_entities("x&#0;y"), "xy");
    }

    #[test]
    fn member_status_is_an_open_set_defaulting_to_active() {
        assert_eq!(MemberStatus::parse(None), MemberStatus::Active);
        assert_eq!(MemberStatus::parse(Some("")), MemberStatus::Active);
        assert_eq!(
            MemberStatus::parse(Some("Inactive")),
            MemberStatus::Inactive
        );
        assert_eq!(MemberStatus::parse(Some("deleted")), MemberStatus::Deleted);
        assert_eq!(
            MemberStatus::parse(Some("Suspended")),
            MemberStatus::Other("Suspended".into())
        );
    }

    #[test]
    fn member_status_names_round_trip_and_only_active_takes_part() {
        for (status, name, active) in [
            (MemberStatus::Active, "Active", true),
            (MemberStatus::Inactive, "Inactive", false),
            (MemberStatus::Deleted, "Deleted", false),
            (MemberStatus::Other("Suspended".into()), "Suspended", false),
        ] {
            assert_eq!(status.as_str(), name);
            assert_eq!(status.is_active(), active, "{name}");
            assert_eq!(MemberStatus::parse(Some(name)), status);
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<MemberStatus>(&json).unwrap(), status);
        }
    }

    #[test]
    fn members_read_from_a_moodle_page() {
        let v: Value = serde_json::json!({
            "user_id": "7", "roles": ["Learner"],
            "name": "Zoé &amp; &quot;Ünïcode&quot;",
            "given_name": "Zoé", "family_name": "&amp;",
            "status": "Suspended"
        });
        let m = member(&v).unwrap();
        assert_eq!(m.name.as_deref(), Some("Zoé & \"Ünïcode\""));
        assert_eq!(m.family_name.as_deref(), Some("&"));
        assert_eq!(m.status, MemberStatus::Other("Suspended".into()));
        let absent = member(&serde_json::json!({"user_id": "8"})).unwrap();
        assert_eq!(absent.status, MemberStatus::Active);
        // A user id of NULs alone is no id: the member is skipped.
        assert_eq!(member(&serde_json::json!({"user_id": "\0"})), None);
    }
}
