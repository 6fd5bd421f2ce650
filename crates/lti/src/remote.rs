//! What another system answered, as data: a failed answer's body becomes a short, text-only
//! reason (never markup, never more than [`MAX_REASON`] characters), a JSON parse error names
//! a position (never the text it choked on), and a failed service call is kept for staff as a
//! [`Failure`]: the one failure an operator can fix (a service address on a foreign host), or
//! a short text already safe to show.
//!
//! Pages escape what they print; this module makes sure that what they print is a reason and
//! not a platform's page relayed through the tool. Nothing here is logged: logs carry a status
//! and a reason code, never a remote body.

use serde::{Deserialize, Serialize};

/// Longest reason kept from a remote answer, in characters.
pub const MAX_REASON: usize = 200;
/// How much of a body is looked at (a reason is in its first lines).
const MAX_SCAN: usize = 64 * 1024;

/// The platform services a token is sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// Names and Role Provisioning (the roster).
    Roster,
    /// Assignment and Grade Services (line items, scores, results).
    Grades,
}

impl Service {
    /// The service's protocol name, as logs and texts name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Roster => "NRPS",
            Service::Grades => "AGS",
        }
    }
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Service::Roster => "roster (NRPS)",
            Service::Grades => "grade (AGS)",
        })
    }
}

/// A failed service call as kept for staff (courses' last sync error, a score's last error,
/// the gradebook check) and worded by the pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The platform gave a service address on a host that is not one of its own: nothing was
    /// sent there. The operator may allow the host (`binome platform update --service-host`).
    ForeignHost { service: Service, host: String },
    /// Anything else, in words safe to show: a status with a [`reason`], or the tool's own.
    Text(String),
}

/// The stored form of the structured failures (a JSON object; texts are kept as they are,
/// and never start with `{`: they start with a status or the tool's own words).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Stored {
    ForeignHost { service: Service, host: String },
}

impl Failure {
    /// The text kept in the store.
    pub fn to_stored(&self) -> String {
        match self {
            Failure::ForeignHost { service, host } => serde_json::to_string(&Stored::ForeignHost {
                service: *service,
                host: host.clone(),
            })
            .unwrap_or_default(),
            Failure::Text(t) => t.clone(),
        }
    }

    /// A kept failure read back; anything that is not a structured failure is a text (as
    /// everything kept before structured failures existed).
    pub fn from_stored(s: &str) -> Failure {
        if s.starts_with('{')
            && let Ok(Stored::ForeignHost { service, host }) = serde_json::from_str(s)
        {
            return Failure::ForeignHost { service, host };
        }
        Failure::Text(s.to_string())
    }
}

/// A short, text-only reason from a failed answer's body: the `error_description` (or
/// `message`, `error`, `detail`, `title`) of a JSON object, the `<title>` of an HTML page
/// (else just "an HTML page"), or the text with tags and control characters removed and
/// whitespace collapsed; at most [`MAX_REASON`] characters, never a `<` or `>`. Empty when the
/// body says nothing.
pub fn reason(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX_SCAN)]);
    let text = text.trim_start_matches('\u{feff}');
    if let Some(t) = json_reason(text) {
        return clean(&strip_tags(&t));
    }
    if looks_like_html(text) {
        let title = title_of(text).map(|t| clean(&strip_tags(&t)));
        return match title {
            Some(t) if !t.is_empty() => t,
            _ => "an HTML page".into(),
        };
    }
    clean(&strip_tags(text))
}

/// Any text from another system (an issuer, a URL, an error it caused) made safe to show:
/// tags, control and bidirectional-override characters out, whitespace collapsed, at most
/// [`MAX_REASON`] characters.
pub fn text_only(raw: &str) -> String {
    clean(&strip_tags(raw))
}

/// A JSON parse error as a reason: what kind and where, never the text it choked on (serde
/// quotes an unexpected string whole).
pub fn json_problem(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Syntax | Category::Eof => "not valid JSON",
        Category::Data => "JSON of an unexpected shape",
        Category::Io => "unreadable",
    };
    format!("{what} (line {}, column {})", e.line(), e.column())
}

fn json_reason(text: &str) -> Option<String> {
    let t = text.trim_start();
    if !t.starts_with('{') {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(t).ok()?;
    ["error_description", "message", "error", "detail", "title"]
        .iter()
        .find_map(|k| v.get(k).and_then(serde_json::Value::as_str))
        .map(str::to_string)
}

fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .chars()
        .take(1024)
        .collect::<String>()
        .to_ascii_lowercase();
    let start = head.trim_start();
    start.starts_with("<!doctype html")
        || start.starts_with("<html")
        || ["<html", "<head", "<body", "<title"]
            .iter()
            .any(|m| head.contains(m))
}

fn title_of(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    Some(text.get(start..end)?.to_string())
}

/// Removes `<…>` sequences (an unclosed `<` removes the rest).
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4096));
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            c => out.push(c),
        }
    }
    out
}

/// Control and bidirectional-override characters out, whitespace collapsed, no angle
/// brackets, at most [`MAX_REASON`] characters (a cut one ends with `…`).
fn clean(text: &str) -> String {
    let kept: String = text
        .chars()
        .filter(|c| {
            !matches!(
                c,
                '<' | '>' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
            )
        })
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let collapsed = kept.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= MAX_REASON {
        return collapsed;
    }
    let mut cut: String = collapsed.chars().take(MAX_REASON - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_short_plain_text() {
        for (body, expected) in [
            ("gradebook is locked", "gradebook is locked"),
            (
                "  down\r\n\tfor\u{0}  maintenance \n",
                "down for maintenance",
            ),
            (
                r#"{"error":"invalid_scope","error_description":"scope <b>not</b> granted"}"#,
                "scope not granted",
            ),
            (r#"{"error":"invalid_client"}"#, "invalid_client"),
            ("<p>Not <em>found</em></p>", "Not found"),
            ("a < b and c > d", "a d"),
            ("evil\u{202e}txt.exe", "eviltxt.exe"),
            ("", ""),
            ("<br/>", ""),
            (
                "<!DOCTYPE html><html><head><title>Error 500 &ndash; Moodle</title>\
                 <script>alert(1)</script></head><body><h1>Oops</h1></body></html>",
                "Error 500 &ndash; Moodle",
            ),
            (
                "<html><body><h1>Internal error</h1><p>stack trace…</p></body></html>",
                "an HTML page",
            ),
            ("<html><head><title> </title></head></html>", "an HTML page"),
            (
                "<html><head><title><script>x</script></title></head></html>",
                "x",
            ),
        ] {
            assert_eq!(reason(body.as_bytes()), expected, "{body:?}");
        }
    }

    #[test]
    fn a_long_reason_is_cut_at_the_cap() {
        let long = "word ".repeat(100);
        let r = reason(long.as_bytes());
        assert_eq!(r.chars().count(), MAX_REASON);
        assert!(r.ends_with('…') && r.starts_with("word word"), "{r}");
        let exact = "x".repeat(MAX_REASON);
        assert_eq!(reason(exact.as_bytes()).chars().count(), MAX_REASON);
        let wide = "é".repeat(1000);
        assert_eq!(reason(wide.as_bytes()).chars().count(), MAX_REASON);
        // Invalid UTF-8 is read, not refused.
        assert_eq!(reason(b"bad \xff byte"), "bad \u{fffd} byte");
    }

    #[test]
    fn json_problems_never_quote_the_input() {
        let e = serde_json::from_str::<Vec<u8>>(r#""<script>secret</script>""#).unwrap_err();
        let p = json_problem(&e);
        assert!(!p.contains("secret") && !p.contains('<'), "{p}");
        assert!(p.starts_with("JSON of an unexpected shape"), "{p}");
        let e = serde_json::from_str::<Vec<u8>>("<html>").unwrap_err();
        assert_eq!(json_problem(&e), "not valid JSON (line 1, column 1)");
    }

    #[test]
    fn failures_are_kept_and_read_back() {
        let foreign = Failure::ForeignHost {
            service: Service::Roster,
            host: "lms.elsewhere.example".into(),
        };
        let stored = foreign.to_stored();
        assert_eq!(
            stored,
            r#"{"foreign_host":{"service":"roster","host":"lms.elsewhere.example"}}"#
        );
        assert_eq!(Failure::from_stored(&stored), foreign);
        for text in ["HTTP 500: down", "", "{not json", r#"{"other":1}"#] {
            assert_eq!(Failure::from_stored(text), Failure::Text(text.into()));
        }
    }
}
