//! The outbox worker: one step claims a batch of due scores, gets one token per registration
//! and scope set, and posts each score; on failure it backs off exponentially with jitter (at
//! most an hour), honours `Retry-After` on 429, takes a fresh token once on 401, moves the
//! timestamp a second on 409, and after [`MAX_ATTEMPTS`] parks the score as failed with the
//! platform's message. The loop is apart ([`run_loop`]), so tests drive the step with a clock
//! of their own.

use std::collections::HashMap;
use std::future::Future;
use std::hash::BuildHasher;
use std::time::Duration;

use crate::lti::Registration;
use crate::lti::ags::{self, AgsError, Score};
use crate::lti::keys::ToolKey;
use crate::lti::services::ServiceTokens;
use crate::store::{OutboxRow, Store, StoreError};

/// Attempts before a score is parked as failed.
pub const MAX_ATTEMPTS: i32 = 8;
/// Scores claimed per step.
pub const BATCH: u64 = 100;
/// How long a claim holds its rows (seconds): far longer than a batch of posts takes.
pub const LEASE: i64 = 300;
/// The first retry waits about this long (seconds); each next one twice as long.
pub const BACKOFF_BASE: i64 = 30;
/// The longest wait between attempts (seconds).
pub const BACKOFF_CAP: i64 = 3600;
/// How long the loop sleeps when the outbox had nothing due.
pub const IDLE_SLEEP: Duration = Duration::from_secs(5);

/// Why a step did not run to its end.
#[derive(Debug, thiserror::Error)]
pub enum GradesError {
    /// The store failed; the claimed rows are retried when their lease ends.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepReport {
    /// Scores claimed.
    pub claimed: usize,
    /// Scores the platform accepted.
    pub delivered: usize,
    /// Scores that will be tried again.
    pub retried: usize,
    /// Scores parked as failed.
    pub failed: usize,
}

/// The worker's own HTTP client and token cache.
pub struct GradeWorker {
    pub http: reqwest::Client,
    pub tokens: ServiceTokens,
}

impl GradeWorker {
    pub fn new(http: reqwest::Client) -> GradeWorker {
        GradeWorker {
            http,
            tokens: ServiceTokens::default(),
        }
    }
}

/// What a step needs.
pub struct Deps<'a> {
    pub store: &'a Store,
    pub worker: &'a GradeWorker,
    pub registrations: &'a [Registration],
    pub key: &'a ToolKey,
}

/// The wait before attempt `attempts + 1`: exponential from [`BACKOFF_BASE`], at most
/// [`BACKOFF_CAP`], with up to a fifth of jitter either way so that retries spread out.
pub fn backoff(attempts: i32, id: i64) -> i64 {
    let exp = BACKOFF_BASE
        .saturating_mul(1i64 << (attempts - 1).clamp(0, 20))
        .min(BACKOFF_CAP);
    let spread = (exp / 5).max(1);
    let r = std::collections::hash_map::RandomState::new().hash_one((id, attempts)) as i64;
    (exp + r.rem_euclid(2 * spread + 1) - spread).clamp(1, BACKOFF_CAP)
}

fn score_of(r: &OutboxRow) -> Option<Score> {
    Some(Score {
        user_id: r.person_id.clone(),
        score_given: r.score_given,
        score_maximum: r.score_maximum,
        activity_progress: ags::ActivityProgress::parse(&r.activity_progress)?,
        grading_progress: ags::GradingProgress::parse(&r.grading_progress)?,
        timestamp: ags::timestamp(r.timestamp),
        comment: r.comment.clone(),
    })
}

/// What an attempt ended with.
enum Attempt {
    Delivered,
    /// Try again after this long (seconds, else the backoff), with this message and
    /// timestamp.
    Retry {
        after: Option<i64>,
        error: String,
        timestamp: i64,
    },
    /// Nothing can make it succeed.
    Fail(String),
}

fn describe(e: &AgsError) -> String {
    match e {
        AgsError::RetryAfter(d) => format!("HTTP 429: retry after {} s", d.as_secs()),
        AgsError::Unauthorized => "HTTP 401: access token refused".into(),
        AgsError::Conflict(m) => format!("HTTP 409: {m}"),
        AgsError::Server(s, m) | AgsError::Rejected(s, m) => format!("HTTP {s}: {m}"),
        AgsError::Network(m) => format!("unreachable: {m}"),
    }
}

/// Claims the scores due at `now` (Unix seconds) and posts them.
pub async fn deliver_step(deps: &Deps<'_>, now: i64) -> Result<StepReport, GradesError> {
    let rows = deps.store.claim_due_scores(now, BATCH, LEASE).await?;
    let mut report = StepReport {
        claimed: rows.len(),
        ..Default::default()
    };
    // Line items found or created in this step, by course and activity.
    let mut found: HashMap<(i32, String), String> = HashMap::new();
    for r in rows {
        let lineitem = r
            .lineitem
            .clone()
            .or_else(|| found.get(&(r.course.get(), r.activity.clone())).cloned());
        let (outcome, resolved) = attempt(deps, &r, lineitem).await;
        if let Some(l) = &resolved {
            found.insert((r.course.get(), r.activity.clone()), l.clone());
            if r.lineitem.is_none() {
                deps.store
                    .set_activity_lineitem(r.course, &r.activity, l)
                    .await?;
            }
        }
        match outcome {
            Attempt::Delivered => {
                deps.store.mark_delivered(r.id, now).await?;
                report.delivered += 1;
            }
            Attempt::Retry { error, .. } | Attempt::Fail(error) if r.attempts >= MAX_ATTEMPTS => {
                tracing::warn!(
                    score = r.id,
                    attempts = r.attempts,
                    "score parked as failed"
                );
                deps.store.mark_failed(r.id, &error, now).await?;
                report.failed += 1;
            }
            Attempt::Fail(error) => {
                deps.store.mark_failed(r.id, &error, now).await?;
                report.failed += 1;
            }
            Attempt::Retry {
                after,
                error,
                timestamp,
            } => {
                let next = now + after.unwrap_or_else(|| backoff(r.attempts, r.id));
                deps.store
                    .mark_retry(r.id, next, &error, timestamp, resolved.as_deref(), now)
                    .await?;
                report.retried += 1;
            }
        }
    }
    Ok(report)
}

/// One attempt at one score; also returns the line item when it is known.
async fn attempt(
    deps: &Deps<'_>,
    r: &OutboxRow,
    lineitem: Option<String>,
) -> (Attempt, Option<String>) {
    let Some(reg) = deps.registrations.iter().find(|g| g.id == r.registration) else {
        return (
            Attempt::Fail("the platform is no longer registered".into()),
            None,
        );
    };
    let Some(mut score) = score_of(r) else {
        return (Attempt::Fail("unknown progress value".into()), None);
    };
    let mut timestamp = r.timestamp;
    let retry = |after: Option<i64>, error: String, timestamp: i64| Attempt::Retry {
        after,
        error,
        timestamp,
    };
    let scopes: &[&str] = if lineitem.is_some() {
        &[ags::SCOPE_SCORE]
    } else {
        &[ags::SCOPE_SCORE, ags::SCOPE_LINEITEM]
    };
    let http = &deps.worker.http;
    let mut refreshed = false;
    let mut conflicts = 0;
    let mut lineitem = lineitem;
    loop {
        let token = match deps.worker.tokens.token(http, reg, deps.key, scopes).await {
            Ok(t) => t,
            Err(e) => return (retry(None, e.to_string(), timestamp), lineitem),
        };
        let url = match &lineitem {
            Some(l) => l.clone(),
            None => {
                let Some(container) = r.lineitems.as_deref() else {
                    return (Attempt::Fail("the activity has no line item".into()), None);
                };
                match ags::find_or_create_lineitem(
                    http,
                    &token,
                    container,
                    &r.activity,
                    super::LINEITEM_TAG,
                    "Peer coaching",
                    r.score_maximum
                        .unwrap_or(f64::from(crate::coaching::Grading::default().points())),
                )
                .await
                {
                    Ok(l) => {
                        lineitem = Some(l.clone());
                        l
                    }
                    Err(AgsError::Unauthorized) if !refreshed => {
                        refreshed = true;
                        deps.worker.tokens.invalidate(reg.id, scopes);
                        continue;
                    }
                    Err(e) => return (failure(&e, timestamp), None),
                }
            }
        };
        match ags::post_score(http, &token, &url, &score).await {
            Ok(()) => return (Attempt::Delivered, lineitem),
            Err(AgsError::Unauthorized) if !refreshed => {
                refreshed = true;
                deps.worker.tokens.invalidate(reg.id, scopes);
            }
            Err(AgsError::Conflict(_)) if conflicts == 0 => {
                // The platform holds a score as recent as this one: one second later.
                conflicts += 1;
                timestamp += 1000;
                score.timestamp = ags::timestamp(timestamp);
            }
            Err(AgsError::Conflict(m)) => {
                return (
                    retry(None, format!("HTTP 409: {m}"), timestamp + 1000),
                    lineitem,
                );
            }
            Err(e) => return (failure(&e, timestamp), lineitem),
        }
    }
}

fn failure(e: &AgsError, timestamp: i64) -> Attempt {
    let after = match e {
        AgsError::RetryAfter(d) => Some((d.as_secs() as i64).max(1)),
        _ => None,
    };
    Attempt::Retry {
        after,
        error: describe(e),
        timestamp,
    }
}

/// Delivers scores until the task is aborted: a step at once when the last one claimed a
/// full batch, else after [`IDLE_SLEEP`]. `source` gives the registrations and the tool key
/// of the moment (both change while the server runs).
pub async fn run_loop<F, Fut>(store: Store, worker: GradeWorker, source: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<(Vec<Registration>, ToolKey)>>,
{
    loop {
        let mut sleep = IDLE_SLEEP;
        if let Some((registrations, key)) = source().await {
            let deps = Deps {
                store: &store,
                worker: &worker,
                registrations: &registrations,
                key: &key,
            };
            match deliver_step(&deps, now()).await {
                Ok(r) if r.claimed as u64 >= BATCH => sleep = Duration::ZERO,
                Ok(r) if r.claimed > 0 => {
                    tracing::info!(
                        delivered = r.delivered,
                        retried = r.retried,
                        failed = r.failed,
                        "grade delivery"
                    );
                    sleep = Duration::from_millis(500);
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "grade delivery failed"),
            }
        }
        tokio::time::sleep(sleep).await;
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_an_hour_with_jitter() {
        for (attempts, lo, hi) in [(1, 24, 36), (2, 48, 72), (3, 96, 144), (8, 2880, 3600)] {
            let b = backoff(attempts, 7);
            assert!((lo..=hi).contains(&b), "{attempts}: {b}");
        }
        assert!(backoff(30, 7) <= BACKOFF_CAP);
    }
}
