//! The outbox worker: one step first gives line items their new points (queued by
//! `Store::set_activity_points`), then claims a batch of due scores, gets one token per
//! registration and scope set, and posts the scores, several at once (at most
//! [`PER_HOST`] in flight per platform host); on failure it backs off exponentially with
//! jitter (at most an hour), honours `Retry-After` on 429, takes a fresh token once on 401,
//! moves the timestamp a second on 409, and after [`MAX_ATTEMPTS`] parks the score as failed
//! with the platform's message. The loop is apart ([`run_loop`]), so tests drive the step
//! with a clock of their own; it steps again at once while rows were due.
//!
//! A score whose line item (or container) is on a host that is not one of the platform's is
//! never sent and no token is asked for it: it waits [`FOREIGN_HOST_WAIT`] and is looked at
//! again, without counting against [`MAX_ATTEMPTS`]. Nothing left the tool, and only the
//! operator can fix it (`binome platform update --service-host`): counting it would park
//! every such score as failed within hours, to be re-sent by hand once the host is allowed,
//! when waiting costs one claim and one update per score every quarter of an hour.

use std::collections::HashMap;
use std::future::Future;
use std::hash::BuildHasher;
use std::time::Duration;

use futures_util::StreamExt;

use crate::lti::ags::{self, AgsError, Score};
use crate::lti::keys::ToolKey;
use crate::lti::services::ServiceTokens;
use crate::lti::{Failure, Registration, Service, ServiceUrl};
use crate::store::{OutboxRow, Store, StoreError};

/// Attempts before a score is parked as failed.
pub const MAX_ATTEMPTS: i32 = 8;
/// Scores claimed per step.
pub const BATCH: u64 = 500;
/// Scores in flight at once to one platform host (a platform is not to be flooded).
pub const PER_HOST: usize = 16;
/// Line item updates applied per step.
pub const LINEITEM_BATCH: u64 = 20;
/// How long a claim holds its rows by default (seconds): far longer than a batch of posts
/// takes. After a crash, claimed rows wait this long (`BINOME_GRADE_LEASE_SECS`).
pub const LEASE: i64 = 300;
/// The first retry waits about this long (seconds); each next one twice as long.
pub const BACKOFF_BASE: i64 = 30;
/// The longest wait between attempts (seconds).
pub const BACKOFF_CAP: i64 = 3600;
/// How long a score or a line item update whose address is on a foreign host waits before it
/// is looked at again (seconds).
pub const FOREIGN_HOST_WAIT: i64 = 900;
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
    /// Scores not attempted, waiting for the operator (their line item is on a foreign host).
    pub waiting: usize,
}

/// The worker's own HTTP client and token cache.
pub struct GradeWorker {
    pub http: crate::lti::outbound::Outbound,
    pub tokens: ServiceTokens,
    /// How long a claim holds its rows (seconds).
    pub lease: i64,
}

impl GradeWorker {
    pub fn new(http: crate::lti::outbound::Outbound) -> GradeWorker {
        GradeWorker {
            http,
            tokens: ServiceTokens::default(),
            lease: LEASE,
        }
    }

    /// The same, with claims held `lease` seconds.
    pub fn with_lease(mut self, lease: i64) -> GradeWorker {
        self.lease = lease.max(1);
        self
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
    /// Not attempted, and not counted: only the operator can fix it (a line item on a
    /// foreign host). Looked at again after [`FOREIGN_HOST_WAIT`].
    Wait(String),
}

/// An AGS error as kept for staff: the HTTP status and the platform's short reason, or a
/// foreign host (worded with its fix by the pages).
pub fn failure(e: &AgsError) -> Failure {
    let status = |s: &u16, m: &str| {
        if m.is_empty() {
            format!("HTTP {s}")
        } else {
            format!("HTTP {s}: {m}")
        }
    };
    Failure::Text(match e {
        AgsError::ForeignHost(host) => {
            return Failure::ForeignHost {
                service: Service::Grades,
                host: host.clone(),
            };
        }
        AgsError::RetryAfter(d) => format!("HTTP 429: retry after {} s", d.as_secs()),
        AgsError::Unauthorized => "HTTP 401: access token refused".into(),
        AgsError::Conflict(m) => status(&409, m),
        AgsError::Server(s, m) | AgsError::Rejected(s, m) => status(s, m),
        AgsError::Network(m) => format!("unreachable: {m}"),
    })
}

/// [`failure`] in its stored form.
pub fn describe(e: &AgsError) -> String {
    failure(e).to_stored()
}

/// Applies the line item updates due at `now`, then claims the scores due and posts them.
pub async fn deliver_step(deps: &Deps<'_>, now: i64) -> Result<StepReport, GradesError> {
    update_lineitems(deps, now).await?;
    let rows = deps
        .store
        .claim_due_scores(now, BATCH, deps.worker.lease)
        .await?;
    let mut report = StepReport {
        claimed: rows.len(),
        ..Default::default()
    };
    // Line items found or created in this step, by course and activity: the first score of
    // an activity without one finds it alone, the others then use it.
    let mut found: HashMap<(i32, String), String> = HashMap::new();
    let mut first = Vec::new();
    let mut rest = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for r in rows {
        if r.lineitem.is_none() && seen.insert((r.course.get(), r.activity.clone())) {
            first.push(r);
        } else {
            rest.push(r);
        }
    }
    let mut delivered = Vec::new();
    for r in first {
        let (outcome, resolved) = attempt(deps, &r, None).await;
        if let Some(l) = &resolved {
            found.insert((r.course.get(), r.activity.clone()), l.clone());
            deps.store
                .set_activity_lineitem(r.course, &r.activity, l)
                .await?;
        }
        settle(
            deps,
            &r,
            outcome,
            resolved,
            now,
            &mut report,
            &mut delivered,
        )
        .await?;
    }
    // The others at once, at most PER_HOST in flight per platform host.
    let mut hosts: HashMap<String, std::sync::Arc<tokio::sync::Semaphore>> = HashMap::new();
    let jobs: Vec<_> = rest
        .into_iter()
        .map(|r| {
            let lineitem = r
                .lineitem
                .clone()
                .or_else(|| found.get(&(r.course.get(), r.activity.clone())).cloned());
            let host = lineitem
                .as_deref()
                .or(r.lineitems.as_deref())
                .and_then(|u| url::Url::parse(u).ok())
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            let gate = hosts
                .entry(host)
                .or_insert_with(|| std::sync::Arc::new(tokio::sync::Semaphore::new(PER_HOST)))
                .clone();
            async move {
                let _permit = gate.acquire_owned().await.ok();
                let (outcome, resolved) = attempt(deps, &r, lineitem).await;
                (r, outcome, resolved)
            }
        })
        .collect();
    let mut stream = futures_util::stream::iter(jobs).buffer_unordered(PER_HOST * 4);
    while let Some((r, outcome, resolved)) = stream.next().await {
        settle(
            deps,
            &r,
            outcome,
            resolved,
            now,
            &mut report,
            &mut delivered,
        )
        .await?;
        // Marked as they come, a few at a time: a crash re-posts only the last few.
        if delivered.len() >= MARK_EVERY {
            deps.store.mark_delivered_many(&delivered, now).await?;
            delivered.clear();
        }
    }
    deps.store.mark_delivered_many(&delivered, now).await?;
    Ok(report)
}

/// Delivered scores are marked in one statement per this many.
const MARK_EVERY: usize = 64;

/// Records how one attempt ended (a delivered score is only noted in `delivered`).
async fn settle(
    deps: &Deps<'_>,
    r: &OutboxRow,
    outcome: Attempt,
    resolved: Option<String>,
    now: i64,
    report: &mut StepReport,
    delivered: &mut Vec<i64>,
) -> Result<(), GradesError> {
    match outcome {
        Attempt::Delivered => {
            delivered.push(r.id);
            report.delivered += 1;
            crate::metrics::global().grade_delivered(r.timestamp);
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
        Attempt::Wait(error) => {
            tracing::debug!(
                score = r.id,
                code = "foreign_host",
                "score waits for the operator"
            );
            deps.store
                .mark_waiting(r.id, now + FOREIGN_HOST_WAIT, &error, now)
                .await?;
            report.waiting += 1;
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
    Ok(())
}

/// How long a failed line item update waits (seconds), unless the platform says.
const LINEITEM_RETRY: i64 = 300;

/// Gives the line items due an update their new points (`scoreMaximum`), finding or
/// creating the line item first when only the container is known. A failure is kept with
/// the platform's words and tried again later; it does not hold the scores back (a score
/// carries its own maximum, which the LMS scales to the line item's points).
async fn update_lineitems(deps: &Deps<'_>, now: i64) -> Result<(), GradesError> {
    let due = deps
        .store
        .claim_lineitem_updates(now, LINEITEM_BATCH, deps.worker.lease)
        .await?;
    for u in due {
        match update_one(deps, &u).await {
            Ok(lineitem) => {
                tracing::info!(
                    course = u.course.get(),
                    points = u.points,
                    "line item points updated"
                );
                deps.store
                    .lineitem_updated(u.course, &u.activity, u.points, &lineitem, now)
                    .await?;
            }
            Err((error, after)) => {
                deps.store
                    .lineitem_update_failed(
                        u.course,
                        &u.activity,
                        &error,
                        now + after.unwrap_or(LINEITEM_RETRY),
                    )
                    .await?;
            }
        }
    }
    Ok(())
}

/// One line item update; returns the line item's URL, or the error and how long to wait.
async fn update_one(
    deps: &Deps<'_>,
    u: &crate::store::LineItemUpdate,
) -> Result<String, (String, Option<i64>)> {
    let Some(reg) = deps.registrations.iter().find(|g| g.id == u.registration) else {
        return Err(("the platform is no longer registered".into(), None));
    };
    let unusable = |e: AgsError| {
        let after = matches!(e, AgsError::ForeignHost(_)).then_some(FOREIGN_HOST_WAIT);
        (describe(&e), after)
    };
    // The addresses are checked before a token is asked for.
    let (item, container) = match (&u.lineitem, &u.lineitems) {
        (Some(l), _) => (
            Some(
                reg.service_url(l)
                    .map_err(|e| unusable(AgsError::not_service(e)))?,
            ),
            None,
        ),
        (None, Some(c)) => (
            None,
            Some(
                reg.service_url(c)
                    .map_err(|e| unusable(AgsError::not_service(e)))?,
            ),
        ),
        (None, None) => return Err(("the activity has no line item".into(), None)),
    };
    let scopes = [ags::SCOPE_LINEITEM];
    let http = deps.worker.http.for_platform(reg);
    let mut refreshed = false;
    loop {
        let token = deps
            .worker
            .tokens
            .token(http, reg, deps.key, &scopes)
            .await
            .map_err(|e| (e.to_string(), None))?;
        let result = async {
            let lineitem = match (&item, &container) {
                (Some(l), _) => l.clone(),
                (None, container) => {
                    let Some(container) = container else {
                        return Err(AgsError::Network("the activity has no line item".into()));
                    };
                    ags::find_or_create_lineitem(
                        http,
                        &token,
                        reg,
                        container,
                        &u.activity,
                        super::LINEITEM_TAG,
                        "Peer coaching",
                        u.points,
                    )
                    .await?
                }
            };
            ags::update_lineitem(http, &token, &lineitem, u.points).await?;
            Ok(lineitem)
        }
        .await;
        match result {
            Ok(l) => return Ok(l.as_str().to_string()),
            Err(AgsError::Unauthorized) if !refreshed => {
                refreshed = true;
                deps.worker.tokens.invalidate(reg.id, &scopes);
            }
            Err(e @ AgsError::ForeignHost(_)) => return Err(unusable(e)),
            Err(e) => {
                let after = match &e {
                    AgsError::RetryAfter(d) => Some((d.as_secs() as i64).max(1)),
                    _ => None,
                };
                return Err((describe(&e), after));
            }
        }
    }
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
    // The line item, or the container to find it in, is checked before a token is asked
    // for: a score is never sent, and no token asked for, to a host not the platform's.
    let (mut item, container): (Option<ServiceUrl>, Option<ServiceUrl>) = match &lineitem {
        Some(l) => match reg.service_url(l) {
            Ok(u) => (Some(u), None),
            Err(e) => return (failure_of(&AgsError::not_service(e), timestamp), None),
        },
        None => match r.lineitems.as_deref().map(|c| reg.service_url(c)) {
            None => return (Attempt::Fail("the activity has no line item".into()), None),
            Some(Ok(c)) => (None, Some(c)),
            Some(Err(e)) => return (failure_of(&AgsError::not_service(e), timestamp), None),
        },
    };
    let scopes: &[&str] = if item.is_some() {
        &[ags::SCOPE_SCORE]
    } else {
        &[ags::SCOPE_SCORE, ags::SCOPE_LINEITEM]
    };
    let http = deps.worker.http.for_platform(reg);
    let mut refreshed = false;
    let mut conflicts = 0;
    let known = |item: &Option<ServiceUrl>| item.as_ref().map(|u| u.as_str().to_string());
    loop {
        let token = match deps.worker.tokens.token(http, reg, deps.key, scopes).await {
            Ok(t) => t,
            Err(e) => return (retry(None, e.to_string(), timestamp), known(&item)),
        };
        let url = match (&item, &container) {
            (Some(l), _) => l.clone(),
            (None, None) => return (Attempt::Fail("the activity has no line item".into()), None),
            (None, Some(container)) => {
                match ags::find_or_create_lineitem(
                    http,
                    &token,
                    reg,
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
                        item = Some(l.clone());
                        l
                    }
                    Err(AgsError::Unauthorized) if !refreshed => {
                        refreshed = true;
                        deps.worker.tokens.invalidate(reg.id, scopes);
                        continue;
                    }
                    Err(e) => return (failure_of(&e, timestamp), None),
                }
            }
        };
        match ags::post_score(http, &token, &url, &score).await {
            Ok(()) => return (Attempt::Delivered, known(&item)),
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
            Err(e @ AgsError::Conflict(_)) => {
                return (retry(None, describe(&e), timestamp + 1000), known(&item));
            }
            Err(e) => return (failure_of(&e, timestamp), known(&item)),
        }
    }
}

/// How a failed attempt ends: a foreign host waits for the operator, anything else is
/// retried (after `Retry-After` when the platform said).
fn failure_of(e: &AgsError, timestamp: i64) -> Attempt {
    if matches!(e, AgsError::ForeignHost(_)) {
        return Attempt::Wait(describe(e));
    }
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

/// Delivers scores until the task is aborted: a step at once when the last one claimed
/// anything, else after [`IDLE_SLEEP`]. `source` gives the registrations and the tool key
/// of the moment (both change while the server runs).
pub async fn run_loop<F, Fut>(store: Store, worker: GradeWorker, source: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<(Vec<Registration>, ToolKey)>>,
{
    run_until(store, worker, source, std::future::pending()).await
}

/// [`run_loop`] until `stop` resolves: a step under way when it does is finished first (its
/// posts, and the marks of what was delivered), then no other begins. A stopping instance
/// thus leaves no claimed score behind for the next worker to wait a lease for.
pub async fn run_until<F, Fut, S>(store: Store, worker: GradeWorker, source: F, stop: S)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<(Vec<Registration>, ToolKey)>>,
    S: Future<Output = ()>,
{
    let mut stop = std::pin::pin!(stop);
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
                Ok(r) if r.claimed > 0 => {
                    // Rows were due: more may be, step again at once (a retried row is not
                    // due before its time, so this ends when the outbox is drained).
                    tracing::info!(
                        delivered = r.delivered,
                        retried = r.retried,
                        failed = r.failed,
                        waiting = r.waiting,
                        "grade delivery"
                    );
                    sleep = Duration::ZERO;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "grade delivery failed"),
            }
        }
        tokio::select! {
            biased;
            () = &mut stop => return,
            () = tokio::time::sleep(sleep) => {}
        }
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
