//! The outbox worker: one step first gives line items their new points (queued by
//! `Store::set_activity_points`), then claims a batch of due scores, resolves each activity's
//! line item once, gets one token per registration and scope set, and posts the scores,
//! several at once (at most [`PER_HOST`] in flight per platform host); on failure it backs off
//! exponentially with jitter (at most [`BACKOFF_CAP`]), takes a fresh token once on 401, moves
//! the timestamp a second on 409, and after [`MAX_ATTEMPTS`] parks the score as failed with
//! the platform's message. The loop is apart ([`run_loop`]), so tests drive the step with a
//! clock of their own; it steps again at once while rows were due.
//!
//! One line item per activity, ever: when the launch named none, the step finds or creates it
//! once per activity, before any score of that activity is posted, under a claim in the store
//! (`Store::claim_lineitem_resolution`) so that two instances never both create one, and keeps
//! it for every later score. If that fails, every score of the activity in the step is
//! retried later, and no other lookup is made in the step.
//!
//! A 429 is the platform asking to slow down, not a failure of the score: it waits as long as
//! `Retry-After` says (at most [`RETRY_AFTER_CAP`]) without spending an attempt, for as long as
//! the score is younger than [`RATE_LIMIT_PATIENCE`]; after that a 429 counts like a 500.
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
use crate::store::{LineItemClaim, OutboxRow, Store, StoreError};

/// Attempts before a score is parked as failed: with [`BACKOFF_CAP`], about an hour of a
/// failing LMS (a claim whose instance was killed counts as one).
pub const MAX_ATTEMPTS: i32 = 64;
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
/// The longest wait between attempts after a failure (seconds): short, so that a score is
/// delivered within a minute of the LMS coming back, however many attempts it took (or lost
/// to a killed instance); [`MAX_ATTEMPTS`] sets how long it is tried.
pub const BACKOFF_CAP: i64 = 60;
/// The longest `Retry-After` honoured (seconds).
pub const RETRY_AFTER_CAP: i64 = 3600;
/// How long a score waits through 429s without spending attempts (seconds, from its
/// timestamp); after that, a 429 counts as a failed attempt.
pub const RATE_LIMIT_PATIENCE: i64 = 86_400;
/// How long the scores of an activity wait while another instance finds its line item
/// (seconds).
pub const RESOLVING_WAIT: i64 = 10;
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
    /// Scores not attempted: waiting for the operator (their line item is on a foreign host),
    /// or for another instance that is finding their line item.
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

fn score_of(r: &OutboxRow) -> Score {
    Score {
        user_id: r.person_id.to_string(),
        score_given: r.score.given,
        score_maximum: r.score.maximum,
        activity_progress: r.score.activity_progress,
        grading_progress: r.score.grading_progress,
        timestamp: ags::timestamp(r.timestamp),
        comment: r.score.comment.clone(),
    }
}

/// What an attempt ended with.
#[derive(Debug, Clone)]
enum Attempt {
    Delivered,
    /// Try again after this long (seconds, else the backoff), with this message and
    /// timestamp; the attempt counts.
    Retry {
        after: Option<i64>,
        error: String,
        timestamp: i64,
    },
    /// The platform asked to slow down (429): try again after this long (seconds); the
    /// attempt counts only once the score is older than [`RATE_LIMIT_PATIENCE`].
    RateLimited {
        after: i64,
        error: String,
        timestamp: i64,
    },
    /// Nothing can make it succeed.
    Fail(String),
    /// Not attempted, and not counted: looked at again after this long (seconds). Its line
    /// item is on a foreign host (only the operator can fix it), or another instance is
    /// finding it.
    Wait {
        after: i64,
        error: String,
    },
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

/// Applies the line item updates due at `now`, then claims the scores due, resolves the line
/// item of each activity that has none (once), and posts the scores.
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
    // The line item of each activity whose launch named none: resolved once, one activity
    // after the other, before any of its scores is posted; every score of the activity then
    // uses that answer, whatever it is (no score looks it up on its own).
    let mut lineitems: HashMap<(i32, String), Result<String, Unresolved>> = HashMap::new();
    for r in rows.iter().filter(|r| r.lineitem.is_none()) {
        let key = (r.course.get(), r.activity.clone());
        if lineitems.contains_key(&key) {
            continue;
        }
        let reg = deps.registrations.iter().find(|g| g.id == r.registration);
        let resolution = match (reg, r.lineitems.as_deref()) {
            (None, _) => Err(Unresolved::Fail(
                "the platform is no longer registered".into(),
            )),
            (_, None) => Err(Unresolved::Fail("the activity has no line item".into())),
            (Some(reg), Some(container)) => {
                let points = r
                    .score
                    .maximum
                    .unwrap_or(f64::from(crate::coaching::Grading::default().points()));
                resolve_lineitem(deps, reg, r.course, &r.activity, container, points, now).await?
            }
        };
        lineitems.insert(key, resolution);
    }
    let mut delivered = Vec::new();
    let mut ready = Vec::new();
    for r in rows {
        let (lineitem, found) = match &r.lineitem {
            Some(l) => (l.clone(), false),
            None => match &lineitems[&(r.course.get(), r.activity.clone())] {
                Ok(l) => (l.clone(), true),
                Err(unresolved) => {
                    let outcome = unresolved.outcome(r.timestamp);
                    settle(deps, &r, outcome, None, now, &mut report, &mut delivered).await?;
                    continue;
                }
            },
        };
        ready.push((r, lineitem, found));
    }
    // At once, at most PER_HOST in flight per platform host.
    let mut hosts: HashMap<String, std::sync::Arc<tokio::sync::Semaphore>> = HashMap::new();
    let jobs: Vec<_> = ready
        .into_iter()
        .map(|(r, lineitem, found)| {
            let host = url::Url::parse(&lineitem)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            let gate = hosts
                .entry(host)
                .or_insert_with(|| std::sync::Arc::new(tokio::sync::Semaphore::new(PER_HOST)))
                .clone();
            async move {
                let _permit = gate.acquire_owned().await.ok();
                let outcome = attempt(deps, &r, &lineitem).await;
                (r, outcome, found.then_some(lineitem))
            }
        })
        .collect();
    let mut stream = futures_util::stream::iter(jobs).buffer_unordered(PER_HOST * 4);
    while let Some((r, outcome, found)) = stream.next().await {
        settle(deps, &r, outcome, found, now, &mut report, &mut delivered).await?;
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
    // A 429 spends no attempt while the score is young enough; after that it counts.
    let outcome = match outcome {
        Attempt::RateLimited {
            after,
            error,
            timestamp,
        } if now - r.timestamp.div_euclid(1000) >= RATE_LIMIT_PATIENCE => Attempt::Retry {
            after: Some(after),
            error,
            timestamp,
        },
        other => other,
    };
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
        Attempt::Wait { after, error } => {
            tracing::debug!(score = r.id, "score waits, not attempted");
            deps.store
                .mark_waiting(r.id, now + after, &error, now)
                .await?;
            report.waiting += 1;
        }
        Attempt::RateLimited { after, error, .. } => {
            deps.store
                .mark_waiting(r.id, now + after, &error, now)
                .await?;
            report.retried += 1;
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

/// Why an activity's line item is not known in this step.
#[derive(Debug, Clone)]
enum Unresolved {
    /// The platform failed or refused, or the container is on a foreign host.
    Failed(AgsError),
    /// Another instance is finding it.
    Busy,
    /// Nothing can find it.
    Fail(String),
}

/// What a score's attempt is told while another instance finds its line item.
const RESOLVING: &str = "the line item is being found by another instance";

impl Unresolved {
    /// How the attempt of each score of the activity ends: as the lookup did.
    fn outcome(&self, timestamp: i64) -> Attempt {
        match self {
            Unresolved::Failed(e) => failure_of(e, timestamp),
            Unresolved::Busy => Attempt::Wait {
                after: RESOLVING_WAIT,
                error: RESOLVING.into(),
            },
            Unresolved::Fail(m) => Attempt::Fail(m.clone()),
        }
    }
}

/// The line item of an activity whose launch names none: the one kept from an earlier step,
/// else found or created in `container` by this instance alone (under a claim in the store,
/// kept for every later score; given back on failure).
async fn resolve_lineitem(
    deps: &Deps<'_>,
    reg: &Registration,
    course: crate::store::CourseId,
    activity: &str,
    container: &str,
    points: f64,
    now: i64,
) -> Result<Result<String, Unresolved>, GradesError> {
    if let Some(l) = deps.store.resolved_lineitem(course, activity).await? {
        return Ok(Ok(l));
    }
    // The container is checked before a token is asked for.
    let container = match reg.service_url(container) {
        Ok(c) => c,
        Err(e) => return Ok(Err(Unresolved::Failed(AgsError::not_service(e)))),
    };
    let until = match deps
        .store
        .claim_lineitem_resolution(course, activity, now, deps.worker.lease)
        .await?
    {
        LineItemClaim::Resolved(l) => return Ok(Ok(l)),
        LineItemClaim::Busy => return Ok(Err(Unresolved::Busy)),
        LineItemClaim::Claimed(until) => until,
    };
    match find_lineitem(deps, reg, &container, activity, points).await {
        Ok(l) => {
            tracing::info!(course = course.get(), "line item resolved");
            deps.store
                .lineitem_resolved(course, activity, l.as_str())
                .await?;
            Ok(Ok(l.as_str().to_string()))
        }
        Err(e) => {
            tracing::warn!(
                course = course.get(),
                status = e.status(),
                code = e.code(),
                "line item not resolved"
            );
            deps.store
                .release_lineitem_claim(course, activity, until)
                .await?;
            Ok(Err(Unresolved::Failed(e)))
        }
    }
}

/// Finds or creates the activity's line item in the container, with one fresh token after a
/// 401.
async fn find_lineitem(
    deps: &Deps<'_>,
    reg: &Registration,
    container: &ServiceUrl,
    activity: &str,
    points: f64,
) -> Result<ServiceUrl, AgsError> {
    let scopes = [ags::SCOPE_LINEITEM];
    let http = deps.worker.http.for_platform(reg);
    for first in [true, false] {
        let token = deps
            .worker
            .tokens
            .token(http, reg, deps.key, &scopes)
            .await
            .map_err(|e| AgsError::Network(e.to_string()))?;
        match ags::find_or_create_lineitem(
            http,
            &token,
            reg,
            container,
            activity,
            super::LINEITEM_TAG,
            "Peer coaching",
            points,
        )
        .await
        {
            Err(AgsError::Unauthorized) if first => {
                deps.worker.tokens.invalidate(reg.id, &scopes).await
            }
            other => return other,
        }
    }
    Err(AgsError::Unauthorized)
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
        match update_one(deps, &u, now).await {
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
    now: i64,
) -> Result<String, (String, Option<i64>)> {
    let Some(reg) = deps.registrations.iter().find(|g| g.id == u.registration) else {
        return Err(("the platform is no longer registered".into(), None));
    };
    let unusable = |e: AgsError| {
        let after = match &e {
            AgsError::ForeignHost(_) => Some(FOREIGN_HOST_WAIT),
            AgsError::RetryAfter(d) => Some(retry_after_secs(*d)),
            _ => None,
        };
        (describe(&e), after)
    };
    // The addresses are checked before a token is asked for; a line item the launch did
    // not name is resolved as for scores (once, by one instance).
    let lineitem = match (&u.lineitem, &u.lineitems) {
        (Some(l), _) => reg
            .service_url(l)
            .map_err(|e| unusable(AgsError::not_service(e)))?,
        (None, Some(c)) => {
            let resolution = resolve_lineitem(deps, reg, u.course, &u.activity, c, u.points, now)
                .await
                .map_err(|e| (e.to_string(), None))?;
            match resolution {
                Ok(l) => reg
                    .service_url(&l)
                    .map_err(|e| unusable(AgsError::not_service(e)))?,
                Err(Unresolved::Failed(e)) => return Err(unusable(e)),
                Err(Unresolved::Busy) => return Err((RESOLVING.into(), Some(RESOLVING_WAIT))),
                Err(Unresolved::Fail(m)) => return Err((m, None)),
            }
        }
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
        match ags::update_lineitem(http, &token, &lineitem, u.points).await {
            Ok(_) => return Ok(lineitem.as_str().to_string()),
            Err(AgsError::Unauthorized) if !refreshed => {
                refreshed = true;
                deps.worker.tokens.invalidate(reg.id, &scopes).await;
            }
            Err(e) => return Err(unusable(e)),
        }
    }
}

/// One attempt at one score, to its line item.
async fn attempt(deps: &Deps<'_>, r: &OutboxRow, lineitem: &str) -> Attempt {
    let Some(reg) = deps.registrations.iter().find(|g| g.id == r.registration) else {
        return Attempt::Fail("the platform is no longer registered".into());
    };
    let mut score = score_of(r);
    let mut timestamp = r.timestamp;
    // The line item is checked before a token is asked for: a score is never sent, and no
    // token asked for, to a host not the platform's.
    let url = match reg.service_url(lineitem) {
        Ok(u) => u,
        Err(e) => return failure_of(&AgsError::not_service(e), timestamp),
    };
    let scopes = [ags::SCOPE_SCORE];
    let http = deps.worker.http.for_platform(reg);
    let mut refreshed = false;
    let mut conflicts = 0;
    loop {
        let token = match deps.worker.tokens.token(http, reg, deps.key, &scopes).await {
            Ok(t) => t,
            Err(e) => {
                return Attempt::Retry {
                    after: None,
                    error: e.to_string(),
                    timestamp,
                };
            }
        };
        match ags::post_score(http, &token, &url, &score).await {
            Ok(()) => return Attempt::Delivered,
            Err(AgsError::Unauthorized) if !refreshed => {
                refreshed = true;
                deps.worker.tokens.invalidate(reg.id, &scopes).await;
            }
            Err(AgsError::Conflict(_)) if conflicts == 0 => {
                // The platform holds a score as recent as this one: one second later.
                conflicts += 1;
                timestamp += 1000;
                score.timestamp = ags::timestamp(timestamp);
            }
            Err(e @ AgsError::Conflict(_)) => {
                return Attempt::Retry {
                    after: None,
                    error: describe(&e),
                    timestamp: timestamp + 1000,
                };
            }
            Err(e) => return failure_of(&e, timestamp),
        }
    }
}

/// A `Retry-After` in seconds, as honoured: at least one, at most [`RETRY_AFTER_CAP`].
fn retry_after_secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs())
        .unwrap_or(i64::MAX)
        .clamp(1, RETRY_AFTER_CAP)
}

/// How a failed attempt ends: a foreign host waits for the operator, a 429 waits as the
/// platform says, anything else is retried.
fn failure_of(e: &AgsError, timestamp: i64) -> Attempt {
    match e {
        AgsError::ForeignHost(_) => Attempt::Wait {
            after: FOREIGN_HOST_WAIT,
            error: describe(e),
        },
        AgsError::RetryAfter(d) => Attempt::RateLimited {
            after: retry_after_secs(*d),
            error: describe(e),
            timestamp,
        },
        _ => Attempt::Retry {
            after: None,
            error: describe(e),
            timestamp,
        },
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
    fn backoff_grows_to_a_minute_with_jitter() {
        for (attempts, lo, hi) in [(1, 24, 36), (2, 48, 60), (3, 48, 60), (8, 48, 60)] {
            let b = backoff(attempts, 7);
            assert!((lo..=hi).contains(&b), "{attempts}: {b}");
        }
        // However many attempts it took (or lost to a killed instance), at most a minute.
        for attempts in 1..=MAX_ATTEMPTS + 4 {
            for id in 0..20 {
                assert!(backoff(attempts, id) <= 60, "{attempts}");
            }
        }
    }
}
