//! LTI Assignment and Grade Services 2.0 as a protocol: the score a tool posts (AGS §3.4,
//! media type `application/vnd.ims.lis.v1.score+json`), finding or creating a line item in
//! the `lineitems` container (§3.2), and the platform's answers as a typed error.
//!
//! Moodle's line item URLs carry a query string (`…/lineitem?type_id=1`): `/scores` goes into
//! the path, before the query. Its media types are checked exactly.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::jwks::{read_limited, short_error};

/// Scope to post scores.
pub const SCOPE_SCORE: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
/// Scope to read and create line items.
pub const SCOPE_LINEITEM: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem";
/// Media type of a score.
pub const SCORE_MEDIA_TYPE: &str = "application/vnd.ims.lis.v1.score+json";
/// Media type of a line item.
pub const LINEITEM_MEDIA_TYPE: &str = "application/vnd.ims.lis.v2.lineitem+json";
/// Media type of a line item container.
pub const LINEITEMS_MEDIA_TYPE: &str = "application/vnd.ims.lis.v2.lineitemcontainer+json";
/// Longest platform message kept from an error answer.
pub const MAX_MESSAGE: usize = 300;

/// The learner's progress in the activity (AGS §3.4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActivityProgress {
    Initialized,
    Started,
    InProgress,
    Submitted,
    Completed,
}

/// Where grading stands (AGS §3.4.7). Moodle clears the grade for anything but `FullyGraded`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GradingProgress {
    FullyGraded,
    Pending,
    PendingManual,
    Failed,
    NotReady,
}

macro_rules! names {
    ($t:ty: $($v:ident),*) => {
        impl $t {
            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => stringify!($v)),* }
            }
            /// The value of a wire name.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $(stringify!($v) => Some(Self::$v),)* _ => None }
            }
        }
    };
}
names!(ActivityProgress: Initialized, Started, InProgress, Submitted, Completed);
names!(GradingProgress: FullyGraded, Pending, PendingManual, Failed, NotReady);

/// A score as posted to `<lineitem>/scores`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Score {
    pub user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score_given: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score_maximum: Option<f64>,
    pub activity_progress: ActivityProgress,
    pub grading_progress: GradingProgress,
    /// RFC 3339 with milliseconds, UTC.
    pub timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A platform's answer that is not a success.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgsError {
    /// 429: try again after this long.
    #[error("rate limited, retry after {0:?}")]
    RetryAfter(Duration),
    /// 401: the token was refused.
    #[error("access token refused")]
    Unauthorized,
    /// 409: a score with the same or a later timestamp exists.
    #[error("conflict: {0}")]
    Conflict(String),
    /// 5xx.
    #[error("platform error HTTP {0}: {1}")]
    Server(u16, String),
    /// Another 4xx: the platform refuses this request as it is.
    #[error("refused HTTP {0}: {1}")]
    Rejected(u16, String),
    /// The platform could not be reached, or its answer could not be read.
    #[error("unreachable: {0}")]
    Network(String),
}

/// RFC 3339 with milliseconds in UTC of Unix milliseconds, e.g. `2026-12-01T12:00:00.123Z`.
pub fn timestamp(unix_millis: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(unix_millis as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// `<url>/<segment>` with the segment in the path, before any query string.
pub fn service_url(lineitem: &str, segment: &str) -> String {
    let (path, query) = match lineitem.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (lineitem, None),
    };
    let mut out = format!("{}/{segment}", path.trim_end_matches('/'));
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// How long a `Retry-After` header says to wait: seconds, or an HTTP date (then relative to
/// `now`). None when absent or unreadable.
pub fn retry_after(value: Option<&str>, now: std::time::SystemTime) -> Option<Duration> {
    let v = value?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A short, printable excerpt of an error body (never assumed to be JSON).
fn message(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE)
        .collect::<String>()
        .trim()
        .to_string()
}

async fn classify(resp: reqwest::Response) -> Result<Vec<u8>, AgsError> {
    let status = resp.status().as_u16();
    let wait = retry_after(
        resp.headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()),
        std::time::SystemTime::now(),
    );
    let body = read_limited(resp, 256 * 1024)
        .await
        .map_err(AgsError::Network)?;
    match status {
        200..=299 => Ok(body),
        401 => Err(AgsError::Unauthorized),
        409 => Err(AgsError::Conflict(message(&body))),
        429 => Err(AgsError::RetryAfter(
            wait.unwrap_or(Duration::from_secs(60)),
        )),
        500..=599 => Err(AgsError::Server(status, message(&body))),
        _ => Err(AgsError::Rejected(status, message(&body))),
    }
}

/// Posts a score to `<lineitem>/scores`.
pub async fn post_score(
    http: &reqwest::Client,
    token: &str,
    lineitem: &str,
    score: &Score,
) -> Result<(), AgsError> {
    let body = serde_json::to_vec(score).map_err(|e| AgsError::Network(e.to_string()))?;
    let resp = http
        .post(service_url(lineitem, "scores"))
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, SCORE_MEDIA_TYPE)
        .body(body)
        .send()
        .await
        .map_err(|e| AgsError::Network(short_error(&e)))?;
    classify(resp).await.map(|_| ())
}

/// A line item as the container lists it (only what the tool needs).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LineItem {
    id: String,
    #[serde(default)]
    resource_link_id: Option<String>,
    #[serde(default)]
    tag: Option<String>,
}

/// The line item of `resource_link_id` with `tag` in the `lineitems` container, created with
/// `label` and `score_maximum` when there is none; returns its URL.
pub async fn find_or_create_lineitem(
    http: &reqwest::Client,
    token: &str,
    lineitems: &str,
    resource_link_id: &str,
    tag: &str,
    label: &str,
    score_maximum: f64,
) -> Result<String, AgsError> {
    let mut url = url::Url::parse(lineitems).map_err(|e| AgsError::Network(e.to_string()))?;
    url.query_pairs_mut()
        .append_pair("resource_link_id", resource_link_id)
        .append_pair("tag", tag);
    let resp = http
        .get(url)
        .bearer_auth(token)
        .header(reqwest::header::ACCEPT, LINEITEMS_MEDIA_TYPE)
        .send()
        .await
        .map_err(|e| AgsError::Network(short_error(&e)))?;
    let body = classify(resp).await?;
    let items: Vec<LineItem> =
        serde_json::from_slice(&body).map_err(|e| AgsError::Network(e.to_string()))?;
    // Filters are optional for a platform: check them again.
    if let Some(item) = items.into_iter().find(|i| {
        i.resource_link_id.as_deref() == Some(resource_link_id) && i.tag.as_deref() == Some(tag)
    }) {
        return Ok(item.id);
    }
    let new = serde_json::json!({
        "scoreMaximum": score_maximum,
        "label": label,
        "resourceLinkId": resource_link_id,
        "tag": tag,
    });
    let resp = http
        .post(lineitems)
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, LINEITEM_MEDIA_TYPE)
        .header(reqwest::header::ACCEPT, LINEITEM_MEDIA_TYPE)
        .body(new.to_string())
        .send()
        .await
        .map_err(|e| AgsError::Network(short_error(&e)))?;
    let body = classify(resp).await?;
    let item: LineItem =
        serde_json::from_slice(&body).map_err(|e| AgsError::Network(e.to_string()))?;
    Ok(item.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_go_into_the_path_before_the_query() {
        for (lineitem, expected) in [
            (
                "https://moodle.example/mod/lti/services.php/2/lineitems/7/lineitem?type_id=1",
                "https://moodle.example/mod/lti/services.php/2/lineitems/7/lineitem/scores?type_id=1",
            ),
            (
                "https://canvas.example/api/lti/courses/1/line_items/3",
                "https://canvas.example/api/lti/courses/1/line_items/3/scores",
            ),
        ] {
            assert_eq!(service_url(lineitem, "scores"), expected);
        }
    }

    #[test]
    fn timestamps_have_milliseconds() {
        assert_eq!(timestamp(1_764_590_400_123), "2025-12-01T12:00:00.123Z");
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(retry_after(Some("30"), now), Some(Duration::from_secs(30)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            retry_after(Some(&later), now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(retry_after(Some("soon"), now), None);
    }

    #[test]
    fn a_score_on_the_wire() {
        let s = Score {
            user_id: "5".into(),
            score_given: None,
            score_maximum: None,
            activity_progress: ActivityProgress::Started,
            grading_progress: GradingProgress::Pending,
            timestamp: timestamp(0),
            comment: None,
        };
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            serde_json::json!({"userId": "5", "activityProgress": "Started",
                "gradingProgress": "Pending", "timestamp": "1970-01-01T00:00:00.000Z"})
        );
    }
}
