//! LTI Assignment and Grade Services 2.0 as a protocol: the score a tool posts (AGS §3.4,
//! media type `application/vnd.ims.lis.v1.score+json`), finding or creating a line item in
//! the `lineitems` container (§3.2), reading and updating one line item (§3.2, `PUT` keeps
//! what the tool does not change), reading its results (§3.3, paged with `Link: rel="next"`),
//! and the platform's answers as a typed error.
//!
//! Moodle's line item URLs carry a query string (`…/lineitem?type_id=1`): `/scores` and
//! `/results` go into the path, before the query, and a results URL gets no `limit` then
//! (Moodle 4.5 fails `limit` next to `type_id`). Its media types are checked exactly.
//!
//! A token is sent only to a [`ServiceUrl`] (on one of the platform's own hosts): the caller
//! checks the launch's or the stored line item URLs before asking for a token, a line item
//! the platform returns is checked here before it is used or kept, and `/scores`, `/results`
//! and `next` pages stay on the line item's origin. What a platform answers on failure is
//! kept as a status and a short text reason (`lti::remote`), never relayed.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::jwks::read_limited;
use super::{Registration, ServiceUrl, remote};

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
/// Scope to read a line item's results.
pub const SCOPE_RESULT: &str = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly";
/// Media type of a result container.
pub const RESULTS_MEDIA_TYPE: &str = "application/vnd.ims.lis.v2.resultcontainer+json";
/// Result pages followed at most (a runaway `next` chain must end).
pub const MAX_RESULT_PAGES: usize = 100;
/// Results read at most, every page together (far more than a course holds).
pub const MAX_RESULTS: usize = 100_000;
/// Largest result page read.
const MAX_RESULT_PAGE_BYTES: usize = 8 * 1024 * 1024;
/// Results asked per page (a platform may cap it lower).
const RESULT_PAGE_SIZE: &str = "1000";
/// Longest platform message kept from an error answer.
pub const MAX_MESSAGE: usize = remote::MAX_REASON;

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
    /// A line item (or container) address on a host that is not one of the platform's:
    /// nothing was sent there, and no token was asked for it.
    #[error("line item address on host {0}, which is not one of this platform's hosts")]
    ForeignHost(String),
}

impl AgsError {
    /// The refusal of a line item URL the platform gave (see `Registration::service_url`).
    pub fn not_service(e: super::NotService) -> AgsError {
        match e {
            super::NotService::Foreign(host) => AgsError::ForeignHost(host),
            other => AgsError::Network(other.to_string()),
        }
    }

    /// A short code for logs (which never carry a platform's words).
    pub fn code(&self) -> &'static str {
        match self {
            AgsError::RetryAfter(_) => "rate_limited",
            AgsError::Unauthorized => "unauthorized",
            AgsError::Conflict(_) => "conflict",
            AgsError::Server(..) => "server_error",
            AgsError::Rejected(..) => "rejected",
            AgsError::Network(_) => "unreachable",
            AgsError::ForeignHost(_) => "foreign_host",
        }
    }

    /// The HTTP status the platform answered, when it answered one.
    pub fn status(&self) -> Option<u16> {
        match self {
            AgsError::RetryAfter(_) => Some(429),
            AgsError::Unauthorized => Some(401),
            AgsError::Conflict(_) => Some(409),
            AgsError::Server(s, _) | AgsError::Rejected(s, _) => Some(*s),
            AgsError::Network(_) | AgsError::ForeignHost(_) => None,
        }
    }
}

/// A URL derived from a service URL (its `/scores`, `/results`, a page of it) on the same
/// origin, or an error when it would leave it.
fn derived(base: &ServiceUrl, raw: &str) -> Result<ServiceUrl, AgsError> {
    base.same_origin(raw)
        .ok_or_else(|| AgsError::Network("a derived address leaves the line item's origin".into()))
}

/// RFC 3339 with milliseconds in UTC of Unix milliseconds, e.g. `2026-12-01T12:00:00.123Z`.
pub fn timestamp(unix_millis: i64) -> String {
    // Always three digits of fraction (RFC 3339 alone would drop trailing zeros), as the
    // AGS examples write it.
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(unix_millis as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(format)
        .unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".into())
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
/// `now`, read by `httpdate`). None when absent or unreadable.
pub fn retry_after(value: Option<&str>, now: std::time::SystemTime) -> Option<Duration> {
    let v = value?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A short, text-only reason from an error body (never assumed to be JSON, never markup).
fn message(body: &[u8]) -> String {
    remote::reason(body)
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
    http: &super::outbound::HttpClient,
    token: &str,
    lineitem: &ServiceUrl,
    score: &Score,
) -> Result<(), AgsError> {
    let body = serde_json::to_vec(score).map_err(|e| AgsError::Network(e.to_string()))?;
    let scores = derived(lineitem, &service_url(lineitem.as_str(), "scores"))?;
    let resp = http
        .send(
            http.post(scores.url().clone())
                .bearer_auth(token)
                .header(reqwest::header::CONTENT_TYPE, SCORE_MEDIA_TYPE)
                .body(body),
        )
        .await
        .map_err(|e| AgsError::Network(e.short()))?;
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
/// `label` and `score_maximum` when there is none; returns its URL, checked to be on one of
/// the platform's service hosts (a line item elsewhere is [`AgsError::ForeignHost`]).
#[expect(clippy::too_many_arguments)]
pub async fn find_or_create_lineitem(
    http: &super::outbound::HttpClient,
    token: &str,
    reg: &Registration,
    lineitems: &ServiceUrl,
    resource_link_id: &str,
    tag: &str,
    label: &str,
    score_maximum: f64,
) -> Result<ServiceUrl, AgsError> {
    let mut url = lineitems.url().clone();
    url.query_pairs_mut()
        .append_pair("resource_link_id", resource_link_id)
        .append_pair("tag", tag);
    let resp = http
        .send(
            http.get(url)
                .bearer_auth(token)
                .header(reqwest::header::ACCEPT, LINEITEMS_MEDIA_TYPE),
        )
        .await
        .map_err(|e| AgsError::Network(e.short()))?;
    let body = classify(resp).await?;
    let items: Vec<LineItem> = serde_json::from_slice(&body).map_err(|e| {
        AgsError::Network(format!(
            "not a line item list: {}",
            remote::json_problem(&e)
        ))
    })?;
    // Filters are optional for a platform: check them again.
    if let Some(item) = items.into_iter().find(|i| {
        i.resource_link_id.as_deref() == Some(resource_link_id) && i.tag.as_deref() == Some(tag)
    }) {
        return reg.service_url(&item.id).map_err(AgsError::not_service);
    }
    let new = serde_json::json!({
        "scoreMaximum": score_maximum,
        "label": label,
        "resourceLinkId": resource_link_id,
        "tag": tag,
    });
    let resp = http
        .send(
            http.post(lineitems.url().clone())
                .bearer_auth(token)
                .header(reqwest::header::CONTENT_TYPE, LINEITEM_MEDIA_TYPE)
                .header(reqwest::header::ACCEPT, LINEITEM_MEDIA_TYPE)
                .body(new.to_string()),
        )
        .await
        .map_err(|e| AgsError::Network(e.short()))?;
    let body = classify(resp).await?;
    let item: LineItem = serde_json::from_slice(&body)
        .map_err(|e| AgsError::Network(format!("not a line item: {}", remote::json_problem(&e))))?;
    reg.service_url(&item.id).map_err(AgsError::not_service)
}

/// A line item as the platform describes it (AGS §3.2): what the tool reads and writes back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineItemDetail {
    pub id: String,
    pub score_maximum: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_link_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date_time: Option<String>,
}

/// Reads one line item (token with the line item scope).
pub async fn get_lineitem(
    http: &super::outbound::HttpClient,
    token: &str,
    lineitem: &ServiceUrl,
) -> Result<LineItemDetail, AgsError> {
    let resp = http
        .send(
            http.get(lineitem.url().clone())
                .bearer_auth(token)
                .header(reqwest::header::ACCEPT, LINEITEM_MEDIA_TYPE),
        )
        .await
        .map_err(|e| AgsError::Network(e.short()))?;
    let body = classify(resp).await?;
    serde_json::from_slice(&body)
        .map_err(|e| AgsError::Network(format!("not a line item: {}", remote::json_problem(&e))))
}

/// Gives a line item a new `scoreMaximum`: reads it, and puts it back with its label,
/// resource id, resource link, tag and dates as the platform has them (a `PUT` replaces the
/// whole line item, so anything left out could be cleared). Returns the line item as the
/// platform answered it.
pub async fn update_lineitem(
    http: &super::outbound::HttpClient,
    token: &str,
    lineitem: &ServiceUrl,
    score_maximum: f64,
) -> Result<LineItemDetail, AgsError> {
    let mut item = get_lineitem(http, token, lineitem).await?;
    item.score_maximum = score_maximum;
    let body = serde_json::to_vec(&item).map_err(|e| AgsError::Network(e.to_string()))?;
    let resp = http
        .send(
            http.put(lineitem.url().clone())
                .bearer_auth(token)
                .header(reqwest::header::CONTENT_TYPE, LINEITEM_MEDIA_TYPE)
                .header(reqwest::header::ACCEPT, LINEITEM_MEDIA_TYPE)
                .body(body),
        )
        .await
        .map_err(|e| AgsError::Network(e.short()))?;
    let body = classify(resp).await?;
    // Some platforms answer 200 with an empty body: what was sent is then what holds.
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(item);
    }
    serde_json::from_slice(&body)
        .map_err(|e| AgsError::Network(format!("not a line item: {}", remote::json_problem(&e))))
}

/// What the platform holds for one learner in a line item (AGS §3.3).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgsResult {
    pub user_id: String,
    #[serde(default)]
    pub result_score: Option<f64>,
    #[serde(default)]
    pub result_maximum: Option<f64>,
    #[serde(default)]
    pub comment: Option<String>,
}

/// A line item's results URL, with a page size when the line item URL has no query string.
///
/// A line item URL with a query is the platform's own addressing (Moodle's `?type_id=1`,
/// Chamilo's `?t=3`), and Moodle 4.5 fails such a results URL once `limit` is added (an error
/// page, HTTP 404: its paging builds on a URL it does not have); without `limit` it answers
/// every result at once, and a platform that pages anyway says so with `Link: rel="next"`.
pub fn results_url(lineitem: &str) -> String {
    let url = service_url(lineitem, "results");
    match url::Url::parse(&url) {
        Ok(mut u) if u.query().is_none() => {
            u.query_pairs_mut().append_pair("limit", RESULT_PAGE_SIZE);
            u.into()
        }
        _ => url,
    }
}

/// Every result of a line item (token with [`SCOPE_RESULT`]), following `Link: rel="next"`
/// on the line item's origin only (the token must not reach another host), at most
/// [`MAX_RESULT_PAGES`] pages and [`MAX_RESULTS`] results. The caller bounds the time.
pub async fn read_results(
    http: &super::outbound::HttpClient,
    token: &str,
    lineitem: &ServiceUrl,
) -> Result<Vec<AgsResult>, AgsError> {
    let mut out = Vec::new();
    let mut next = Some(derived(lineitem, &results_url(lineitem.as_str()))?);
    let mut seen = std::collections::HashSet::new();
    while let Some(page) = next.take() {
        if !seen.insert(page.as_str().to_string()) || seen.len() > MAX_RESULT_PAGES {
            return Err(AgsError::Network(format!(
                "the result pages loop or pass {MAX_RESULT_PAGES}"
            )));
        }
        let resp = http
            .send(
                http.get(page.url().clone())
                    .bearer_auth(token)
                    .header(reqwest::header::ACCEPT, RESULTS_MEDIA_TYPE),
            )
            .await
            .map_err(|e| AgsError::Network(e.short()))?;
        let links = super::services::parse_links(resp.headers());
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(classify(resp)
                .await
                .err()
                .unwrap_or(AgsError::Server(status, String::new())));
        }
        let body = read_limited(resp, MAX_RESULT_PAGE_BYTES)
            .await
            .map_err(AgsError::Network)?;
        let results: Vec<AgsResult> = serde_json::from_slice(&body).map_err(|e| {
            AgsError::Network(format!(
                "not a result container: {}",
                remote::json_problem(&e)
            ))
        })?;
        out.extend(results);
        if out.len() > MAX_RESULTS {
            return Err(AgsError::Network(format!(
                "more than {MAX_RESULTS} results"
            )));
        }
        next = match links.get("next") {
            Some(n) => match lineitem.same_origin(n) {
                Some(n) => Some(n),
                None => {
                    return Err(AgsError::Network(
                        "a result page links to another origin; not followed".into(),
                    ));
                }
            },
            None => None,
        };
    }
    Ok(out)
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
    fn results_go_into_the_path_before_the_query_with_a_page_size_unless_it_has_a_query() {
        // Moodle 4.5 fails `limit` next to its own `type_id`: no page size there.
        assert_eq!(
            results_url(
                "https://moodle.example/mod/lti/services.php/2/lineitems/7/lineitem?type_id=1"
            ),
            "https://moodle.example/mod/lti/services.php/2/lineitems/7/lineitem/results?type_id=1"
        );
        assert_eq!(
            results_url("https://canvas.example/api/lti/courses/1/line_items/3"),
            "https://canvas.example/api/lti/courses/1/line_items/3/results?limit=1000"
        );
    }

    #[test]
    fn a_put_keeps_what_the_platform_holds() {
        let item: LineItemDetail = serde_json::from_value(serde_json::json!({
            "id": "https://lms.example/li/1", "scoreMaximum": 1, "label": "Peer coaching",
            "resourceId": "r-1", "resourceLinkId": "1", "tag": "binome",
            "gradesReleased": true
        }))
        .unwrap();
        let v = serde_json::to_value(LineItemDetail {
            score_maximum: 10.0,
            ..item
        })
        .unwrap();
        assert_eq!(
            v,
            serde_json::json!({"id": "https://lms.example/li/1", "scoreMaximum": 10.0,
                "label": "Peer coaching", "resourceId": "r-1", "resourceLinkId": "1",
                "tag": "binome"})
        );
    }

    #[test]
    fn timestamps_have_milliseconds() {
        assert_eq!(timestamp(1_764_590_400_123), "2025-12-01T12:00:00.123Z");
        assert_eq!(timestamp(1_764_590_400_100), "2025-12-01T12:00:00.100Z");
        assert_eq!(timestamp(1_764_590_400_000), "2025-12-01T12:00:00.000Z");
        assert_eq!(timestamp(0), "1970-01-01T00:00:00.000Z");
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
