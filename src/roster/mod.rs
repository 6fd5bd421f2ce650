//! Roster sync: brings a course's membership in from the LMS (NRPS) and keeps it fresh — on
//! each staff launch, on demand, and on a schedule while the course is active.
//!
//! Architecture Invariant: a sync replaces the stored roster only with a complete read; any
//! failure (timeout, HTTP error, bad JSON on any page) leaves the stored roster untouched and
//! records the error for the instructor. The memberships URL is checked against the
//! platform's service hosts before a token is asked for: one elsewhere is refused
//! (`ServiceError::ForeignHost`) and recorded with its fix for the staff who manage.

pub mod schedule;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::lti::keys::ToolKey;
use crate::lti::nrps;
use crate::lti::services::{ServiceError, ServiceTokens};
use crate::lti::{Registration, Service};
use crate::metrics::RosterOutcome;
use crate::store::{CourseId, CourseInfo, RosterEntry, Store, StoreError};

/// How often an active course is synced in the background.
pub const SCHEDULE_EVERY: Duration = Duration::from_secs(3600);
/// A staff launch syncs only if the roster is older than this.
pub const STAFF_LAUNCH_MIN_AGE: i64 = 120;
/// A complete read happens at least this often (seconds); in between, the `differences`
/// link is enough.
pub const FULL_READ_EVERY: i64 = 86_400;
/// A course counts as active while someone launched it within this many seconds.
pub const ACTIVE_FOR: i64 = 30 * 86_400;

/// Why a sync did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The course has no NRPS URL (the platform offers no roster service).
    #[error("this course offers no roster service")]
    NoService,
    /// The LMS refused or failed; the stored roster is unchanged.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a successful sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub members: usize,
    pub pages: usize,
    /// Whether only changes were read (the `differences` link).
    pub differences: bool,
}

/// How the last sync of a course ended, kept for those who waited on it.
#[derive(Debug, Clone)]
enum Outcome {
    Done(SyncReport),
    Failed(ServiceError),
    /// No roster service, or the store failed (its error as text: store errors do not clone).
    Broken(String),
    NoService,
}

type Slot = std::sync::Arc<tokio::sync::Mutex<Option<Outcome>>>;

/// Roster sync with its own service-token cache.
pub struct RosterSync {
    http: crate::lti::outbound::Outbound,
    tokens: ServiceTokens,
    /// Longest time one sync may take, every page included.
    deadline: Duration,
    /// Per course: held while a sync runs, and holding how the last one ended.
    running: Mutex<HashMap<CourseId, Slot>>,
}

impl RosterSync {
    pub fn new(http: crate::lti::outbound::Outbound, deadline: Duration) -> RosterSync {
        RosterSync {
            http,
            tokens: ServiceTokens::default(),
            deadline,
            running: Mutex::new(HashMap::new()),
        }
    }

    /// Syncs one course now. A full read replaces the roster. Unless `full` is asked (the
    /// instructor's "Refresh roster"), when the platform gave a `differences` link and the
    /// last full read is less than a day old, only the changes are read and merged.
    pub async fn sync(
        &self,
        store: &Store,
        reg: &Registration,
        key: &ToolKey,
        course: &CourseInfo,
        full: bool,
        now: i64,
    ) -> Result<SyncReport, SyncError> {
        let Some(url) = course.memberships_url.as_deref() else {
            crate::metrics::global().roster_sync(RosterOutcome::NoService);
            return Err(SyncError::NoService);
        };
        // One sync per course at a time in this process: a caller who finds one running waits
        // for it and takes its outcome — success or failure — instead of reading the roster a
        // second time.
        let lock = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(course.id)
            .or_default()
            .clone();
        let mut slot = match lock.try_lock() {
            Ok(g) => g,
            Err(_) => {
                let waited = lock.lock().await;
                return match waited.clone() {
                    Some(Outcome::Done(r)) => Ok(r),
                    Some(Outcome::Failed(e)) => Err(SyncError::Service(e)),
                    Some(Outcome::NoService) => Err(SyncError::NoService),
                    Some(Outcome::Broken(m)) => {
                        Err(SyncError::Store(StoreError::Db(sea_orm::DbErr::Custom(m))))
                    }
                    // The sync it waited on was cancelled (its caller went away).
                    None => Err(SyncError::Store(StoreError::Db(sea_orm::DbErr::Custom(
                        "the concurrent sync was cancelled".into(),
                    )))),
                };
            }
        };
        *slot = None;
        let result = match tokio::time::timeout(
            self.deadline,
            self.sync_inner(store, reg, key, course, url, full, now),
        )
        .await
        {
            Ok(r) => r,
            Err(_) => Err(SyncError::Service(ServiceError::Unreachable {
                service: "NRPS",
                detail: format!(
                    "the roster took longer than {} s to read",
                    self.deadline.as_secs()
                ),
            })),
        };
        if let Err(SyncError::Service(e)) = &result {
            // The platform's words are kept for staff, never logged: a status and a code.
            tracing::warn!(
                course = course.id.get(),
                code = e.code(),
                status = e.status(),
                "roster sync failed; the stored roster is kept"
            );
            if let Err(store_err) = store
                .record_sync_error(course.id, &e.failure().to_stored(), now)
                .await
            {
                *slot = Some(Outcome::Broken(store_err.to_string()));
                crate::metrics::global().roster_sync(RosterOutcome::Failed);
                return Err(store_err.into());
            }
        }
        crate::metrics::global().roster_sync(match &result {
            Ok(r) if r.differences => RosterOutcome::Differences,
            Ok(_) => RosterOutcome::Full,
            Err(SyncError::Service(_)) => RosterOutcome::Failed,
            Err(SyncError::NoService) => RosterOutcome::NoService,
            Err(SyncError::Store(_)) => RosterOutcome::StoreFailed,
        });
        *slot = Some(match &result {
            Ok(r) => Outcome::Done(r.clone()),
            Err(SyncError::Service(e)) => Outcome::Failed(e.clone()),
            Err(SyncError::NoService) => Outcome::NoService,
            Err(SyncError::Store(e)) => Outcome::Broken(e.to_string()),
        });
        result
    }

    #[expect(clippy::too_many_arguments)]
    async fn sync_inner(
        &self,
        store: &Store,
        reg: &Registration,
        key: &ToolKey,
        course: &CourseInfo,
        url: &str,
        full: bool,
        now: i64,
    ) -> Result<SyncReport, SyncError> {
        // The age of the last *complete* read decides: differences merged onto differences
        // would otherwise go on forever and never correct a change the platform missed.
        let recent_full = !full
            && course
                .last_full_sync_at
                .is_some_and(|t| now - t < FULL_READ_EVERY)
            && course.last_sync_error.is_none();
        // The memberships URL must be on one of the platform's hosts before a token is asked
        // for it.
        let home = reg
            .service_url(url)
            .map_err(|e| ServiceError::not_service(Service::Roster, e))?;
        // A differences link stored before links were checked may lead elsewhere: then the
        // complete read, on the memberships URL's own origin, is the safe choice.
        let diff = course
            .differences_url
            .as_deref()
            .and_then(|d| home.same_origin(d));
        if let (Some(diff), true) = (diff, recent_full) {
            let read = nrps::read_membership(
                self.http.for_platform(reg),
                &self.tokens,
                reg,
                key,
                &diff,
                &home,
            )
            .await?;
            let changes: Vec<RosterEntry> = read.members;
            let mut roster = store.roster(course.id).await?;
            for c in &changes {
                match roster.iter_mut().find(|r| r.user_id == c.user_id) {
                    Some(r) => *r = c.clone(),
                    None => roster.push(c.clone()),
                }
            }
            store
                .replace_roster(
                    course.id,
                    &roster,
                    read.differences_url.as_deref().or(Some(diff.as_str())),
                    false,
                    now,
                )
                .await?;
            return Ok(SyncReport {
                members: roster.len(),
                pages: read.pages,
                differences: true,
            });
        }
        let read = nrps::read_membership(
            self.http.for_platform(reg),
            &self.tokens,
            reg,
            key,
            &home,
            &home,
        )
        .await?;
        let members: Vec<RosterEntry> = read.members;
        store
            .replace_roster(
                course.id,
                &members,
                read.differences_url.as_deref(),
                true,
                now,
            )
            .await?;
        tracing::info!(
            course = course.id.get(),
            members = members.len(),
            pages = read.pages,
            "roster synced"
        );
        Ok(SyncReport {
            members: members.len(),
            pages: read.pages,
            differences: false,
        })
    }
}

/// One scheduled step: syncs every active course whose roster is older than the schedule.
/// Returns how many courses were synced successfully.
pub async fn sync_due(
    sync: &RosterSync,
    store: &Store,
    registrations: &[Registration],
    key: &ToolKey,
    now: i64,
) -> Result<usize, StoreError> {
    let due = store
        .courses_due_for_sync(now - SCHEDULE_EVERY.as_secs() as i64, now - ACTIVE_FOR)
        .await?;
    let mut ok = 0;
    for course in due {
        let Some(reg) = registrations.iter().find(|r| r.id == course.registration) else {
            continue;
        };
        if sync
            .sync(store, reg, key, &course, false, now)
            .await
            .is_ok()
        {
            ok += 1;
        }
    }
    Ok(ok)
}
